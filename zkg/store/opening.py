"""Which store a command opens: the one place that decides, for every ``zkg`` command.

In order (the first that applies):

1. the store setting (``ZKG_STORE`` / ``--store``) names a remote SPARQL engine: that engine,
   as ``zkg serve`` uses it (:class:`~zkg.store.remote.RemoteStore`, the data directory
   keeping the change log and the writer lock); without one, the engine a
   ``zkg serve --store`` on the data directory named (:mod:`zkg.store.fronted_engine`);
2. a ``zkg serve`` runs on the data directory (its live runtime record,
   :mod:`zkg.store.running_engine`): its engine, over loopback. Its store is locked by that
   engine, so the command reads through the engine and writes through it, with the same
   change log, writer lock and write stamp as the server's workers, which then see the
   new dataset version;
3. else the data directory's store itself, in this process (:class:`~zkg.store.local.Store`).

``zkg load`` (``create``) builds the data directory's own store: never a remote engine's
(load one with its own tools: docs/operations/serving.md), and not while a server holds it;
it refuses, in one line, on a data directory that fronts a remote engine.

A store remembers the base IRI it was loaded with (``zkg.json``):
:func:`remembered_base_iri` is what commands use when no base IRI is given.

>>> from zkg.base.settings import Settings
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     open_store(Settings.from_env(environ={}, data=folder + "/nothing"))
Traceback (most recent call last):
...
zkg.base.errors.StoreError: no store at .../nothing: run `zkg load` first
"""

from __future__ import annotations

from pathlib import Path

from zkg.base.errors import StoreError
from zkg.base.settings import Settings
from zkg.store import engine_profiles, fronted_engine, running_engine
from zkg.store.facade import StoreFacade
from zkg.store.layout import read_record
from zkg.store.local import Store
from zkg.store.remote import RemoteStore


def remembered_base_iri(data_dir: Path) -> str | None:
    """The base IRI ``zkg load`` recorded for the store of ``data_dir`` (None: no record).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     remembered_base_iri(Path(folder)) is None
    True
    """
    try:
        record = read_record(Path(data_dir))
    except StoreError:
        return None  # unreadable: opening the store says so
    base = record.get("base_iri") if record is not None else None
    if base is None:  # no load here: the base IRI the data directory's engine is served with
        base = (fronted_engine.recalled(Path(data_dir)) or {}).get("base_iri")
    return base if isinstance(base, str) and base else None


def _check_base_iri(data_dir: Path, base_iri: str) -> None:
    recorded = remembered_base_iri(data_dir)
    if recorded is not None and recorded != base_iri:
        # The words of zkg.store.local.Store.open, whichever way the store is reached.
        raise StoreError(
            f"store at {data_dir} was loaded with base IRI {recorded}; "
            f"run `zkg load --base-iri {base_iri}` into a new data directory"
        )


def remote_store(
    settings: Settings, *, spec: str | None = None, update_url: str | None = None, data_dir: Path | None = None
) -> RemoteStore:
    """The remote engine the settings name (``spec``/``update_url`` when given, else the
    settings' own), with the engine profile ``ZKG_ENGINE`` names (``auto``: detected)."""
    spec = spec if spec is not None else settings.store_spec
    if spec is None:
        raise StoreError("no remote SPARQL engine is set: give --store or ZKG_STORE")
    return RemoteStore.from_spec(
        spec,
        base_iri=settings.base_iri,
        timeout=settings.query_timeout,
        update_url=update_url if update_url is not None else settings.update_url,
        data_dir=data_dir,
        engine=engine_profiles.named(settings.engine),
    )


def open_store(settings: Settings, *, create: bool = False, writing: bool = False) -> StoreFacade:
    """The store a command works on (see the module docstring). ``create``: ``zkg load``'s
    own store, made if missing. ``writing``: the command will write (with a remote engine,
    the data directory that keeps the change log is made if missing)."""
    data_dir = Path(settings.data)
    fronted = fronted_engine.recalled(data_dir)
    if create and fronted is not None and settings.store_spec is None:
        raise StoreError(
            f"{data_dir} fronts the SPARQL engine {fronted['store']} (`zkg serve --store`): load that engine "
            "with its own tools (docs/operations/serving.md), or change the data through zkg with `zkg add`"
        )
    spec, update_url = settings.store_spec, settings.update_url
    if spec is None and not create:
        spec, recorded_update = fronted_engine.store_setting(data_dir) or (None, None)
        update_url = update_url or recorded_update
    if spec is not None and not create:
        if writing:
            data_dir.mkdir(parents=True, exist_ok=True)  # the change log lives there, as for zkg serve
        return remote_store(
            settings, spec=spec, update_url=update_url, data_dir=data_dir if data_dir.is_dir() else None
        )
    running = running_engine.find(data_dir)
    if running is not None:
        if create:
            raise StoreError(
                f"`zkg serve` (pid {running.server_pid}) is serving the store at {data_dir}: "
                "stop it before `zkg load`, then serve again (or, to change the data while it serves, "
                "write through it with `zkg add` or `zkg apply`)"
            )
        _check_base_iri(data_dir, settings.base_iri)
        return RemoteStore(
            base_iri=settings.base_iri, supervisor=running, timeout=settings.query_timeout, data_dir=data_dir
        )
    return Store.open(data_dir, base_iri=settings.base_iri, create=create)
