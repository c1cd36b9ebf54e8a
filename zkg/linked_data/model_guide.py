"""The model guide: what a researcher must know to query zkg, read from the store as loaded.

Built from three things and nothing else, so a curator's change to the vocabulary or the
shapes shows at once (the web keeps one guide per dataset version):

- the data: which classes have instances (under ``{base}id/``), which properties those
  instances have, how many have each, one real value of each, and which classes link to which;
- the SHACL shapes (graph ``graph:shapes``): for each class, the property shapes of the node
  shapes that target it or one of its super-classes (``rdfs:subClassOf*``): path, what the
  value must be (a class, a datatype, a named node shape such as "text"), cardinality, severity;
- the vocabulary (labels, comments, super-classes) and the code lists with their concepts.

A handful of queries whatever the size of the data: aggregates per class and property, not a
query per class. Flask-free: links are made by the web layer.

>>> from zkg.store.local import Store
>>> s = Store.open(base_iri="http://zkg.test/")
>>> s.update('INSERT DATA { GRAPH graph:g { id:a a schema:Person ; schema:name "A"@en . } }')
>>> guide = model_guide(s)
>>> [(c.iri.rsplit("/", 1)[-1], c.instances) for c in guide.classes]
[('Person', 1)]
>>> [(r.paths, r.used_by, r.example.value) for r in guide.classes[0].also_used]
[(['https://schema.org/name'], 1, 'A')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import pyoxigraph as ox

from zkg.linked_data.labels import (
    DEFAULT_LANGUAGES,
    choose_label,
    choose_literal,
    fallback_label,
    fetch_label_candidates,
)
from zkg.rdf.namespaces import QB, SCHEMA, SH, SKOS
from zkg.rdf.prefixes import graph_iri

#: Which namespace names a thing best, when an entity has types from several: the diagram
#: shows each entity under one class, the first of these its types are in.
NAMESPACE_PREFERENCE = (SCHEMA, "def/", QB, "http://www.w3.org/ns/org#", "http://www.w3.org/ns/prov#", SKOS)
SEVERITIES = {SH + "Violation": "Violation", SH + "Warning": "Warning", SH + "Info": "Info"}


@dataclass
class Expectation:
    """What a value must be: a class, a datatype, or a named node shape ("text", "a place")."""

    text: str
    iri: str | None = None  # a class or datatype, which has a page


@dataclass
class PropertyRow:
    """One property of a class: from a property shape, or only from the data ("also used")."""

    paths: list[str]  # one property, or the alternatives of an alternative path
    inverse: bool = False
    name: str | None = None  # the shape's sh:name
    expects: list[Expectation] = field(default_factory=list)
    min_count: int = 0
    max_count: int | None = None
    severity: str | None = None  # "Violation", "Warning", "Info"; None: no shape
    message: str | None = None
    used_by: int = 0  # instances of the class that have it
    example: ox.NamedNode | ox.Literal | None = None

    @property
    def cardinality(self) -> str:
        """``1``, ``0..1``, ``1..*``, ``0..*``: how many values an instance has.

        >>> PropertyRow(["p"], min_count=1, max_count=1).cardinality, PropertyRow(["p"]).cardinality
        ('1', '0..*')
        """
        if self.max_count is not None and self.min_count == self.max_count:
            return str(self.min_count)
        return f"{self.min_count}..{'*' if self.max_count is None else self.max_count}"

    @property
    def required(self) -> bool:
        return self.min_count > 0 and self.severity == "Violation"


@dataclass
class ClassGuide:
    iri: str
    instances: int
    super_classes: list[str] = field(default_factory=list)
    rows: list[PropertyRow] = field(default_factory=list)  # from the shapes
    also_used: list[PropertyRow] = field(default_factory=list)  # in the data, in no shape of the class


@dataclass
class PropertyUse:
    iri: str
    statements: int  # statements of entities under {base}id/ using it
    subjects: int


@dataclass
class Concept:
    iri: str
    notation: str | None


@dataclass
class CodeList:
    iri: str
    concepts: list[Concept]
    used_as: list[tuple[str, int]] = field(default_factory=list)  # (property, statements) its concepts are values of
    shapes: list[str] = field(default_factory=list)  # the shapes that name the list


@dataclass
class Link:
    """Instances of ``source`` point to instances of ``target`` by ``prop``, ``count`` times."""

    source: str
    prop: str
    target: str
    count: int


@dataclass
class ModelGuide:
    """The guide, the same in every language: :meth:`labels` and :meth:`comments` choose the
    reader's. One per dataset version (the web keeps it)."""

    classes: list[ClassGuide]
    properties: list[PropertyUse]
    code_lists: list[CodeList]
    links: list[Link]
    label_candidates: dict[str, list[tuple[str, ox.Literal]]]
    comment_literals: dict[str, list[ox.Literal]]

    def class_guide(self, iri: str) -> ClassGuide | None:
        return next((c for c in self.classes if c.iri == iri), None)

    def property_use(self, iri: str) -> PropertyUse | None:
        return next((p for p in self.properties if p.iri == iri), None)

    def code_list(self, iri: str) -> CodeList | None:
        return next((c for c in self.code_lists if c.iri == iri), None)

    def labels(self, languages: Sequence[str] = DEFAULT_LANGUAGES) -> dict[str, str]:
        """A label for every IRI the guide mentions (its fallback label if it has none)."""
        return {
            iri: choose_label(found, languages) or fallback_label(iri) for iri, found in self.label_candidates.items()
        }

    def comments(self, languages: Sequence[str] = DEFAULT_LANGUAGES) -> dict[str, str]:
        """What each IRI the guide mentions means, where the vocabulary says (rdfs:comment,
        skos:definition), in the reader's language if it can."""
        return chosen_comments(self.comment_literals, languages)


