"""The distinct-request mix: every request text of a run is new, as researchers and crawlers send them.

The cached mix of :mod:`benchmarks.queries` repeats a few dozen texts, which zkg's answer
cache, response cache and ETags then answer from memory; the figures of this mix are the
ones to quote. Each kind's texts are a function of their position ``m`` and of the data's
counts (companies, people, sub-parks), so a longer list starts with the shorter one
(the harness lengthens a list when a fast server would use it up):

============  ==========================================================================
kind          what varies from one text to the next
============  ==========================================================================
point         the entity: every company, person, membership, observation, deal and event
describe      the entity, as for point
two_hop       the sub-park, and the page of its people (ORDER BY, OFFSET, LIMIT)
aggregate     the indicator, the range of years, and a lower bound on the value
label_search  the word: pieces of the generated names, pairs of them, company numbers
optional      the kind of organisation, and the page (ORDER BY, OFFSET, LIMIT)
page_cold     the entity (every entity's page, each built afresh)
data          the entity and the format (Turtle, JSON-LD, RDF/XML, N-Triples, TriG, N-Quads)
search        the word, as for label_search, with the Chinese names' words besides
============  ==========================================================================

Past the base variety (for point and describe: every entity once), a text takes a
modifier that changes no answer: a LIMIT far above the rows a point lookup has
(``LIMIT 1001``, ``LIMIT 1002``, …); for search, ``&limit=``. Page lists have no such
modifier: a run that sends more pages than there are entities stops at the list's end.

>>> counts = {"companies": 537, "people": 1074, "sub_parks": 5}
>>> all(len(set(texts(kind, "http://x/", counts, 5000))) == 5000 for kind in SPARQL_KINDS)
True
>>> texts("point", "http://x/", counts, 1)[0].endswith("SELECT ?p ?o WHERE { <http://x/id/company-0> ?p ?o }")
True
"""

from __future__ import annotations

from itertools import zip_longest
from math import gcd
from urllib.parse import quote, urlencode

from benchmarks.generate import (
    CORES,
    CORES_ZH,
    FIELDS,
    FIELDS_ZH,
    GIVEN,
    INDICATORS,
    KINDS,
    ROLE_TITLES,
    SERIES,
    SUFFIXES,
    SURNAMES,
    WORDS,
    YEARS,
)
from benchmarks.queries import GRAPH_ACCEPT, PROLOGUE, SELECT_ACCEPT, SPARQL_KINDS, Request  # noqa: F401 (doctest)

#: Kinds of zkg's own routes in this mix (no warm ``page``: a page primed first is the cached mix's).
ZKG_KINDS = ("page_cold", "data", "search")
#: The fewest distinct texts each kind has at 100k triples and more (tests/benchmarks check it).
AT_LEAST = 5000
DATA_FORMATS = ("ttl", "jsonld", "rdf", "nt", "trig", "nq")
DATA_ACCEPT = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
    "trig": "application/trig",
    "nq": "application/n-quads",
}


def _spread(n: int, step: int = 7919) -> list[int]:
    """0..n-1 in a scattered order (neighbours in the list are far apart in the data).

    >>> sorted(_spread(10)) == list(range(10))
    True
    """
    if n <= 0:
        return []
    step = step if gcd(step, n) == 1 else 1
    return [(i * step) % n for i in range(n)]


def _interleave(*groups: list) -> list:
    """One item of each group in turn, so any prefix of the list mixes them all.

    >>> _interleave([1, 2, 3], ["a"])
    [1, 'a', 2, 3]
    """
    return [item for row in zip_longest(*groups) for item in row if item is not None]


def entities(counts: dict) -> list[str]:
    """The local names (``company-3``) of the generated entities, kinds interleaved."""
    companies, people = counts["companies"], counts.get("people", 2 * counts["companies"])
    observations = [
        f"obs-{slug}-{i}-{year}"
        for i in range(companies)
        for year in YEARS
        for slug, _unit, _label in (INDICATORS[:2] if year % 2 else INDICATORS)
    ]
    deals = [f"deal-{i}" for i in range(companies) if i % 3 == 2]
    events = [f"event-{i}" for i in range(companies) if i % 10 == 9]
    return _interleave(
        [f"company-{i}" for i in _spread(companies)],
        [f"person-{j}" for j in _spread(people)],
        [f"membership-{j}" for j in _spread(people)],
        [observations[k] for k in _spread(len(observations))],
        [deals[k] for k in _spread(len(deals))],
        [events[k] for k in _spread(len(events))],
    )


def words(counts: dict, *, chinese: bool = False) -> list[str]:
    """Search words: pieces (3 letters or more) of the generated names' words, pairs of them,
    company numbers alone and with a year (as observation labels end), lower case."""
    vocabulary = {w.lower() for w in (*CORES, *FIELDS, *SURNAMES, *GIVEN, *WORDS, *SUFFIXES)}
    vocabulary |= {w.lower() for text in (*SERIES, *ROLE_TITLES.values()) for w in text.split()}
    pieces = sorted({w[a:b] for w in vocabulary for a in range(len(w)) for b in range(a + 3, len(w) + 1)} - {"", "of"})
    pairs = [f"{c} {f}".lower() for c in CORES for f in FIELDS]
    pairs += [f"{f} {s}".lower() for f in FIELDS for s in SUFFIXES]
    companies = counts["companies"]
    numbers = [f" {i}" for i in _spread(companies)]
    dated = [f"{i}, {year}" for i in _spread(companies) for year in YEARS]
    groups = [pieces, pairs, numbers, [dated[k] for k in _spread(len(dated))]]
    if chinese:
        groups.append([c + f for c in CORES_ZH for f in FIELDS_ZH] + list(CORES_ZH) + list(FIELDS_ZH))
    return list(dict.fromkeys(_interleave(*groups)))


