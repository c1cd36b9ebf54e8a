"""ManagedEngine: the Oxigraph server as zkg's child process, on the store of the data directory.

Why a child process: a query can only be stopped for sure by stopping the process running
it. The engine is ``oxigraph serve`` (the same version as pyoxigraph, so the same on-disk
format) bound to a free loopback port. It is not given ``--timeout-s``: Oxigraph keeps a
thread per query for the length of that timeout, and under a few hundred queries a second
the threads piled up until the engine aborted; besides, some work it does not cancel
(join planning of very large patterns, ORDER BY, OPTIONAL over a cross product).
So zkg keeps its own deadline on every request (see :mod:`zkg.store.remote`) and tells the engine
here when one passed: if the engine had not even begun to answer, it is stuck in work it
cannot cancel and is restarted; if it had begun, dropping the connection stops it, and a
CPU check restarts it if it still burns a core with no request in flight. Queries in flight
during a restart are sent again by RemoteStore.

Disk faults: a store directory that is not writable (a read-only mount) is served by
``oxigraph serve-read-only``, and so is one whose disk is too full for RocksDB to open it for
writing, so that reads go on; the engine then refuses writes (403, which RemoteStore turns
into the reason kept in :attr:`ManagedEngine.read_only_reason`). RocksDB refuses every write
after one failed for lack of space, until the store is reopened: once the engine has said so
(on stderr) and the disk has :data:`RESUME_FREE_BYTES` free again, it is restarted, so writes
work again without restarting zkg.

The engine has no network: it starts under a seccomp filter that denies it every outbound
connection (:mod:`zkg.store.engine_sandbox`), so a ``SERVICE`` or ``LOAD`` that reached it past the
query guard fetches nothing. Where the filter is unavailable, :meth:`ManagedEngine.start`
says so (one warning). Its threads get 64 MiB stacks (``RUST_MIN_STACK``): with Rust's
default 2 MiB, one long chain of ``OPTIONAL {}`` or of path alternatives overflowed a stack
and aborted the whole process.

One supervisor thread starts, watches and restarts the process, so the child's
"die with the parent" signal (Linux PR_SET_PDEATHSIG, tied to the thread that forked it)
stays armed for the life of the engine; :meth:`stop` (also run at exit) ends it.
"""

from __future__ import annotations

import atexit
import collections
import ctypes
import logging
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable

from zkg.base.errors import ReadOnlyData, StorageFull, StoreError, storage_fault
from zkg.store import engine_sandbox, union_graph
from zkg.store import layout as store_layout
from zkg.store.layout import RECORD as METADATA_FILE
from zkg.store.layout import STORE_LINK as STORE_DIR

log = logging.getLogger(__name__)

#: Above this share of one core, an engine with no request in flight is doing runaway work.
BUSY_CPU_SHARE = 0.5
#: Below this share it is idle. In between it is runaway too when seen twice: on a loaded
#: machine a busy engine gets less than half a core, one that stopped its work none.
IDLE_CPU_SHARE = 0.05
#: Restarts in a row after which the engine is given up (it keeps dying at start).
MAX_QUICK_RESTARTS = 5
#: Free bytes on the store's disk after which an engine that hit a full disk is restarted.
RESUME_FREE_BYTES = 8 * 2**20
#: Least seconds between two such restarts (each reopens the store).
RESUME_INTERVAL = 5.0
#: Stack of every engine thread, bytes (Rust's RUST_MIN_STACK; address space, used as needed).
#: Measured on Oxigraph 0.5.13: with the default 2 MiB a query of 7,000 chained ``OPTIONAL {}``
#: (or 14,000 path alternatives) aborted the engine; with 64 MiB 50,000 chained OPTIONALs are answered.
ENGINE_THREAD_STACK = 64 * 2**20


def oxigraph_executable(configured: str | None = None) -> str:
    """The ``oxigraph`` server program: ``configured`` (the setting ``oxigraph``, from
    ``ZKG_OXIGRAPH``), else next to this Python (a venv's bin/, where pip puts the
    ``oxigraph`` package's program), else on PATH."""
    if configured:
        return configured
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise StoreError("the `oxigraph` server program is not installed (pip install oxigraph==0.5.13)")
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])  # (host, port) for AF_INET


