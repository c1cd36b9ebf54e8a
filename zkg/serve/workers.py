"""``zkg serve --workers N``: N waitress processes in front of one engine.

The process model (docs/operations/serving.md, "Serving more than one core"):

- the **parent** checks the data directory, binds the listening socket, starts the engine
  (:class:`zkg.store.managed_engine.ManagedEngine`; none with a remote engine), then starts N
  **worker** processes (``python -m zkg.serve.workers``) that inherit the socket, and restarts
  any that dies. SIGTERM or Ctrl-C stop the workers, then the engine. It serves no requests.
- each **worker** is a whole zkg app under waitress (threads), accepting from the shared
  socket (the kernel spreads connections over the workers) and querying the one engine.
  Queries release nothing a worker holds, so reads use every core.
- **writes** stay atomic and in order: every changeset holds the writer lock (``flock`` on
  the data directory's ``changes.lock``, :mod:`zkg.curation.changelog`) across check, validation and
  the engine's one atomic update; and the engine is the single source of truth, so a
  curator's next request sees the write whichever worker answers it (read-your-writes).
- the **dataset version** (ETags) is the same in every worker: the session comes from the
  parent, and writes are seen through the data directory (the change log and a write stamp
  every RemoteStore appends to after each update; :mod:`zkg.store.version`).
- the **engine supervision** stays in the parent: a worker whose query passed the time
  limit signals it (SIGUSR1: the engine had not begun to answer, restart it; SIGUSR2: it had,
  check its CPU), the parent writes the engine's address after every (re)start to
  ``serve-engine.json`` in a private runtime directory (:func:`runtime_directory`), and each
  worker counts its requests in flight in its slot of ``serve-inflight`` there, so that work
  other workers wait for is never taken for runaway work.
- the **rate limit** (``ZKG_RATE_LIMIT``) is one for all workers: their token buckets are in
  ``serve-rate`` beside those files, made afresh by the parent (:mod:`zkg.serve.rate_table`);
  so is the count of open connections per client address (``ZKG_CONNECTIONS_PER_CLIENT``),
  in ``serve-clients`` (:mod:`zkg.serve.connection_guard`).
"""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import fields
from pathlib import Path

from zkg.base.errors import ReadOnlyData
from zkg.base.settings import Settings
from zkg.serve.connection_guard import CLIENT_TABLE, ClientTable
from zkg.serve.http_server import create_waitress_server
from zkg.serve.rate_table import RATE_TABLE, SharedRateLimiter, create_table
from zkg.store.opening import remote_store
from zkg.store.remote import RemoteStore
from zkg.web import create_app

ENGINE_STATE = "serve-engine.json"
IN_FLIGHT = "serve-inflight"
CONNECTIONS = "serve-connections"
SLOT = struct.Struct("q")


def _settings_payload(settings: Settings) -> dict:
    """The settings as text for a worker's Settings.from_env (absent ones left out: the same default)."""
    values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    return {name: str(value) for name, value in values.items() if value is not None}


class InFlight:
    """Counters per worker (requests in flight, open connections) in a small shared file,
    one 8-byte slot per worker. Each worker writes only its own slot; :meth:`add` is a
    read-modify-write, so its threads take a lock."""

    def __init__(self, path: Path, slots: int, *, create: bool = False):
        if create:
            path.write_bytes(b"\0" * SLOT.size * slots)
        self._file = open(path, "r+b")
        self._map = mmap.mmap(self._file.fileno(), SLOT.size * slots)
        self.slots = slots
        self._lock = threading.Lock()

    def add(self, slot: int, delta: int) -> None:
        offset = slot * SLOT.size
        with self._lock:
            SLOT.pack_into(self._map, offset, SLOT.unpack_from(self._map, offset)[0] + delta)

    def clear(self, slot: int) -> None:
        SLOT.pack_into(self._map, slot * SLOT.size, 0)

    def total(self) -> int:
        return sum(max(0, SLOT.unpack_from(self._map, i * SLOT.size)[0]) for i in range(self.slots))

    def values(self) -> list[int]:
        return [SLOT.unpack_from(self._map, i * SLOT.size)[0] for i in range(self.slots)]


class AcceptBalance:
    """Open connections per worker (a slot each in ``serve-connections``): a worker accepts
    a new one only while it has no more than any other (least connections first)."""

    def __init__(self, counts: InFlight, slot: int):
        self.counts, self.slot = counts, slot

    def opened(self) -> None:
        self.counts.add(self.slot, 1)

    def closed(self) -> None:
        self.counts.add(self.slot, -1)

    def may_accept(self) -> bool:
        values = self.counts.values()
        return values[self.slot] <= min(values)


