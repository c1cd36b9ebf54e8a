"""The data extension of the W3C reconciliation API: the properties proposed for a type, and
the values of chosen properties for reconciled entities (``extend``), as cells."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any, Sequence

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import choose_literal
from zkg.power.entity_index import RDF_TYPE, Catalogue, Vocabulary
from zkg.power.reconcile import property_values
from zkg.power.reconcile_query import (
    MAX_EXTEND_IDS,
    MAX_EXTEND_PROPERTIES,
    ReconcileError,
    bounded_text,
)
from zkg.rdf.lexical import DECIMAL_AND_FLOAT_TYPES, INTEGER_TYPES
from zkg.rdf.namespaces import XSD


def propose_properties(
    type_id: str | None, vocabulary: Vocabulary, store, languages: Sequence[str], *, limit: int = 20
) -> dict:
    """Properties to fetch for a type (spec 0.2, section 7.2)."""
    type_iri = None
    if type_id:
        type_iri = vocabulary.resolve(type_id)
        if type_iri is None:
            raise ReconcileError(f"unknown type identifier '{type_id}'")
    proposed = [
        p for p in vocabulary.proposed_properties(store, type_iri, limit=limit + 1) if p != RDF_TYPE or not type_iri
    ]
    answer = {
        "properties": [
            {"id": vocabulary.identifier(p), "name": vocabulary.name(p, languages, "property")}
            for p in proposed[:limit]
        ],
        "limit": limit,
    }
    if type_id:
        answer["type"] = type_id
    return answer


def _date_value(literal: ox.Literal) -> dict | None:
    datatype = literal.datatype.value
    if datatype == XSD + "date" and re.match(r"^-?\d{4,}-\d\d-\d\d$", literal.value):
        return {"date": literal.value + "T00:00:00Z"}
    if datatype == XSD + "dateTime" and re.match(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d", literal.value):
        return {"date": literal.value}
    return None


def _cell(
    value, labels: list[str], catalogue: Catalogue, vocabulary: Vocabulary, languages, amounts: dict
) -> dict | None:
    """One property value as a data extension cell (spec 0.2, section 7.4)."""
    if isinstance(value, ox.NamedNode):
        iri = value.value
        if iri.startswith(catalogue.space):
            return {"id": catalogue.identifier(iri), "name": catalogue.label(iri, languages)}
        if labels:
            return {"str": choose_literal(labels, languages).value}
        if ("class", iri) in vocabulary.terms or ("property", iri) in vocabulary.terms:
            return {"str": vocabulary.name(iri, languages)}
        return {"str": iri}
    if isinstance(value, ox.BlankNode):
        amount = amounts.get(value.value)
        if amount is None:
            return None
        number, unit = amount
        if unit and isinstance(number, ox.Literal):
            return {"str": f"{number.value} {unit}"}
        return _cell(number, [], catalogue, vocabulary, languages, {})
    if isinstance(value, ox.Literal):
        datatype = value.datatype.value
        try:
            if datatype in INTEGER_TYPES:
                return {"int": int(value.value)}
            if datatype in DECIMAL_AND_FLOAT_TYPES:
                number = float(value.value)
                if math.isfinite(number):
                    return {"float": number}
        except ValueError:
            pass
        return _date_value(value) or {"str": value.value}
    return None


def extend(raw: Any, catalogue: Catalogue, vocabulary: Vocabulary, store, languages: Sequence[str]) -> dict:
    """A data extension response (spec 0.2, section 7.4) for a data extension query
    ``{"ids": [...], "properties": [{"id": ..., "settings": {...}}]}``. Literals in several
    languages give those in the reader's best language; blank-node amounts
    (schema:value with schema:currency or schema:unitText/unitCode) read as "value unit"."""
    if not isinstance(raw, dict) or not isinstance(raw.get("ids"), list) or not isinstance(raw.get("properties"), list):
        raise ReconcileError("'extend' must be a JSON object with 'ids' (entity identifiers) and 'properties'")
    if len(raw["ids"]) > MAX_EXTEND_IDS:
        raise ReconcileError(
            f"at most {MAX_EXTEND_IDS} identifiers in one data extension (this one has {len(raw['ids'])})"
        )
    if len(raw["properties"]) > MAX_EXTEND_PROPERTIES:
        raise ReconcileError(
            f"at most {MAX_EXTEND_PROPERTIES} properties in one data extension (this one has {len(raw['properties'])})"
        )
    properties: list[tuple[str, str, int]] = []  # (id as asked, IRI, limit)
    for item in raw["properties"]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ReconcileError("each property of 'extend' needs an 'id'")
        iri = vocabulary.resolve(bounded_text(item["id"], "a property identifier"))
        if iri is None:
            raise ReconcileError(f"unknown property identifier '{item['id']}'")
        settings = item.get("settings") or {}
        try:
            limit = int(settings.get("limit", 0) or 0) if isinstance(settings, dict) else 0
        except (TypeError, ValueError):
            raise ReconcileError("the 'limit' setting must be a number") from None
        properties.append((item["id"], iri, max(limit, 0)))
    ids = [bounded_text(i, "an identifier") for i in raw["ids"] if isinstance(i, str)]
    if len(ids) != len(raw["ids"]):
        raise ReconcileError("'ids' must be strings")
    iris = {i: catalogue.resolve(i, vocabulary.prefixes) for i in ids}
    known = sorted({iri for iri in iris.values() if iri})
    values = property_values(
        store, known, [iri for _id, iri, _l in properties], advice="ask for fewer identifiers or properties at a time"
    )
    blank = {v.value for stored in values.values() for v, _l in stored if isinstance(v, ox.BlankNode)}
    amounts: dict[str, tuple] = {}
    if blank:
        # Blank-node labels mean nothing across queries: read the amounts through their subjects.
        subjects = " ".join(str(ox.NamedNode(i)) for i in known)
        predicates = ", ".join(str(ox.NamedNode(p)) for _i, p, _l in properties)
        for r in store.query(
            f"SELECT ?s ?p ?v ?u WHERE {{ VALUES ?s {{ {subjects} }} "
            f"?s ?p ?b FILTER(?p IN ({predicates}) && isBlank(?b)) ?b schema:value ?v "
            f"OPTIONAL {{ ?b schema:currency|schema:unitText|schema:unitCode ?u }} }}"
        ):
            for v, _labels in values.get((r["s"].value, r["p"].value), []):
                if isinstance(v, ox.BlankNode):
                    amounts[v.value] = (r["v"], r["u"].value if r["u"] is not None else None)
    rows: dict[str, dict] = {}
    for identifier in deadline.checked(ids, every=16):
        iri = iris[identifier]
        row: dict[str, list] = {}
        for asked, pid, limit in properties:
            stored = values.get((iri, pid), []) if iri else []
            literals = [v for v, _l in stored if isinstance(v, ox.Literal) and v.language]
            if literals:  # texts in several languages: the reader's best
                best = choose_literal(literals, languages)
                stored = [
                    (v, names)
                    for v, names in stored
                    if not (isinstance(v, ox.Literal) and v.language) or v.language == best.language
                ]
            cells = [
                c
                for v, labels in stored
                if (c := _cell(v, labels, catalogue, vocabulary, languages, amounts)) is not None
            ]
            cells.sort(key=lambda c: str(c.get("name", c.get("str", c.get("date", c.get("int", c.get("float", "")))))))
            row[asked] = cells[:limit] if limit else cells
        rows[identifier] = row
    meta = []
    for asked, pid, _limit in properties:
        item: dict = {"id": asked, "name": vocabulary.name(pid, languages, "property")}
        kinds = Counter(
            t
            for (_s, p), stored in values.items()
            if p == pid
            for v, _l in stored
            if isinstance(v, ox.NamedNode) and v.value.startswith(catalogue.space)
            for t in catalogue.types.get(v.value, ())
        )
        if kinds:  # entity values: their most common type
            common = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))[0][0]
            item["type"] = {"id": vocabulary.identifier(common), "name": vocabulary.name(common, languages, "class")}
        meta.append(item)
    return {"meta": meta, "rows": rows}