def free_bytes(path: Path) -> int:
    """Bytes free for an unprivileged writer on the file system holding ``path`` (0 if unknown)."""
    try:
        info = os.statvfs(path)
    except OSError:
        return 0
    return info.f_bavail * info.f_frsize


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def check_data_dir(data_dir: Path, base_iri: str) -> Path:
    """The store directory of ``data_dir``, or StoreError saying what is wrong with it.

    (The engine process opens the store itself, so zkg only reads ``zkg.json`` here.)
    """
    import json

    store_layout.settle(data_dir)  # a bulk load a crash cut short: finish its swap (or nothing)
    record_path = data_dir / METADATA_FILE
    store_dir = data_dir / STORE_DIR
    if not record_path.is_file() or not store_dir.is_dir():
        raise StoreError(f"no store at {data_dir}: run `zkg load` first")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        recorded = record.get("base_iri")
    except (OSError, ValueError, AttributeError) as error:
        raise StoreError(f"cannot read {record_path}: {error}") from None
    if recorded != base_iri:
        raise StoreError(
            f"store at {data_dir} was loaded with base IRI {recorded}; "
            f"serve it with --base-iri {recorded}, or load it again with --base-iri {base_iri}"
        )
    union_graph.check_record(data_dir, record)
    return store_dir


