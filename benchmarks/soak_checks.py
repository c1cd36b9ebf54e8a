"""What the soak (:mod:`benchmarks.soak`) checks, as functions of what the writers were told
and what the server answered, so that each check can be shown to fail on a bad answer
(``tests/hardening/test_soak.py``) without a server that misbehaves.

A write is a marker set: K triples ``<id/soak-W-N> zkg:soakMarker "N.i"`` in one graph. The
:class:`Ledger` records every write a writer sent and what came back: acknowledged (2xx with
a changeset), refused (4xx: nothing written), or in doubt (no answer, or a 5xx: all or
nothing may have been written); the same for deleting it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterable

ACKED, REFUSED, IN_DOUBT, SENT = "acked", "refused", "in-doubt", "sent"


@dataclass
class Write:
    """One marker set and what its writer was told about it."""

    subject: str
    method: str  # "update" (INSERT DATA: the changeset's own graph) or "graph_store" (POST to graph)
    graph: str | None = None  # known when posted to a graph, or once acknowledged
    state: str = SENT
    changeset: str | None = None
    delete_state: str | None = None  # None: no delete sent
    delete_changeset: str | None = None
    etag: str | None = None  # of its data document once written: revalidated after its delete

    @property
    def surely_present(self) -> bool:
        return self.state == ACKED and self.delete_state in (None, REFUSED)

    @property
    def surely_absent(self) -> bool:
        return self.state == REFUSED or self.delete_state == ACKED

    @property
    def in_doubt(self) -> bool:
        return not (self.surely_present or self.surely_absent)


class Ledger:
    """Every write of the soak (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.writes: dict[str, Write] = {}

    def add(self, write: Write) -> None:
        with self._lock:
            self.writes[write.subject] = write

    def update(self, subject: str, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self.writes[subject], name, value)

    def snapshot(self) -> tuple[frozenset, frozenset]:
        """(surely present, surely absent) as of now: taken before a read is sent."""
        with self._lock:
            present = frozenset(s for s, w in self.writes.items() if w.surely_present)
            absent = frozenset(s for s, w in self.writes.items() if w.surely_absent)
        return present, absent

    def known(self, subject: str) -> bool:
        with self._lock:
            return subject in self.writes

    def delete_sent(self, subject: str) -> bool:
        """Whether a delete of ``subject`` has been sent (whatever became of it): a read that
        began before may then miss the write, rightly."""
        with self._lock:
            write = self.writes.get(subject)
            return write is not None and write.delete_state not in (None, REFUSED)

    def all(self) -> list[Write]:
        with self._lock:
            return list(self.writes.values())


def check_snapshot(
    counts: dict[str, int],
    k: int,
    before: tuple[frozenset, frozenset],
    known: Callable[[str], bool],
    within: Callable[[str], bool] = lambda subject: True,
    delete_sent: Callable[[str], bool] = lambda subject: False,
) -> list[str]:
    """What is wrong with one snapshot (``counts``: marker triples per write), given the
    ledger's ``before`` the query was sent, ``known(subject)`` (the write had been sent by the
    time the answer came), ``within(subject)`` (the query covered it) and
    ``delete_sent(subject)`` (by the time the answer came, a delete of it had been sent: the
    delete may have landed before the query ran, so not seeing it is no fault). Empty if
    consistent.

    >>> before = (frozenset("ab"), frozenset("c"))
    >>> check_snapshot({"a": 2, "b": 2, "d": 2}, 2, before, known=lambda s: s in "abcd")
    []
    >>> check_snapshot({"a": 1, "c": 2, "x": 2}, 2, before, known=lambda s: s in "abcd")
    ['partial write a: 1 of 2 triples', 'deleted write c seen again', 'unknown write x', 'acknowledged write b not seen']
    >>> check_snapshot({"a": 2}, 2, before, known=lambda s: True, delete_sent=lambda s: s == "b")
    []
    """
    present, absent = before
    problems = []
    for subject, count in counts.items():
        if count != k:
            problems.append(f"partial write {subject}: {count} of {k} triples")
        if subject in absent:
            problems.append(f"deleted write {subject} seen again")
        if not known(subject):
            problems.append(f"unknown write {subject}")
    problems += [
        f"acknowledged write {s} not seen"
        for s in sorted(present)
        if within(s) and s not in counts and not delete_sent(s)
    ]
    return problems


def check_final(rows: Iterable[tuple[str, str, int]], writes: Iterable[Write], k: int) -> tuple[list[str], dict]:
    """The end state (``rows``: subject, graph, marker triples) against every write: an
    acknowledged add is there exactly once (K triples, in its one graph), an acknowledged
    delete is gone, a write in doubt is all there or not at all, nothing else is there.
    (problems, figures)."""
    where: dict[str, list[tuple[str, int]]] = {}
    for subject, graph, n in rows:
        where.setdefault(subject, []).append((graph, n))
    problems, figures = [], {"present_checked": 0, "absent_checked": 0, "in_doubt": 0}
    for write in writes:
        found = where.pop(write.subject, [])
        whole = len(found) == 1 and found[0][1] == k and write.graph in (None, found[0][0])
        if write.surely_present:
            figures["present_checked"] += 1
            if not whole:
                problems.append(
                    f"acknowledged write {write.subject} should be {k} triples in {write.graph}, is {found}"
                )
        elif write.surely_absent:
            figures["absent_checked"] += 1
            if found:
                problems.append(
                    f"write {write.subject} should be absent ({write.state}, delete {write.delete_state}), is {found}"
                )
        else:
            figures["in_doubt"] += 1
            if found and not whole:
                problems.append(f"write {write.subject} in doubt is neither all there nor absent: {found}")
    problems += [f"marker triples of a write never sent: {subject} {found}" for subject, found in where.items()]
    return problems, figures


def check_log(entries: Iterable, writes: Iterable[Write], k: int, *, described: int) -> tuple[list[str], dict]:
    """The change log's entries of the soak (objects with ``id``, ``status`` and
    ``changeset.additions``/``removals``, as :class:`zkg.curation.changelog.LogEntry`) against the
    writes: every acknowledged changeset is there once, committed, with its K rows; no other
    changeset was committed (unless a write is in doubt); ``described`` (the changesets the
    metadata graph describes) equals the committed ones. (problems, figures)."""
    from zkg.curation.changelog import COMMITTED

    entries, writes = list(entries), list(writes)
    acked: dict[str, tuple[str, Write]] = {}
    for write in writes:
        if write.state == ACKED:
            acked[write.changeset] = ("add", write)
        if write.delete_state == ACKED:
            acked[write.delete_changeset] = ("delete", write)
    doubtful = any(w.state == IN_DOUBT or w.delete_state == IN_DOUBT for w in writes)
    problems = []
    ids = [e.id for e in entries]
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} changeset id(s) logged twice")
    for entry in entries:
        if entry.id not in acked:
            if entry.status == COMMITTED and not doubtful:
                problems.append(f"committed changeset {entry.id} that no writer was told of")
            continue
        what, write = acked.pop(entry.id)
        rows = entry.changeset.additions if what == "add" else entry.changeset.removals
        if entry.status != COMMITTED or len(rows) != k:
            problems.append(f"changeset {entry.id} ({what} {write.subject}) is {entry.status} with {len(rows)} rows")
    problems += [f"acknowledged changeset {i} ({what} {w.subject}) not in the log" for i, (what, w) in acked.items()]
    committed = sum(1 for e in entries if e.status == COMMITTED)
    if described != committed:
        problems.append(f"the metadata graph describes {described} soak changesets, the log has {committed} committed")
    return problems, {"entries": len(entries), "committed": committed, "described": described}
