"""The cached mix: SPARQL queries every server answers, and the pages only zkg serves.

Each kind is a short list of requests (at most 64 texts; 16 pages and documents, primed
first) that the load generator sends over and over, so zkg's answer cache, response cache
and front cache answer most of them: the harness reports this mix second, labelled "cached
(repeated requests)"; its headline is the distinct mix of :mod:`benchmarks.distinct`, which
shares this module's prologue and :class:`Request`. All SPARQL texts declare their prefixes
(the peers do not predeclare zkg's) and read the union of all graphs as the default graph,
which each server is configured to give.

============  ==========================================================================
kind          what it asks
============  ==========================================================================
point         every statement about one company (``SELECT ?p ?o { <company> ?p ?o }``)
two_hop       the companies located in one sub-park and the people working for them
aggregate     per year: how many observations of one indicator, and their total (GROUP BY)
label_search  labels containing a word, case-insensitively (FILTER CONTAINS over all labels)
optional      the newest companies of one kind, founding date OPTIONAL, ORDER BY + LIMIT 20
describe      ``DESCRIBE <company>``
page          zkg only: the pages of 16 companies, primed first: served from zkg's response
              cache, which is kept per dataset version
page_cold     zkg only: pages of up to 4096 companies, cycled (537 at 100k: later turns are warm)
data          zkg only: the Turtle data documents of 16 companies, primed first
search        zkg only: ``/search?q=word&format=json`` (zkg's label index)
============  ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from benchmarks.generate import CORES, FIELDS, INDICATORS, KINDS

PROLOGUE = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX zkg: <{base}def/>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
"""

SPARQL_KINDS = ("point", "two_hop", "aggregate", "label_search", "optional", "describe")
ZKG_ONLY_KINDS = ("page", "page_cold", "data", "search")
#: The heavy queries: where the engine does the work, zkg's overhead should vanish.
HEAVY_KINDS = ("two_hop", "aggregate", "label_search")

SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"


@dataclass(frozen=True)
class Request:
    """One HTTP GET: the path with its query string, and the Accept header."""

    path: str
    accept: str


def sparql_texts(kind: str, base: str, *, companies: int, sub_parks: int, variants: int = 64) -> list[str]:
    """The SPARQL texts of one kind of query (up to ``variants`` of them)."""
    prologue = PROLOGUE.format(base=base)
    company = [f"<{base}id/company-{(i * 7919) % max(1, companies)}>" for i in range(variants)]
    if kind == "point":
        texts = [f"SELECT ?p ?o WHERE {{ {c} ?p ?o }}" for c in company]
    elif kind == "describe":
        texts = [f"DESCRIBE {c}" for c in company]
    elif kind == "two_hop":
        texts = [
            f"SELECT ?company ?name ?person ?pname WHERE {{ ?company schema:location <{base}id/sub-park-{k}-area> ; "
            f"schema:name ?name . ?person schema:worksFor ?company ; schema:name ?pname }}"
            for k in range(min(variants, sub_parks))
        ]
    elif kind == "aggregate":
        texts = [
            f"SELECT ?year (COUNT(?obs) AS ?n) (SUM(?value) AS ?total) WHERE {{ ?obs zkg:indicator <{base}code/indicator/{slug}> ; "
            f"sdmx-dimension:refPeriod ?year ; sdmx-measure:obsValue ?value }} GROUP BY ?year ORDER BY ?year"
            for slug, _unit, _label in INDICATORS
        ]
    elif kind == "label_search":
        words = [w.lower() for w in CORES[:8] + FIELDS[:8]]
        texts = [
            f'SELECT ?s ?label WHERE {{ ?s rdfs:label ?label FILTER(CONTAINS(LCASE(STR(?label)), "{w}")) }} LIMIT 20'
            for w in words
        ]
    elif kind == "optional":
        texts = [
            f"SELECT ?company ?name ?founded WHERE {{ ?company zkg:organizationKind <{base}code/org-kind/{k}> ; "
            f"schema:name ?name OPTIONAL {{ ?company schema:foundingDate ?founded }} }} "
            f"ORDER BY DESC(?founded) ?name LIMIT 20"
            for k in dict.fromkeys(KINDS)
        ]
    else:
        raise ValueError(f"not a SPARQL kind: {kind}")
    return [prologue + text for text in texts]


def sparql_requests(kind: str, base: str, path: str, *, companies: int, sub_parks: int) -> list[Request]:
    """GET requests of the SPARQL 1.1 Protocol for ``kind`` at endpoint ``path``."""
    accept = GRAPH_ACCEPT if kind == "describe" else SELECT_ACCEPT
    return [
        Request(f"{path}?{urlencode({'query': text})}", accept)
        for text in sparql_texts(kind, base, companies=companies, sub_parks=sub_parks)
    ]


def zkg_requests(kind: str, *, companies: int, variants: int = 64) -> list[Request]:
    """Requests for zkg's own pages: entity page, data document, label search."""
    ids = [(i * 7919) % max(1, companies) for i in range(variants)]
    if kind in ("page", "data"):
        ids = ids[:16]  # primed first (every worker builds each once), then served warm
    if kind == "page":
        return [Request(f"/page/id/company-{i}", "text/html") for i in ids]
    if kind == "page_cold":
        count = min(4096, max(1, companies))
        return [Request(f"/page/id/company-{(i * 7919) % companies}", "text/html") for i in range(count)]
    if kind == "data":
        return [Request(f"/data/id/company-{i}.ttl", "text/turtle") for i in ids]
    if kind == "search":
        words = [w.lower() for w in CORES[:8] + FIELDS[:8]]
        return [Request(f"/search?q={quote(w)}&format=json", "application/json") for w in words]
    raise ValueError(f"not a zkg page kind: {kind}")
