"""What the guard read in one query or update text (:mod:`zkg.sparql.reader`): its form,
prologue, dataset clauses, depth and cost, the text the engine is given, and where each of
the user's tokens went in it, so that the engine's error positions are moved back."""

from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass, field

from zkg.rdf.sparql_lexer import Token
from zkg.rdf.sparql_scan import Scan, position


@dataclass
class Reading:
    """What the guard read in one query or update text, and the text the engine gets."""

    text: str
    form: str | None = None  # SELECT, ASK, CONSTRUCT or DESCRIBE; None when not a query
    update_keyword: str | None = None  # the first update operation's keyword, e.g. INSERT
    base: str | None = None  # the base IRI in force after the prologue
    declared_prefixes: dict[str, str] = field(default_factory=dict)
    used_prefixes: set[str] = field(default_factory=set)
    from_graphs: list[tuple[str, bool, int]] = field(default_factory=list)  # (IRI, NAMED?, offset)
    service: int | None = None  # offset of the first SERVICE
    load: int | None = None  # offset of the first LOAD
    depth: int = 0
    cost: int = 0
    engine_text: str = ""
    # Where each token went: its piece of the engine text (an index into the pieces, whose
    # offsets are _piece_starts), its offset in the text and its length. Arrays of machine
    # integers, recorded while reading: an error's position is then found without reading the
    # text again (that took as long as the first reading, up to half a CPU-second for 1 MB).
    _pieces: array[int] = field(default_factory=lambda: array("q"), repr=False)
    _starts: array[int] = field(default_factory=lambda: array("q"), repr=False)
    _lengths: array[int] = field(default_factory=lambda: array("q"), repr=False)
    _piece_starts: array[int] = field(default_factory=lambda: array("q"), repr=False)

    @property
    def has_dataset_clause(self) -> bool:
        """True when the query picks its own dataset with FROM or FROM NAMED."""
        return bool(self.from_graphs)

    @property
    def scanned(self) -> Scan:
        """What :func:`zkg.rdf.sparql_scan.scan` would find in :attr:`engine_text`, known without
        reading it again: the form, and the dataset clauses (the engine text declares no
        prefix, uses none, and holds only absolute IRIs).

        >>> from zkg.sparql.reader import read
        >>> r = read("SELECT * FROM NAMED <g> { ?s ?p ?o }", base_iri="http://b/", prefixes={})
        >>> s = r.scanned
        >>> s.form, s.has_dataset_clause, s.used_prefixes, s.declared_prefixes
        ('SELECT', True, set(), {})
        """
        return Scan(
            form=self.form,
            update_keyword=self.update_keyword,
            from_graphs=[(Token("iri", f"<{iri}>", offset), named) for iri, named, offset in self.from_graphs],
        )

    def original_offset(self, emitted: int) -> int:
        """The offset in :attr:`text` of what is at ``emitted`` in :attr:`engine_text`."""
        piece = bisect.bisect_right(self._piece_starts, emitted) - 1  # the piece holding it
        index = bisect.bisect_right(self._pieces, piece) - 1  # the last token written at or before it
        if index < 0:
            return 0
        at = self._piece_starts[self._pieces[index]]
        return self._starts[index] + min(emitted - at, self._lengths[index])

    def locate(self, message: str, *, lines_added: int = 0) -> str:
        """An engine message naming ``line:column`` of :attr:`engine_text` (after
        ``lines_added`` lines of prologue), with the position of the user's text instead."""

        def move(match: re.Match[str]) -> str:
            line, column = int(match.group(2)) - lines_added, int(match.group(3))
            if line < 1:
                return match.group(0)
            starts = [0] + [m.end() for m in re.finditer("\n", self.engine_text)]
            if line > len(starts):
                return match.group(0)
            offset = self.original_offset(starts[line - 1] + column - 1)
            new_line, new_column = position(self.text, offset)
            return f"{match.group(1)}{new_line}:{new_column}"

        return _POSITION.sub(move, message, count=1)


_POSITION = re.compile(r"(\bat )(\d+):(\d+)")
