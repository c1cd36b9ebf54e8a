"""The change log: ``{data}/changes.rdfp``, append-only, one RDF Patch per changeset.

Each changeset is written as::

    H id <{base}graph/changes/ID> .
    H prev <{base}graph/changes/PREVIOUS> .          (the previous committed entry, if any)
    H agent <{base}id/agent/luo-wei> .
    H time "2026-12-01T10:00:00.000000+00:00"^^xsd:dateTime .
    H source <https://example.org/article> .         (or a literal: citation text)
    H message "why" .
    H reverts <{base}graph/changes/OTHER> .          (a revert only)
    TX .
    D <s> <p> <o> <g> .
    A <s> <p> <o> <g> .
    TC .                                             (TA . when it was aborted)

Crash safety (write-ahead, see :mod:`zkg.curation.apply`): the entry up to and including its
rows is appended and fsync'd *before* the store commits; ``TC .`` is appended (and fsync'd)
after the store committed, ``TA .`` when the commit failed. An entry without ``TC``/``TA``
is *pending*: :meth:`ChangeLog.reconcile` decides it from the store (the changeset's
description is in the metadata graph, written by the same atomic update as its data, so
"in the store" is one ASK) and appends ``TC .`` or ``TA .``. A torn last line (a crash in the
middle of a write) is cut off first. Hence the invariant: every changeset in the store has a
complete entry in the log, and after reconcile every entry is committed or aborted, in
agreement with the store.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import threading
import weakref
from pathlib import Path
from typing import Iterator

from zkg.base.errors import ReadOnlyData, StoreError, storage_fault
from zkg.curation.changelog_entries import Draft, LogEntry, iri_text
from zkg.curation.changelog_index import LogIndex
from zkg.curation.changesets import ZKG_CHANGESET, Changeset, changeset_id_of, to_rdf_patch
from zkg.curation.reserved import METADATA_GRAPH_NAME
from zkg.rdf.namespaces import PROV
from zkg.rdf.prefixes import graph_iri
from zkg.store import engine_version
from zkg.store.facade import StoreFacade

LOG_FILE = "changes.rdfp"
#: The predicate of a changeset's RDF Patch in its description, under the base IRI (at a
#: shared engine only: :meth:`ChangeLog.catch_up`).
PATCH_PREDICATE = "def/patch"
LOCK_FILE = "changes.lock"

COMMITTED, ABORTED, PENDING = "committed", "aborted", "pending"

_LOCKS: dict[str, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()
#: The log of each store that has no data directory (in memory, or an engine zkg knows no
#: directory of), owned here for as long as its store lives: the store knows nothing of logs.
_MEMORY_LOGS: weakref.WeakKeyDictionary[StoreFacade, "ChangeLog"] = weakref.WeakKeyDictionary()
_MEMORY_LOGS_GUARD = threading.Lock()


def _process_lock(key: str) -> threading.RLock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


class ChangeLog:
    """The append-only RDF Patch log of a data directory (``path=None``: in memory).

    Thread-safe. :meth:`writing` is the writer lock: a process-wide lock per log file plus
    an exclusive ``flock`` on ``changes.lock`` beside it, held for a whole
    check-validate-commit.

    A log in a read-only directory (or of a store opened read-only, ``read_only``: the
    StoreError saying why) can be read but not written: :meth:`reconcile`, the first step
    of every write, raises that error, and no lock file is taken. A failed append (a full
    disk) raises StorageFull and leaves no torn line behind.
    """

    def __init__(self, path: str | Path | None, *, base_iri: str, read_only: StoreError | None = None):
        self.path = Path(path) if path is not None else None
        self.base_iri = base_iri
        if (
            read_only is None
            and self.path is not None
            and self.path.parent.is_dir()
            and not os.access(self.path.parent, os.W_OK)
        ):
            read_only = ReadOnlyData(
                f"the data directory {self.path.parent} is read-only: reads work, writes are refused"
            )
        self.read_only_reason = read_only
        self._memory = bytearray() if self.path is None else None
        key = str(self.path.resolve()) if self.path is not None else f"memory:{id(self)}"
        self._lock = _process_lock(key)
        self._depth = 0  # writing() nesting in the thread holding the lock
        self._lock_file = None
        # Incremental parsing: entries so far, bytes consumed, and the entry being read.
        self._entries: list[LogEntry] = []
        self._consumed = 0
        self._draft: Draft | None = None
        self._index = LogIndex()  # the settled entries by id and by the IRIs they touched
        self._current_at: str | None = None  # the engine's marker before the last catch_up

    @classmethod
    def for_store(cls, store: StoreFacade) -> "ChangeLog":
        """The log of a store's data directory; for a store without one, its log in memory:
        the same one each time it is asked for, as long as the store object lives.

        >>> from zkg.store.local import Store
        >>> store = Store.open(base_iri="http://zkg.test/")
        >>> ChangeLog.for_store(store) is ChangeLog.for_store(store)
        True
        """
        if store.data_dir is None:
            with _MEMORY_LOGS_GUARD:
                log = _MEMORY_LOGS.get(store)
                if log is None:
                    log = _MEMORY_LOGS[store] = cls(None, base_iri=store.base_iri)
            return log
        return cls(Path(store.data_dir) / LOG_FILE, base_iri=store.base_iri, read_only=store.read_only_reason)

    # -- locking -------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock (re-entrant within a thread)."""
        with self._lock:
            self._depth += 1
            try:
                if self._depth == 1 and self.path is not None and self.read_only_reason is None:
                    self._lock_file = _flock(self.path.with_name(LOCK_FILE))
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_file is not None:
                    self._lock_file.close()  # releases the flock
                    self._lock_file = None

    # -- writing -------------------------------------------------------------------------

    def _refuse_if_read_only(self) -> None:
        if self.read_only_reason is not None:
            raise type(self.read_only_reason)(self.read_only_reason.message)

    def _append(self, text: str) -> None:
        data = text.encode("utf-8")
        if self._memory is not None:
            self._memory += data
            return
        self._refuse_if_read_only()
        new = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            raise self._write_failed(error) from None
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except OSError as error:
            # A full disk takes part of the text: cut the torn line off at once (that frees
            # space, so it works on a full disk), so that the next append starts a line.
            # Complete lines stay (another process may have read them): an entry begun
            # without its commit mark is pending, and reconcile settles it.
            os.close(fd)
            fd = None
            try:
                self._cut_torn_tail()
            except (OSError, StoreError):
                pass
            raise self._write_failed(error) from None
        finally:
            if fd is not None:
                os.close(fd)
        if new:
            _fsync_dir(self.path.parent)

    def _write_failed(self, error: OSError) -> StoreError:
        return storage_fault(error, self.path.parent, doing="write the change log") or StoreError(
            f"cannot write the change log {self.path}: {error.strerror or error}"
        )

    def begin(self, changeset: Changeset) -> None:
        """Append the changeset's entry (headers, TX, rows) and fsync: it is now pending."""

        with self._lock:
            entries = self.entries()
            if self._draft is not None:
                raise StoreError("the change log has an unsettled entry: reconcile it first")
            previous = next((e for e in reversed(entries) if e.status == COMMITTED), None)
            text = to_rdf_patch(changeset, transaction=True, prev=previous.changeset.graph if previous else None)
            self._append(text[: -len("TC .\n")])  # the commit marker comes after the store commit

    def commit(self, changeset_id: str) -> None:
        """Append ``TC .`` for the pending entry and fsync."""
        self._settle(changeset_id, "TC .\n")

    def abort(self, changeset_id: str) -> None:
        """Append ``TA .`` for the pending entry and fsync."""
        self._settle(changeset_id, "TA .\n")

    def _settle(self, changeset_id: str, marker: str) -> None:
        with self._lock:
            self.entries()
            draft = self._draft
            if draft is None or changeset_id_of(self.base_iri, iri_text(draft.headers.get("id", ""))) != changeset_id:
                raise StoreError(f"changeset {changeset_id} is not the pending entry of the change log")
            self._append(marker)

    # -- reading -------------------------------------------------------------------------

    def _read_from(self, offset: int) -> bytes:
        if self._memory is not None:
            return bytes(self._memory[offset:])
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                return handle.read()
        except FileNotFoundError:
            return b""

    def _read_new(self) -> None:  # under the lock
        data = self._read_from(self._consumed)
        end = data.rfind(b"\n") + 1  # complete lines only
        position = self._consumed
        for raw in data[:end].split(b"\n")[:-1] if end else []:
            self._read_line(raw.decode("utf-8"), position)
            position += len(raw) + 1
        self._consumed = position

    def _pending(self) -> LogEntry | None:
        if self._draft is not None and "id" in self._draft.headers:
            return LogEntry(self._draft.changeset(self.base_iri), PENDING, self._draft.offset)
        return None

    def entries(self) -> list[LogEntry]:
        """Every settled entry, oldest first, then the pending one if any (parsed
        incrementally: only new bytes are read)."""
        with self._lock:
            self._read_new()
            result = list(self._entries)
            pending = self._pending()
            if pending is not None:
                result.append(pending)
            return result

    def _read_line(self, line: str, offset: int) -> None:
        code, _, rest = line.strip().partition(" ")
        if code == "H":
            name, _, value = rest.strip().partition(" ")
            if (
                name == "id"
                and self._draft is not None
                and (self._draft.additions or self._draft.removals or "id" in self._draft.headers)
            ):
                # A new entry while one was unsettled (never written so by this module).
                self._finish(ABORTED)
            if self._draft is None:
                self._draft = Draft(offset)
            self._draft.headers[name] = value.strip().removesuffix(".").strip()
        elif code in ("A", "D") and self._draft is not None:
            (self._draft.additions if code == "A" else self._draft.removals).append(rest)
        elif code == "TC" and self._draft is not None:
            self._finish(COMMITTED)
        elif code == "TA" and self._draft is not None:
            self._finish(ABORTED)
        # TX, blank lines and comments carry nothing.

    def _finish(self, status: str) -> None:
        draft, self._draft = self._draft, None
        if "id" in draft.headers:
            entry = LogEntry(draft.changeset(self.base_iri), status, draft.offset)
            self._index.add(len(self._entries), entry.changeset, committed=status == COMMITTED)
            self._entries.append(entry)

    def entry(self, changeset_id: str) -> LogEntry | None:
        """The last entry with this id (the pending one if it has it), or None."""
        with self._lock:
            self._read_new()
            pending = self._pending()
            if pending is not None and pending.id == changeset_id:
                return pending
            position = self._index.position_of(changeset_id)
            return self._entries[position] if position is not None else None

    def settled_since(self, offset: int) -> tuple[list[LogEntry], int]:
        """(The committed entries from byte ``offset`` on, up to the first unsettled one; where
        that one begins, or the end of the log's complete lines): what a reader that has
        followed the log up to ``offset`` has still to follow (:mod:`zkg.curation.search_sync`)."""
        with self._lock:
            entries = self.entries()
            end = self._draft.offset if self._draft is not None else self._consumed
            first = bisect.bisect_left(entries, offset, key=lambda e: e.offset)  # in the order of the file
            return [e for e in entries[first:] if e.offset < end and e.status == COMMITTED], end

    def committed(self) -> list[LogEntry]:
        return [e for e in self.entries() if e.status == COMMITTED]

    def committed_touching(self, iri: str) -> list[LogEntry]:
        """The committed entries that added or removed a quad with ``iri`` as subject or
        object, or changed the graph ``iri``, oldest first, in time proportional to their
        number, not to the log's length (:mod:`zkg.curation.changelog_index`)."""
        with self._lock:
            self._read_new()
            return [self._entries[position] for position in self._index.touching(iri)]

    # -- recovery ------------------------------------------------------------------------

    def reconcile(self, store) -> dict[str, str]:
        """Settle pending entries against the store: {id: COMMITTED or ABORTED} for each
        entry it settled. Cuts a torn last line off first. Every write begins with it, so on
        a read-only log it refuses (ReadOnlyData, or StorageFull for a store opened
        read-only because its disk was full) before any work is done."""
        self._refuse_if_read_only()
        with self._lock:
            self._cut_torn_tail()
            settled: dict[str, str] = {}
            pending = [e for e in self.entries() if e.status == PENDING]
            for entry in pending:
                if is_in_store(store, entry.changeset):
                    self.commit(entry.id)
                    settled[entry.id] = COMMITTED
                else:
                    self.abort(entry.id)
                    settled[entry.id] = ABORTED
            if settled:
                self.entries()
            return settled

    def catch_up(self, store, *, if_moved: bool = False) -> int:
        """Append the changesets other front ends committed at a shared engine (one zkg does
        not run, :func:`zkg.store.engine_version.is_shared`) that this log lacks, as their
        descriptions in the metadata graph record them (``zkg:patch``, the RDF Patch the
        writer logged); returns how many. The engine's metadata is the shared truth: after
        it, this log holds every changeset the engine has a patch of, and history, changeset
        pages and revert work on any front end. Nothing to do elsewhere, on a read-only
        log, or while an entry is pending (:meth:`reconcile` settles it first). One count
        query when nothing is missing.

        ``if_moved`` (reads): nothing at all, no lock, no query, while the engine's version
        marker as this process knows it (``store.engine_marker``: read at most once per
        CHECK_INTERVAL) is the one read before the last catch_up that finished. Every zkg
        update moves it in the same transaction as its data: unchanged, no changeset came
        since. So history is as current as this front end's pages and ETags (the same
        bound). Writes (apply, revert) go without: they must see the engine as it is."""
        if not engine_version.is_shared(store) or self.read_only_reason is not None:
            return 0
        # Read before the count below: a changeset committed after this reading moves the
        # marker, so the next reading differs and that read catches up again.
        marker = store.engine_marker[0] if if_moved else ""
        if marker and marker == self._current_at:
            return 0
        base = store.base_iri
        metadata = graph_iri(base, METADATA_GRAPH_NAME)
        described = f"GRAPH <{metadata}> {{ ?c a <{base}{ZKG_CHANGESET}> }}"
        with self.writing():
            entries = self.entries()
            if self._draft is not None:
                return 0
            known = {e.id for e in entries if e.status == COMMITTED}
            rows = list(store.query(f"SELECT (COUNT(?c) AS ?n) WHERE {{ {described} }}"))
            if int(rows[0]["n"].value) <= len(known):  # the log's committed entries are all there
                self._current_at = marker or self._current_at
                return 0
            text = (
                f"SELECT ?c ?patch WHERE {{ GRAPH <{metadata}> {{ ?c a <{base}{ZKG_CHANGESET}> ; "
                f"<{base}{PATCH_PREDICATE}> ?patch ; <{PROV}generatedAtTime> ?time }} }} ORDER BY ?time ?c"
            )
            missing = [
                str(row["patch"].value)
                for row in store.query(text)
                if changeset_id_of(base, row["c"].value) not in known
            ]
            for patch in missing:
                self._append(patch if patch.endswith("TC .\n") else patch.rstrip("\n") + "\nTC .\n")
            if missing:
                self.entries()
            self._current_at = marker or self._current_at
            return len(missing)

    def _cut_torn_tail(self) -> None:
        if self._memory is not None:
            end = self._memory.rfind(b"\n") + 1
            del self._memory[end:]
            return
        if not self.path.exists():
            return
        size = self.path.stat().st_size
        if size == 0:
            return
        with open(self.path, "rb+") as handle:
            # Look back for the last newline; a torn line is at most one row long.
            step = 1 << 16
            position = size
            while position > 0:
                start = max(0, position - step)
                handle.seek(start)
                chunk = handle.read(position - start)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    keep = start + newline + 1
                    break
                position = start
            else:
                keep = 0
            if keep < size:
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())
        if keep < self._consumed:  # never, as only complete lines are consumed
            raise StoreError("the change log shrank while open")


def is_in_store(store, changeset: Changeset) -> bool:
    """Whether the store holds the changeset: its description in the metadata graph (written
    by the same atomic update as its data)."""

    metadata = graph_iri(store.base_iri, METADATA_GRAPH_NAME)
    query = f"ASK {{ GRAPH <{metadata}> {{ <{changeset.graph}> a <{store.base_iri}{ZKG_CHANGESET}> }} }}"
    return bool(store.query(query))


def _flock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")
    try:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    except ImportError:  # no flock on this platform: the process lock only
        pass
    return handle


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
