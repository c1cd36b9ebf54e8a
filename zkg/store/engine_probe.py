"""What a remote SPARQL engine does, asked once before zkg serves in front of it.

``zkg serve --store sparql+http://…`` runs :func:`probe` at start: a handful of requests that
ask the engine for what zkg relies on, through the same code the pages and the endpoint use
(so through the engine's profile, :mod:`zkg.store.engine_profiles`):

=====================  ========  ===========================================================
check                  required  why zkg needs it
=====================  ========  ===========================================================
SELECT                 yes       every page, search, the endpoint: solutions in SPARQL JSON
ASK                    yes       the write path's "already in the store?", the endpoint
CONSTRUCT              yes       data twins, DESCRIBE, dumps: triples in N-Triples
union default graph    yes       zkg keeps every statement in a named graph; queries read
                                 their union as the default graph (DESIGN.md, decision 4)
updates                no        writes; without them zkg serves read-only and says why
=====================  ========  ===========================================================

A required check that fails stops the start in one line (:class:`EngineNonconformant`,
exit 1): "the SPARQL engine at URL cannot serve zkg (…): …". The update check sends
``DELETE DATA {}``, which changes nothing on an engine that accepts it (and is refused by
one whose user may not write: Virtuoso's ``SPARQL`` user without ``SPARQL_UPDATE``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from zkg.base.errors import StoreError, ZkgError
from zkg.store.http_exchange import RemoteSolutions
from zkg.store.remote import RemoteStore

#: A subject no data set has, for the probe's own CONSTRUCT.
PROBE_IRI = "urn:x-zkg:probe"


class EngineNonconformant(StoreError):
    """The engine lacks a capability zkg needs to serve in front of it."""


@dataclass(frozen=True)
class Check:
    """One thing asked of the engine: ``ok``, or ``detail`` says what it did instead."""

    name: str
    required: bool
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Conformance:
    """What :func:`probe` found at the engine ``engine`` (its profile's name) at ``url``.

    >>> found = Conformance("Oxigraph", "http://e/query", (Check("SELECT", True, True),
    ...     Check("updates", False, False, "refused: 403")))
    >>> found.summary()
    'SELECT yes; updates no (refused: 403)'
    >>> found.missing(), found.writes
    ((), False)
    """

    engine: str
    url: str
    checks: tuple[Check, ...]

    def missing(self) -> tuple[Check, ...]:
        """The required checks that failed."""
        return tuple(check for check in self.checks if check.required and not check.ok)

    @property
    def writes(self) -> bool:
        """Whether the engine took the probe's update."""
        return all(check.ok for check in self.checks if check.name == "updates")

    def summary(self) -> str:
        """One line: every check, ``yes`` or ``no (why)``."""
        return "; ".join(
            f"{c.name} {'yes' if c.ok else 'no'}" + (f" ({c.detail})" if c.detail else "") for c in self.checks
        )

    def refusal(self) -> EngineNonconformant | None:
        """The one-line error that stops a start, when a required check failed."""
        missing = self.missing()
        if not missing:
            return None
        details = {c.detail for c in missing}
        if len(details) == 1 and len(missing) > 1:  # one cause (not answering, refused): said once
            reasons = details.pop()
        else:
            reasons = "; ".join(f"{c.name}: {c.detail}" for c in missing)
        return EngineNonconformant(
            f"the SPARQL engine at {self.url} cannot serve zkg (read with zkg's {self.engine} profile): {reasons}"
        )


def probe(store: RemoteStore, *, updates: bool = True) -> Conformance:
    """Ask the engine behind ``store`` what zkg relies on (see the module docstring).
    ``updates``: also try the harmless update (not when zkg will not write)."""
    checks = [_select(store), _ask(store), _construct(store), _union_default_graph(store)]
    if updates and store.update_url is not None:
        checks.append(_update(store))
    return Conformance(store.engine.name, store.query_url, tuple(checks))


def _why(error: BaseException) -> str:
    message = error.message if isinstance(error, ZkgError) else str(error)
    return " ".join(message.split())[:200]


def _rows(store: RemoteStore, text: str) -> list[ox.QuerySolution]:
    """The solutions of a SELECT on the dataset as it is (TypeError when the engine answered
    something else)."""
    answer = store.query(text)
    if not isinstance(answer, RemoteSolutions):
        raise TypeError(f"a SELECT answered with {type(answer).__name__}")
    return list(answer)


def _select(store: RemoteStore) -> Check:
    try:
        rows = _rows(store, "SELECT ?x WHERE { VALUES ?x { 42 } }")
    except (ZkgError, OSError, ValueError, TypeError) as error:
        return Check("SELECT", True, False, _why(error))
    values = [getattr(row["x"], "value", None) for row in rows]
    if values != ["42"]:
        return Check("SELECT", True, False, f"answered {values!r} where one row with 42 was due")
    return Check("SELECT", True, True)


def _ask(store: RemoteStore) -> Check:
    try:
        yes = store.query("ASK { VALUES ?x { 1 } }")
        # (Not FILTER(?x = 2): Virtuoso 7.2.5 answers that ASK true, a bug of its own that
        # docs/operations/serving.md names; zkg's own ASKs have no such shape.)
        no = store.query("ASK { VALUES ?x { 1 } FILTER(?x > 1) }")
    except (ZkgError, OSError, ValueError, TypeError) as error:
        return Check("ASK", True, False, _why(error))
    if not isinstance(yes, ox.QueryBoolean) or not isinstance(no, ox.QueryBoolean):
        return Check("ASK", True, False, "not answered as a boolean")
    if not bool(yes) or bool(no):
        return Check("ASK", True, False, f"answered {bool(yes)} and {bool(no)} where true and false were due")
    return Check("ASK", True, True)


def _construct(store: RemoteStore) -> Check:
    text = f"CONSTRUCT {{ <{PROBE_IRI}> <{PROBE_IRI}#p> ?x }} WHERE {{ VALUES ?x {{ 7 }} }}"
    try:
        answer = store.query(text)
        triples = [] if isinstance(answer, ox.QueryBoolean) else list(answer)
    except (ZkgError, OSError, ValueError, TypeError) as error:
        return Check("CONSTRUCT", True, False, _why(error))
    if len(triples) != 1 or not isinstance(triples[0], ox.Triple):
        return Check("CONSTRUCT", True, False, f"answered {len(triples)} results where one triple was due")
    return Check("CONSTRUCT", True, True)


def _union_default_graph(store: RemoteStore) -> Check:
    """A statement of a named graph must be in the default graph zkg asks for. An engine with
    no named graph yet has nothing to show: the check passes (say so)."""
    text = "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o)) } } LIMIT 1"
    try:
        rows = _rows(store, text)
        if not rows:
            return Check("union default graph", True, True, "no named graph to check yet")
        row = rows[0]
        triple = f"{row['s']} {row['p']} {row['o']}"
        seen = store.query(f"ASK {{ {triple} }}")
    except (ZkgError, OSError, ValueError, TypeError, KeyError) as error:
        return Check("union default graph", True, False, _why(error))
    if not bool(seen):
        return Check(
            "union default graph",
            True,
            False,
            "a statement of a named graph is not in the default graph zkg asks for, the set union of the "
            "named graphs: load the engine from `zkg export`, which carries it (docs/operations/serving.md, "
            "Remote engine)",
        )
    return Check("union default graph", True, True)


def _update(store: RemoteStore) -> Check:
    try:
        store.send_update("DELETE DATA { }")
    except (ZkgError, OSError) as error:
        return Check("updates", False, False, _why(error))
    return Check("updates", False, True)
