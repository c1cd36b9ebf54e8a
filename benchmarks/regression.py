"""The CI speed check: a short distinct-request run, zkg beside Oxigraph server on the same
data, that fails when a SPARQL kind's requests/s ratio drops below its floor.

    python -m benchmarks.regression            # exit 0: every kind above its floor; 1: not

A kind's floor is half its target (:mod:`benchmarks.targets`), but never above half the ratio
the code reached when the floor was last recorded (:data:`BASELINE`, measured at this run's
size on a quiet 2-core machine). So a change that halves zkg's pace against its engine fails
the day it lands, and a target met raises the floor to half the target. A kind below its floor
is measured once more before the run fails: one slow round on a shared machine is not a
regression, the same drop twice is.

The size (100k triples) is the smallest where the heavy kinds' cost is mostly the engine's:
at 10k the fixed cost of every request weighs more, and their ratios fall by half.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks import rounds, run, servers, targets
from benchmarks.queries import SPARQL_KINDS

SIZE = 100_000

#: zkg/Oxigraph server requests/s per kind at :data:`SIZE`, distinct mix, recorded by this
#: check itself (``python -m benchmarks.regression``) on a quiet 2-core machine, 2026-12-07,
#: both stores compacted. Raise a value when a change makes zkg faster, so the floor follows.
BASELINE: dict[str, float] = {
    "point": 0.074,
    "two_hop": 0.588,
    "aggregate": 0.945,
    "label_search": 0.977,
    "optional": 0.511,
    "describe": 0.064,
}


def floor(kind: str) -> float:
    """The least ratio ``kind`` may show against Oxigraph server.

    >>> floor("point")  # target 0.5x missed: half of the recorded 0.074x
    0.037
    >>> floor("aggregate")  # recorded 0.945x: half the 0.9x target
    0.45
    >>> floor("optional")  # no target: half of the recorded ratio
    0.2555
    """
    half_recorded = BASELINE[kind] / 2
    target = targets.RATIO_TARGETS.get(kind, {}).get("oxigraph")
    return round(min(target / 2, half_recorded) if target is not None else half_recorded, 4)


def below_floor(ratios: dict[str, float | None]) -> dict[str, float | None]:
    """The kinds whose ratio is under its floor (a kind not measured counts as under).

    >>> below_floor({"point": 0.05, "describe": 0.01})
    {'describe': 0.01}
    >>> below_floor({"point": None})
    {'point': None}
    """
    return {kind: ratio for kind, ratio in ratios.items() if ratio is None or ratio < floor(kind)}


def _ratio(measured: dict) -> float | None:
    zkg, peer = measured.get("zkg", {}), measured.get("oxigraph", {})
    if zkg.get("errors") or peer.get("errors") or not peer.get("rps"):
        return None
    return round(zkg["rps"] / peer["rps"], 4)


def measure(kinds, started: dict, figures: dict, args) -> dict[str, float | None]:
    """Each kind's zkg/Oxigraph ratio, from requests neither server was sent before."""
    found = {}
    for kind in kinds:
        endpoints = {name: (server, run.PATHS[name]) for name, server in started.items()}
        measured = rounds.measure(rounds.sparql_feeds(kind, endpoints, run.BASE_IRI, figures), args)
        found[kind] = _ratio(measured)
        for name, numbers in measured.items():
            rounds.say_run(kind, name, numbers)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.regression", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per server and kind (default 3)")
    parser.add_argument("--out", type=Path, help="also write the ratios and floors here (JSON)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed after)")
    args = parser.parse_args(argv)
    # What rounds.measure reads: three alternating rounds after a warm-up, wrk where installed.
    args.rounds, args.warmup, args.connections, args.workers = 3, 1.0, 8, None
    args.driver, args.max_requests = "auto", 1_000_000
    work = args.work or Path(tempfile.mkdtemp(prefix="zkg-regression-"))
    started: dict[str, servers.Server] = {}
    try:
        figures = run.prepare(SIZE, work)
        started["zkg"] = servers.start_zkg(work / "zkg-data", run.BASE_IRI, work / "zkg-serve.log")
        started["oxigraph"] = servers.start_oxigraph(work / "oxigraph-data", work / "oxigraph.log")
        ratios = measure(SPARQL_KINDS, started, figures, args)
        again = below_floor(ratios)
        if again:
            run.say(f"below the floor, measured once more: {', '.join(again)}")
            ratios.update(measure(list(again), started, figures, args))
    finally:
        for server in started.values():
            server.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    failed = below_floor(ratios)
    print("| kind | zkg / Oxigraph server | floor | target |")
    print("|---|---|---|---|")
    for kind, ratio in ratios.items():
        target = targets.RATIO_TARGETS.get(kind, {}).get("oxigraph")
        shown = "failed" if ratio is None else f"{ratio:.3f}x"
        mark = " (BELOW)" if kind in failed else ""
        print(f"| {kind} | {shown}{mark} | {floor(kind)}x | {target if target is not None else '-'} |")
    if args.out:
        args.out.write_text(json.dumps({"ratios": ratios, "floors": {k: floor(k) for k in ratios}}, indent=1))
    if failed:
        print(f"zkg: slower against its engine than the floor allows: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
