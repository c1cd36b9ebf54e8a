"""Where a change log's entries are, by changeset id and by the IRIs they touched: what lets
an entity's history read only its own changesets, however long the log.

Without it, every history read (an entity page's panel, ``/history``, ``zkg log --entity``)
went through every committed entry of the log and every quad of each: a page's cost grew
with the length of the whole log (a person page took twice as long after 20,000 changed
statements elsewhere). :class:`~zkg.curation.changelog.ChangeLog` feeds this index each
entry as it is settled (read from the file, its own or another process's, or caught up from
a shared engine), so a lookup costs the number of entries found.

It holds positions in the log's list of entries, never quads: per IRI, the positions of the
committed entries that touched it, in log order; per id, the position of the last entry
with that id (as a scan from the end would find it).

>>> import pyoxigraph as ox
>>> from zkg.curation.changesets import Changeset
>>> def quad(s, o):
...     return ox.Quad(ox.NamedNode(s), ox.NamedNode("http://zkg.test/def/p"), o, ox.NamedNode("http://zkg.test/graph/g"))
>>> first = Changeset.new(base_iri="http://zkg.test/", agent="a", source="s",
...                       additions=[quad("http://zkg.test/id/a", ox.NamedNode("http://zkg.test/id/b"))])
>>> second = Changeset.new(base_iri="http://zkg.test/", agent="a", source="s",
...                        removals=[quad("http://zkg.test/id/b", ox.Literal("x"))])
>>> index = LogIndex()
>>> index.add(0, first, committed=True)
>>> index.add(1, second, committed=False)  # aborted: found by id, never by what it touched
>>> index.touching("http://zkg.test/id/b"), index.touching("http://zkg.test/graph/g")
([0], [0])
>>> index.touching("http://zkg.test/def/p")  # predicates are not what an entity's history follows
[]
>>> index.position_of(second.id), index.position_of("nothing")
(1, None)
"""

from __future__ import annotations

import pyoxigraph as ox

from zkg.curation.changesets import Changeset


def touched(changeset: Changeset) -> set[str]:
    """The IRIs whose history holds ``changeset``: the subjects and the IRI objects of its
    added and removed quads, and the graphs it changed ("" for the default graph), as
    :func:`zkg.curation.history.history` defines an entity's history."""
    iris = set(changeset.changed_graphs())
    for quad in (*changeset.additions, *changeset.removals):
        if isinstance(quad.subject, ox.NamedNode):
            iris.add(quad.subject.value)
        if isinstance(quad.object, ox.NamedNode):
            iris.add(quad.object.value)
    return iris


class LogIndex:
    """Positions of a log's settled entries, by id and (committed ones) by the IRIs they
    touched. Not thread-safe by itself: the log updates and reads it under its lock."""

    def __init__(self) -> None:
        self._by_id: dict[str, int] = {}
        self._by_iri: dict[str, list[int]] = {}

    def add(self, position: int, changeset: Changeset, *, committed: bool) -> None:
        """The entry at ``position`` (after every one added before) holds ``changeset``."""
        self._by_id[changeset.id] = position
        if committed:
            for iri in touched(changeset):
                self._by_iri.setdefault(iri, []).append(position)

    def touching(self, iri: str) -> list[int]:
        """The positions of the committed entries that touched ``iri``, oldest first."""
        return list(self._by_iri.get(iri, ()))

    def position_of(self, changeset_id: str) -> int | None:
        """The position of the last settled entry with this id, or None."""
        return self._by_id.get(changeset_id)
