"""Entity reconciliation: the W3C Entity Reconciliation API (version 0.2, the protocol
OpenRefine speaks), without the web layer (that is :mod:`zkg.web.power.reconcile`).

Entities are the resources under ``{base}id/``; an entity's identifier is its IRI's local
part (``z-park`` for ``{base}id/z-park``), so the identifier space is ``{base}id/`` and every
identifier dereferences there. Types and properties are named ``prefix:local`` with the
predeclared prefixes (``schema:Organization``, ``zkg:organizationKind``); full IRIs are
accepted too.

Matching a name (:class:`Catalogue`) is the site search's: the dataset's label index
(:class:`zkg.linked_data.search.LabelIndex`) finds the names worth scoring through its word
index and scores them with :func:`zkg.linked_data.matching.score`: texts folded (NFKD,
accents dropped, case-folded), compared word by word in any order (``Shousheng Zhang``),
words one or two edits away forgiven (``Sceince``, ``Microsfot``), the beginning of a word
taken for it (``Univ.``), texts without spaces or punctuation compared whole (``Z Park``),
Chinese compared by character pairs; the score grows with the share of the query found and
of the name it accounts for, and falls with each edit. An entity's name score is its best
name's (other names count 97%), from 0 to 100. Chinese names match the Chinese labels the
reference graph holds (``中关村科技园区``); names in pinyin or English match the English
labels and the other spellings (``Zhongguancun``, ``Shoucheng Zhang``). Property values
given as text are compared with the stored ones by the same scoring.

Type constraints filter the candidates (``type_strict`` ``any``, the default, or ``all``) or
lower the score of those of other types by a fifth (``should``, what OpenRefine sends); a
type matches its sub-classes (the vocabulary's, and schema.org's and ORG's for the classes
the graph uses). Property constraints compare values: entity values by identifier or by
label, literals by folded text similarity or by number; the average match moves the score
between 75% and 100% of the name score. The first candidate is a ``match`` when its score is
at least :data:`MATCH_SCORE`, it is :data:`MATCH_MARGIN` ahead of the next one, its type fits
and every property constraint holds.

What one request may ask is capped: :data:`MAX_BATCH` queries; texts of
:data:`MAX_TEXT_LENGTH` characters; :data:`MAX_TYPES` types and :data:`MAX_PROPERTY_VALUES`
property values a query; :data:`MAX_PROPERTY_COMPARISONS` property comparisons a request;
:data:`MAX_EXTEND_IDS` identifiers and :data:`MAX_EXTEND_PROPERTIES` properties a data
extension; :data:`MAX_VALUES_READ` values read. Past a cap the request is refused whole (400;
413 for the batch). So is the work of a query, whatever the data: the label index's caps
(:mod:`zkg.linked_data.word_index`: words compared, names read, at most
:data:`zkg.linked_data.word_index.CANDIDATES` names scored); :data:`STORED_VALUES` values of
a candidate per property constraint (:data:`VALUE_NAMES` names each), each pair compared
once; every comparison on the first 300 characters and twelve words, with an edit distance
linear in them (:mod:`zkg.linked_data.matching`). At the default limits no request costs more
than about a CPU-second; the loops also check the request's deadline and its client
(:mod:`zkg.base.deadline`).

>>> index = Catalogue.from_rows("http://x/id/", [
...     ("http://x/id/zp", "http://www.w3.org/2000/01/rdf-schema#label", "Zhongguancun Science Park", "en"),
...     ("http://x/id/zp", "http://www.w3.org/2004/02/skos/core#prefLabel", "中关村科技园区", "zh-Hans"),
...     ("http://x/id/zpa", "http://www.w3.org/2000/01/rdf-schema#label", "Zhongguancun Science Park area", "en")])
>>> [(c.iri[12:], round(c.name_score)) for c in index.name_candidates("Zhongguancun Sceince Park")]
[('zp', 96), ('zpa', 85)]
>>> [(c.iri[12:], round(c.name_score)) for c in index.name_candidates("中关村科技园区")]
[('zp', 100)]
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Mapping, Sequence

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import fallback_label
from zkg.linked_data.matching import Name, score
from zkg.linked_data.search import SEARCH_PROPERTIES
from zkg.power.entity_index import (  # noqa: F401 (as before: zkg.power.reconcile.Catalogue, …)
    API_VERSIONS,
    DEFAULT_TYPES,
    MATCH_MARGIN,
    MATCH_SCORE,
    RDF_TYPE,
    STORED_VALUES,
    VALUE_NAMES,
    WRONG_TYPE_WEIGHT,
    Catalogue,
    Vocabulary,
)
from zkg.power.reconcile_query import (
    BATCH_SIZE,
    MAX_VALUES_READ,
    Query,
    ReconcileError,
    Wanted,
    parse_batch,
)
from zkg.rdf.prefixes import ENTITY_PATH


def property_values(
    store, iris: Sequence[str], properties: Sequence[str], *, advice: str
) -> dict[tuple[str, str], list]:
    """{(entity, property): [(value, [label literals])]} in one query; ReconcileError (with
    ``advice``) past :data:`MAX_VALUES_READ` values and labels."""
    if not iris or not properties:
        return {}
    subjects = " ".join(str(ox.NamedNode(i)) for i in iris)
    predicates = ", ".join(str(ox.NamedNode(p)) for p in properties)
    labelled = "|".join(f"<{p}>" for p in SEARCH_PROPERTIES)
    found: dict[tuple[str, str], dict] = defaultdict(dict)
    # FILTER IN, not a second VALUES block: with VALUES ?p the engine joins against every
    # statement of each property (seconds at 1M triples); this way it reads each ?s's own.
    rows = store.query(
        f"SELECT ?s ?p ?o ?l WHERE {{ VALUES ?s {{ {subjects} }} ?s ?p ?o FILTER(?p IN ({predicates})) "
        f"OPTIONAL {{ ?o {labelled} ?l FILTER(isLiteral(?l)) }} }} LIMIT {MAX_VALUES_READ + 1}"
    )
    for count, r in enumerate(deadline.checked(rows, every=256)):
        if count == MAX_VALUES_READ:
            raise ReconcileError(f"the values asked for, with their names, are more than {MAX_VALUES_READ}: {advice}")
        labels = found[(r["s"].value, r["p"].value)].setdefault(r["o"], [])
        if r["l"] is not None:
            labels.append(r["l"])
    return {key: list(values.items()) for key, values in found.items()}


class _Comparisons:
    """Similarities of property values to stored texts, each worked out once per query (the
    same few values, e.g. places, recur among the candidates)."""

    def __init__(self):
        self._scores: dict[tuple[str, str], float] = {}

    def similarity(self, wanted: Wanted, text: str) -> float:
        key = (wanted.value, text)
        found = self._scores.get(key)
        if found is None:
            match = score(wanted.name, Name.of(text))
            found = self._scores[key] = match.score if match is not None else 0.0
        return found


def _value_match(
    wanted: Wanted, value, labels: list, catalogue: Catalogue, prefixes, comparisons: _Comparisons
) -> float:
    """How well one stored value matches one value of a property constraint, 0 to 1."""
    deadline.check()
    if wanted.by_id and isinstance(value, ox.NamedNode):
        return 1.0 if catalogue.resolve(wanted.value, prefixes) == value.value else 0.0
    if isinstance(wanted.value, bool):
        return 1.0 if isinstance(value, ox.Literal) and value.value.lower() == str(wanted.value).lower() else 0.0
    if isinstance(wanted.value, float):
        try:
            return 1.0 if isinstance(value, ox.Literal) and math.isclose(float(value.value), wanted.value) else 0.0
        except ValueError:
            return 0.0
    text = wanted.value
    if isinstance(value, ox.NamedNode):
        if catalogue.resolve(text, prefixes) == value.value or text == value.value:
            return 1.0
        texts = [lit.value for lit in labels] or [fallback_label(value.value)]
    elif isinstance(value, ox.Literal):
        texts = [value.value]
    else:
        texts = [lit.value for lit in labels]
    return max((comparisons.similarity(wanted, t) for t in texts[:VALUE_NAMES]), default=0.0)


def reconcile(
    query: Query, catalogue: Catalogue, vocabulary: Vocabulary, store, languages: Sequence[str]
) -> list[dict]:
    """The candidates for one query, best first, as reconciliation candidates (spec 0.2,
    section 4.2): ``id``, ``name``, ``description``, ``type``, ``score`` (0-100), ``features``
    and ``match``."""
    prefixes = vocabulary.prefixes
    scored: dict[str, dict] = {}
    if query.text:
        direct = catalogue.resolve(query.text, prefixes) if not any(c.isspace() for c in query.text) else None
        if direct is not None:
            scored[direct] = {"name": 100.0, "id": True}
        for candidate in catalogue.name_candidates(query.text):
            if candidate.iri not in scored:
                scored[candidate.iri] = {"name": candidate.name_score, "id": False}
    else:  # properties only: every entity with a value for the first property is a candidate
        pid = query.properties[0][0]
        rows = store.query(
            f"SELECT DISTINCT ?s WHERE {{ ?s {ox.NamedNode(pid)} ?o FILTER(STRSTARTS(STR(?s), "
            f"{ox.Literal(catalogue.space)})) }} LIMIT 5000"
        )
        for r in rows:
            scored[r["s"].value] = {"name": None, "id": False}
    # Types first (cheap), then property values for what is left.
    for iri, data in list(scored.items()):
        fits = vocabulary.conforms(catalogue.types.get(iri, ()), query.types, query.type_strict)
        if not fits and query.types and query.type_strict != "should":
            del scored[iri]
            continue
        data["type"] = fits
    ranked = sorted(scored.items(), key=lambda item: (-(item[1]["name"] or 0), item[0]))
    keep = ranked[: query.kept]
    if query.properties:
        values = property_values(
            store,
            [iri for iri, _d in keep],
            [p for p, _v in query.properties],
            advice="ask for fewer candidates (limit) or constrain other properties",
        )
        comparisons = _Comparisons()
        for iri, data in keep:
            matches = []
            for pid, wanted_values in query.properties:
                stored = values.get((iri, pid), [])[:STORED_VALUES]
                matches.append(
                    max(
                        (
                            _value_match(w, v, labels, catalogue, prefixes, comparisons)
                            for w in wanted_values
                            for v, labels in stored
                        ),
                        default=0.0,
                    )
                )
            data["properties"] = sum(matches) / len(matches)
    results = []
    for iri, data in keep:
        if data["name"] is None:
            score = 100.0 * data.get("properties", 0.0)
            if score <= 0:
                continue
        else:
            score = data["name"] * (0.75 + 0.25 * data["properties"] if "properties" in data else 1.0)
        if query.types and not data["type"]:
            score *= WRONG_TYPE_WEIGHT
        features = [{"id": "name", "value": round((data["name"] or 0.0) / 100, 4)}]
        if query.types:
            features.append({"id": "type_match", "value": bool(data["type"])})
        if "properties" in data:
            features.append({"id": "property_match", "value": round(data["properties"], 4)})
        if data["id"]:
            features.append({"id": "identifier", "value": True})
        candidate = {
            "id": catalogue.identifier(iri),
            "name": catalogue.label(iri, languages),
            "type": [
                {"id": vocabulary.identifier(t), "name": vocabulary.name(t, languages, "class")}
                for t in catalogue.types.get(iri, ())
            ],
            "score": round(score, 2),
            "features": features,
            "match": False,
            "_certain": bool(data["type"]) and data.get("properties", 1.0) >= 0.999,
        }
        description = catalogue.description(iri, languages)
        if description:
            candidate["description"] = description
        results.append(candidate)
    results.sort(key=lambda c: (-c["score"], c["id"]))
    results = results[: query.limit]
    if results:
        first = results[0]
        runner_up = results[1]["score"] if len(results) > 1 else 0.0
        first["match"] = (
            first["score"] >= MATCH_SCORE and first["score"] - runner_up >= MATCH_MARGIN and first["_certain"]
        )
    for candidate in results:
        del candidate["_certain"]
    return results


def reconcile_batch(batch: Any, catalogue: Catalogue, vocabulary: Vocabulary, store, languages: Sequence[str]) -> dict:
    """A reconciliation result batch for a query batch (``{"q0": {...}, …}``)."""
    return reconcile_parsed(parse_batch(batch, vocabulary), catalogue, vocabulary, store, languages)


def reconcile_parsed(
    queries: Mapping[str, Query], catalogue: Catalogue, vocabulary: Vocabulary, store, languages: Sequence[str]
) -> dict:
    """The result batch of queries checked by :func:`parse_batch`."""
    return {key: {"result": reconcile(q, catalogue, vocabulary, store, languages)} for key, q in queries.items()}


# -- suggest ----------------------------------------------------------------------------------------


def suggest_entities(
    prefix: str,
    catalogue: Catalogue,
    vocabulary: Vocabulary,
    languages: Sequence[str],
    *,
    cursor: int = 0,
    limit: int = 10,
    types: Sequence[str] = (),
) -> dict:
    """Entities whose names start with ``prefix`` (spec 0.2, section 6.3)."""
    found = [iri for iri, _entry in catalogue.prefix_search(prefix)]
    direct = catalogue.resolve(prefix, vocabulary.prefixes)
    if direct is not None:
        found = [direct] + [i for i in found if i != direct]
    if types:
        found = [i for i in found if vocabulary.conforms(catalogue.types.get(i, ()), types, "any")]
    result = []
    for iri in found[cursor : cursor + limit]:
        item = {
            "id": catalogue.identifier(iri),
            "name": catalogue.label(iri, languages),
            "notable": [
                {"id": vocabulary.identifier(t), "name": vocabulary.name(t, languages, "class")}
                for t in catalogue.types.get(iri, ())
            ],
        }
        description = catalogue.description(iri, languages)
        if description:
            item["description"] = description
        result.append(item)
    return {"result": result}


def type_object(iri: str, vocabulary: Vocabulary, languages: Sequence[str], *, depth: int = 0) -> dict:
    item = {"id": vocabulary.identifier(iri), "name": vocabulary.name(iri, languages, "class")}
    comment = vocabulary.comment(iri, "class", languages)
    if comment:
        item["description"] = comment
    broader = vocabulary.broader(iri)
    if broader and depth < 4:
        item["broader"] = [type_object(b, vocabulary, languages, depth=depth + 1) for b in broader]
    return item


def suggest_types(
    prefix: str, vocabulary: Vocabulary, languages: Sequence[str], *, cursor: int = 0, limit: int = 10
) -> dict:
    terms = vocabulary.search("class", prefix, languages)[cursor : cursor + limit]
    return {"result": [type_object(t.iri, vocabulary, languages) for t in terms]}


def suggest_properties(
    prefix: str,
    vocabulary: Vocabulary,
    languages: Sequence[str],
    store=None,
    *,
    cursor: int = 0,
    limit: int = 10,
    type_iri: str | None = None,
) -> dict:
    terms = vocabulary.search("property", prefix, languages)
    if type_iri and store is not None:
        preferred = vocabulary.proposed_properties(store, type_iri, limit=200)
        terms.sort(key=lambda t: preferred.index(t.iri) if t.iri in preferred else len(preferred))
    result = []
    for term in terms[cursor : cursor + limit]:
        item = {"id": vocabulary.identifier(term.iri), "name": vocabulary.name(term.iri, languages, "property")}
        comment = vocabulary.comment(term.iri, "property", languages)
        if comment:
            item["description"] = comment
        result.append(item)
    return {"result": result}


# -- the manifest -----------------------------------------------------------------------------------


def manifest(
    *,
    name: str,
    service_url: str,
    base_iri: str,
    vocabulary: Vocabulary,
    languages: Sequence[str],
    query_string: str = "",
    documentation: str | None = None,
    version: str | None = None,
) -> dict:
    """The service manifest (spec 0.2, section 3.1). ``service_url`` is the endpoint's URL;
    ``query_string`` (e.g. ``?lang=zh``) is carried by every URL it names."""
    suffix = query_string
    joiner = "&" if suffix else "?"
    document = {
        "versions": API_VERSIONS,
        "name": name,
        "identifierSpace": base_iri + ENTITY_PATH,
        "schemaSpace": base_iri + "def/",
        "defaultTypes": [
            {"id": vocabulary.identifier(t), "name": vocabulary.name(t, languages, "class")} for t in DEFAULT_TYPES
        ],
        "view": {"url": base_iri + ENTITY_PATH + "{{id}}"},
        "preview": {"url": f"{service_url}/preview{suffix}{joiner}id={{{{id}}}}", "width": 420, "height": 200},
        "suggest": {
            "entity": {"service_url": service_url, "service_path": "/suggest/entity" + suffix},
            "type": {"service_url": service_url, "service_path": "/suggest/type" + suffix},
            "property": {"service_url": service_url, "service_path": "/suggest/property" + suffix},
        },
        "extend": {
            "propose_properties": {"service_url": service_url, "service_path": "/properties" + suffix},
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": "The most values to fetch per entity (0: all of them)",
                }
            ],
        },
        "batchSize": BATCH_SIZE,
    }
    if documentation:
        document["documentation"] = documentation
    if version:
        document["serviceVersion"] = version
    return document
