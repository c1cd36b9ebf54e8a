"""Where a data directory keeps its store, and how a new store replaces it atomically.

A bulk ``zkg load`` builds the new store in a directory of its own beside the live one and
then swaps it in, so that readers, and a crash at any moment, see the old store or the new
one, never a mix:

- ``store`` is the path everyone opens (``zkg``, ``oxigraph serve``). It is either a plain
  directory (stores made by small loads, and data directories from before this scheme) or a
  symbolic link ``store -> store-<n>``, the live store. A plain ``store`` is turned into a
  link (:func:`convert_plain`) by the first bulk load, before that load builds anything;
- a bulk load builds ``store-<n+1>`` and, once it is complete, writes its load record as
  ``zkg.json.store-<n+1>`` (the *pending* record); then one ``rename(2)`` of a new link over
  ``store`` swaps it in: that rename is the commit. The pending record then replaces
  ``zkg.json``, and the old store is deleted.

What a crash (or SIGKILL) leaves, and what :func:`settle` / :func:`remove_leftovers` (called
by :meth:`zkg.store.local.Store.open`) make of it:

- while the new store is built, or before the swap: an extra ``store-<k>`` (maybe a pending
  record too) that ``store`` does not point to. It is deleted: the old store and its record
  were never touched (roll back);
- between the swap and the record's rename: ``store`` points to ``store-<n>`` and
  ``zkg.json.store-<n>`` exists. The record is installed (roll forward);
- after that, before the old store is deleted: the old ``store-<m>`` is deleted;
- in :func:`convert_plain`, between its rename and its link: no ``store`` at all, and the
  renamed directory as the highest ``store-<k>``. The link is made (roll forward); nothing
  newer can be there, as a bulk load builds only once ``store`` is a link. (Should the link
  not be possible, the store is not opened: :func:`unsettled`.)

Only the holder of the live store's lock (RocksDB's, taken by opening it for writing) may
delete anything; :func:`settle` only finishes a swap, which is the same whoever does it.
Stores are opened by their real directory (:func:`live_store_dir`), not through the link: a
store opened as ``store`` would, once the link is swapped, write its last files into the
new store when it is closed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import TypedDict, cast

import pyoxigraph as ox

from zkg.base.errors import StoreError, storage_fault

STORE_LINK = "store"
RECORD = "zkg.json"
_NUMBERED = re.compile(r"store-(\d+)")
_PENDING = re.compile(r"zkg\.json\.store-(\d+)(?:\.tmp)?")
_TEMPORARY_LINK = "store.link-"


class FileRecord(TypedDict):
    """One file a load read, as the load record keeps it (:func:`zkg.store.loading.checked_batches`)."""

    path: str
    sha256: str
    quads: int
    graphs: list[str]  # the IRIs of the graphs it defines, sorted


class LoadRecord(TypedDict, total=False):
    """The load record, ``zkg.json``: what the last ``zkg load`` read into the store. Every key
    may be missing (a record written by hand, or by a test): readers use ``.get``."""

    base_iri: str  # the base IRI the files were loaded under
    loaded_at: str  # when, ISO 8601 to the second
    files: list[FileRecord]
    default_graph: str  # "union of the named graphs": the store keeps it (zkg.store.union_graph)


def numbered_dir(data_dir: Path, number: int) -> Path:
    """``data_dir/store-<number>``."""
    return Path(data_dir) / f"store-{number}"


def pending_record(data_dir: Path, store_dir: Path) -> Path:
    """Where the load record of the not yet swapped-in ``store_dir`` waits: ``zkg.json.store-<n>``."""
    return Path(data_dir) / f"{RECORD}.{Path(store_dir).name}"


def link_target(data_dir: Path) -> str | None:
    """The name ``store`` links to (``store-<n>``), or None when it is no link."""
    try:
        return os.readlink(Path(data_dir) / STORE_LINK)
    except OSError:  # no such file, or not a link
        return None


def live_store_dir(data_dir: Path) -> Path:
    """The real directory of the live store: ``store-<n>`` when ``store`` links there, else ``store``."""
    target = link_target(data_dir)
    return Path(data_dir) / (target if target is not None else STORE_LINK)


def _numbers(data_dir: Path) -> list[int]:
    try:
        names = os.listdir(data_dir)
    except OSError:
        return []
    return sorted(int(m.group(1)) for m in map(_NUMBERED.fullmatch, names) if m)


def next_store_dir(data_dir: Path) -> Path:
    """A new ``store-<n>``: higher than every one there, so the newest is always the highest."""
    return numbered_dir(data_dir, max(_numbers(data_dir), default=0) + 1)


def _sync_dir(directory: Path) -> None:
    """Make the renames in ``directory`` durable (a power cut must not undo a commit)."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _point_link(data_dir: Path, target_name: str) -> None:
    """Make ``store`` a link to ``target_name`` in one rename(2) (it replaces a link, never a
    directory). Raises OSError only when ``store`` was not changed."""
    temporary = Path(data_dir) / f"{_TEMPORARY_LINK}{target_name}-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(target_name, temporary)
    try:
        os.replace(temporary, Path(data_dir) / STORE_LINK)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    try:
        _sync_dir(data_dir)
    except OSError:
        pass  # done, if not yet durable: the rename cannot be undone by raising now


