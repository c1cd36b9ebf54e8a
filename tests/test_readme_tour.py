"""The README's short tour, run as written against a real ``zkg serve``.

The tour is the first thing a newcomer types; every comment in it ("303", "its statements",
"200, ZKG-Changeset") is a promise. The shell block is taken from README.md itself, so an
edit to the README is tested as it reads. Only two things are adapted to the test: ``E`` is
the live server's address, and ``.venv/bin/zkg`` is this interpreter's zkg with the server's
data directory (``ZKG_DATA``), as a newcomer's ``.venv/bin/zkg`` would find ``./zkg-data``.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.live_server import REPO, LiveServer, zkg_env, zkg_load

README = REPO / "README.md"


def tour_script() -> str:
    """The first ``sh`` block under the README's "A short tour" heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## A short tour\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's tour has no sh block"
    return match.group(1)


def test_the_tour_is_what_a_newcomer_reads():
    script = tour_script()
    assert script.startswith("E=http://127.0.0.1:8080\n")  # the address `zkg serve` prints
    assert ".venv/bin/zkg token create" in script


@pytest.fixture(scope="module")
def tour_server(tmp_path_factory):
    """``zkg load`` and ``zkg serve`` with nothing set but the port (8080 may be taken here):
    the base IRI follows it, and serve checks that it dereferences where it serves."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    data = tmp_path_factory.mktemp("tour") / "zkg-data"
    zkg_load(data, base_iri=None, env={"ZKG_PORT": port})
    server = LiveServer(data, base_iri=None, env={"ZKG_PORT": port}, behind_proxy=False)
    server.base = f"http://localhost:{port}/"
    yield server
    server.stop()


def run_tour(server: LiveServer) -> str:
    script = tour_script()
    script = script.replace("E=http://127.0.0.1:8080", "E=" + server.url.rstrip("/"), 1)
    zkg = f"{shlex.quote(sys.executable)} -m zkg.cli.main"
    script = script.replace(".venv/bin/zkg", zkg)
    # Each command's output is framed so that the test can tell which command said what.
    lines, framed = script.splitlines(), []
    command = ""
    for line in lines:
        command += line + "\n"
        if line.rstrip().endswith("\\"):
            continue
        if command.strip() and not command.lstrip().startswith("#"):
            framed.append(f"printf '\\n=== {len(framed)}\\n'\n{command}")  # output may lack a last newline
        elif command.strip():
            framed.append(command)
        command = ""
    done = subprocess.run(
        ["bash", "-e", "-c", "".join(framed)],  # -e: as a reader would stop at the first failure
        env=zkg_env(ZKG_DATA=str(server.data_dir)),
        cwd=Path(server.data_dir).parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "curl: (" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    return done.stdout


def outputs(stdout: str) -> list[str]:
    """What each command printed; a command that prints nothing (``E=…``, ``T=$(…)``) is left out."""
    parts = re.split(r"^=== \d+\n", stdout, flags=re.M)
    return [part for part in parts[1:] if part.strip()]


def test_every_command_of_the_tour_does_what_its_comment_says(tour_server):
    said = outputs(run_tour(tour_server))
    assert len(said) == 9, said
    names, csv, head, quads, search, write, feed, undo, log = said
    assert len(json.loads(names)["results"]["bindings"]) == 5
    assert csv.splitlines()[0].strip() == "s,name" and len(csv.strip().splitlines()) == 4
    assert re.search(r"^HTTP/1.1 303", head, re.M | re.I)
    assert re.search(r"^location: \S*/page/id/z-park\s*$", head, re.M | re.I)
    statements = quads.strip().splitlines()
    base = tour_server.base  # the IRIs dereference where zkg serves
    assert len(statements) == 3 and all(s.startswith(f"<{base}id/z-park> ") for s in statements)
    assert all(re.search(rf" <{base}graph/[^>]+> \.$", s) for s in statements)  # each with its source
    hits = json.loads(search)
    assert any("z-park" in json.dumps(hit) for hit in (hits["results"] if isinstance(hits, dict) else hits))
    assert re.search(r"^HTTP/1.1 200", write, re.M) and re.search(r"^zkg-changeset: \S+", write, re.M | re.I)
    changeset = re.search(r"^zkg-changeset: (\S+)", write, re.M | re.I).group(1)
    entries = feed.split("<entry>")
    assert entries[0].lstrip().startswith("<?xml") and "<feed" in entries[0]
    assert changeset in entries[1] and "by ada; source: https://example.org/readme-tour" in entries[1]
    assert "3 added" in write and "id:readme-example" in write  # a throwaway entity, no shipped data
    assert re.search(r"^committed changeset \S+: 0 added, 3 removed", undo, re.M)
    # A command while zkg serve runs (issue 17): through the server's engine, with no base IRI
    # given (the store remembers the one it was loaded with), the same history.
    undone = re.search(r"^committed changeset (\S+):", undo, re.M).group(1)
    assert changeset in log and undone in log and "(2 changesets)" in log

    # Followed literally, the tour changes nothing real (issue 16): its one write is undone.
    query = "ASK { id:readme-example ?p ?o }"
    with urllib.request.urlopen(tour_server.sparql + "?query=" + urllib.parse.quote(query), timeout=30) as answer:
        assert json.loads(answer.read())["boolean"] is False
