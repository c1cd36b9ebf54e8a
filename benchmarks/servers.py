"""Starting, measuring and stopping the servers the harness compares (all on loopback).

- zkg: ``zkg serve`` (waitress workers in front of the managed Oxigraph engine);
- Oxigraph server: ``oxigraph serve --location DIR --union-default-graph`` on its own copy of
  the data (on disk, as zkg's store is);
- rdflib-endpoint: ``rdflib-endpoint serve FILE`` (an rdflib Dataset in memory with the union
  default graph, under uvicorn), from ``benchmarks/.venv-peers`` (its dependencies, FastAPI and
  uvicorn, are kept out of zkg's environment).

Peak memory is the sum of the peak resident set (VmHWM) of the server's process tree.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS_VENV = REPO / "benchmarks" / ".venv-peers"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def peak_rss_mb(pid: int) -> float:
    """The sum of VmHWM (peak resident memory) over the process tree of ``pid``, in MB."""
    total = 0
    for each in tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            total += int(match.group(1))
    return round(total / 1024, 1)


class Server:
    """One server process (in its own session, so it and its children stop together)."""

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        url: str | None = None,
        log: Path,
        env: dict | None = None,
        url_from_output: str | None = None,
        ready_path: str = "",
        startup_timeout: float = 1800.0,
        cwd: Path | None = None,
    ):
        self.name = name
        self.log_path = log
        self._log = open(log, "w", encoding="utf-8")
        started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE if url_from_output else self._log,
            stderr=self._log,
            env=env,
            text=True,
            start_new_session=True,
            cwd=cwd,
        )
        if url_from_output:
            #: What the server said before its address (zkg serve --store: what the engine does).
            self.said: list[str] = []
            line = self.process.stdout.readline()
            while line and re.search(url_from_output, line) is None and len(self.said) < 20:
                self.said.append(line.rstrip("\n"))
                line = self.process.stdout.readline()
            match = re.search(url_from_output, line)
            if match is None:
                self.stop()
                raise RuntimeError(f"{name} did not start: {[*self.said, line]!r}; see {log}")
            url = match.group(1).rstrip("/")
        self.url = url
        self._wait_ready(ready_path, startup_timeout)
        self.startup_seconds = time.monotonic() - started

    def _wait_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as answer:
                    if answer.status < 500:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready after {timeout} s; see {self.log_path}")

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.process.pid)

    def settle(self, *, share: float = 0.1, window: float = 0.25, timeout: float = 60.0) -> float:
        """Wait until the server's processes use under ``share`` of a core over ``window``
        seconds (or ``timeout`` passed); the seconds waited. A server still working on
        answers the load generator no longer waits for (wrk stops, the queries go on) would
        take the CPU from whichever server runs next."""
        from zkg.store.managed_engine import cpu_seconds

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            before = sum(cpu_seconds(pid) for pid in tree(self.process.pid))
            time.sleep(window)
            if sum(cpu_seconds(pid) for pid in tree(self.process.pid)) - before < share * window:
                break
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def zkg_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    # One client address sends every request: zkg's per-client rate limit (issue 7) is off.
    env["ZKG_RATE_LIMIT"] = "0"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_zkg(
    data: Path,
    base_iri: str,
    log: Path,
    *,
    workers: int | None = None,
    threads: int | None = None,
    answer_cache: bool = True,
    store: str | None = None,
) -> Server:
    """``zkg serve`` with its own defaults unless told (workers, threads); ``store``: in
    front of that remote engine (``sparql+http://…``) rather than its own."""
    command = [
        sys.executable,
        "-m",
        "zkg.cli.main",
        "serve",
        "--data",
        str(data),
        "--base-iri",
        base_iri,
        "--port",
        "0",
        "--behind-proxy",  # the benchmark's base IRI is not its free port's address
    ]
    if workers is not None:
        command += ["--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
    if store is not None:
        command += ["--store", store]
    env = zkg_env()
    if not answer_cache:
        env["ZKG_ANSWER_CACHE"] = "0"
    return Server(
        "zkg",
        command,
        log=log,
        env=env,
        url_from_output=r"serving (http://\S+/) ",
        ready_path="/sparql?query=ASK%7B%7D",
    )


def oxigraph_executable() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else "oxigraph"


def start_oxigraph(location: Path, log: Path) -> Server:
    port = free_port()
    command = [
        oxigraph_executable(),
        "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    return Server("oxigraph", command, url=f"http://127.0.0.1:{port}", log=log, ready_path="/query?query=ASK%7B%7D")


#: The peer with the extra its command line needs (click and uvicorn): without ``[cli]`` the
#: ``rdflib-endpoint`` command is installed but fails on its first import.
PEER_INSTALL = f"python3 -m venv {PEERS_VENV} && {PEERS_VENV}/bin/pip install 'rdflib-endpoint[cli]'"


def rdflib_endpoint_executable() -> Path | None:
    """The peer's command, if it is installed with its ``cli`` extra (uvicorn beside it)."""
    program = PEERS_VENV / "bin" / "rdflib-endpoint"
    return program if program.exists() and (PEERS_VENV / "bin" / "uvicorn").exists() else None


def start_rdflib_endpoint(nquads: Path, log: Path) -> Server:
    program = rdflib_endpoint_executable()
    if program is None:
        raise RuntimeError(f"rdflib-endpoint is not installed with its command line: {PEER_INSTALL}")
    port = free_port()
    command = [str(program), "serve", str(nquads), "--host", "127.0.0.1", "--port", str(port)]
    # rdflib-endpoint serves its SPARQL endpoint at the root path.
    return Server("rdflib-endpoint", command, url=f"http://127.0.0.1:{port}", log=log, ready_path="/?query=ASK%7B%7D")
