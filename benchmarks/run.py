"""The side-by-side benchmark: zkg, Oxigraph server and rdflib-endpoint on the same data.

    python -m benchmarks.run --sizes 100k,1M          # the full run (README, Performance)
    python -m benchmarks.run --quick                   # a smoke run of a few seconds

For each size: generate the data (:mod:`benchmarks.generate`), load it with ``zkg load``
(timed, peak memory) and with pyoxigraph's bulk loader (the baseline; that store is then
served by ``oxigraph serve``), dump it as N-Quads for rdflib-endpoint, start the three
servers, drive each with the same requests through a bounded loopback load generator
(:mod:`benchmarks.load`), the servers taking turns (:mod:`benchmarks.rounds`), and time a
validated 50-triple curator write (:mod:`benchmarks.writes`). Two mixes of requests: the
distinct mix (:mod:`benchmarks.distinct`: no request text is sent to a server twice, so no
cache answers one; the headline) and the cached mix (:mod:`benchmarks.queries`: a few dozen
texts repeated, pages primed; labelled "cached (repeated requests)"). Results go to a JSON file (default
``benchmarks/results/latest.json``) and a table on standard output
(:mod:`benchmarks.report`), with the ratios zkg/peer and the targets of issue 6.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import distinct, load, queries, report, rounds, servers, writes
from benchmarks.generate import generate, parse_size

BASE_IRI = "http://localhost:8080/"
REPO = servers.REPO
ONTOLOGY = REPO / "ontology"
RESULTS = REPO / "benchmarks" / "results" / "latest.json"

BULK_LOAD_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[4])
import pyoxigraph as ox
from zkg.store import loading
sources = loading.discover_sources(graph_dir=sys.argv[2], ontology_dir=sys.argv[3], base_iri=sys.argv[5])
# pyoxigraph at its fastest on these files: one bulk load fed straight from the parser (one
# bulk_load call per file is much slower: each call is a bulk load of its own).
def quads():
    for source in sources:
        found = ox.parse(path=str(source.path), format=source.format, base_iri=sys.argv[5], rename_blank_nodes=True)
        if source.target_graph is not None:
            found = (ox.Quad(t.subject, t.predicate, t.object, source.target_graph) for t in found)
        yield from found
started = time.perf_counter()
store = ox.Store(sys.argv[1])
store.bulk_extend(quads())
store.flush()
# Compacted, as `zkg load` compacts its own (zkg.store.local_loading.compact): the peer's scans
# then read the same layout as zkg's engine, and both load times include it.
store.optimize()
print(time.perf_counter() - started)
"""


def _timed(command: list[str], *, env=None) -> tuple[float, float, str, str]:
    """Run ``command``; (seconds, peak RSS in MB, stdout, stderr). Raises on failure."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    # The child is reaped by communicate(); its own peak is in RUSAGE_CHILDREN only cumulatively,
    # so each timed command runs in a fresh interpreter reporting its own peak below.
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… failed: {err[-800:]}")
    return seconds, _peak_from_stderr(err), out, err


def _peak_from_stderr(err: str) -> float:
    for line in reversed(err.splitlines()):
        if line.startswith("ZKG-PEAK-RSS-KB "):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


PEAK_WRAPPER = r"""
import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    if sys.argv[0] == "-c":
        code, sys.argv = sys.argv[1], ["-c", *sys.argv[2:]]
        exec(compile(code, "<bench>", "exec"), {"__name__": "__main__"})
    else:
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
except SystemExit as exit:
    if exit.code not in (0, None):
        raise