def _values(iris) -> str:
    return " ".join(str(ox.NamedNode(i)) for i in sorted(iris))


def _int(term) -> int:
    return int(term.value) if term is not None else 0


def model_guide(store) -> ModelGuide:
    """The guide to the model of ``store``'s data."""
    base = store.base_iri
    entities = base + "id/"
    counts = {
        row["c"].value: _int(row["n"])
        for row in store.query(
            f'SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?c FILTER(isIRI(?c) && STRSTARTS(STR(?s), "{entities}")) }} '
            "GROUP BY ?c"
        )
    }
    used: dict[tuple[str, str], PropertyRow] = {}
    for row in store.query(f"""
        SELECT ?c ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{
          ?s a ?c ; ?p ?o FILTER(isIRI(?c) && STRSTARTS(STR(?s), "{entities}") && ?p != rdf:type)
        }} GROUP BY ?c ?p"""):
        used[(row["c"].value, row["p"].value)] = PropertyRow([row["p"].value], used_by=_int(row["n"]))
    # One real value each, a blank node never (it has no text to show).
    for row in store.query(f"""
        SELECT ?c ?p (MIN(?o) AS ?example) WHERE {{
          ?s a ?c ; ?p ?o FILTER(isIRI(?c) && STRSTARTS(STR(?s), "{entities}") && ?p != rdf:type && !isBlank(?o))
        }} GROUP BY ?c ?p"""):
        if (row["c"].value, row["p"].value) in used:
            used[(row["c"].value, row["p"].value)].example = row["example"]
    supers: dict[str, set[str]] = {}
    # The path's start bound by a subquery first: Virtuoso 7.2.5 follows a path only from a
    # known end ("TR…: transitive start not given" else); the same pairs on every engine.
    for row in store.query(
        "SELECT ?c ?super WHERE { { SELECT DISTINCT ?c { ?c rdfs:subClassOf [] } } "
        "?c rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }"
    ):
        supers.setdefault(row["c"].value, set()).add(row["super"].value)
    by_target = shape_rows(store, base)
    classes = []
    for iri, instances in sorted(counts.items()):
        guide = ClassGuide(iri, instances, super_classes=sorted(supers.get(iri, ())))
        shaped: set[str] = set()
        for target in (iri, *sorted(supers.get(iri, ()))):
            for shape_row in by_target.get(target, ()):
                row = PropertyRow(**{**shape_row.__dict__, "expects": list(shape_row.expects)})
                first = row.paths[0] if len(row.paths) == 1 and not row.inverse else None
                if first is not None and (iri, first) in used:
                    row.used_by, row.example = used[(iri, first)].used_by, used[(iri, first)].example
                elif not row.inverse:
                    row.used_by = _any_of(store, iri, row.paths, entities) if len(row.paths) > 1 else 0
                shaped.update(row.paths)
                guide.rows.append(row)
        guide.rows.sort(key=lambda r: (not r.required, r.severity != "Violation", r.paths[0]))
        guide.also_used = sorted(
            (r for (c, p), r in used.items() if c == iri and p not in shaped), key=lambda r: (-r.used_by, r.paths[0])
        )
        classes.append(guide)
    properties = [
        PropertyUse(row["p"].value, _int(row["n"]), _int(row["subjects"]))
        for row in store.query(f"""
            SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) WHERE {{
              ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{entities}"))
            }} GROUP BY ?p ORDER BY ?p""")
    ]
    code_lists = _code_lists(store, base)
    links = _links(store, entities, counts)
    mentioned = (
        set(counts)
        | {p.iri for p in properties}
        | {s for c in classes for s in c.super_classes}
        | {p for c in classes for r in c.rows + c.also_used for p in r.paths}
        | {e.iri for c in classes for r in c.rows for e in r.expects if e.iri}
        | {c.iri for c in code_lists}
        | {k.iri for c in code_lists for k in c.concepts}
        | {p for c in code_lists for p, _n in c.used_as}
        | {shape for c in code_lists for shape in c.shapes}
        | {x.value for c in classes for r in c.rows + c.also_used if isinstance(x := r.example, ox.NamedNode)}
    )
    candidates = fetch_label_candidates(store, mentioned)
    return ModelGuide(
        classes,
        properties,
        code_lists,
        links,
        {iri: candidates.get(iri, []) for iri in sorted(mentioned)},
        comment_literals(store, mentioned),
    )


