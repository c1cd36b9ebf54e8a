"""A throwaway Oxigraph server on loopback, loaded the way the README tells a user: the data's
N-Quads (what ``zkg export --format nquads`` writes) into a fresh store with ``oxigraph load``,
then ``oxigraph serve`` on it. For the tests that run zkg in front of a remote engine."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

from zkg.store.managed_engine import free_port, oxigraph_executable


def answering(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


class OxigraphServer:
    """``oxigraph serve`` on a store in ``folder`` loaded with ``nquads`` (bytes); :attr:`url`
    is its base (``http://127.0.0.1:PORT``), :attr:`spec` zkg's store setting for it.
    ``timeout_s``: the engine's own time limit (``--timeout-s``), as the docs tell a user to
    set it to zkg's."""

    def __init__(self, folder: Path, nquads: bytes, *, timeout_s: float | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data.nq").write_bytes(nquads)
        location = folder / "store"
        subprocess.run(
            [oxigraph_executable(), "load", "--location", str(location), "--file", str(folder / "data.nq")],
            check=True,
            capture_output=True,
            timeout=300,
        )
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.spec = f"sparql+{self.url}/query"
        limit = ["--timeout-s", str(timeout_s)] if timeout_s is not None else []
        self._process = subprocess.Popen(
            [oxigraph_executable(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", *limit],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not answering(self.url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("the Oxigraph server did not start")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
