"""A real ``zkg serve`` in a subprocess, on a free loopback port, for tests that need HTTP.

The data directory is made with the real ``zkg load``; the server is started with
``--port 0`` and its URL read from the line it prints. Stopping it (SIGTERM) must also stop
the engine child process: :meth:`LiveServer.stop` checks that no engine is left.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ZKG = [sys.executable, "-m", "zkg.cli.main"]
REPO = Path(__file__).resolve().parents[2]

#: Whether the running test may start a ``zkg serve``: tests/conftest.py says so before each
#: test, from its ``live`` marker (tests/support/markers.py), so that a test the marker
#: missed fails instead of slipping into the quick ``not live`` run. Outside pytest: yes.
_live_allowed = True


def expect_live(allowed: bool) -> None:
    """Allow (or refuse) :class:`LiveServer` for the test about to run."""
    global _live_allowed
    _live_allowed = allowed


def zkg_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def zkg_load(
    data_dir: Path,
    *,
    base_iri: str | None,
    graph_dir: Path | None = None,
    ontology_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> None:
    """``zkg load`` into ``data_dir`` (the project's own graph/ and ontology/ by default;
    ``base_iri`` None: the default, from ``env``)."""
    command = [*ZKG, "load", "--data", str(data_dir)] + (["--base-iri", base_iri] if base_iri is not None else [])
    if graph_dir is not None:
        command += ["--graph-dir", str(graph_dir)]
    if ontology_dir is not None:
        command += ["--ontology-dir", str(ontology_dir)]
    done = subprocess.run(command, env=zkg_env(**(env or {})), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"zkg load failed: {done.stderr or done.stdout}")


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the live child processes of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append((int(entry.name), name))
    return found


class LiveServer:
    """``zkg serve`` on ``data_dir``; ``url`` is its root URL (ending with '/'). ``env``: settings
    for its environment (``ZKG_*`` of the tests' own environment are not passed on). ``prefix``:
    a command that runs it (``nsenter … --``: in another mount namespace) and then execs it.
    ``behind_proxy``: pass ``--behind-proxy`` (the default: the tests' base IRIs are not served
    where the server listens)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        base_iri: str | None,
        options: tuple[str, ...] = (),
        log_path: Path | None = None,
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
        behind_proxy: bool = True,
    ):
        if not _live_allowed:
            raise RuntimeError(
                "this test starts `zkg serve` but is not marked live: "
                "see tests/support/markers.py for what marks a test live"
            )
        self.data_dir = data_dir
        self.log_path = log_path or data_dir.parent / f"{data_dir.name}-serve.log"
        # The tests' base IRIs (http://zkg.test/) are not served at the free port the server
        # gets: as if a proxy served them (--behind-proxy); a test whose base is its server's
        # own address says behind_proxy=False, and zkg serve then checks it.
        proxy = ("--behind-proxy",) if behind_proxy else ()
        # base_iri None: no --base-iri and no --port, as a newcomer runs it (then ``env`` decides).
        where = ("--base-iri", base_iri, "--port", "0") if base_iri is not None else ()
        command = [*prefix, *ZKG, "serve", "--data", str(data_dir), *where, *proxy, *options]
        self._log = open(self.log_path, "w+", encoding="utf-8")
        self.process = subprocess.Popen(
            command,
            env=zkg_env(**(env or {})),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )
        # "zkg: serving http://127.0.0.1:PORT/ (…", after what a remote engine's probe found
        # ("zkg: the SPARQL engine at … is …"), kept in ``notes``.
        self.notes: list[str] = []
        line = self.process.stdout.readline()
        while line.startswith("zkg: the SPARQL engine at "):
            self.notes.append(line.strip())
            line = self.process.stdout.readline()
        match = re.search(r"serving (http://\S+/) ", line)
        if match is None:
            self.process.kill()
            self._log.seek(0)
            raise RuntimeError(f"zkg serve did not start: {line!r} {self._log.read()}")
        self.url = match.group(1)
        self.sparql = self.url + "sparql"

    @property
    def pid(self) -> int:
        return self.process.pid

    def engine_pids(self) -> list[int]:
        return [pid for pid, name in children(self.pid) if name.startswith("oxigraph")]

    def log(self) -> str:
        self._log.flush()
        return Path(self.log_path).read_text(encoding="utf-8")

    def stop(self) -> None:
        engines = self.engine_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("zkg serve did not stop on SIGTERM") from None
        self.process.stdout.close()
        self._log.close()
        deadline = time.monotonic() + 5
        while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in engines):
            if time.monotonic() > deadline:
                raise AssertionError(f"the engine outlived zkg serve: {engines}")
            time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat[stat.rindex(")") + 2 :].split()[0]


def wait_answering(server: "LiveServer", *, timeout: float = 60.0) -> None:
    """Wait until ``server`` answers a query: with ``--workers`` the workers start after
    the "serving" line. AssertionError after ``timeout`` seconds."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(server.sparql + "?query=ASK%7B%7D", timeout=10) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        assert time.monotonic() < deadline, "the live server does not answer"
        time.sleep(0.1)


def serve_at_own_url(data: Path, *, threads: int = 4) -> "LiveServer":
    """``zkg load`` of the project's real graph/ into ``data``, then a live ``zkg serve`` of it
    whose base IRI is its own URL (a loopback port free now), so every IRI in its data
    dereferences on it: what the linked-data, curation and browser tests follow."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    zkg_load(data, base_iri=base)
    server = LiveServer(
        data, base_iri=base, options=("--port", str(port), "--threads", str(threads)), behind_proxy=False
    )
    assert server.url == base, f"zkg serve answers at {server.url}, not at its base IRI {base}"
    return server