def _any_of(store, cls: str, paths: list[str], entities: str) -> int:
    """Instances of ``cls`` with a value for any of ``paths`` (an alternative path)."""
    row = next(
        iter(
            store.query(
                f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ VALUES ?p {{ {_values(paths)} }} "
                f'?s a {ox.NamedNode(cls)} ; ?p ?o FILTER(STRSTARTS(STR(?s), "{entities}")) }}'
            )
        )
    )
    return _int(row["n"])


def shape_rows(store, base: str) -> dict[str, list[PropertyRow]]:
    """The property shapes of the node shapes targeting each class, one row per shape."""
    shapes = ox.NamedNode(graph_iri(base, "shapes"))
    rows: dict[tuple[str, str], dict] = {}
    for row in store.query(f"""
        SELECT ?cls ?ps ?path ?alt ?inv ?min ?max ?class ?kind ?value ?datatype ?node ?nodeName ?sev ?nodeSev ?name ?msg WHERE {{
          GRAPH {shapes} {{
            ?shape sh:targetClass ?cls ; sh:property ?ps .
            OPTIONAL {{ ?shape sh:severity ?nodeSev }}
            OPTIONAL {{ ?ps sh:path ?path FILTER(isIRI(?path)) }}
            OPTIONAL {{ ?ps sh:path/sh:alternativePath/rdf:rest*/rdf:first ?alt FILTER(isIRI(?alt)) }}
            OPTIONAL {{ ?ps sh:path/sh:inversePath ?inv FILTER(isIRI(?inv)) }}
            OPTIONAL {{ ?ps sh:minCount ?min }}
            OPTIONAL {{ ?ps sh:maxCount ?max }}
            OPTIONAL {{ ?ps sh:class|(sh:or/rdf:rest*/rdf:first/sh:class) ?class }}
            OPTIONAL {{ ?ps sh:nodeKind ?kind }}
            OPTIONAL {{ ?ps sh:hasValue ?value }}
            OPTIONAL {{ ?ps sh:datatype ?datatype }}
            OPTIONAL {{ ?ps sh:node ?node OPTIONAL {{ ?node sh:name ?nodeName }} }}
            OPTIONAL {{ ?ps sh:severity ?sev }}
            OPTIONAL {{ ?ps sh:name ?name }}
            OPTIONAL {{ ?ps sh:message ?msg FILTER(lang(?msg) = "" || langMatches(lang(?msg), "en")) }}
          }}
        }}"""):
        key = (row["cls"].value, str(row["ps"]))
        found = rows.setdefault(key, {"paths": [], "expects": [], "inverse": False})
        for name in ("path", "alt", "inv"):
            if row[name] is not None and row[name].value not in found["paths"]:
                found["paths"].append(row[name].value)
                found["inverse"] = found["inverse"] or name == "inv"
        for name in ("class", "datatype"):
            if row[name] is not None and all(e.iri != row[name].value for e in found["expects"]):
                found["expects"].append(Expectation(row[name].value, row[name].value))
        if row["node"] is not None:
            text = row["nodeName"].value if row["nodeName"] is not None else words(fallback_label(row["node"].value))
            if all(e.text != text for e in found["expects"]):
                node = row["node"].value if isinstance(row["node"], ox.NamedNode) else None
                found["expects"].append(Expectation(text, node))
        if row["kind"] is not None and not found["expects"]:
            found["expects"].append(Expectation(_NODE_KINDS.get(row["kind"].value, fallback_label(row["kind"].value))))
        if row["value"] is not None and all(e.iri != row["value"].value for e in found["expects"]):
            found["expects"].append(Expectation(f"exactly {row['value'].value}", _iri_or_none(row["value"])))
        found["min"] = max(found.get("min", 0), _int(row["min"]))
        if row["max"] is not None:
            found["max"] = _int(row["max"])
        severity = row["sev"] if row["sev"] is not None else row["nodeSev"]
        found["severity"] = SEVERITIES.get(severity.value, None) if severity is not None else "Violation"
        found["name"] = row["name"].value if row["name"] is not None else None
        found["message"] = row["msg"].value if row["msg"] is not None else None
    by_target: dict[str, list[PropertyRow]] = {}
    for (cls, _shape), found in sorted(rows.items()):
        if not found["paths"]:
            continue  # a path this guide cannot name (a sequence): the shape's own page shows it
        by_target.setdefault(cls, []).append(
            PropertyRow(
                sorted(found["paths"]),
                inverse=found["inverse"],
                name=found["name"],
                expects=found["expects"],
                min_count=found.get("min", 0),
                max_count=found.get("max"),
                severity=found["severity"],
                message=found["message"],
            )
        )
    return by_target


