"""What a curator typed in the curation forms, read as the RDF terms of a statement.

The forms on entity pages (:mod:`zkg.web.curation.forms`) take a property and a value as a
person writes them: a label from the list, a prefixed name, an IRI (bare or as the list shows
it, ``label <IRI>``), a text with its language, a number, a date. This module turns them into
terms, or a :class:`FormError` saying what to write instead (400); nothing here writes. The
properties offered are those the data uses, the vocabulary declares or the shapes constrain
(:func:`property_choices`, kept per dataset version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from flask import request

from zkg.base.errors import ZkgError
from zkg.curation.entity_draft import date_literal, number_literal
from zkg.linked_data.labels import fallback_label
from zkg.linked_data.matching import fold
from zkg.rdf.namespaces import XSD
from zkg.rdf.prefixes import compact, graph_iri
from zkg.store import loading
from zkg.web.curation import writes
from zkg.web.http_caching import label_index, per_version
from zkg.web.urls import curie


@dataclass
class FormInput:
    subject: str
    property: str = ""
    value: str = ""
    kind: str = "entity"
    language: str = "en"
    replaces: str = ""
    source: str = ""
    message: str = ""

    @classmethod
    def from_request(cls) -> "FormInput":
        form = request.form
        return cls(
            subject=form.get("subject", ""),
            property=form.get("property", "").strip(),
            value=form.get("value", "").strip(),
            kind=form.get("kind", "entity"),
            language=form.get("language", "en"),
            replaces=form.get("replaces", ""),
            source=form.get("source", "").strip(),
            message=form.get("message", "").strip(),
        )


class FormError(ZkgError):
    """What the curator typed cannot be made into a statement (HTTP 400)."""


_IRI_IN_BRACKETS = re.compile(r"<([^<>\s]+)>\s*$")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def resolve_property(text: str, subject: ox.NamedNode | None = None) -> ox.NamedNode:
    """A property from an IRI, a prefixed name, ``label <IRI>``, the label a page shows it by
    (case, hyphens and spacing aside: "has sub organization", "Has sub-organization"), or its
    local name ("hasSubOrganization"). Several with that label: the one the shapes of
    ``subject``'s classes name, if only one is."""
    store = writes.store()
    term = _iri_or_curie(text, store.prefixes)
    if term is not None:
        return term
    wanted = property_key(text)
    matches = [p for p in properties() if wanted in (property_key(p["label"]), property_key(fallback_label(p["iri"])))]
    if len(matches) > 1 and subject is not None:
        shaped = shaped_properties(store, subject)
        preferred = [m for m in matches if m["iri"] in shaped]
        matches = preferred if len(preferred) == 1 else matches
    if len(matches) == 1:
        return ox.NamedNode(matches[0]["iri"])
    if not matches:
        raise FormError(f"no property is called {text!r}: choose one from the list (or give its IRI)")
    options = ", ".join(m["curie"] for m in matches)
    raise FormError(f"several properties are called {text!r} ({options}): choose one from the list")


def property_key(text: str) -> str:
    """A property's name reduced for comparison: camelCase split, case, hyphens and spaces aside.

    >>> property_key("hasSubOrganization") == property_key("Has sub-organization") == property_key("has sub organization")
    True
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text.strip())
    return "".join(fold(spaced.replace("-", " ").replace("_", " ")).split())


def shaped_properties(store, subject: ox.NamedNode) -> set[str]:
    """The properties the shapes targeting ``subject``'s classes (or their superclasses) name."""
    shapes = ox.NamedNode(graph_iri(store.base_iri, loading.SHAPES))
    rows = store.query(
        f"SELECT DISTINCT ?p WHERE {{ {subject} a/rdfs:subClassOf* ?c . GRAPH {shapes} {{ ?shape sh:targetClass ?c ; "
        "sh:property/sh:path/(sh:alternativePath/rdf:rest*/rdf:first)? ?p FILTER(isIRI(?p)) } }"
    )
    return {row["p"].value for row in rows}


def resolve_entity(text: str) -> ox.NamedNode:
    """An entity from an IRI, a prefixed name, ``label <IRI>`` (what the list offers) or its
    label (an exact match; several: an error naming them)."""
    store = writes.store()
    term = _iri_or_curie(text, store.prefixes)
    if term is not None:
        return term
    hits = label_index(store).search(text, limit=20)  # the search page's index, per dataset version
    exact = [h for h in hits if fold(h.label) == fold(text) or fold(h.matched or "") == fold(text)]
    unique = list(dict.fromkeys(h.iri for h in exact))
    if len(unique) == 1:
        return ox.NamedNode(unique[0])
    if not unique:
        raise FormError(f"no entity is called {text!r}: choose one from the list, or give its IRI")
    raise FormError(f"several entities are called {text!r}: choose one from the list")


