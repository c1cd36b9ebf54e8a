"""Reconciliation requests, checked: what a query is (spec 0.2, section 4.1), and what one
request may ask of :mod:`zkg.power.reconcile`.

The caps keep every request's work in Python to about a CPU-second at most (SECURITY.md,
"Work done in Python"); past one, the request is refused whole, before any work, with the cap
in the message (HTTP 400; 413 for a batch of too many queries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from zkg.base.errors import ZkgError
from zkg.linked_data import matching
from zkg.linked_data.matching import COMPARED_LENGTH

if TYPE_CHECKING:
    from zkg.power.entity_index import Vocabulary

DEFAULT_LIMIT, MAX_LIMIT = 5, 100
# What one request may ask: past these it is refused whole (SECURITY.md, "Work done in Python").
MAX_BATCH = 20  # queries in one batch (413 past it); the manifest's batchSize
BATCH_SIZE = MAX_BATCH
MAX_TEXT_LENGTH = 1000  # characters of a query text or of a property value (the first 300 are compared)
MAX_TYPES = 10  # types of one query
MAX_PROPERTY_VALUES = 10  # values of the property constraints of one query, all properties together
MAX_PROPERTY_COMPARISONS = 2000  # per request: each query's property values x its candidates (Query.kept)
MAX_EXTEND_IDS = 500  # entity identifiers of one data extension
MAX_EXTEND_PROPERTIES = 50  # properties of one data extension
MAX_VALUES_READ = 20000  # values (with their names) read for one query's candidates or one data extension


class ReconcileError(ZkgError):
    """A request the protocol cannot answer (HTTP 400)."""

    http_status = 400


class BatchTooLarge(ReconcileError):
    """More queries in a batch than :data:`MAX_BATCH` (HTTP 413)."""

    http_status = 413

    def __init__(self, count: int):
        super().__init__(
            f"at most {MAX_BATCH} queries in one batch (this one has {count}); send the rest in another request"
        )


# -- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """One value of a property constraint: a text (``name``: folded, ready to compare), a
    number, a boolean, or an entity by identifier (``{"id": …}``: entity values compare by
    identifier; literal values by its text)."""

    value: str | float | bool
    by_id: bool = False
    name: matching.Query | None = None  # the text, ready to score


@dataclass
class Query:
    """One reconciliation query, checked."""

    text: str
    types: list[str]
    type_strict: str
    limit: int
    properties: list[tuple[str, list[Wanted]]]  # (property IRI, values)

    @property
    def kept(self) -> int:
        """How many candidates, the best by name, are scored further (types, properties)."""
        return max(self.limit * 4, 20)

    @property
    def property_comparisons(self) -> int:
        """Candidates times property values: what :data:`MAX_PROPERTY_COMPARISONS` counts."""
        return self.kept * sum(len(values) for _p, values in self.properties)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def bounded_text(value: str, what: str) -> str:
    """``value``, or ReconcileError past :data:`MAX_TEXT_LENGTH` characters."""
    if len(value) > MAX_TEXT_LENGTH:
        raise ReconcileError(
            f"{what} is longer than {MAX_TEXT_LENGTH} characters ({len(value)}); "
            f"names are compared on their first {COMPARED_LENGTH}"
        )
    return value


def _wanted(value: Any) -> Wanted:
    """A property constraint's value (spec 0.2: a string, a number, a boolean, or an object
    with an ``id``, or a ``name``) as :class:`Wanted`."""
    by_id = isinstance(value, dict)
    if by_id:
        value = value.get("id", value.get("name", ""))
        if not isinstance(value, str):
            raise ReconcileError("a property value given as an object needs an 'id' (or a 'name') that is a string")
    if isinstance(value, bool):
        return Wanted(value)
    if isinstance(value, (int, float)) and not by_id:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ReconcileError("a property value that is a number must be a finite one")
        return Wanted(number)
    if not isinstance(value, str):
        raise ReconcileError('each property value must be a string, a number, a boolean or {"id": …}')
    text = bounded_text(value, "a property value")
    return Wanted(text, by_id, matching.Query.of(text))


def parse_query(raw: Any, vocabulary: Vocabulary) -> Query:
    """A reconciliation query object (spec 0.2, section 4.1) as :class:`Query`;
    :class:`ReconcileError` if it is not one, or asks more than one query may."""
    if isinstance(raw, str):  # the 0.1 shorthand: a bare string is the query
        raw = {"query": raw}
    if not isinstance(raw, dict):
        raise ReconcileError("each reconciliation query must be a JSON object")
    text = raw.get("query", "")
    if not isinstance(text, str):
        raise ReconcileError("'query' must be a string")
    bounded_text(text, "'query'")
    asked_types = _as_list(raw.get("type") or [])
    if len(asked_types) > MAX_TYPES:
        raise ReconcileError(f"at most {MAX_TYPES} types in one query (this one has {len(asked_types)})")
    types: list[str] = []
    for t in asked_types:
        if not isinstance(t, str):
            raise ReconcileError("'type' must be a type identifier or a list of them")
        iri = vocabulary.resolve(bounded_text(t, "a type identifier"))
        if iri is None:
            raise ReconcileError(
                f"unknown type identifier '{t}' (use prefix:local, e.g. schema:Organization, or a full IRI)"
            )
        types.append(iri)
    strict = raw.get("type_strict", "any") or "any"
    if strict not in ("any", "all", "should"):
        raise ReconcileError("'type_strict' must be one of any, all, should")
    limit = raw.get("limit", DEFAULT_LIMIT)
    if (
        isinstance(limit, bool)
        or not isinstance(limit, (int, float))
        or not limit >= 1
        or (isinstance(limit, float) and not limit.is_integer())
    ):
        raise ReconcileError("'limit' must be a positive integer")
    constraints = raw.get("properties") or []
    if not isinstance(constraints, list):
        raise ReconcileError("'properties' must be a list of property constraints")
    properties, counted = [], 0
    for item in constraints:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item or not isinstance(item["pid"], str):
            raise ReconcileError("each property constraint needs 'pid' (a property identifier) and 'v' (values)")
        values = _as_list(item["v"])
        counted += len(values)
        if counted > MAX_PROPERTY_VALUES:
            raise ReconcileError(
                f"at most {MAX_PROPERTY_VALUES} property values in one query, all its properties together"
            )
        iri = vocabulary.resolve(bounded_text(item["pid"], "a property identifier"))
        if iri is None:
            raise ReconcileError(f"unknown property identifier '{item['pid']}'")
        properties.append((iri, [_wanted(v) for v in values]))
    if not text.strip() and not properties:
        raise ReconcileError("a reconciliation query needs 'query' or 'properties'")
    return Query(text.strip(), types, strict, min(int(limit), MAX_LIMIT), properties)


def check_work(queries: Iterable[Query]) -> None:
    """ReconcileError when the queries of one request compare more property values than
    :data:`MAX_PROPERTY_COMPARISONS`."""
    asked = sum(q.property_comparisons for q in queries)
    if asked > MAX_PROPERTY_COMPARISONS:
        raise ReconcileError(
            f"this request compares property values with candidates {asked} times, more than "
            f"{MAX_PROPERTY_COMPARISONS} (each query: its property values times max(4 x limit, 20) candidates); "
            "send fewer queries or property values at a time, or a smaller limit"
        )


def parse_batch(batch: Any, vocabulary: Vocabulary) -> dict[str, Query]:
    """The queries of a query batch (``{"q0": {...}, …}``), checked against the caps."""
    if not isinstance(batch, dict):
        raise ReconcileError(
            "'queries' must be a JSON object of reconciliation queries, e.g. "
            '{"q0": {"query": "Zhongguancun Science Park"}}'
        )
    if len(batch) > MAX_BATCH:
        raise BatchTooLarge(len(batch))
    parsed = {}
    for key, raw in batch.items():
        try:
            parsed[key] = parse_query(raw, vocabulary)
        except ReconcileError as error:
            shown = key if len(key) <= 40 else key[:39] + "…"
            raise ReconcileError(f"query '{shown}': {error.message}") from None
    check_work(parsed.values())
    return parsed
