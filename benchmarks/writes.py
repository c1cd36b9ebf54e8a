"""The cost of a validated curator write: 50 triples through zkg's one write path.

Each write adds a new company of the generated kind (name, kind, location in a sub-park,
founding year) and four people with their memberships and roles (one heads it), linked to
existing nodes, so the shapes check nodes the store already holds: 50 triples in all.

Yearly observations are measured and reported apart (``observation`` in the results): one
write adds an observation to the generated data set ``id:stats-companies`` (every dimension,
the measure and the printed value: 10 triples), another changes an existing observation's
value (its ``obsValue`` and ``valueAsPrinted``). The Data Cube shapes compare an observation
with the others of its data set (IC-12, no duplicates), which the data set's size must not
make costly (:mod:`zkg.validation.peers`).

Both go through :func:`zkg.curation.apply.apply_changeset` on the on-disk store, exactly as
``zkg add`` would (check, SHACL validation of the touched nodes, one atomic commit, log).
The median of ``repeats`` writes is reported, with the first (cold) one apart.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.servers import zkg_env

WRITE_SCRIPT = r"""
import json, sys, time
import pyoxigraph as ox
from zkg.store.local import Store
data, base, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    from zkg.curation.changelog import ChangeLog
    from zkg.curation.changesets import Changeset
    from zkg.curation.apply import apply_changeset
except ImportError as error:
    print(json.dumps({"error": f"curation not available: {error}"})); sys.exit(0)

