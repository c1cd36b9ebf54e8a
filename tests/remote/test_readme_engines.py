"""The README's "In front of another engine", run as written: for Oxigraph server and for
Virtuoso, the data exported, loaded with the engine's own loader, the engine started, and
``zkg serve --store`` in front of it, reading and writing.

Adapted to the test, and only this: the ports (7878, 8890, 1111 and zkg's 8080) are free ones
(the copied ``deploy/virtuoso.ini`` has its two ports changed, nothing else; the
``deploy/`` scripts are read where they are), ``.venv/bin/zkg``
and ``.venv/bin/oxigraph`` are this interpreter's, and the ``sudo apt-get`` line is not run
(CI's ``.ci/run`` installs the same packages; without them the test fails saying so).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.live_server import REPO, zkg_env, zkg_load
from tests.support.virtuoso import programs
from zkg.store.managed_engine import free_port, oxigraph_executable

README = REPO / "README.md"
SOURCE = "https://example.org/readme-engines"


def recipes() -> dict[str, str]:
    """The sh blocks of the README's "In front of another engine", by the engine's name."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## In front of another engine\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return {block.split()[1]: block for block in blocks}  # "# Oxigraph server …", "# Virtuoso …"


def test_the_readme_has_a_recipe_per_tested_engine():
    found = recipes()
    assert set(found) == {"Oxigraph", "Virtuoso"}
    for block in found.values():
        assert block.rstrip().splitlines()[-1].startswith(".venv/bin/zkg serve --store sparql+http://127.0.0.1:")


class Front:
    """The recipe's processes (one session, stopped together) and zkg's address."""

    def __init__(self, folder: Path, engine: str):
        self.folder, self.engine = folder, engine
        self.port = free_port()
        self.env = zkg_env(ZKG_PORT=str(self.port))
        zkg_load(folder / "zkg-data", base_iri=None, env={"ZKG_PORT": str(self.port)})
        script = recipes()[engine]
        if engine == "Virtuoso":
            programs()  # a failure naming the packages, never a skip
            assert "sudo apt-get install -y --no-install-recommends virtuoso-opensource-7-bin" in script
            script = "\n".join(line for line in script.splitlines() if not line.startswith("sudo apt-get"))
            ini = (REPO / "deploy" / "virtuoso.ini").read_text(encoding="utf-8")
            isql, http = free_port(), free_port()
            ini = ini.replace("127.0.0.1:1111", f"127.0.0.1:{isql}").replace("127.0.0.1:8890", f"127.0.0.1:{http}")
            (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
            script = script.replace("cp deploy/virtuoso.ini", f"cp {folder / 'virtuoso.ini'}")
            script = script.replace(
                "deploy/virtuoso-private-graphs.sql", str(REPO / "deploy" / "virtuoso-private-graphs.sql")
            )
            script = script.replace("127.0.0.1:1111", f"127.0.0.1:{isql}").replace(
                "127.0.0.1:8890", f"127.0.0.1:{http}"
            )
        else:
            script = script.replace("127.0.0.1:7878", f"127.0.0.1:{free_port()}")
        script = script.replace(".venv/bin/zkg", f"{shlex.quote(sys.executable)} -m zkg.cli.main")
        script = script.replace(".venv/bin/oxigraph", shlex.quote(oxigraph_executable()))
        *steps, serve = script.rstrip().splitlines()
        self.data = serve.split("--data ")[1].split()[0]  # the front end's data directory
        self.process = subprocess.Popen(
            ["bash", "-e", "-c", "\n".join(steps) + f"\nexec {serve}"],
            cwd=folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the engine started with `&` stays in this session: stopped with it
        )
        self.said: list[str] = []
        for line in self.process.stdout:
            self.said.append(line.rstrip("\n"))
            if re.match(r"zkg: serving http://", line) or len(self.said) > 200:
                break
        assert self.said and self.said[-1].startswith("zkg: serving http://"), "\n".join(self.said)
        self.url = f"http://127.0.0.1:{self.port}/"

    def get(self, path: str, accept: str = "application/sparql-results+json"):
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read().decode("utf-8")

    def ask(self, query: str) -> bool:
        return json.loads(self.get("sparql?" + urllib.parse.urlencode({"query": query})))["boolean"]

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        # Virtuoso ends its own way: wait for its lock file to go (it removes it on SIGTERM).
        lock = self.folder / "virtuoso" / "virtuoso.lck"
        for _ in range(300):
            if not lock.exists():
                break
            subprocess.run(["sleep", "0.1"])


@pytest.mark.parametrize("engine", ["Oxigraph", "Virtuoso"])
def test_the_readme_recipe_serves_the_engine(engine, tmp_path):
    front = Front(tmp_path, engine)
    try:
        (probe,) = [line for line in front.said if line.startswith("zkg: the SPARQL engine at ")]
        assert probe.endswith(
            f" is {engine}: SELECT yes; ASK yes; CONSTRUCT yes; union default graph yes; updates yes"
        ), probe
        page = front.get("page/id/z-park", "text/html")
        assert "Zhongguancun" in page
        assert front.ask("ASK { id:z-park schema:name ?name }")
        token = subprocess.run(
            [sys.executable, "-m", "zkg.cli.main", "--data", str(tmp_path / front.data), "token", "create", "ada"],
            env=front.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        write = urllib.request.Request(
            front.url + "sparql",
            data='INSERT DATA { id:readme-engine a schema:Place ; rdfs:label "README engine"@en ; '
            'schema:name "README engine"@en }'.encode(),
            method="POST",
            headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {token}",
                "ZKG-Source": SOURCE,
            },
        )
        try:
            with urllib.request.urlopen(write, timeout=60) as answer:
                assert answer.status == 200 and answer.headers["ZKG-Changeset"]
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{error.code}: {error.read().decode()}") from None
        assert front.ask('ASK { id:readme-engine rdfs:label "README engine"@en }')
        assert "README engine" in front.get("page/id/readme-engine", "text/html")
    finally:
        front.stop()
