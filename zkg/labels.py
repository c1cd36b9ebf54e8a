"""Which label a person sees for a resource, in which language.

A resource may have labels under several properties and in several languages. The choice
is: the wanted languages in order of preference (a tag matches its subtags: ``zh`` matches
``zh-Hans``), then labels without a language, then English (the language the sources are
in), then any language; within a language,
``skos:prefLabel`` before ``rdfs:label`` before ``schema:name``. Ties break alphabetically, so
the choice never depends on the order a store returns rows in.

>>> import pyoxigraph as ox
>>> found = [(RDFS_LABEL, ox.Literal("Zhongguancun Science Park", language="en")),
...          (SKOS_PREF_LABEL, ox.Literal("中关村科技园区", language="zh-Hans"))]
>>> choose_label(found, ["en"]), choose_label(found, ["zh"]), choose_label(found, ["fr"])
('Zhongguancun Science Park', '中关村科技园区', 'Zhongguancun Science Park')
>>> fallback_label("http://zkg.test/def/shapes/PersonShape")
'PersonShape'
"""

from __future__ import annotations

from typing import Iterable, Sequence
from urllib.parse import unquote

import pyoxigraph as ox

SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SCHEMA_NAME = "https://schema.org/name"
SCHEMA_ALTERNATE_NAME = "https://schema.org/alternateName"
SHACL_NAME = "http://www.w3.org/ns/shacl#name"

#: The properties a display label is taken from, best first.
LABEL_PROPERTIES: tuple[str, ...] = (SKOS_PREF_LABEL, RDFS_LABEL, SCHEMA_NAME)
#: Other names a resource is known by: searched, and shown as "also known as".
ALTERNATIVE_LABEL_PROPERTIES: tuple[str, ...] = (SKOS_ALT_LABEL, SCHEMA_ALTERNATE_NAME)

DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)
#: Asked or not, English comes before other languages nobody asked for.
FALLBACK_LANGUAGE = "en"


def language_matches(tag: str | None, wanted: str) -> bool:
    """RFC 4647 basic filtering: ``wanted`` matches ``tag`` itself and its subtags.

    >>> language_matches("zh-Hans", "zh"), language_matches("zh", "zh-Hans"), language_matches("EN", "en")
    (True, False, True)
    """
    if not tag:
        return False
    tag, wanted = tag.lower(), wanted.lower()
    return tag == wanted or tag.startswith(wanted + "-")


def _language_rank(tag: str | None, languages: Sequence[str]) -> int:
    for position, wanted in enumerate(languages):
        if language_matches(tag, wanted):
            return position
    if not tag:
        return len(languages)  # no language: better than a language nobody asked for
    if language_matches(tag, FALLBACK_LANGUAGE):
        return len(languages) + 1
    return len(languages) + 2


def label_rank(prop: str, literal: ox.Literal, languages: Sequence[str] = DEFAULT_LANGUAGES) -> tuple:
    """Sort key of one candidate label: smaller is better."""
    try:
        by_property = LABEL_PROPERTIES.index(prop)
    except ValueError:
        by_property = len(LABEL_PROPERTIES)
    return (_language_rank(literal.language, languages), by_property, literal.value)


def choose_label(candidates: Iterable[tuple[str, ox.Literal]], languages: Sequence[str] = DEFAULT_LANGUAGES) -> str | None:
    """The best of ``(property IRI, literal)`` candidates, or None when there are none."""
    best = min(((label_rank(p, lit, languages), lit) for p, lit in candidates if isinstance(lit, ox.Literal)),
               default=None, key=lambda pair: pair[0])
    return None if best is None else best[1].value


def choose_literal(literals: Iterable[ox.Literal], languages: Sequence[str] = DEFAULT_LANGUAGES) -> ox.Literal | None:
    """The literal (a description, a comment) in the best language, alphabetical on ties."""
    return min((lit for lit in literals if isinstance(lit, ox.Literal)),
               key=lambda lit: (_language_rank(lit.language, languages), lit.value), default=None)


def fallback_label(iri: str) -> str:
    """A readable stand-in for a resource without labels: its IRI's last segment, decoded."""
    trimmed = iri.rstrip("/#")
    for separator in ("#", "/"):
        if separator in trimmed:
            tail = trimmed.rsplit(separator, 1)[1]
            if tail:
                return unquote(tail)
    return iri


_VALUES_CHUNK = 500  # IRIs per VALUES block: keeps each query text small


def fetch_label_candidates(store, iris: Iterable[str]) -> dict[str, list[tuple[str, ox.Literal]]]:
    """For each IRI, its label candidates ``(property, literal)``: one query per 500 IRIs."""
    wanted = sorted(set(iris))
    found: dict[str, list[tuple[str, ox.Literal]]] = {}
    properties = " ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    for start in range(0, len(wanted), _VALUES_CHUNK):
        values = " ".join(str(ox.NamedNode(iri)) for iri in wanted[start:start + _VALUES_CHUNK])
        query = f"SELECT DISTINCT ?r ?p ?l WHERE {{ VALUES ?r {{ {values} }} VALUES ?p {{ {properties} }} ?r ?p ?l FILTER(isLiteral(?l)) }}"
        for row in store.query(query):
            found.setdefault(row["r"].value, []).append((row["p"].value, row["l"]))
    return found


def labels_for(store, iris: Iterable[str], languages: Sequence[str] = DEFAULT_LANGUAGES) -> dict[str, str]:
    """A display label for every IRI given (its fallback label when it has none).

    >>> from zkg.store import Store
    >>> s = Store.open(base_iri="http://zkg.test/")
    >>> s.update('INSERT DATA { GRAPH graph:g { id:a rdfs:label "A"@en ; skos:prefLabel "甲"@zh } }')
    >>> labels_for(s, ["http://zkg.test/id/a", "http://zkg.test/id/b"], ["zh"])
    {'http://zkg.test/id/a': '甲', 'http://zkg.test/id/b': 'b'}
    """
    iris = list(iris)
    candidates = fetch_label_candidates(store, iris)
    return {iri: choose_label(candidates.get(iri, ()), languages) or fallback_label(iri) for iri in iris}