def _iri_or_curie(text: str, prefixes: dict[str, str]) -> ox.NamedNode | None:
    text = text.strip()
    bracketed = _IRI_IN_BRACKETS.search(text)
    if bracketed:
        # The list shows an IRI's hidden characters as \uXXXX (curate.js, zkg.rdf.visible), as
        # N-Triples may write them; an IRI holds no backslash, so they are read back.
        text = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), bracketed.group(1))
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", text) or text.startswith("urn:"):
        try:
            return ox.NamedNode(text)
        except ValueError:
            raise FormError(f"not a valid IRI: {text!r}") from None
    name, colon, local = text.partition(":")
    if colon and name in prefixes and " " not in text:
        return ox.NamedNode(prefixes[name] + local)
    return None


def make_value(data: FormInput, replaced: ox.Quad | None):
    """The statement's object from the form: an entity, a text, a number, a date."""
    kind = data.kind
    if not data.value:
        raise FormError("give the value")
    if kind == "same" and replaced is not None:
        old = replaced.object
        if isinstance(old, ox.NamedNode):
            return resolve_entity(data.value)
        if old.language:
            return ox.Literal(data.value, language=old.language)
        return _typed(data.value, old.datatype.value)
    if kind == "entity" or kind == "same":
        return resolve_entity(data.value)
    if kind == "text":
        return ox.Literal(data.value, language=data.language) if data.language else ox.Literal(data.value)
    if kind == "number":
        number = number_literal(data.value)
        if number is None:
            raise FormError(f"not a number: {data.value!r} (write 183400000000 or 2.5, in base units)")
        return number
    if kind == "date":
        date = date_literal(data.value)
        if date is None:
            raise FormError(f"not a date: {data.value!r} (write 2016-03-05, 2015-09 or 2015)")
        return date
    raise FormError(f"unknown kind of value {kind!r}")


def _typed(value: str, datatype: str) -> ox.Literal:
    checks = {
        XSD + "integer": r"[+-]?\d+",
        XSD + "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
        XSD + "date": r"\d{4}-\d{2}-\d{2}",
        XSD + "gYear": r"\d{4}",
        XSD + "gYearMonth": r"\d{4}-\d{2}",
    }
    if datatype in checks and not re.fullmatch(checks[datatype], value):
        raise FormError(f"{value!r} is not a valid {curie(datatype)}")
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def parse_statement(text: str) -> ox.Quad:
    """A statement the correction form names (an N-Quads line)."""
    try:
        quads = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    except SyntaxError:
        quads = []
    if len(quads) != 1:
        raise FormError("choose the statement to correct from the list")
    return quads[0]


PROPERTIES_QUERY = """
SELECT ?p (COUNT(?s) AS ?uses) (SAMPLE(?l) AS ?label) WHERE {
  { GRAPH ?g { ?s ?p ?o } FILTER(?g NOT IN (%(vocabulary)s, %(shapes)s)) }
  UNION { GRAPH %(vocabulary)s { ?p a ?kind VALUES ?kind { rdf:Property owl:ObjectProperty owl:DatatypeProperty } } }
  UNION { GRAPH %(shapes)s { [] sh:path ?p FILTER(isIRI(?p)) } }
  OPTIONAL { ?p rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en") || LANG(?l) = "") }
  FILTER(?p NOT IN (rdf:first, rdf:rest, rdf:subject, rdf:predicate, rdf:object))
}
GROUP BY ?p
"""


def property_choices(store) -> list[dict]:
    """The properties a curator picks from: those the data uses, the vocabulary declares or
    the shapes constrain; each ``{"iri", "curie", "label", "uses"}``, the most used first."""

    text = PROPERTIES_QUERY % {
        "vocabulary": f"<{graph_iri(store.base_iri, loading.VOCABULARY)}>",
        "shapes": f"<{graph_iri(store.base_iri, loading.SHAPES)}>",
    }
    found = []
    for row in store.query(text):
        iri = row["p"].value
        label = row["label"].value if row["label"] is not None else fallback_label(iri)
        found.append(
            {"iri": iri, "curie": compact(iri, store.prefixes), "label": label, "uses": int(row["uses"].value)}
        )
    return sorted(found, key=lambda p: (-p["uses"], p["label"].lower(), p["iri"]))


def properties() -> list[dict]:
    """:func:`property_choices`, computed once per dataset version (per app)."""
    return per_version("zkg.curate.properties", property_choices, writes.store())