finally:
    print("ZKG-PEAK-RSS-KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _python(*args: str) -> list[str]:
    """A Python command that reports its own peak memory on stderr."""
    return [sys.executable, "-c", PEAK_WRAPPER, *args]


def zkg_load(work: Path) -> tuple[float, float, list[str]]:
    """``zkg load`` of ``work``'s generated files into ``work/zkg-data``: (seconds, peak RSS
    in MB, the progress lines it printed)."""
    seconds, peak, _out, err = _timed(
        _python(
            "zkg.cli.main",
            "load",
            "--data",
            str(work / "zkg-data"),
            "--base-iri",
            BASE_IRI,
            "--graph-dir",
            str(work / "graph"),
            "--ontology-dir",
            str(ONTOLOGY),
        ),
        env=servers.zkg_env(),
    )
    return seconds, peak, [line.strip() for line in err.splitlines() if line.rstrip().endswith("quads…")]


def prepare(size: int, work: Path, *, seed: int = 1) -> dict:
    """Generate, load with zkg and with pyoxigraph, dump N-Quads; the load figures."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    counts = generate(size, work, seed=seed)
    env = servers.zkg_env()
    zkg_seconds, zkg_peak, _progress = zkg_load(work)
    bulk_seconds, bulk_peak, out, _ = _timed(
        _python(
            "-c", BULK_LOAD_SCRIPT, str(work / "oxigraph-data"), str(work / "graph"), str(ONTOLOGY), str(REPO), BASE_IRI
        ),
        env=env,
    )
    import pyoxigraph as ox

    dump_started = time.perf_counter()
    store = ox.Store.read_only(str(work / "oxigraph-data"))
    quads = len(store)
    store.dump(str(work / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    del store
    return {
        "triples": counts["triples"],
        "quads": quads,
        "companies": counts["companies"],
        "people": counts["people"],
        "sub_parks": counts["sub_parks"],
        "sources": counts["sources"],
        "zkg_load_s": round(zkg_seconds, 3),
        "zkg_load_peak_mb": zkg_peak,
        "pyoxigraph_bulk_load_s": round(bulk_seconds, 3),
        "pyoxigraph_bulk_load_peak_mb": bulk_peak,
        "zkg_load_ratio": round(zkg_seconds / bulk_seconds, 3) if bulk_seconds else None,
        "dump_s": round(time.perf_counter() - dump_started, 3),
    }


#: Kinds of the cached mix whose steady state is warm: every request is made a few times (new
#: connections, so every worker gets some) before the measurement.
PRIMED = ("page", "data", "search")

#: Kinds of the cached mix measured in one round: later rounds would repeat the first one's
#: requests, which are then no longer cold.
ONE_ROUND = ("page_cold",)

MIXES = ("distinct", "cached")
#: The SPARQL endpoint's path on each server.
PATHS = {"zkg": "/sparql", "oxigraph": "/query", "rdflib": "/"}


def measure_distinct(started: dict[str, servers.Server], figures: dict, args) -> dict[str, dict]:
    """Every kind with requests never sent before (:mod:`benchmarks.distinct`): the headline."""
    runs = {}
    for kind in queries.SPARQL_KINDS:
        endpoints = {name: (server, PATHS[name]) for name, server in started.items()}
        runs[kind] = rounds.measure(rounds.sparql_feeds(kind, endpoints, BASE_IRI, figures), args)
        for name, numbers in runs[kind].items():
            rounds.say_run(kind, name, numbers)
    for kind in distinct.ZKG_KINDS:
        feed = rounds.Feed(lambda count, kind=kind: distinct.zkg_requests(kind, figures, count))
        runs[kind] = rounds.measure({"zkg": (started["zkg"], feed)}, args)
        rounds.say_run(kind, "zkg", runs[kind]["zkg"])
    return runs


def measure_cached(started: dict[str, servers.Server], figures: dict, args) -> dict[str, dict]:
    """The mix of repeated requests (:mod:`benchmarks.queries`), pages primed first: what zkg's
    caches give a client that asks the same things again; never the headline."""
    runs = {}
    for kind in queries.SPARQL_KINDS:
        targets = {
            name: (
                server,
                queries.sparql_requests(
                    kind, BASE_IRI, PATHS[name], companies=figures["companies"], sub_parks=figures["sub_parks"]
                ),
            )
            for name, server in started.items()
        }
        runs[kind] = rounds.measure(targets, args)
        for name, numbers in runs[kind].items():
            rounds.say_run(f"{kind} (cached)", name, numbers)
    for kind in queries.ZKG_ONLY_KINDS:
        requests = queries.zkg_requests(kind, companies=figures["companies"])
        if kind in PRIMED:
            rounds.prime(started["zkg"].url, requests, rounds=2 * (args.workers or os.cpu_count() or 1))
        runs[kind] = rounds.measure({"zkg": (started["zkg"], requests)}, args, rounds=1 if kind in ONE_ROUND else None)
        rounds.say_run(f"{kind} (cached)", "zkg", runs[kind]["zkg"])
    return runs


def run_size(size: int, args, work_root: Path) -> dict:
    work = work_root / f"size-{size}"
    say(f"== {size} triples: generating and loading in {work}")
    figures = prepare(size, work, seed=args.seed)
    say(f"   zkg load {figures['zkg_load_s']} s, pyoxigraph bulk load {figures['pyoxigraph_bulk_load_s']} s")
    result: dict = {"size": size, "load": figures, "runs": {}, "servers": {}}
    started: dict[str, servers.Server] = {}
    try:
        started["zkg"] = servers.start_zkg(
            work / "zkg-data",
            BASE_IRI,
            work / "zkg-serve.log",
            workers=args.workers,
            answer_cache=not args.no_answer_cache,
        )
        if "oxigraph" in args.peers:
            started["oxigraph"] = servers.start_oxigraph(work / "oxigraph-data", work / "oxigraph.log")
        if "rdflib" in args.peers:
            if servers.rdflib_endpoint_executable() is None:
                say(f"   rdflib-endpoint not installed with its command line ({servers.PEER_INSTALL}): skipped")
            else:
                started["rdflib"] = servers.start_rdflib_endpoint(work / "dataset.nq", work / "rdflib.log")
                say(f"   rdflib-endpoint ready after {started['rdflib'].startup_seconds:.1f} s")
        if "distinct" in args.mixes:
            result["runs"] = measure_distinct(started, figures, args)
        if "cached" in args.mixes:
            result["cached_runs"] = measure_cached(started, figures, args)
        for name, server in started.items():
            result["servers"][name] = {
                "peak_rss_mb": server.peak_rss_mb(),
                "startup_s": round(server.startup_seconds, 2),
            }
    finally:
        for server in started.values():
            server.stop()
    if not args.skip_writes:
        result["write"] = writes.measure_write(work / "zkg-data", BASE_IRI, repeats=args.write_repeats)
        if result["write"].get("median_s") is not None:
            say(f"   validated 50-triple write: {result['write']['median_s'] * 1000:.1f} ms (median)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated sizes in triples (default 100k,1M)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: tiny size, short runs, zkg and Oxigraph only"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per server and query kind")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the servers take turns this many times per kind; each one's median round is reported",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unrecorded load before each run")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="most requests per run (Python driver)")
    parser.add_argument("--driver", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--peers", default="oxigraph,rdflib", help="peers to run beside zkg")
    parser.add_argument("--workers", type=int, default=None, help="zkg serve --workers (default: its own default)")
    parser.add_argument("--write-size", default="10k", help="the small size the write cost is compared with")
    parser.add_argument("--write-repeats", type=int, default=5)
    parser.add_argument("--skip-writes", action="store_true")
    parser.add_argument(
        "--no-answer-cache",
        action="store_true",
        help="zkg without its per-version cache of SPARQL answers (every query goes to the engine); "
        "it leaves on the response cache of pages, data documents and search, the front cache that serves "
        "those before Flask, ETag revalidation and the label index: the distinct mix is what measures "
        "requests none of these can answer",
    )
    parser.add_argument(
        "--mixes",
        default=",".join(MIXES),
        help="distinct (every request text new: the headline), cached (repeated requests, pages primed), "
        "or both (default distinct,cached)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and stores")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS.relative_to(REPO)})")
    args = parser.parse_args(argv)
    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if args.quick:
        args.sizes, args.duration, args.warmup, args.rounds = "2k", min(args.duration, 1.0), 0.2, 1
        args.connections, args.write_repeats = min(args.connections, 4), 2
        args.write_size = "2k"
        if "--peers" not in (argv or sys.argv):
            args.peers = "oxigraph"
        if "--driver" not in (argv or sys.argv):
            args.driver = "python"
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    args.mixes = [m.strip() for m in args.mixes.split(",") if m.strip()]
    if not args.mixes or set(args.mixes) - set(MIXES):
        parser.error(f"--mixes: one or more of {', '.join(MIXES)}")
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    work_root = args.work or Path(tempfile.mkdtemp(prefix="zkg-bench-"))
    results = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
        "settings": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "driver": args.driver if args.driver != "auto" else ("wrk" if load.have_wrk() else "python"),
            "workers": args.workers,
            "answer_cache": not args.no_answer_cache,
        },
        #: The mixes measured: ``runs`` holds the distinct mix, ``cached_runs`` the cached one.
        "mixes": args.mixes,
        "sizes": [],
    }
    try:
        small = parse_size(args.write_size)
        if not args.skip_writes and small not in sizes:
            say(f"== {small} triples: the small store for the write comparison")
            work = work_root / f"write-{small}"
            figures = prepare(small, work, seed=args.seed)
            results["write_baseline"] = {
                "size": small,
                "load": figures,
                **writes.measure_write(work / "zkg-data", BASE_IRI, repeats=args.write_repeats),
            }
            shutil.rmtree(work, ignore_errors=True)
        for size in sizes:
            results["sizes"].append(run_size(size, args, work_root))
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
    report.add_ratios(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report.table(results))
    say(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
