"""The cost of a validated curator write: 50 triples through zkg's one write path.

Each write adds a new company of the generated kind (name, kind, location in a sub-park,
founding year) and four people with their memberships and roles (one heads it), linked to
existing nodes, so the shapes check nodes the store already holds: 50 triples in all.
(Yearly observations are left out: a new observation makes every observation of its data
set a node the Data Cube shapes (IC-12) read, so its cost grows with the data set; measured
and reported apart, see the README's Performance section.)
It goes through :func:`zkg.curation.apply_changeset` on the on-disk store, exactly as
``zkg add`` would (check, SHACL validation of the touched nodes, one atomic commit, log).
The median of ``repeats`` writes is reported, with the first (cold) one apart.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.servers import zkg_env

WRITE_SCRIPT = r"""
import json, sys, time
import pyoxigraph as ox
from zkg.store import Store
data, base, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    from zkg.changelog import ChangeLog
    from zkg.changesets import Changeset
    from zkg.curation import apply_changeset
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

store = Store.open(data, base_iri=base)
log = ChangeLog.for_store(store)
times, errors = [], []
for k in range(repeats):
    additions = [ox.Quad(a, b, c) for a, b, c in triples(k)]
    changeset = Changeset.new(base_iri=base, agent="Benchmark", source="https://example.org/benchmark",
                              additions=additions, message="benchmark write")
    started = time.perf_counter()
    try:
        apply_changeset(store, changeset, log=log)
    except Exception as error:  # a rejected or failing write is reported, not hidden
        errors.append(f"{type(error).__name__}: {str(error)[:300]}")
        continue
    times.append(time.perf_counter() - started)
print(json.dumps({"times": times, "errors": errors, "triples": len(triples(0))}))
"""


def measure_write(data: Path, base_iri: str, *, repeats: int = 5) -> dict:
    """Time ``repeats`` validated 50-triple writes into the on-disk store at ``data``."""
    import json

    done = subprocess.run([sys.executable, "-c", WRITE_SCRIPT, str(data), base_iri, str(repeats)],
                          capture_output=True, text=True, env=zkg_env(), timeout=3600)
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    try:
        raw = json.loads(line)
    except ValueError:
        return {"error": f"write benchmark failed: {done.stderr[-600:]}", "median_s": None}
    if "error" in raw:
        return {"error": raw["error"], "median_s": None}
    times = raw["times"]
    warm = times[1:] or times
    return {"triples": raw["triples"], "writes": len(times), "errors": raw["errors"],
            "first_s": round(times[0], 4) if times else None,
            "median_s": round(statistics.median(warm), 4) if warm else None}
