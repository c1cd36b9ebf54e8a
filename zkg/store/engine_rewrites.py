"""How zkg's query texts and an engine's answers are rewritten for an engine that reads or
writes them otherwise: each a profile's choice (:mod:`zkg.store.engine_profiles`), each the
same meaning in the other's words.

- :class:`WithoutScheme`: a SPARQL JSON answer read with the engine's prefix taken off each
  blank node's label (Virtuoso's ``nodeID://b1`` is ``b1``), as it arrives;
- :func:`constant_binds_as_values`: ``BIND(constant AS ?v)`` as ``VALUES ?v { constant }``;
- :func:`same_term_literals_by_parts`: ``sameTerm(?v, literal)`` as the literal's parts compared.
"""

from __future__ import annotations

import io
import re
from typing import IO, Callable

from zkg.rdf import sparql_scan
from zkg.rdf.sparql_lexer import Token


class WithoutScheme(io.RawIOBase):
    """A SPARQL JSON results stream with ``scheme`` taken off each blank node's value, read as
    it arrives (a value split between two reads is held back until it is whole)."""

    def __init__(self, raw: IO[bytes], scheme: bytes):
        self.raw = raw
        self.pattern = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")' + re.escape(scheme))
        self.pending = b""  # filtered, not yet handed out
        self.carry = b""  # read, not yet filtered (may hold the start of a match)
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self.pending and not self.ended:
            chunk = self.raw.read(65536)
            if not chunk:
                self.ended = True
                self.pending, self.carry = self.pattern.sub(rb"\1", self.carry), b""
                break
            text = self.pattern.sub(rb"\1", self.carry + chunk)
            keep = min(len(text), _LONGEST_MATCH)
            self.pending, self.carry = text[: len(text) - keep], text[len(text) - keep :]
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count


#: Longer than any match of WithoutScheme's pattern (Virtuoso writes it with single spaces).
_LONGEST_MATCH = 128


def constant_binds_as_values(text: str) -> str:
    """``text`` with each ``BIND(constant AS ?v)`` written ``VALUES ?v { constant }``: in a
    group, both join the group with the one solution binding ``?v`` to the constant (a BIND
    of a variable already bound is an error either way; the guard refuses it before).

    >>> constant_binds_as_values('SELECT * { ?s ?p ?o BIND(1 AS ?d) BIND("a"@en AS ?x) BIND(?s AS ?t) }')
    'SELECT * { ?s ?p ?o VALUES ?d { 1 } VALUES ?x { "a"@en } BIND(?s AS ?t) }'
    >>> constant_binds_as_values('SELECT * { BIND("1"^^xsd:int AS ?y) BIND(<p> AS ?p) }')
    'SELECT * { VALUES ?y { "1"^^xsd:int } VALUES ?p { <p> } }'
    """
    return _calls_rewritten(text, "BIND", _bind_as_values)


def _calls_rewritten(text: str, keyword: str, rewrite: Callable[[str, list[Token]], str | None]) -> str:
    """``text`` with each call ``keyword( … )`` replaced by what ``rewrite(text, arguments)``
    makes of its argument tokens (None: left as it is). Stops at a call not closed."""
    items = list(sparql_scan.tokens(text))
    edits: list[tuple[int, int, str]] = []
    for index, token in enumerate(items):
        if token.keyword != keyword or index + 1 >= len(items) or items[index + 1].text != "(":
            continue
        closing = sparql_scan.closing_index(items, index + 1)
        if closing is None:
            break
        new = rewrite(text, items[index + 2 : closing])
        if new is not None:
            edits.append((token.start, items[closing].start + 1, new))
    for start, end, new in reversed(edits):
        text = text[:start] + new + text[end:]
    return text


def _bind_as_values(text: str, inside: list[Token]) -> str | None:
    """``VALUES ?v { constant }`` for the arguments ``constant AS ?v`` (else None)."""
    if len(inside) < 3 or inside[-2].keyword != "AS" or inside[-1].kind != "var":
        return None
    constant = inside[:-2]
    kinds = [t.kind if t.kind != "punct" else t.text for t in constant]
    if kinds not in (["iri"], ["pname"], ["number"], ["string"], ["string", "langtag"]) and kinds not in (
        ["string", "^^", "iri"],
        ["string", "^^", "pname"],
    ):
        return None
    value = text[constant[0].start : constant[-1].start + len(constant[-1].text)]
    return f"VALUES {inside[-1].text} {{ {value} }}"


def same_term_literals_by_parts(text: str) -> str:
    """``text`` with each ``sameTerm(?v, literal)`` written as the literal's parts compared,
    and each ``sameTerm(?v, <iri>)`` as ``?v = <iri>`` (Virtuoso 7.2.5 got a negated
    conjunction of sameTerm tests wrong).

    >>> print(same_term_literals_by_parts('FILTER(sameTerm(?x, "a") || sameTerm(?y, "b"@en) || sameTerm(?z, <i>))'))
    FILTER((isLiteral(?x) && STR(?x) = "a" && LANG(?x) = "" && DATATYPE(?x) = <http://www.w3.org/2001/XMLSchema#string>) || (isLiteral(?y) && STR(?y) = "b" && LCASE(LANG(?y)) = "en") || (?z = <i>))
    >>> print(same_term_literals_by_parts('sameTerm(?v, "7"^^<http://www.w3.org/2001/XMLSchema#integer>)'))
    (isLiteral(?v) && STR(?v) = "7" && LANG(?v) = "" && DATATYPE(?v) = <http://www.w3.org/2001/XMLSchema#integer>)
    """
    return _calls_rewritten(text, "SAMETERM", _same_term_by_parts)


def _same_term_by_parts(text: str, inside: list[Token]) -> str | None:
    """The test for the arguments ``?v, literal`` (or ``?v, <iri>``), else None."""
    if len(inside) < 3 or inside[0].kind != "var" or inside[1].text != ",":
        return None
    variable, literal = inside[0].text, inside[2:]
    if len(literal) == 1 and literal[0].kind == "iri":
        # An IRI is equal to nothing but itself (and never a type error): the same test.
        return f"({variable} = {literal[0].text})"
    if literal[0].kind != "string":
        return None
    kinds = [t.kind if t.kind != "punct" else t.text for t in literal]
    parts = [f"isLiteral({variable})", f"STR({variable}) = {literal[0].text}"]
    if kinds == ["string"]:
        parts += [f'LANG({variable}) = ""', f"DATATYPE({variable}) = <{XSD_STRING}>"]
    elif kinds == ["string", "langtag"]:
        # (Case aside: Virtuoso gives tags in lower case, and RDF compares them so.)
        parts.append(f'LCASE(LANG({variable})) = "{literal[1].text[1:].lower()}"')
    elif kinds == ["string", "^^", "iri"]:
        parts += [f'LANG({variable}) = ""', f"DATATYPE({variable}) = {literal[2].text}"]
    else:
        return None
    return "(" + " && ".join(parts) + ")"


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
