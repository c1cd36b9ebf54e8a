"""``zkg serve``: the app under waitress (a production WSGI server, threads), its queries
answered by an Oxigraph engine process that zkg starts, watches and stops.

Order of work: check the data directory, listen on the port (so "port in use" is said
before anything starts), start the engine, build the app, serve. Ctrl-C or SIGTERM stop
waitress, then the engine; the engine also dies with zkg if zkg is killed outright (see
:mod:`zkg.store.managed_engine`).
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from zkg.base.errors import ReadOnlyData, ZkgError
from zkg.base.settings import Settings
from zkg.curation import search_sync
from zkg.serve.address import refusal
from zkg.serve.http_server import create_waitress_server
from zkg.serve.workers import WorkerPool
from zkg.store import engine_probe, engine_profiles, fronted_engine, running_engine
from zkg.store.managed_engine import ManagedEngine, check_data_dir
from zkg.store.opening import remote_store
from zkg.store.remote import RemoteStore
from zkg.web import create_app


class _LateApp:
    """A WSGI app filled in after the server has bound its socket."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _listen_error(settings: Settings, error: OSError) -> ZkgError:
    where = f"{settings.host}:{settings.port}"
    if error.errno == errno.EADDRINUSE:
        return ZkgError(f"cannot listen on {where}: the port is in use (is zkg already serving? choose --port)")
    if error.errno == errno.EACCES:
        return ZkgError(f"cannot listen on {where}: permission denied (ports below 1024 need privileges)")
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return ZkgError(f"cannot listen on {where}: no such local address (check --host)")
    return ZkgError(f"cannot listen on {where}: {error.strerror or error}")


def public_url(host: str, port: int) -> str:
    """The server's root URL as a person would type it.

    >>> public_url("::1", 8080), public_url("127.0.0.1", 80)
    ('http://[::1]:8080/', 'http://127.0.0.1:80/')
    """
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _check_address(settings: Settings, port: int, *, close) -> None:
    """Refuse (ZkgError) to serve a base IRI that does not dereference on ``port``, the port
    bound (``--port 0`` has one only now), unless a proxy serves it (:mod:`zkg.serve.address`)."""
    problem = None if settings.behind_proxy else refusal(settings.base_iri, settings.host, port)
    if problem is not None:
        close()
        raise ZkgError(problem)


def _publisher(settings: Settings, then=None):
    """The engine's ``on_ready`` hook: record it in the data directory's runtime record, so
    that the commands run meanwhile reach the store through it (:mod:`zkg.store.running_engine`);
    then call ``then`` (the worker pool's own hook)."""

    def engine_ready(engine: ManagedEngine) -> None:
        try:
            running_engine.publish(settings.data, engine, base_iri=settings.base_iri)
        except OSError as error:  # a read-only data directory: commands open its store read-only
            logging.getLogger(__name__).info("cannot record the engine for commands: %s", error)
        if then is not None:
            then(engine)

    return engine_ready


class _Overruns:
    """A command's query through this server's engine that passed its time limit is told
    here by a signal (:meth:`zkg.store.running_engine.RunningEngine.overrun`), as a worker's
    is under ``--workers`` (:class:`zkg.serve.workers.WorkerPool`, which takes the signals
    over once its workers start). Heard from before the engine starts: its record, which
    commands read, is written as it starts, and an unheard SIGUSR1 would end the server."""

    engine: ManagedEngine | None = None

    def __init__(self) -> None:
        signal.signal(signal.SIGUSR1, lambda *_: self._tell(started=False))
        signal.signal(signal.SIGUSR2, lambda *_: self._tell(started=True))

    def _tell(self, *, started: bool) -> None:
        if self.engine is not None:
            self.engine.overrun(started=started)