# -- the parent --------------------------------------------------------------------------------


def runtime_directory() -> Path:
    """A new private directory for the pool's shared state, in memory (``/dev/shm``) where
    there is one, else in the temporary directory; removed at stop. Not the data directory:
    that may be read-only, or its disk full, and the workers must find a restarted engine
    all the same."""
    import tempfile

    shared_memory = "/dev/shm"
    where = shared_memory if os.path.isdir(shared_memory) and os.access(shared_memory, os.W_OK) else None
    parent = Path(where or tempfile.gettempdir())
    _remove_orphans(parent)
    # The pid in the name: a server killed outright cannot remove its directory; the next
    # start removes those whose server is gone.
    return Path(tempfile.mkdtemp(prefix=f"zkg-serve-{os.getpid()}-", dir=parent))


def _remove_orphans(parent: Path) -> None:
    """Remove runtime directories left by servers that are no longer running."""
    for path in parent.glob("zkg-serve-*-*"):
        pid = path.name.split("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running (or a process we may not signal: not ours to remove)
        except ProcessLookupError:
            pass
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)


class WorkerPool:
    """Starts, watches and stops the worker processes (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        sock: socket.socket,
        *,
        workers: int,
        threads: int,
        store_spec: str | None,
        update_url: str | None,
        session: str,
        read_only: str | None = None,
    ):
        self.settings, self.sock, self.count, self.threads = settings, sock, workers, threads
        self.store_spec, self.update_url, self.session = store_spec, update_url, session
        self.read_only = read_only  # why the remote engine's writes are refused (its probe), else None
        self.processes: list[subprocess.Popen | None] = [None] * workers
        self.in_flight: InFlight | None = None
        self.connections: InFlight | None = None
        self.clients = None  # connections per client address (zkg.serve.connection_guard)
        self.engine = None
        self._stopping = False
        self.state_dir = runtime_directory()  # the engine's address, the shared counters

    def engine_ready(self, engine) -> None:
        """ManagedEngine's hook: publish its address to the workers (atomically)."""
        target = self.state_dir / ENGINE_STATE
        temporary = target.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "query_url": engine.query_url,
                    "update_url": engine.update_url,
                    "generation": engine.generation,
                    "pid": engine.pid,
                }
            ),
            encoding="utf-8",
        )
        temporary.replace(target)

    def start(self, engine=None) -> None:
        self.engine = engine
        if self.settings.rate_limit:
            create_table(self.state_dir / RATE_TABLE)
        self.connections = InFlight(self.state_dir / CONNECTIONS, self.count, create=True)
        if self.settings.connections_per_client:
            self.clients = ClientTable(self.state_dir / CLIENT_TABLE, workers=self.count, create=True)
        if engine is not None:
            self.in_flight = InFlight(self.state_dir / IN_FLIGHT, self.count, create=True)
            engine._in_flight_elsewhere = self.in_flight.total
        signal.signal(signal.SIGUSR1, lambda *_: self._overrun(False))
        signal.signal(signal.SIGUSR2, lambda *_: self._overrun(True))
        for slot in range(self.count):
            self._spawn(slot)

    def _overrun(self, started: bool) -> None:
        if self.engine is not None:
            self.engine.overrun(started=started)

    def _spawn(self, slot: int) -> None:
        config = {
            "settings": _settings_payload(self.settings),
            "fd": self.sock.fileno(),
            "threads": self.threads,
            "slot": slot,
            "slots": self.count,
            "parent": os.getpid(),
            "session": self.session,
            "store": self.store_spec,
            "update_url": self.update_url,
            "read_only": self.read_only,
            "managed": self.engine is not None,
            "state_dir": str(self.state_dir),
        }
        env = {**os.environ, "ZKG_WORKER_CONFIG": json.dumps(config)}
        if self.in_flight is not None:
            self.in_flight.clear(slot)
        if self.connections is not None:  # a dead worker's connections are gone with it
            self.connections.clear(slot)
        if self.clients is not None:
            self.clients.clear(slot)
        self.processes[slot] = subprocess.Popen(
            [sys.executable, "-m", "zkg.serve.workers"],
            pass_fds=[self.sock.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )

    def watch(self) -> None:
        """Until stopped (KeyboardInterrupt): restart workers that exit."""
        while not self._stopping:
            time.sleep(0.5)
            for slot, process in enumerate(self.processes):
                if process is not None and process.poll() is not None and not self._stopping:
                    print(
                        f"zkg: worker {slot} exited with status {process.returncode}; starting it again",
                        file=sys.stderr,
                        flush=True,
                    )
                    self._spawn(slot)

    def stop(self) -> None:
        self._stopping = True
        for process in self.processes:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        shutil.rmtree(self.state_dir, ignore_errors=True)


# -- a worker ----------------------------------------------------------------------------------


class WorkerEngine:
    """The engine as a worker sees it: what RemoteStore asks of its supervisor, answered from
    the parent's state file, the shared in-flight counters and signals to the parent."""

    def __init__(self, data_dir: Path, parent: int, in_flight: InFlight, slot: int):
        self.state_path = data_dir / ENGINE_STATE
        self.parent, self.in_flight, self.slot = parent, in_flight, slot
        self._state: dict = {}
        self._stamp = None

    def _current(self) -> dict:
        try:
            info = self.state_path.stat()
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        except OSError:
            return self._state
        if stamp != self._stamp:
            try:
                self._state = json.loads(self.state_path.read_text(encoding="utf-8"))
                self._stamp = stamp
            except (OSError, ValueError):
                pass
        return self._state

    @property
    def query_url(self) -> str:
        return self._current().get("query_url", "http://127.0.0.1:9/query")

    @property
    def update_url(self) -> str:
        return self._current().get("update_url", "http://127.0.0.1:9/update")

    @property
    def read_only_reason(self) -> None:
        """Not known here: the parent's engine says it serves read-only when refusing a write."""
        return None

    def begin_request(self) -> None:
        self.in_flight.add(self.slot, 1)

    def end_request(self) -> None:
        self.in_flight.add(self.slot, -1)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the engine (perhaps restarted elsewhere) answers again; not at all once
        the parent is gone (it was the engine's supervisor: no engine will come back for this
        worker, and waiting would keep it, the writer lock and the port for seconds after
        the parent died)."""
        deadline = time.monotonic() + max(0.0, timeout)
        while time.monotonic() < deadline and os.getppid() == self.parent:
            url = self.query_url
            try:
                with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=1) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def overrun(self, *, started: bool) -> None:
        try:
            os.kill(self.parent, signal.SIGUSR2 if started else signal.SIGUSR1)
        except OSError:
            pass


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _share_rate_limit(app, state_dir: Path) -> None:
    """Count this worker's requests in the table all workers share (the parent made it)."""

    if app.extensions.get("zkg.rate_limiter") is not None and (state_dir / RATE_TABLE).is_file():
        app.extensions["zkg.rate_limiter"] = SharedRateLimiter(state_dir / RATE_TABLE, app.config["ZKG_RATE_LIMIT"])


def worker_main() -> int:
    import logging

    _die_with_parent()
    config = json.loads(os.environ["ZKG_WORKER_CONFIG"])
    if os.getppid() != config["parent"]:
        return 1  # the parent is already gone
    logging.basicConfig(level=logging.WARNING, format="zkg: %(levelname)s: %(message)s")
    settings = Settings.from_env(environ={}, **config["settings"])
    sock = socket.socket(fileno=config["fd"])
    state_dir = Path(config.get("state_dir") or settings.data)
    if config["managed"]:
        in_flight = InFlight(state_dir / IN_FLIGHT, config["slots"])
        engine = WorkerEngine(state_dir, config["parent"], in_flight, config["slot"])
        store = RemoteStore(
            base_iri=settings.base_iri, supervisor=engine, timeout=settings.query_timeout, data_dir=settings.data
        )
    else:
        store = remote_store(settings, spec=config["store"], update_url=config["update_url"], data_dir=settings.data)
        if config.get("read_only") is not None:  # the parent's probe found the engine refusing updates
            store.read_only_reason = ReadOnlyData(config["read_only"])
    store.session = config["session"]  # one dataset version for all workers
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store})
    _share_rate_limit(app, state_dir)
    balance = None
    if config["slots"] > 1:  # (the parent made the counters before starting any worker)
        balance = AcceptBalance(InFlight(state_dir / CONNECTIONS, config["slots"]), config["slot"])
    clients = None
    if settings.connections_per_client:  # one count per address for all workers (the parent made the table)
        clients = ClientTable(state_dir / CLIENT_TABLE, workers=config["slots"], slot=config["slot"])
    server = create_waitress_server(
        app, settings, threads=config["threads"], sockets=[sock], balance=balance, clients=clients
    )

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
