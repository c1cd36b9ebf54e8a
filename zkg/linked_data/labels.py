"""Which label a person sees for a resource, in which language.

A resource may have labels under several properties and in several languages. The choice
is: the wanted languages in order of preference (a tag matches its subtags: ``zh`` matches
``zh-Hans``), then English (the language the sources are in), then labels without a
language, then any language; within a language,
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

import re
from typing import Iterable, Sequence
from urllib.parse import unquote

import pyoxigraph as ox

from zkg.rdf.namespaces import RDFS, SCHEMA, SH, SKOS

SKOS_PREF_LABEL = SKOS + "prefLabel"
SKOS_ALT_LABEL = SKOS + "altLabel"
RDFS_LABEL = RDFS + "label"
SCHEMA_NAME = SCHEMA + "name"
SCHEMA_ALTERNATE_NAME = SCHEMA + "alternateName"
SHACL_NAME = SH + "name"

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
    if language_matches(tag, FALLBACK_LANGUAGE):
        return len(languages)  # English: the language of the sources
    if not tag:
        return len(languages) + 1  # no language: better than a language nobody asked for
    return len(languages) + 2


# -- the reader's languages ---------------------------------------------------------------

#: A language tag as BCP 47 writes it (RFC 5646, simplified: primary language, then subtags).
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
#: How many languages a request may name (more are ignored).
MAX_LANGUAGES = 6


def is_language_tag(text: str) -> bool:
    """Whether ``text`` is a well-formed language tag (``en``, ``zh-Hans``, ``zh-Hans-CN``).

    >>> is_language_tag("zh-Hans"), is_language_tag("en_GB"), is_language_tag("*")
    (True, False, False)
    """
    return bool(_LANGUAGE_TAG.match(text))


def parse_accept_language(header: str | None) -> list[str]:
    """The languages of an ``Accept-Language`` header (RFC 9110, section 12.5.4), best first:
    by q-value, ties in the header's order; ``q=0`` and malformed elements left out, and
    ``*`` too (any language: the fallback does that). Tags are lower-cased.

    >>> parse_accept_language("en;q=0.5, zh-CN, fr;q=0, *;q=0.1, de;q=0.5")
    ['zh-cn', 'en', 'de']
    >>> parse_accept_language(None), parse_accept_language("x;q=2, ;;")
    ([], [])
    """
    found: list[tuple[float, int, str]] = []
    for index, element in enumerate((header or "").split(",")):
        tag, _, params = element.strip().partition(";")
        tag, q = tag.strip(), 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if tag == "*" or not is_language_tag(tag) or not 0 < q <= 1:
            continue
        found.append((-q, index, tag.lower()))
    return list(dict.fromkeys(tag for _q, _i, tag in sorted(found)))


def preferred_languages(accept_language: str | None = None, override: str | None = None) -> list[str]:
    """The label languages of a request: the ``lang=`` override (one tag or a comma-separated
    list) when it is given and well-formed, else ``Accept-Language``; each tag followed by
    its primary language (``zh-CN`` → ``zh-cn, zh``: Chinese labels are tagged ``zh-Hans``).
    Nothing usable gives English. The fallback after these (English, then labels without a
    language, then any) is :func:`choose_label`'s.

    >>> preferred_languages("zh-CN,zh;q=0.9,en;q=0.8")
    ['zh-cn', 'zh', 'en']
    >>> preferred_languages("en", override="zh-Hans")
    ['zh-hans', 'zh']
    >>> preferred_languages("de", override="not a tag!"), preferred_languages(None)
    (['de'], ['en'])
    """
    wanted: list[str] = []
    if override:
        tags = [t.strip() for t in override.split(",") if t.strip()]
        if tags and all(is_language_tag(t) for t in tags):
            wanted = [t.lower() for t in tags]
    if not wanted:
        wanted = parse_accept_language(accept_language)
    expanded: list[str] = []
    for tag in wanted:
        if len(expanded) >= MAX_LANGUAGES:  # (a header of thousands of tags: no quadratic work)
            break
        for each in (tag, tag.split("-")[0]):
            if each not in expanded:
                expanded.append(each)
    return expanded[:MAX_LANGUAGES] or list(DEFAULT_LANGUAGES)


def label_rank(prop: str, literal: ox.Literal, languages: Sequence[str] = DEFAULT_LANGUAGES) -> tuple:
    """Sort key of one candidate label: smaller is better."""
    try:
        by_property = LABEL_PROPERTIES.index(prop)
    except ValueError:
        by_property = len(LABEL_PROPERTIES)
    return (_language_rank(literal.language, languages), by_property, literal.value)


def choose_label(
    candidates: Iterable[tuple[str, ox.Literal]], languages: Sequence[str] = DEFAULT_LANGUAGES
) -> str | None:
    """The best of ``(property IRI, literal)`` candidates, or None when there are none."""
    best = min(
        ((label_rank(p, lit, languages), lit) for p, lit in candidates if isinstance(lit, ox.Literal)),
        default=None,
        key=lambda pair: pair[0],
    )
    return None if best is None else best[1].value


def choose_literal(literals: Iterable[ox.Literal], languages: Sequence[str] = DEFAULT_LANGUAGES) -> ox.Literal | None:
    """The literal (a description, a comment) in the best language, alphabetical on ties."""
    return min(
        (lit for lit in literals if isinstance(lit, ox.Literal)),
        key=lambda lit: (_language_rank(lit.language, languages), lit.value),
        default=None,
    )


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
    # FILTER IN, not a second VALUES: with VALUES ?p the engine reads every statement of
    # each label property (the cost grew with the graph); this way only each ?r's own.
    properties = ", ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    for start in range(0, len(wanted), _VALUES_CHUNK):
        values = " ".join(str(ox.NamedNode(iri)) for iri in wanted[start : start + _VALUES_CHUNK])
        query = (
            f"SELECT DISTINCT ?r ?p ?l WHERE {{ VALUES ?r {{ {values} }} ?r ?p ?l "
            f"FILTER(?p IN ({properties}) && isLiteral(?l)) }}"
        )
        for row in store.query(query, trusted=True):
            found.setdefault(row["r"].value, []).append((row["p"].value, row["l"]))
    return found


def labels_for(store, iris: Iterable[str], languages: Sequence[str] = DEFAULT_LANGUAGES) -> dict[str, str]:
    """A display label for every IRI given (its fallback label when it has none).

    >>> from zkg.store.local import Store
    >>> s = Store.open(base_iri="http://zkg.test/")
    >>> s.update('INSERT DATA { GRAPH graph:g { id:a rdfs:label "A"@en ; skos:prefLabel "甲"@zh } }')
    >>> labels_for(s, ["http://zkg.test/id/a", "http://zkg.test/id/b"], ["zh"])
    {'http://zkg.test/id/a': '甲', 'http://zkg.test/id/b': 'b'}
    """
    iris = list(iris)
    candidates = fetch_label_candidates(store, iris)
    return {iri: choose_label(candidates.get(iri, ()), languages) or fallback_label(iri) for iri in iris}
