"""The engine a running ``zkg serve`` holds, as other zkg processes on the machine find it.

While ``zkg serve`` runs on a data directory, its engine (``oxigraph serve``,
:mod:`zkg.store.managed_engine`) holds the store's lock: no other process can open the store
itself. So the server *publishes* its engine in the data directory's runtime record,
``serving.json`` (:func:`publish`, after every (re)start of the engine; :func:`withdraw` when
it stops), and a command (``zkg query``, ``zkg add``…) that finds a live one talks to that
engine over loopback (:func:`find`) instead of opening the store: reads through the engine,
writes through the same write path, change log and writer lock as the server's workers
(those live in the data directory, whichever process writes).

What the record holds, and how a reader checks it is the server's for *this* data
directory and alive (a server killed outright leaves its record behind):

- the server's pid and the engine's pid: both must be running, the engine must be the
  server's child and its command line must name the store directory recorded (a pid reused
  by another program is neither);
- the store directory (absolute), which must be this data directory's store;
- the engine's query and update URLs, which must be on loopback (nothing else is ever
  followed), and the engine must answer a probe query there.

A record failing any check is stale and ignored (the command opens the store itself, as
when no server runs).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as data:
...     find(Path(data)) is None
True
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zkg.base.errors import StoreError
from zkg.store.layout import STORE_LINK

#: The runtime record's file name in the data directory.
RECORD_FILE = "serving.json"
#: Seconds a reader waits for the engine to answer its probe.
PROBE_TIMEOUT = 2.0
#: Seconds a reader waits for a running server to publish its restarted engine.
RESTART_WAIT = 15.0


def record_path(data_dir: Path) -> Path:
    return Path(data_dir) / RECORD_FILE


def publish(data_dir: Path, engine: Any, *, base_iri: str) -> None:
    """Record ``engine`` (a running :class:`~zkg.store.managed_engine.ManagedEngine`) as this
    process's engine on ``data_dir``, atomically (written, then renamed into place). OSError
    when it cannot be written (a read-only directory): the caller says so and serves on."""
    record = {
        "server_pid": os.getpid(),
        "engine_pid": engine.pid,
        "store_dir": os.path.abspath(engine.store_dir),
        "engine_location": str(engine.store_dir),  # as on the engine's command line
        "query_url": engine.query_url,
        "update_url": engine.update_url,
        "generation": engine.generation,
        "base_iri": base_iri,
    }
    target = record_path(data_dir)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    temporary.replace(target)


def withdraw(data_dir: Path) -> None:
    """Remove the record, if it is this process's (a later server's is not ours to remove)."""
    path = record_path(data_dir)
    record = _read(path)
    if record is not None and record.get("server_pid") == os.getpid():
        try:
            path.unlink()
        except OSError:
            pass


def _read(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def is_loopback_url(url: object) -> bool:
    """Whether ``url`` is an http URL on this machine's loopback (the only ones followed).

    >>> is_loopback_url("http://127.0.0.1:7001/query"), is_loopback_url("http://[::1]:80/q")
    (True, True)
    >>> is_loopback_url("http://10.0.0.5:7001/query"), is_loopback_url("http://example.org/")
    (False, False)
    """
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.scheme == "http" and (host == "localhost" or ipaddress.ip_address(host).is_loopback)
    except ValueError:
        return False


def _running(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # running, as another user
    return True


def _engine_runs_on(pid: int, store_dir: str, server_pid: int) -> bool:
    """Whether process ``pid`` is an engine started on ``store_dir`` by ``server_pid`` (not
    a pid reused by another program, nor an engine some other process started)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return False  # no /proc to read: nothing proves the record true
    parent = stat.rsplit(")", 1)[1].split()[1]  # the field after the state
    return os.fsencode(store_dir) in arguments and parent == str(server_pid)