def n(local): return ox.NamedNode(base + local)
def u(iri): return ox.NamedNode(iri)
S, ORG, QB = "https://schema.org/", "http://www.w3.org/ns/org#", "http://purl.org/linked-data/cube#"
TYPE, LABEL = u("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), u("http://www.w3.org/2000/01/rdf-schema#label")
XSD = "http://www.w3.org/2001/XMLSchema#"
def en(text): return ox.Literal(text, language="en")
def xsd(value, kind): return ox.Literal(str(value), datatype=u(XSD + kind))

def triples(k):
    # A new company with four people, their memberships and roles: 50 triples, linked to
    # existing nodes (the site of a sub-park, the org-kind and role code lists).
    c = n(f"id/bench-write-company-{k}")
    name = en(f"Benchmark Write Technology {k}")
    out = [(c, TYPE, u(S + "Corporation")), (c, TYPE, u(ORG + "FormalOrganization")), (c, LABEL, name),
           (c, u(S + "name"), name), (c, u(S + "description"), en("A company added by the write benchmark.")),
           (c, n("def/organizationKind"), n("code/org-kind/company")), (c, u(S + "foundingDate"), xsd(2016, "gYear")),
           (c, u(S + "location"), n("id/sub-park-0-area")), (c, u(S + "alternateName"), en(f"BWT {k}")),
           (c, u(S + "knowsAbout"), en("benchmarks")), (c, u(S + "slogan"), en("Measured, not guessed")),
           (c, u(S + "keywords"), en("benchmark")), (c, u(S + "disambiguatingDescription"), en(f"write number {k}"))]
    for j, role in enumerate(("chief-executive-officer", "president", "scientist", "deputy-head")):
        p, m = n(f"id/bench-write-person-{k}-{j}"), n(f"id/bench-write-membership-{k}-{j}")
        out += [(p, TYPE, u(S + "Person")), (p, LABEL, en(f"Write Person {k}-{j}")), (p, u(S + "name"), en(f"Write Person {k}-{j}")),
                (p, u(S + "worksFor"), c),
                (m, TYPE, u(ORG + "Membership")), (m, LABEL, en(f"{role} of Benchmark Write Technology {k}")),
                (m, u(ORG + "member"), p), (m, u(ORG + "organization"), c), (m, u(ORG + "role"), n(f"code/role/{role}"))]
    out.append((n(f"id/bench-write-person-{k}-0"), u(ORG + "headOf"), c))
    return out  # 13 + 4 x 9 + 1 = 50 triples

DIM, MEASURE = "http://purl.org/linked-data/sdmx/2009/dimension#", "http://purl.org/linked-data/sdmx/2009/measure#"

def observation(k):
    # A new yearly figure of company k, in a year the generator does not use: no duplicate.
    o = n(f"id/bench-write-observation-{k}")
    return [(o, TYPE, u(QB + "Observation")), (o, u(QB + "dataSet"), n("id/stats-companies")),
            (o, LABEL, en(f"PCT international patent applications of company {k}, 2100")),
            (o, n("def/refSubject"), n(f"id/company-{k}")), (o, u(DIM + "refPeriod"), xsd(2100, "gYear")),
            (o, n("def/indicator"), n("code/indicator/pct-applications")), (o, n("def/unit"), n("code/unit/count")),
            (o, n("def/transformation"), n("code/transformation/level")),
            (o, u(MEASURE + "obsValue"), xsd(100 + k, "integer")), (o, n("def/valueAsPrinted"), ox.Literal(str(100 + k)))]

def edit(o):
    # The observation's value, and its printed form, one more than they were.
    old = [next(iter(store.oxigraph.quads_for_pattern(o, p, None))) for p in (u(MEASURE + "obsValue"), n("def/valueAsPrinted"))]
    value = int(old[0].object.value) + 1
    new = [ox.Quad(o, old[0].predicate, xsd(value, "integer"), old[0].graph_name),
           ox.Quad(o, old[1].predicate, ox.Literal(f"{value:,}"), old[1].graph_name)]
    return new, old

def timed(changesets, into, errors):
    for changeset in changesets:
        started = time.perf_counter()
        try:
            apply_changeset(store, changeset, log=log)
        except Exception as error:  # a rejected or failing write is reported, not hidden
            errors.append(f"{type(error).__name__}: {str(error)[:300]}")
            continue
        into.append(time.perf_counter() - started)

def changeset(additions, removals=(), message="benchmark write"):
    return Changeset.new(base_iri=base, agent="Benchmark", source="https://example.org/benchmark",
                         additions=list(additions), removals=list(removals), message=message)

store = Store.open(data, base_iri=base)
log = ChangeLog.for_store(store)
times, added, edited, errors, observation_errors = [], [], [], [], []
timed((changeset(ox.Quad(*t) for t in triples(k)) for k in range(repeats)), times, errors)
existing = [row["o"] for row in store.query(
    f"SELECT ?o WHERE {{ ?o <{QB}dataSet> <{base}id/stats-companies> ; <{MEASURE}obsValue> [] }} LIMIT {repeats}")]
timed((changeset((ox.Quad(*t) for t in observation(k)), message="benchmark observation") for k in range(repeats)),
      added, observation_errors)
timed((changeset(*edit(o), message="benchmark observation edit") for o in existing), edited, observation_errors)
print(json.dumps({"times": times, "errors": errors, "triples": len(triples(0)),
                  "observation": {"added": added, "edited": edited, "errors": observation_errors,
                                  "triples": len(observation(0))}}))
"""


def measure_write(data: Path, base_iri: str, *, repeats: int = 5) -> dict:
    """Time ``repeats`` validated 50-triple writes into the on-disk store at ``data``, then
    (under ``observation``) ``repeats`` observations added and ``repeats`` edited."""
    import json

    done = subprocess.run(
        [sys.executable, "-c", WRITE_SCRIPT, str(data), base_iri, str(repeats)],
        capture_output=True,
        text=True,
        env=zkg_env(),
        timeout=3600,
    )
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    try:
        raw = json.loads(line)
    except ValueError:
        return {"error": f"write benchmark failed: {done.stderr[-600:]}", "median_s": None}
    if "error" in raw:
        return {"error": raw["error"], "median_s": None}
    return {
        "triples": raw["triples"],
        **_timings(raw["times"]),
        "errors": raw["errors"],
        "observation": {
            "triples": raw["observation"]["triples"],
            "errors": raw["observation"]["errors"],
            "added": _timings(raw["observation"]["added"]),
            "edited": _timings(raw["observation"]["edited"]),
        },
    }


def _timings(times: list[float]) -> dict:
    """How many writes, the first (cold) one, and the median of the others."""
    warm = times[1:] or times
    return {
        "writes": len(times),
        "first_s": round(times[0], 4) if times else None,
        "median_s": round(statistics.median(warm), 4) if warm else None,
    }
