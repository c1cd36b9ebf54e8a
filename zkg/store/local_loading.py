"""The bulk path of :meth:`zkg.store.local.Store.load_sources`, and the report of any load.

A load of up to :data:`zkg.store.loading.BULK_THRESHOLD` quads is one atomic update of the
live store, and :class:`~zkg.store.local.Store` does it itself. A bigger one builds a whole
new pyoxigraph store with its bulk loader, from the files' quads and the graphs the live store
keeps, and swaps it in with one rename (:mod:`zkg.store.layout`). That building is here, apart
from the Store: it needs only the live store to copy from, never the Store object, and hands
back the new pyoxigraph store for the Store to put in place of its own.

>>> old = ox.Store()
>>> kept = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("kept"), ox.NamedNode("http://x/k"))
>>> old.add(kept)
>>> new = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("new"), ox.NamedNode("http://x/g"))
>>> from zkg.store.union_graph import copy_in
>>> list(bulk_quads(iter([[new]]), keep_from=old, replaced={"http://x/g"})) == [new, copy_in(new), kept, copy_in(kept)]
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from zkg.base.errors import StoreError, storage_fault
from zkg.store import layout as store_layout
from zkg.store import loading, union_graph
from zkg.store.layout import FileRecord, LoadRecord

#: Quads between two calls of a bulk load's ``progress``.
_PROGRESS_EVERY = 100_000


@dataclass(frozen=True)
class LoadReport:
    """What :meth:`zkg.store.local.Store.load_sources` did."""

    files: list[FileRecord]  # path, sha256, quads, graphs of each file read
    graphs: dict[str, int]  # quads now in each graph the files define
    removed_graphs: list[str]  # graphs an earlier load defined that no file defines any more
    total: int  # quads now in those graphs, together
    bulk: bool  # True when the bulk loader built a new store (swapped in whole)

    def lines(self, compact: Callable[[str], str] = str) -> list[str]:
        """A readable summary, one line per file and per graph."""
        out = [f"read {len(self.files)} file(s):"]
        out += [f"  {loading.display_path(Path(f['path']))}  {f['quads']} quads" for f in self.files]
        out.append(f"loaded {len(self.graphs)} graph(s):")
        out += [f"  {compact(iri)}  {n} quads" for iri, n in sorted(self.graphs.items())]
        out += [f"removed graph {compact(iri)} (no file defines it any more)" for iri in self.removed_graphs]
        out.append(f"total: {self.total} quads" + (" (bulk load)" if self.bulk else ""))
        return out


def load_record(base_iri: str, parsed: loading.ParsedSources) -> LoadRecord:
    """The load record of the files in ``parsed``, loaded now under ``base_iri``."""
    return {
        "base_iri": base_iri,
        "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": parsed.files,
    }


def handed_over(held: list[list[ox.Quad]], rest: Iterator[list[ox.Quad]]) -> Iterator[list[ox.Quad]]:
    """``held`` then ``rest``, letting go of each held batch once it is handed over."""
    held.reverse()
    while held:
        yield held.pop()
    yield from rest


def bulk_quads(
    batches: Iterator[list[ox.Quad]],
    *,
    keep_from: ox.Store,
    replaced: set[str],
    progress: Callable[[int], None] | None = None,
    earlier_default: ox.NamedNode | None = None,
) -> Iterator[ox.Quad]:
    """What the new store holds: the quads of ``batches`` (calling ``progress(n)`` between
    them), then those of every named graph of ``keep_from`` but the ``replaced`` ones; each
    with its triple in the default graph, the union of the named graphs
    (:mod:`zkg.store.union_graph`; the old default graph is that union, made anew here).
    ``earlier_default``: the store is an earlier zkg's, whose default graph held what Graph
    Store clients wrote to ``?default``: kept in this named graph, where ``?default`` is now."""

    def parts() -> Iterator[Iterable[ox.Quad]]:
        done = reported = 0
        for batch in batches:
            yield union_graph.with_union_copies(batch)
            done += len(batch)
            if progress is not None and done - reported >= _PROGRESS_EVERY:
                progress(done)
                reported = done
        if progress is not None:
            progress(done)
        # Every file is read: what the old store keeps is now known (the same graphs a
        # small load leaves alone: changesets, anything no file defined).
        for graph in keep_from.named_graphs():
            if not (isinstance(graph, ox.NamedNode) and graph.value in replaced):
                yield union_graph.with_union_copies(keep_from.quads_for_pattern(None, None, None, graph))
        if earlier_default is not None:
            moved = (
                union_graph.copy_in(q, earlier_default)
                for q in keep_from.quads_for_pattern(None, None, None, ox.DefaultGraph())
            )
            yield union_graph.with_union_copies(moved)

    return itertools.chain.from_iterable(parts())  # chained in C: no Python step per quad


def compact(store: ox.Store) -> None:
    """Compact ``store`` on disk: a bulk load leaves its sorted runs side by side, and every
    scan then reads them all. Measured at 1M triples: a label filter 39.5 ms before, 11.4 ms
    after; the compaction itself takes about 7 s (docs/operations/performance.md). Writes
    through the engine need none of this: RocksDB compacts what it flushes in the background."""
    store.optimize()


def build_beside(data_dir: Path, quads: Callable[[], Iterator[ox.Quad]], record: Callable[[], LoadRecord]) -> ox.Store:
    """A new ``store-<n>`` filled with ``quads()`` and swapped in, with ``record()`` (made once
    every quad is in) as its load record; on any failure it is deleted and the live store and
    record are untouched."""
    new_dir = store_layout.next_store_dir(data_dir)
    new = None
    try:
        new = ox.Store(str(new_dir))
        new.bulk_extend(quads())
        new.flush()
        compact(new)
        store_layout.write_record(
            data_dir,
            record(),
            target=store_layout.pending_record(data_dir, new_dir),
            after="the previous store is as it was",
        )
        store_layout.swap_in(data_dir, new_dir)
    except BaseException as error:
        new = None  # closes it, so that its files can go
        store_layout.discard(data_dir, new_dir)
        if isinstance(error, OSError):
            unchanged = "the previous store is as it was"
            raise storage_fault(
                error, data_dir, doing="load", after=f"{unchanged} (free some space and run `zkg load` again)"
            ) or StoreError(f"bulk load failed ({unchanged}): {error}") from None
        raise
    return new


def bulk_counts(parsed: loading.ParsedSources, count: Callable[[str], int]) -> dict[str, int]:
    """Quads per graph the files define after a bulk load: exact but for graphs fed by several
    batches (``parsed.shared``), where a statement could be counted twice, so those are
    ``count``-ed in the new store."""
    graphs = {iri: parsed.counts[iri] for iri in sorted(parsed.graphs)}
    graphs.update({iri: count(iri) for iri in parsed.shared})
    return graphs