def _answers(query_url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    try:
        with urllib.request.urlopen(query_url + "?query=ASK%7B%7D", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _serving(pid: object) -> bool:
    """Whether ``pid`` runs ``zkg serve`` (its command line says ``serve``): a server whose
    engine is restarting (a record not yet replaced) is waited for; any other process is not."""
    if not _running(pid):
        return False
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in arguments and any(b"zkg" in argument for argument in arguments)


def live_record(data_dir: Path, *, wait: float = RESTART_WAIT) -> dict[str, Any] | None:
    """The runtime record of ``data_dir`` when it names a live server's engine on this data
    directory's store (every check of the module docstring), else None. While the server
    named still runs but its engine does not answer (it is being restarted), the record is
    read again for up to ``wait`` seconds: the server publishes the new engine as it starts."""
    deadline = time.monotonic() + wait
    while True:
        record = _read(record_path(data_dir))
        if record is None:
            return None
        if _checked(data_dir, record):
            return record
        if time.monotonic() >= deadline or not _serving(record.get("server_pid")):
            return None
        time.sleep(0.1)


def _checked(data_dir: Path, record: dict[str, Any]) -> bool:
    store_dir = record.get("store_dir")
    query_url, update_url = record.get("query_url"), record.get("update_url")
    if not (isinstance(store_dir, str) and is_loopback_url(query_url) and is_loopback_url(update_url)):
        return False
    if os.path.realpath(store_dir) != os.path.realpath(Path(data_dir) / STORE_LINK):
        return False
    if not (_running(record.get("server_pid")) and _running(record.get("engine_pid"))):
        return False
    location = str(record.get("engine_location", store_dir))
    if not _engine_runs_on(record["engine_pid"], location, record["server_pid"]):
        return False
    return _answers(str(query_url))


class RunningEngine:
    """A live server's engine as a command sees it: the :class:`~zkg.store.facade.EngineSupervisor`
    of the command's :class:`~zkg.store.remote.RemoteStore`. Its address is read from the
    record again when the record changes (the server restarted its engine on a new port)."""

    def __init__(self, data_dir: Path, record: dict[str, Any]):
        self.path = record_path(data_dir)
        self._record = record
        self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _current(self) -> dict[str, Any]:
        stamp = self._file_stamp()
        if stamp is not None and stamp != self._stamp:
            fresh = _read(self.path)
            if (
                fresh is not None
                and is_loopback_url(fresh.get("query_url"))
                and is_loopback_url(fresh.get("update_url"))
            ):
                self._record, self._stamp = fresh, stamp
        return self._record

    @property
    def server_pid(self) -> int:
        return int(self._record["server_pid"])

    @property
    def query_url(self) -> str:
        return str(self._current()["query_url"])

    @property
    def update_url(self) -> str:
        return str(self._current()["update_url"])

    @property
    def read_only_reason(self) -> StoreError | None:
        """Not known here: the engine says it serves read-only when it refuses a write."""
        return None

    def begin_request(self) -> None:
        """(The server's supervisor counts its own requests; a command's are not its to count.)"""

    def end_request(self) -> None:
        pass

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the engine (perhaps restarted by the server) answers; not at all once
        the server is gone (no engine will come back)."""
        deadline = time.monotonic() + max(0.0, timeout)
        while time.monotonic() < deadline and _running(self.server_pid):
            if _answers(self.query_url, timeout=min(1.0, PROBE_TIMEOUT)):
                return True
            time.sleep(0.1)
        return False

    def overrun(self, *, started: bool) -> None:
        """A command's query passed its time limit: tell the server, whose supervisor then
        restarts an engine that had not begun to answer (SIGUSR1) or checks whether one that
        had stopped its work (SIGUSR2), as for its own requests. (The server is known to be
        the engine's parent: :func:`live_record`.)"""
        try:
            os.kill(self.server_pid, signal.SIGUSR2 if started else signal.SIGUSR1)
        except OSError:
            pass


def find(data_dir: Path) -> RunningEngine | None:
    """The live engine of a ``zkg serve`` on ``data_dir``, or None (none, or a stale record)."""
    record = live_record(Path(data_dir))
    return RunningEngine(Path(data_dir), record) if record is not None else None