def default_workers() -> int:
    """One worker process per core (``--workers``' default)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def serve(
    settings: Settings,
    *,
    threads: int = 4,
    workers: int = 1,
    store_spec: str | None = None,
    update_url: str | None = None,
    out=None,
) -> int:
    """Serve until interrupted; returns the exit code. ZkgError for what a user can fix.

    ``store_spec`` (``sparql+http://…``): a remote SPARQL engine instead of the managed one
    (the data directory then only keeps the curation log). ``workers`` > 1: that many
    processes (:mod:`zkg.serve.workers`).
    """

    out = out or sys.stdout
    logging.basicConfig(level=logging.WARNING, format="zkg: %(levelname)s: %(message)s")
    read_only = None
    if store_spec is None:
        store_dir = check_data_dir(settings.data, settings.base_iri)
    else:
        Path(settings.data).mkdir(parents=True, exist_ok=True)  # the curation log lives there
        settings, read_only = _remote_engine(settings, store_spec, update_url, out)
        try:  # for the commands run on this data directory (zkg.store.fronted_engine)
            fronted_engine.remember(Path(settings.data), store_spec, update_url, settings.base_iri)
        except OSError as error:
            print(
                f"zkg: cannot record the engine in {settings.data} ({error.strerror}): commands need ZKG_STORE",
                file=sys.stderr,
            )
    if workers > 1:
        return _serve_workers(
            settings,
            threads=threads,
            workers=workers,
            store_spec=store_spec,
            update_url=update_url,
            read_only=read_only,
            out=out,
        )
    late = _LateApp()
    try:
        # Size limits and client disconnects: see zkg.serve.http_server.
        server = create_waitress_server(late, settings, threads=threads, host=settings.host, port=settings.port)
    except OSError as error:
        raise _listen_error(settings, error) from None
    _check_address(settings, int(server.effective_port), close=server.close)  # waitress may give a str
    engine = None
    previous_handler, previous_interrupt = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        if store_spec is None:
            overruns = _Overruns()
            engine = overruns.engine = ManagedEngine(
                store_dir,
                query_timeout=settings.query_timeout,
                executable=settings.oxigraph,
                on_ready=_publisher(settings),
            ).start()
            store = RemoteStore(
                base_iri=settings.base_iri, supervisor=engine, timeout=settings.query_timeout, data_dir=settings.data
            )
        else:
            store = remote_store(settings, spec=store_spec, update_url=update_url, data_dir=settings.data)
            if read_only is not None:
                store.read_only_reason = ReadOnlyData(read_only)
        search_sync.prepare_in_background(store)  # the search file, when missing or of another load
        late.app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store})
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        _stop_on_interrupt()
        url = public_url(server.effective_host, server.effective_port)
        engine_note = "" if store_spec is None else f" on the SPARQL engine {store.query_url}"
        print(
            f"zkg: serving {url} (SPARQL endpoint {url}sparql) with {threads} threads{engine_note}; Ctrl-C stops",
            file=out,
            flush=True,
        )
        server.run()  # returns on Ctrl-C / SIGTERM, after waitress has shut its threads down
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        signal.signal(signal.SIGINT, previous_interrupt)
        server.close()
        if engine is not None:
            running_engine.withdraw(settings.data)
            engine.stop()
    print("zkg: stopped", file=out, flush=True)
    return 0


def _remote_engine(settings: Settings, spec: str, update_url: str | None, out) -> tuple[Settings, str | None]:
    """Probe the remote engine once (:mod:`zkg.store.engine_probe`) and say what it does, in
    one line: (the settings with the engine's profile named, so that no worker detects it
    again; why writes are refused, when the engine refuses updates). A missing required
    capability stops the start (EngineNonconformant: one line, exit 1)."""
    store = remote_store(settings, spec=spec, update_url=update_url)
    found = engine_probe.probe(store)
    refusal = found.refusal()
    if refusal is not None:
        raise refusal
    print(f"zkg: the SPARQL engine at {store.query_url} is {found.engine}: {found.summary()}", file=out, flush=True)
    settings = dataclasses.replace(settings, engine=engine_profiles.key(store.engine))
    if found.writes:
        return settings, None
    return settings, f"the SPARQL engine at {store.update_url} refuses updates: zkg serves it read-only"


def _serve_workers(
    settings: Settings,
    *,
    threads: int,
    workers: int,
    store_spec: str | None,
    update_url: str | None,
    read_only: str | None,
    out,
) -> int:
    import secrets

    try:
        sock = socket.create_server(
            (settings.host, settings.port),
            backlog=1024,
            family=socket.AF_INET6 if ":" in settings.host else socket.AF_INET,
        )
    except OSError as error:
        raise _listen_error(settings, error) from None
    _check_address(settings, sock.getsockname()[1], close=sock.close)
    sock.set_inheritable(True)
    pool = WorkerPool(
        settings,
        sock,
        workers=workers,
        threads=threads,
        store_spec=store_spec,
        update_url=update_url,
        session=secrets.token_hex(8),
        read_only=read_only,
    )
    engine = None
    previous_handler, previous_interrupt = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        if store_spec is None:
            overruns = _Overruns()
            engine = overruns.engine = ManagedEngine(
                settings.store_dir,
                query_timeout=settings.query_timeout,
                executable=settings.oxigraph,
                on_ready=_publisher(settings, then=pool.engine_ready),
            ).start()
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        _stop_on_interrupt()
        pool.start(engine)
        if read_only is None:  # the search file, when missing or of another load (the workers wait for it)
            search_sync.prepare_in_background(_parent_store(settings, engine, store_spec, update_url))
        host, port = sock.getsockname()[:2]
        url = public_url(host, port)
        print(
            f"zkg: serving {url} (SPARQL endpoint {url}sparql) with {workers} workers x {threads} threads; "
            "Ctrl-C stops",
            file=out,
            flush=True,
        )
        pool.watch()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        signal.signal(signal.SIGINT, previous_interrupt)
        pool.stop()
        sock.close()
        if engine is not None:
            running_engine.withdraw(settings.data)
            engine.stop()
    print("zkg: stopped", file=out, flush=True)
    return 0


def _parent_store(settings: Settings, engine: ManagedEngine | None, store_spec: str | None, update_url: str | None):
    """The parent's own store (it serves nothing: for its start-up work on the data directory)."""
    if store_spec is None:
        return RemoteStore(
            base_iri=settings.base_iri, supervisor=engine, timeout=settings.query_timeout, data_dir=settings.data
        )
    return remote_store(settings, spec=store_spec, update_url=update_url, data_dir=settings.data)


def _stop_on_interrupt() -> None:
    """Ctrl-C stops the server, however it was started: Python only makes SIGINT a
    KeyboardInterrupt when the signal was not ignored at start, and a shell starting a
    background job from a script ignores it (seen: a test suite run as such a job left every
    `zkg serve` it stopped with SIGINT running)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _stop_on_sigterm(signum, frame):
    # Once is enough: a second SIGTERM (e.g. from both a shell and `timeout`) must not
    # interrupt the shutdown the first one began.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt  # waitress shuts down cleanly on it, then `finally` stops the engine
