"""The namespace prefixes zkg declares everywhere: in queries, exports, tables and pages.

The project's own namespaces hang off the configured base IRI (decision 5 of DESIGN.md):
``zkg:`` the vocabulary, ``id:`` the entities, ``graph:`` the named graphs, and one prefix
per code list (``role:``, ``kind:``, ``category:``, ``indicator:``, ``unit:``,
``transformation:``).

>>> p = prefixes("http://zkg.test/")
>>> p["id"], p["schema"]
('http://zkg.test/id/', 'https://schema.org/')
>>> compact("http://zkg.test/id/luo-wei", p)
'id:luo-wei'
>>> compact("http://example.org/x", p)
'<http://example.org/x>'
"""

from __future__ import annotations

import re

from zkg.rdf.namespaces import STANDARD

# Standard vocabularies, in the order they are declared (zkg.rdf.namespaces).
STANDARD_PREFIXES: dict[str, str] = dict(STANDARD)

# Paths under the base IRI of the project's own namespaces.
VOCABULARY_PATH = "def/"
ENTITY_PATH = "id/"
GRAPH_PATH = "graph/"

# The SKOS code lists (ontology/codes.ttl, ontology/statistics.ttl), each under code/<scheme>/:
# predeclared so that queries can say role:head rather than <{base}code/role/head>.
CODE_LIST_PREFIXES: dict[str, str] = {
    "kind": "code/org-kind/",
    "role": "code/role/",
    "category": "code/distinction-category/",
    "indicator": "code/indicator/",
    "unit": "code/unit/",
    "transformation": "code/transformation/",
}


def prefixes(base_iri: str) -> dict[str, str]:
    """All prefixes for a deployment at ``base_iri`` (a new dict each call)."""
    result = dict(STANDARD_PREFIXES)
    result["zkg"] = base_iri + VOCABULARY_PATH
    result["id"] = base_iri + ENTITY_PATH
    result["graph"] = base_iri + GRAPH_PATH
    for name, path in CODE_LIST_PREFIXES.items():
        result[name] = base_iri + path
    return result


def graph_iri(base_iri: str, name: str) -> str:
    """The IRI of the project's named graph ``name`` (e.g. ``vocabulary``, ``shapes``).

    >>> graph_iri("http://zkg.test/", "shapes")
    'http://zkg.test/graph/shapes'
    """
    return base_iri + GRAPH_PATH + name


def sparql_prologue(prefix_map: dict[str, str]) -> str:
    """PREFIX declarations for a query text, one a line.

    >>> print(sparql_prologue({"ex": "http://example.org/"}))
    PREFIX ex: <http://example.org/>
    """
    return "\n".join(f"PREFIX {name}: <{iri}>" for name, iri in prefix_map.items())


# A local name that can be written after "prefix:" without escapes: the safe subset of
# Turtle/SPARQL PN_LOCAL (letters, digits, '_', '-', inner '.'; not ending with '.').
_SAFE_LOCAL = re.compile(r"^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?$")


def compact(iri: str, prefix_map: dict[str, str]) -> str:
    """``prefix:local`` for ``iri`` when a prefix matches and the rest is a plain local name,
    else ``<iri>``. The longest matching namespace wins.

    >>> compact("http://zkg.test/id/a/b", prefixes("http://zkg.test/"))
    '<http://zkg.test/id/a/b>'
    """
    best = None
    for name, namespace in prefix_map.items():
        if iri.startswith(namespace) and (best is None or len(namespace) > len(prefix_map[best])):
            local = iri[len(namespace) :]
            if _SAFE_LOCAL.match(local):
                best = name
    if best is None:
        return f"<{iri}>"
    return f"{best}:{iri[len(prefix_map[best]) :]}"