class ManagedEngine:
    """An ``oxigraph serve`` child process on ``store_dir``; the supervisor of RemoteStore."""

    def __init__(
        self,
        store_dir: str | Path,
        *,
        query_timeout: float,
        host: str = "127.0.0.1",
        startup_timeout: float = 60.0,
        executable: str | None = None,
        on_ready: Callable[[ManagedEngine], None] | None = None,
        in_flight_elsewhere: Callable[[], int] | None = None,
    ):
        self.store_dir = Path(store_dir)
        self.query_timeout = query_timeout
        self.host = host
        self.startup_timeout = startup_timeout
        self.executable = oxigraph_executable(executable)
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0  # +1 at every (re)start
        self.restarts = 0
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # request counters and pending work
        self._process_lock = threading.Lock()  # starting vs. stopping the process
        self._in_flight = 0
        self._restart_reason: str | None = None
        self._cpu_check_pending = False
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # For `zkg serve --workers N` (zkg.serve.workers): told of every (re)start, and asked
        # how many requests other processes have in flight before work is deemed runaway.
        self._on_ready = on_ready
        self._in_flight_elsewhere = in_flight_elsewhere
        #: Why the engine serves read-only (ReadOnlyData, StorageFull), or None: it takes writes.
        self.read_only_reason: StoreError | None = None
        self._disk_full = False  # the engine said "no space left" since it (re)started
        self._resumed_at = -math.inf
        #: Why the engine runs without its network filter (see zkg.store.engine_sandbox), or None.
        self.sandbox_unavailable: str | None = engine_sandbox.unavailable_reason()

    # -- what RemoteStore uses -----------------------------------------------------------------

    @property
    def query_url(self) -> str:
        return f"http://{self.host}:{self.port}/query"

    @property
    def update_url(self) -> str:
        return f"http://{self.host}:{self.port}/update"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def begin_request(self) -> None:
        with self._lock:
            self._in_flight += 1

    def end_request(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def wait_ready(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until the engine answers; False if it does not."""
        return timeout > 0 and self._ready.wait(timeout) and not self._stopping.is_set()

    def overrun(self, *, started: bool) -> None:
        """A request passed its deadline; ``started``: the engine had begun to answer."""
        with self._lock:
            if not started:
                self._restart_reason = "it did not stop a query at the time limit"
            else:
                self._cpu_check_pending = True
        self._wake.set()

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> "ManagedEngine":
        """Start the engine and wait until it answers; StoreError if it cannot start."""
        if self.sandbox_unavailable is not None:
            log.warning(
                "the SPARQL engine runs without its network filter (%s): it can reach the network, and "
                "only the query guard stands between clients and outbound requests (SERVICE, LOAD)",
                self.sandbox_unavailable,
            )
        self._thread = threading.Thread(target=self._supervise, name="zkg-engine-supervisor", daemon=True)
        self._thread.start()
        atexit.register(self.stop)
        self._started.wait()
        if self._start_error is not None:
            self.stop()
            raise self._start_error
        return self

    def stop(self) -> None:
        """Stop the engine (SIGTERM, then SIGKILL) and the supervisor. Safe to call twice."""
        self._stopping.set()
        self._ready.clear()
        self._wake.set()
        with self._process_lock:
            self._terminate()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def __enter__(self) -> "ManagedEngine":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the supervisor thread -------------------------------------------------------------------

    def _supervise(self) -> None:
        try:
            self._spawn()
        except BaseException as error:  # reported by start()
            self._start_error = error
            self._started.set()
            return
        self._started.set()
        quick_failures = 0
        while not self._stopping.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            if self._stopping.is_set():
                break
            with self._lock:
                reason, self._restart_reason = self._restart_reason, None
                cpu_check, self._cpu_check_pending = self._cpu_check_pending, False
            if reason is None and cpu_check:
                reason = self._runaway_work()
            if reason is None and self.process is not None and self.process.poll() is not None:
                reason = f"it exited with status {self.process.returncode}"
            if reason is None:
                reason = self._room_again()
            if reason is None:
                quick_failures = 0
                continue
            log.warning("restarting the SPARQL engine: %s", reason)
            try:
                with self._process_lock:
                    self._terminate()
                self._spawn()
                self.restarts += 1
                quick_failures = 0
            except StoreError as error:
                if self._stopping.is_set():
                    break
                quick_failures += 1
                log.error("the SPARQL engine does not start again: %s", error)
                if quick_failures >= MAX_QUICK_RESTARTS:
                    log.error("giving up on the SPARQL engine after %d failed starts", quick_failures)
                    return
                self._wake.set()
                time.sleep(min(2.0**quick_failures, 10.0))

    def _room_again(self) -> str | None:
        """A reason to restart an engine that hit a full disk, once the disk has room again."""
        full = self._disk_full or isinstance(self.read_only_reason, StorageFull)
        if not full or time.monotonic() - self._resumed_at < RESUME_INTERVAL:
            return None
        if free_bytes(self.store_dir) < RESUME_FREE_BYTES:
            return None
        self._resumed_at = time.monotonic()
        return "its disk was full and has room again"

    def _read_only_directory(self) -> StoreError | None:
        if os.access(self.store_dir, os.W_OK):
            return None
        return ReadOnlyData(f"the data directory {self.store_dir.parent} is read-only: reads work, writes are refused")

    def _runaway_work(self) -> str | None:
        """Does the engine keep working while nobody waits for it (after a query passed its
        time limit, or its client left)? Sampled every 0.5 s, up to 6 times while requests
        are in flight (their work is not runaway)."""
        pid = self.pid
        if pid is None:
            return None
        idle_busy = 0
        for _ in range(6):
            before = cpu_seconds(pid)
            if self._stopping.wait(0.5):
                return None
            share = (cpu_seconds(pid) - before) / 0.5
            with self._lock:
                idle = self._in_flight == 0
            if idle and self._in_flight_elsewhere is not None:
                idle = self._in_flight_elsewhere() == 0
            if share < IDLE_CPU_SHARE:
                return None
            idle_busy += idle
            if idle and (share >= BUSY_CPU_SHARE or idle_busy >= 2):
                return f"it kept {share:.0%} of a core busy with no request in flight"
        return None

    def _spawn(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error = "it did not start"
        self._disk_full = False
        self.read_only_reason = self._read_only_directory()
        for _attempt in range(3):  # another program may take the free port first
            self.port = free_port(self.host)
            mode = "serve" if self.read_only_reason is None else "serve-read-only"
            # No --timeout-s: Oxigraph 0.5.13 keeps a thread per query for the length of the
            # timeout, so a few hundred queries a second piled up thousands of threads until
            # thread creation failed ("Resource temporarily unavailable") and the engine
            # aborted (measured: 18,000 ASK queries in 3 s killed it). zkg's own deadline
            # stops every query instead (see the module docstring).
            command = [self.executable, mode, "--location", str(self.store_dir), "--bind", f"{self.host}:{self.port}"]
            if self.sandbox_unavailable is None:
                command = engine_sandbox.sandboxed_command(command)  # the filter, then exec the engine
            # Under the lock, and only while not stopping: stop() either sees this process
            # (and ends it) or this code sees stop() (and starts nothing), never neither.
            with self._process_lock:
                if self._stopping.is_set():
                    return
                try:
                    self.process = subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        start_new_session=True,  # Ctrl-C reaches zkg, which stops the engine in order
                        preexec_fn=_die_with_parent,
                        env={
                            **os.environ,
                            "RUST_BACKTRACE": "0",
                            "RUST_LIB_BACKTRACE": "0",
                            "RUST_MIN_STACK": str(ENGINE_THREAD_STACK),
                        },
                    )
                except OSError as error:
                    raise StoreError(f"cannot start the SPARQL engine {self.executable}: {error}") from None
            threading.Thread(
                target=self._drain_stderr, args=(self.process,), daemon=True, name="zkg-engine-stderr"
            ).start()
            if self._wait_answering(self.process, deadline) and not self._stopping.is_set():
                self.generation += 1
                if self._on_ready is not None:
                    try:
                        self._on_ready(self)
                    except OSError as error:  # e.g. a full disk: keep supervising all the same
                        log.error("cannot publish the SPARQL engine's address: %s", error)
                self._ready.set()
                log.info(
                    "SPARQL engine %s answering at %s (pid %d, %s)",
                    self.executable,
                    self.query_url,
                    self.pid,
                    "no network" if self.sandbox_unavailable is None else "network reachable",
                )
                if self.read_only_reason is not None:
                    log.warning("serving read-only: %s", self.read_only_reason.message)
                return
            last_error = self._exit_message()
            self._terminate()
            if self._stopping.is_set():
                return
            fault = storage_fault(
                last_error,
                self.store_dir.parent,
                doing="open the store for writing",
                after="writes are refused until there is room",
            )
            if fault is not None and self.read_only_reason is None:
                self.read_only_reason = fault  # RocksDB cannot open it for writing: serve the reads
                continue
            if "address" not in last_error.lower() or time.monotonic() > deadline:
                break
        raise StoreError(f"the SPARQL engine did not start on {self.store_dir}: {last_error}")

    def _wait_answering(self, process: subprocess.Popen[bytes], deadline: float) -> bool:
        probe = f"http://{self.host}:{self.port}/query?query=ASK%7B%7D"
        while time.monotonic() < deadline and not self._stopping.is_set():
            if process.poll() is not None:
                time.sleep(0.05)  # let the stderr reader catch the last lines
                return False
            try:
                with urllib.request.urlopen(probe, timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _exit_message(self) -> str:
        lines = [line.strip() for line in self.stderr_tail if line.strip()]
        errors = [line for line in lines if line.startswith("Error")]
        text = (errors or lines or ["it exited"])[-1]
        if "lock" in text.lower() and storage_fault(text, self.store_dir.parent) is None:
            return "the store is in use by another process (another `zkg serve`, or `zkg load` running?)"
        return text

    def _drain_stderr(self, process: subprocess.Popen[bytes]) -> None:
        stderr = process.stderr
        assert stderr is not None  # started with stderr=PIPE
        for raw in iter(stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(line)
            if isinstance(storage_fault(line, self.store_dir), StorageFull):
                self._disk_full = True  # RocksDB now refuses every write: see _room_again
            log.debug("engine: %s", line)
        stderr.close()

    def _terminate(self) -> None:
        self._ready.clear()
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            process.terminate()
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        except OSError:
            pass