_NODE_KINDS = {SH + "IRI": "an IRI", SH + "Literal": "a literal", SH + "BlankNodeOrIRI": "a resource"}


def _iri_or_none(term) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def words(name: str) -> str:
    """A shape's local name as words: ``AnOrganization`` → ``an organization``.

    >>> words("DateOrYear"), words("OrganizationKindCode"), words("Text"), words("APlace")
    ('date or year', 'organization kind code', 'text', 'a place')
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name).lower()


def _code_lists(store, base: str) -> list[CodeList]:
    """The code lists with their concepts, the properties whose values they are, and the shapes
    that name them (through their own blank nodes: RoleCode's ``skos:inScheme`` value)."""
    found: dict[str, dict[str, Concept]] = {}
    for row in store.query("""
        SELECT ?scheme ?concept (MIN(?n) AS ?notation) WHERE {
          ?concept skos:inScheme ?scheme FILTER(isIRI(?concept) && isIRI(?scheme))
          OPTIONAL { ?concept skos:notation ?n }
        } GROUP BY ?scheme ?concept"""):
        notation = row["notation"].value if row["notation"] is not None else None
        found.setdefault(row["scheme"].value, {})[row["concept"].value] = Concept(row["concept"].value, notation)
    lists = {
        scheme: CodeList(scheme, sorted(concepts.values(), key=lambda k: (k.notation or "", k.iri)))
        for scheme, concepts in sorted(found.items())
    }
    for row in store.query("""
        SELECT ?scheme ?p (COUNT(*) AS ?n) WHERE {
          ?s ?p ?concept . ?concept skos:inScheme ?scheme
          FILTER(?p NOT IN (skos:inScheme, skos:topConceptOf, skos:hasTopConcept, skos:broader, skos:narrower, rdf:first)
                 && !STRSTARTS(STR(?p), STR(sh:)))
        } GROUP BY ?scheme ?p ORDER BY ?scheme DESC(?n) ?p"""):
        if row["scheme"].value in lists:
            lists[row["scheme"].value].used_as.append((row["p"].value, _int(row["n"])))
    shapes = ox.NamedNode(graph_iri(base, "shapes"))
    # The path's start bound by a subquery first (Virtuoso 7.2.5 follows a path only from a
    # known end): the same rows on every engine.
    for row in store.query(f"""
        SELECT DISTINCT ?scheme ?shape WHERE {{
          GRAPH {shapes} {{
            {{ SELECT DISTINCT ?shape {{ ?shape ?any ?value FILTER(isIRI(?shape)) }} }}
            ?shape (sh:property|sh:or|sh:and|sh:in|rdf:first|rdf:rest)* ?node . ?node ?p ?scheme
            FILTER(isIRI(?scheme))
          }}
        }} ORDER BY ?scheme ?shape"""):
        if row["scheme"].value in lists:
            lists[row["scheme"].value].shapes.append(row["shape"].value)
    return list(lists.values())


def chosen_comments(found: dict[str, list[ox.Literal]], languages: Sequence[str]) -> dict[str, str]:
    """One comment per IRI of :func:`comment_literals`' answer, in the best of ``languages``."""
    chosen = {iri: choose_literal(literals, languages) for iri, literals in found.items()}
    return {iri: literal.value for iri, literal in chosen.items() if literal is not None}


def comment_literals(store, iris: set[str]) -> dict[str, list[ox.Literal]]:
    """What each IRI means where the vocabulary says (``rdfs:comment``, ``skos:definition``), in
    every language: :func:`zkg.linked_data.labels.choose_literal` picks the reader's."""
    found: dict[str, list[ox.Literal]] = {}
    for row in store.query(
        f"SELECT ?r ?c WHERE {{ VALUES ?r {{ {_values(iris)} }} ?r rdfs:comment|skos:definition ?c FILTER(isLiteral(?c)) }}"
    ):
        found.setdefault(row["r"].value, []).append(row["c"])
    return found


def preference(iri: str, base: str = "") -> int:
    """How well ``iri``'s namespace names a thing (lower is better), for the diagram.

    >>> preference("https://schema.org/Person"), preference("http://www.w3.org/ns/org#Post")
    (0, 3)
    """
    for rank, namespace in enumerate(NAMESPACE_PREFERENCE):
        if iri.startswith(namespace) or (namespace == "def/" and base and iri.startswith(base + "def/")):
            return rank
    return len(NAMESPACE_PREFERENCE)


def _links(store, entities: str, counts: dict[str, int]) -> list[Link]:
    """Which classes link to which. Each entity is drawn under its main class, the best named
    of its types (:func:`preference`, then the most used): an org:FormalOrganization that is
    also a schema:Organization shows as the latter, so a class that is nobody's main class is
    left out of the picture (its instances are there under their main class)."""
    base = entities[: -len("id/")]

    def rank(iri: str) -> tuple:
        return (preference(iri, base), -counts.get(iri, 0), iri)

    # The sets of types entities have (a few, whatever the number of entities).
    main = set()
    for row in store.query(f"""
        SELECT ?types WHERE {{
          {{ SELECT ?s (GROUP_CONCAT(STR(?c); separator=" ") AS ?types) WHERE {{
               ?s a ?c FILTER(isIRI(?c) && STRSTARTS(STR(?s), "{entities}"))
             }} GROUP BY ?s }}
        }} GROUP BY ?types"""):
        main.add(min(row["types"].value.split(), key=rank))
    totals: dict[tuple[str, str, str], int] = {}
    for row in store.query(f"""
        SELECT ?c1 ?p ?c2 (COUNT(*) AS ?n) WHERE {{
          ?s ?p ?o . ?s a ?c1 . ?o a ?c2
          FILTER(?p != rdf:type && isIRI(?o) && STRSTARTS(STR(?s), "{entities}") && STRSTARTS(STR(?o), "{entities}"))
        }} GROUP BY ?c1 ?p ?c2"""):
        source, target = row["c1"].value, row["c2"].value
        if source in main and target in main:
            totals[(source, row["p"].value, target)] = _int(row["n"])
    return [Link(s, p, t, n) for (s, p, t), n in sorted(totals.items())]