def settle(data_dir: Path) -> None:
    """Finish a swap a crash interrupted (see the module docstring); safe to call any time,
    by anyone, lock or not. Does nothing it cannot do (a read-only directory)."""
    data_dir = Path(data_dir)
    try:
        if not os.path.lexists(data_dir / STORE_LINK):
            numbers = [n for n in _numbers(data_dir) if numbered_dir(data_dir, n).is_dir()]
            if numbers:  # convert_plain was cut between its rename and its link: finish it
                _point_link(data_dir, f"store-{numbers[-1]}")
        target = link_target(data_dir)
        if target is not None:
            pending = data_dir / f"{RECORD}.{target}"
            if pending.is_file():  # swapped in, but its record was not installed yet
                os.replace(pending, data_dir / RECORD)
                _sync_dir(data_dir)
    except OSError:
        pass  # read-only, or another process finished it first: the open that follows says what is wrong


def unsettled(data_dir: Path) -> bool:
    """Whether ``store`` is missing while numbered stores are there: a swap :func:`settle`
    could not finish (a full disk, a read-only directory). Opening ``store`` then would
    make a new, empty store."""
    return not os.path.lexists(Path(data_dir) / STORE_LINK) and bool(_numbers(data_dir))


def remove_leftovers(data_dir: Path) -> None:
    """Delete what interrupted or finished loads left: stores ``store`` does not point to,
    their pending records, temporary links. Only for the holder of the live store's lock."""
    data_dir = Path(data_dir)
    live = link_target(data_dir)
    try:
        names = os.listdir(data_dir)
    except OSError:
        return
    for name in names:
        path = data_dir / name
        numbered, pending = _NUMBERED.fullmatch(name), _PENDING.fullmatch(name)
        if numbered and name != live and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif (
            pending
            and (name.endswith(".tmp") or f"store-{pending.group(1)}" != live)
            or name.startswith(_TEMPORARY_LINK)
        ):
            try:
                path.unlink()
            except OSError:
                pass


def convert_plain(data_dir: Path) -> Path:
    """Turn a plain ``store`` directory into ``store -> store-<n>`` (the same directory,
    renamed); the new real directory. The store must not be open in this process: it would
    stay bound to the name ``store``, which a later swap points elsewhere. OSError when
    ``store`` cannot be renamed (a mount point, for example); it is then left as it was."""
    data_dir = Path(data_dir)
    renamed = next_store_dir(data_dir)
    os.rename(data_dir / STORE_LINK, renamed)
    try:
        _point_link(data_dir, renamed.name)
    except OSError:
        os.rename(renamed, data_dir / STORE_LINK)  # no room even for a link: as it was
        raise
    return renamed


def swap_in(data_dir: Path, new_store_dir: Path) -> None:
    """Commit a built store whose record waits in :func:`pending_record`: point ``store`` at
    it (the commit), then install its record. ``store`` must be a link already. Raises
    OSError only when nothing was committed."""
    _point_link(Path(data_dir), Path(new_store_dir).name)
    settle(data_dir)  # installs the record (else the next open does)


def discard(data_dir: Path, store_dir: Path) -> None:
    """Delete a store that will not be swapped in, and its pending record (a failed load)."""
    shutil.rmtree(store_dir, ignore_errors=True)
    try:
        pending_record(data_dir, store_dir).unlink(missing_ok=True)
    except OSError:
        pass


#: Parsed load records by path, with the stat they were read at: the dataset version asks for
#: the record on every request, and a stat is much cheaper than reading and parsing it.
_RECORDS: dict[str, tuple[tuple[int, int, int, int], LoadRecord]] = {}


def read_record(data_dir: Path) -> LoadRecord | None:
    """The load record of ``data_dir`` (None when there is none). Read again whenever the
    file's size, time or inode changed (it is replaced by a rename on every load); callers
    must not change the dict they get."""
    path = os.path.join(data_dir, RECORD)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error}") from None
    if not stat.S_ISREG(info.st_mode):
        return None
    stamp = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
    cached = _RECORDS.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.loads(handle.read())
    except (OSError, ValueError) as error:
        raise StoreError(f"cannot read {path}: {error}") from None
    if not isinstance(record, dict):
        raise StoreError(f"cannot read {path}: not a JSON object")
    # A JSON object zkg wrote (write_record): its keys are not checked one by one, as before.
    loaded = cast(LoadRecord, record)
    _RECORDS[path] = (stamp, loaded)
    return loaded


def write_record(data_dir: Path, record: LoadRecord, *, target: Path | None = None, after: str) -> None:
    """Write ``data_dir``'s ``zkg.json`` (or ``target``: a bulk load's :func:`pending_record`);
    ``after`` says, in the error of a full disk, what state that leaves.

    Written, synced, then renamed into place, so that neither a crash nor a power cut leaves
    a half-written record (a bulk load's record is renamed into place after its swap)."""
    target = target or Path(data_dir) / RECORD
    temporary = target.with_name(target.name + ".tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
    except OSError as error:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        raise storage_fault(
            error, data_dir, doing=f"write {RECORD}", after=f"{after} (free some space and run `zkg load` again)"
        ) or StoreError(f"store error: {error}") from None


def open_live_store(data_dir: Path) -> ox.Store:
    """The live store of ``data_dir`` opened for writing, by its real directory (see the module's docstring); then what earlier loads left behind is deleted. OSError as
    pyoxigraph raises it (the lock of another process, a full disk)."""
    if unsettled(data_dir):
        raise StoreError(
            f"the store at {data_dir} was being replaced by a load that was cut short, and it could "
            "not be put back in place (a full disk? a read-only directory?); free some space and try again"
        )
    for _ in range(3):
        store_dir = live_store_dir(data_dir)
        opened = ox.Store(str(store_dir))
        if live_store_dir(data_dir) == store_dir:
            remove_leftovers(data_dir)
            return opened
        # A bulk load swapped a new store in while this one was being opened: open that one.
        del opened
    raise StoreError(f"the store at {data_dir} is being replaced by another process; try again")
