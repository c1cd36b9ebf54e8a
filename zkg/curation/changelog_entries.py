"""One entry of the change log (:mod:`zkg.curation.changelog`): as the log holds it once
settled (:class:`LogEntry`), and while its lines are being read (:class:`Draft`), with what
turns those lines (RDF Patch headers and N-Quads rows) back into a changeset.

>>> draft = Draft(0)
>>> draft.headers.update(id="<http://zkg.test/graph/changes/20261201T100000000000Z-0123abcd>", agent="<http://zkg.test/id/agent/a>",
...                      time='"2026-12-01T10:00:00+00:00"^^<http://www.w3.org/2001/XMLSchema#dateTime>')
>>> draft.additions.append("<http://zkg.test/id/a> <http://zkg.test/def/p> <http://zkg.test/id/b> <http://zkg.test/graph/g> .")
>>> entry = LogEntry(draft.changeset("http://zkg.test/"), "committed", draft.offset)
>>> entry.id, len(entry.changeset.additions), entry.changeset.time.year
('20261201T100000000000Z-0123abcd', 1, 2026)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pyoxigraph as ox

from zkg.curation.changesets import Changeset, changeset_id_of


@dataclass(frozen=True)
class LogEntry:
    """One changeset as the log has it."""

    changeset: Changeset
    status: str  # COMMITTED, ABORTED or PENDING
    offset: int  # where its first line starts in the file

    @property
    def id(self) -> str:
        return self.changeset.id


class Draft:
    """An entry being read: its header lines and rows, until TC/TA."""

    def __init__(self, offset: int):
        self.offset = offset
        self.headers: dict[str, str] = {}
        self.additions: list[str] = []
        self.removals: list[str] = []

    def changeset(self, base_iri: str) -> Changeset:
        """The changeset its lines so far describe (ids relative to ``base_iri``)."""
        header = {name: _parse_term(value) for name, value in self.headers.items()}

        def text(name: str) -> str | None:
            term = header.get(name)
            return None if term is None else term.value

        changeset_id = changeset_id_of(base_iri, text("id") or "") or (text("id") or "")
        reverts = text("reverts")
        time_text = text("time")
        try:
            time = datetime.fromisoformat(time_text) if time_text else datetime.fromtimestamp(0, timezone.utc)
        except ValueError:
            time = datetime.fromtimestamp(0, timezone.utc)
        return Changeset(
            id=changeset_id,
            additions=tuple(_parse_rows(self.additions)),
            removals=tuple(_parse_rows(self.removals)),
            agent=text("agent") or "",
            time=time,
            source=text("source") or "",
            message=text("message") or "",
            reverts=changeset_id_of(base_iri, reverts) if reverts else None,
            base_iri=base_iri,
        )


def iri_text(value: str) -> str:
    """An IRI header value without its angle brackets."""
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def _parse_term(text: str):
    quads = list(ox.parse(f"<urn:x-zkg:s> <urn:x-zkg:p> {text} .\n".encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    return quads[0].object


def _parse_rows(rows: list[str]) -> list[ox.Quad]:
    if not rows:
        return []
    text = "\n".join(row.strip() for row in rows) + "\n"
    return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
