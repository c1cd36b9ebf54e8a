"""The form for a new entity of a class, generated from the shapes that class is checked by.

What a curator is asked for comes from the same place as what the write path checks: the
property shapes of every node shape targeting the class (or a class it is a subclass of),
as the model guide reads them (:func:`zkg.linked_data.model_guide.shape_rows`). Each becomes
a :class:`Field`:

- its **kind** from what the shape expects: a text (``zsh:Text``, ``xsd:string``,
  ``rdf:langString``: with a language), a number, a date (``zsh:DateOrYear``: a date, a month or
  a year), a code (a node shape asking ``skos:inScheme`` a code list: a choice among the list's
  concepts), an entity (``sh:class`` or a node shape that is a choice of classes: a picker
  searching entities by name), else an IRI;
- how many values (``sh:minCount``/``sh:maxCount``); required fields (a Violation with a
  minimum) come first;
- a choice of property where the shape's path is an alternative path (``org:subOrganizationOf``
  or ``org:hasSubOrganization`` …); inverse paths and values fixed by ``sh:hasValue`` are left
  to the statement forms of the entity's page.

The entity's names are asked once, at the top (:data:`NAME_PATHS`): the name in a language is
written as its ``rdfs:label`` (what pages show) and its ``schema:name`` (what name queries
read), the naming model of the guide at ``/def/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from zkg.curation.changesets import slug
from zkg.linked_data.labels import labels_for
from zkg.linked_data.model_guide import PropertyRow, chosen_comments, comment_literals, preference, shape_rows
from zkg.rdf.namespaces import RDF, RDFS, SCHEMA, SKOS, XSD
from zkg.rdf.prefixes import compact, graph_iri

#: Asked once as "the name": written to both (the guide's naming model).
NAME_PATHS = (RDFS + "label", SCHEMA + "name")
TEXT_DATATYPES = {XSD + "string", RDF + "langString"}
NUMBER_DATATYPES = {XSD + n for n in ("integer", "decimal", "double", "float", "positiveInteger", "nonNegativeInteger")}
DATE_DATATYPES = {XSD + n for n in ("date", "gYearMonth", "gYear", "dateTime")}
TEXT, NUMBER, DATE, CODE, ENTITY, IRI = "text", "number", "date", "code", "entity", "iri"
#: Classes a curator does not make with this form: the records of the write path and of statistics.
NOT_FROM_THE_FORM = {RDF + "Statement", SKOS + "Concept", SKOS + "ConceptScheme"}


@dataclass
class Field:
    """One thing the form asks: a property (or a choice of properties) and its values."""

    key: str  # the form's name for it: the property's CURIE (``schema:foundingDate``), or a slug of the shape's name
    label: str  # the shape's sh:name, or the property's label
    paths: list[str]  # the property, or the alternatives to choose from
    kind: str  # TEXT, NUMBER, DATE, CODE, ENTITY or IRI
    min_count: int = 0
    max_count: int | None = None
    severity: str = "Violation"
    message: str | None = None  # the shape's message: what the value must be
    classes: list[str] = field(default_factory=list)  # ENTITY: the classes a value may have
    codes: list[tuple[str, str]] = field(default_factory=list)  # CODE: (concept IRI, label)
    datatypes: list[str] = field(default_factory=list)  # NUMBER, DATE: the datatypes allowed

    @property
    def required(self) -> bool:
        return self.min_count > 0 and self.severity == "Violation"

    @property
    def repeatable(self) -> bool:
        return self.max_count is None or self.max_count > 1


@dataclass
class EntityForm:
    """The form for a new instance of ``cls``."""

    cls: str
    label: str
    description: str | None
    fields: list[Field]
    labels: dict[str, str]  # a label for every IRI the form names (properties, classes, codes)
    curies: dict[str, str]

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def field_for(self, path: str) -> Field | None:
        """The field writing ``path`` (for placing the shapes' verdict beside it)."""
        return next((f for f in self.fields if path in f.paths), None)


@dataclass
class ClassChoice:
    iri: str
    curie: str
    label: str
    description: str | None
    instances: int


def creatable_classes(store, *, languages=("en",)) -> list[ClassChoice]:
    """The classes a curator may make an entity of: those the shapes target (so the form has
    something to ask and the write path something to check), by label."""
    shapes = ox.NamedNode(graph_iri(store.base_iri, "shapes"))
    entities = store.base_iri + "id/"
    targets = {
        row["c"].value
        for row in store.query(f"SELECT DISTINCT ?c WHERE {{ GRAPH {shapes} {{ [] sh:targetClass ?c }} }}")
    }
    targets -= NOT_FROM_THE_FORM
    counts = {
        row["c"].value: int(row["n"].value)
        for row in store.query(
            f'SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{entities}")) }} GROUP BY ?c'
        )
    }
    labels = labels_for(store, targets, languages)
    comments = _comments(store, targets, languages)
    choices = [
        ClassChoice(iri, compact(iri, store.prefixes), labels[iri], comments.get(iri), counts.get(iri, 0))
        for iri in targets
    ]
    return sorted(choices, key=lambda c: (c.label.lower(), c.iri))


def entity_form(store, cls: str, *, languages=("en",)) -> EntityForm:
    """The form for a new ``cls``, from the shapes (see the module's docstring)."""
    base = store.base_iri
    by_target = shape_rows(store, base)
    supers = [
        row["super"].value
        for row in store.query(
            f"SELECT DISTINCT ?super WHERE {{ {ox.NamedNode(cls)} rdfs:subClassOf+ ?super FILTER(isIRI(?super)) }}"
        )
    ]
    rows: list[PropertyRow] = [r for target in (cls, *supers) for r in by_target.get(target, ())]
    expectations = _node_shape_expectations(store)
    merged: dict[tuple[str, ...], Field] = {}
    for row in rows:
        if (
            row.inverse
            or any(p in NAME_PATHS for p in row.paths)
            or any(e.text.startswith("exactly ") for e in row.expects)
        ):
            continue
        key = tuple(row.paths)
        found = merged.get(key)
        kind, classes, datatypes, scheme = _kind(row, expectations)
        if found is None:
            found = merged[key] = Field("", row.name or "", list(row.paths), kind, classes=classes, datatypes=datatypes)
            found.severity = row.severity or "Violation"
            found.codes = [(scheme, "")] if scheme else []
        # Several shapes on one property: the strictest of each.
        found.min_count = max(found.min_count, row.min_count if row.severity == "Violation" else 0)
        if row.max_count is not None and row.severity == "Violation":
            found.max_count = row.max_count if found.max_count is None else min(found.max_count, row.max_count)
        if row.severity == "Violation":
            found.severity = "Violation"
            found.message = row.message or found.message
            if kind != IRI and found.kind == IRI:
                found.kind, found.classes, found.datatypes = kind, classes, datatypes
        else:
            found.message = found.message or row.message
        if scheme and not found.codes:
            found.codes = [(scheme, "")]
    # Required first, then what the shapes check, one property before a choice of several.
    fields = sorted(
        merged.values(), key=lambda f: (not f.required, f.severity != "Violation", len(f.paths) > 1, f.paths[0])
    )
    for found in fields:
        # The class a new value is made as, when the curator creates it here: the best-named first.
        found.classes.sort(key=lambda c: (preference(c, base), c))
        if found.kind == IRI:
            found.kind, found.datatypes = _kind_in_the_data(store, found.paths[0])
    schemes = {f.codes[0][0] for f in fields if f.kind == CODE and f.codes}
    concepts = _concepts(store, schemes)
    mentioned = {cls} | {p for f in fields for p in f.paths} | {c for f in fields for c in f.classes}
    mentioned |= {iri for found in concepts.values() for iri in found}
    labels = labels_for(store, mentioned, languages)
    for found in fields:
        # A name a tool can fill: the property's CURIE, or the shape's name for a choice of several.
        found.key = (
            compact(found.paths[0], store.prefixes) if len(found.paths) == 1 else slug(found.label or "relation")
        )
        if found.kind == CODE:
            scheme = found.codes[0][0] if found.codes else ""
            found.codes = sorted(((c, labels[c]) for c in concepts.get(scheme, [])), key=lambda c: c[1].lower())
        if not found.label or len(found.paths) == 1:
            found.label = labels[found.paths[0]] if len(found.paths) == 1 else found.label or labels[found.paths[0]]
    return EntityForm(
        cls,
        labels[cls],
        _comments(store, {cls}, languages).get(cls),
        fields,
        labels,
        {iri: compact(iri, store.prefixes) for iri in mentioned},
    )


def _kind(row: PropertyRow, expectations: dict) -> tuple[str, list[str], list[str], str | None]:
    """(kind, classes, datatypes, code list) of what a property shape expects."""
    classes: list[str] = []
    datatypes: list[str] = []
    scheme = None
    for expected in row.expects:
        if expected.iri is None:
            continue
        if expected.iri in expectations:
            found = expectations[expected.iri]
            classes += found["classes"]
            datatypes += found["datatypes"]
            scheme = scheme or found["scheme"]
        elif expected.iri.startswith(XSD) or expected.iri == RDF + "langString":
            datatypes.append(expected.iri)
        else:
            classes.append(expected.iri)
    if scheme:
        return CODE, [], [], scheme
    if classes:
        return ENTITY, list(dict.fromkeys(classes)), [], None
    if datatypes and set(datatypes) <= TEXT_DATATYPES:
        return TEXT, [], datatypes, None
    if datatypes and set(datatypes) <= NUMBER_DATATYPES:
        return NUMBER, [], datatypes, None
    if datatypes and set(datatypes) <= DATE_DATATYPES:
        return DATE, [], datatypes, None
    if any(e.text == "a literal" for e in row.expects):
        return TEXT, [], [], None
    return IRI, [], datatypes, None


def _kind_in_the_data(store, path: str) -> tuple[str, list[str]]:
    """What a shape leaves open (``schema:description`` with only a count), from a value the
    data has: a text, a number, a date, or an IRI."""
    row = next(
        iter(store.query(f"SELECT ?o WHERE {{ ?s {ox.NamedNode(path)} ?o FILTER(!isBlank(?o)) }} LIMIT 1")), None
    )
    value = row["o"] if row is not None else None
    if isinstance(value, ox.NamedNode):
        return IRI, []
    if value is None or value.language or value.datatype.value in TEXT_DATATYPES:
        return TEXT, []
    for kind, datatypes in ((NUMBER, NUMBER_DATATYPES), (DATE, DATE_DATATYPES)):
        if value.datatype.value in datatypes:
            return kind, sorted(datatypes)
    return TEXT, []


def _node_shape_expectations(store) -> dict[str, dict]:
    """For each named node shape: the datatypes and classes its ``sh:or`` (or it) allows, and
    the code list a ``skos:inScheme`` value names."""
    shapes = ox.NamedNode(graph_iri(store.base_iri, "shapes"))
    found: dict[str, dict] = {}
    for row in store.query(f"""
        SELECT ?shape ?datatype ?class ?scheme WHERE {{ GRAPH {shapes} {{
          ?shape a sh:NodeShape FILTER(isIRI(?shape))
          {{ ?shape (sh:or/rdf:rest*/rdf:first)?/sh:datatype ?datatype }}
          UNION {{ ?shape (sh:or/rdf:rest*/rdf:first)?/(sh:node/sh:or/rdf:rest*/rdf:first)?/sh:class ?class }}
          UNION {{ ?shape sh:property [ sh:path skos:inScheme ; sh:hasValue ?scheme ] }}
        }} }}"""):
        entry = found.setdefault(row["shape"].value, {"classes": [], "datatypes": [], "scheme": None})
        if row["datatype"] is not None:
            entry["datatypes"].append(row["datatype"].value)
        if row["class"] is not None and row["class"].value not in entry["classes"]:
            entry["classes"].append(row["class"].value)
        if row["scheme"] is not None:
            entry["scheme"] = row["scheme"].value
    return found


def _concepts(store, schemes: set[str]) -> dict[str, list[str]]:
    if not schemes:
        return {}
    values = " ".join(str(ox.NamedNode(s)) for s in sorted(schemes))
    found: dict[str, list[str]] = {}
    for row in store.query(
        f"SELECT DISTINCT ?scheme ?c WHERE {{ VALUES ?scheme {{ {values} }} ?c skos:inScheme ?scheme }}"
    ):
        found.setdefault(row["scheme"].value, []).append(row["c"].value)
    return found


def _comments(store, iris: set[str], languages) -> dict[str, str]:
    """A description of each IRI, in the reader's language: the model guide's, as it reads them."""
    return chosen_comments(comment_literals(store, iris), languages)


__all__ = ["CODE", "DATE", "ENTITY", "IRI", "NUMBER", "TEXT", "EntityForm", "Field", "creatable_classes", "entity_form"]