def _paged(m: int, groups: int, span: int) -> tuple[int, int, int]:
    """(group, offset, limit) of text ``m``: every group in turn, offsets within ``span``, then
    a larger limit; no two ``m`` give the same triple."""
    group, n = m % groups, m // groups
    return group, n % span, 20 + n // span


def texts(kind: str, base: str, counts: dict, count: int) -> list[str]:
    """``count`` distinct SPARQL texts of ``kind`` (with their prologue)."""
    prologue = PROLOGUE.format(base=base)
    companies, parks = max(1, counts["companies"]), max(1, counts["sub_parks"])
    out: list[str] = []
    if kind in ("point", "describe"):
        names = entities(counts)
        for m in range(count):
            entity, extra = f"<{base}id/{names[m % len(names)]}>", m // len(names)
            if kind == "point":
                text = f"SELECT ?p ?o WHERE {{ {entity} ?p ?o }}" + (f" LIMIT {1000 + extra}" if extra else "")
            else:
                text = f"DESCRIBE {entity}" + (f" LIMIT {1000 + extra}" if extra else "")
            out.append(text)
    elif kind == "two_hop":
        span = max(1, 2 * companies // parks)  # about the rows of one sub-park: two people a company
        for m in range(count):
            park, offset, limit = _paged(m, parks, span)
            out.append(
                f"SELECT ?company ?name ?person ?pname WHERE {{ ?company schema:location <{base}id/sub-park-{park}-area> ; "
                f"schema:name ?name . ?person schema:worksFor ?company ; schema:name ?pname }} "
                f"ORDER BY ?pname ?person LIMIT {limit} OFFSET {offset}"
            )
    elif kind == "aggregate":
        ranges = [(a, b) for a in YEARS for b in YEARS if a <= b]
        for m in range(count):
            slug = INDICATORS[m % len(INDICATORS)][0]
            first, last = ranges[(m // len(INDICATORS)) % len(ranges)]
            floor = m // (len(INDICATORS) * len(ranges))
            out.append(
                f"SELECT ?year (COUNT(?obs) AS ?n) (SUM(?value) AS ?total) WHERE {{ ?obs zkg:indicator <{base}code/indicator/{slug}> ; "
                f'sdmx-dimension:refPeriod ?year ; sdmx-measure:obsValue ?value FILTER(STR(?year) >= "{first}" && '
                f'STR(?year) <= "{last}" && ?value >= {floor}) }} GROUP BY ?year ORDER BY ?year'
            )
    elif kind == "label_search":
        found = words(counts)
        for m in range(count):
            word, extra = found[m % len(found)], m // len(found)
            out.append(
                f"SELECT ?s ?label WHERE {{ ?s rdfs:label ?label FILTER(CONTAINS(LCASE(STR(?label)), {_literal(word)})) }} "
                f"LIMIT {20 + extra}"
            )
    elif kind == "optional":
        kinds = list(dict.fromkeys(KINDS))
        span = max(1, companies // 6)  # about the companies of the rarest kind
        for m in range(count):
            which, offset, limit = _paged(m, len(kinds), span)
            out.append(
                f"SELECT ?company ?name ?founded WHERE {{ ?company zkg:organizationKind <{base}code/org-kind/{kinds[which]}> ; "
                f"schema:name ?name OPTIONAL {{ ?company schema:foundingDate ?founded }} }} "
                f"ORDER BY DESC(?founded) ?name ?company LIMIT {limit} OFFSET {offset}"
            )
    else:
        raise ValueError(f"not a SPARQL kind: {kind}")
    return [prologue + text for text in out]


def _literal(word: str) -> str:
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sparql_requests(kind: str, base: str, path: str, counts: dict, count: int) -> list[Request]:
    """``count`` GET requests of the SPARQL 1.1 Protocol for ``kind`` at endpoint ``path``."""
    accept = GRAPH_ACCEPT if kind == "describe" else SELECT_ACCEPT
    return [Request(f"{path}?{urlencode({'query': text})}", accept) for text in texts(kind, base, counts, count)]


def zkg_requests(kind: str, counts: dict, count: int) -> list[Request]:
    """Up to ``count`` distinct requests for zkg's own routes (pages: at most one per entity).

    >>> counts = {"companies": 537, "people": 1074, "sub_parks": 5}
    >>> [len(set(zkg_requests(k, counts, 5000))) for k in ZKG_KINDS]
    [5000, 5000, 5000]
    """
    if kind == "page_cold":
        return [Request(f"/page/id/{name}", "text/html") for name in entities(counts)[:count]]
    if kind == "data":
        names = entities(counts)
        out = []
        for m in range(min(count, len(names) * len(DATA_FORMATS))):
            place, turn = m % len(names), m // len(names)
            extension = DATA_FORMATS[(place + turn) % len(DATA_FORMATS)]  # a format for each entity in turn
            name = names[place]
            out.append(Request(f"/data/id/{name}.{extension}", DATA_ACCEPT[extension]))
        return out
    if kind == "search":
        found = words(counts, chinese=True)
        out = []
        for m in range(count):
            word, extra = found[m % len(found)], m // len(found)
            out.append(
                Request(
                    f"/search?q={quote(word.strip())}&format=json" + (f"&limit={extra}" if extra else ""),
                    "application/json",
                )
            )
        return out
    raise ValueError(f"not a zkg kind of the distinct mix: {kind}")
