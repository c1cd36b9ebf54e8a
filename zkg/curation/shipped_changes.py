"""Changesets that ship with the repository: ``graph/changes/*.rdfp``, applied by ``zkg load``.

Sources added after the first article are curated through the one write path: a curator
runs ``zkg add`` (checked by the shapes, attributed, in history), then keeps the changeset
with ``zkg log --patch ID > graph/changes/NAME.rdfp`` so that every clone gets it. ``zkg
load`` applies each file whose changeset is not yet in the data directory's change log, in
file-name order, through the same write path (:func:`zkg.curation.apply.apply_changeset`):
checked again by the shapes, logged, with the id, time, agent, source and message the
curator's changeset had. A file already applied (its id committed in the log) is left alone, so a
reload changes nothing, and a curator's own later corrections to those statements stand.

The files name the deployment they were made on (``H id <http://localhost:8080/graph/changes/
ID>``); IRIs under that base are read under the configured base IRI, as the TriG files'
relative IRIs are, so a clone served at another address gets its own IRIs.

Not data files: ``zkg load`` never reads them as graphs behind the write path.

>>> rebased('H id <http://a.test/graph/changes/X> .\\nA <http://a.test/id/x> <http://b.test/p> "1" .', "http://zkg.test/")
'H id <http://zkg.test/graph/changes/X> .\\nA <http://zkg.test/id/x> <http://b.test/p> "1" .'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from zkg.base.errors import DataError
from zkg.curation.apply import apply_changeset
from zkg.curation.changelog import COMMITTED, ChangeLog
from zkg.curation.changeset_files import parse_patch
from zkg.curation.changesets import CHANGES_PATH, Changeset, changeset_id_of

FOLDER = "changes"
SUFFIX = ".rdfp"
_ID_HEADER = re.compile(r"^H id <([^>]*)" + re.escape(CHANGES_PATH) + r"[^>]*> \.", re.MULTILINE)


@dataclass(frozen=True)
class ShippedReport:
    applied: tuple[str, ...]  # changeset ids applied by this load
    known: int  # files whose changeset the log already had

    def lines(self) -> list[str]:
        if not self.applied and not self.known:
            return []
        return [f"shipped changesets: {len(self.applied)} applied, {self.known} already in the change log"]


def rebased(text: str, base_iri: str) -> str:
    """``text`` with the IRIs under the base it was made on (its ``H id``) under ``base_iri``."""
    found = _ID_HEADER.search(text)
    if found is None or found.group(1) == base_iri:
        return text
    return text.replace("<" + found.group(1), "<" + base_iri)


def shipped_files(graph_dir: Path) -> list[Path]:
    folder = Path(graph_dir) / FOLDER
    return sorted(p for p in folder.glob("*" + SUFFIX) if p.is_file()) if folder.is_dir() else []


def read_changeset(path: Path, *, base_iri: str) -> Changeset:
    """The changeset of one shipped file, as its curator made it (DataError when the file is
    not one: no ``H id``, ``agent``, ``time`` or ``source`` header, or a syntax error)."""
    text = rebased(path.read_text(encoding="utf-8"), base_iri)
    headers, additions, removals = parse_patch(text, base_iri=base_iri, path=str(path))
    missing = [name for name in ("id", "agent", "time", "source") if name not in headers]
    if missing:
        raise DataError(f"{path}: a shipped changeset needs the header(s) {', '.join(missing)} (zkg log --patch ID)")
    changeset_id = changeset_id_of(base_iri, headers["id"].value)
    if changeset_id is None:
        raise DataError(f"{path}: H id is not a changeset IRI: <{headers['id'].value}>")
    try:
        time = datetime.fromisoformat(headers["time"].value)
    except ValueError:
        raise DataError(f"{path}: H time is not an xsd:dateTime: {headers['time'].value!r}") from None
    reverts = headers.get("reverts")
    return Changeset.new(
        base_iri=base_iri,
        agent=headers["agent"].value,
        source=headers["source"].value,
        message=headers["message"].value if "message" in headers else "",
        additions=additions,
        removals=removals,
        id=changeset_id,
        time=time,
        reverts=changeset_id_of(base_iri, reverts.value) if reverts is not None else None,
    )


def apply_shipped(store, graph_dir: Path) -> ShippedReport:
    """Apply the shipped changesets the store's change log does not have yet (see the module)."""
    files = shipped_files(graph_dir)
    if not files:
        return ShippedReport((), 0)
    log = ChangeLog.for_store(store)
    applied: list[str] = []
    known = 0
    for path in files:
        changeset = read_changeset(path, base_iri=store.base_iri)
        entry = log.entry(changeset.id)
        if entry is not None and entry.status == COMMITTED:
            known += 1
            continue
        apply_changeset(store, changeset, log=log)
        applied.append(changeset.id)
    return ShippedReport(tuple(applied), known)
