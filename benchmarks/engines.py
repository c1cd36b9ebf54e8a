"""zkg in front of each remote engine it supports, against the engine alone, in one run.

    python -m benchmarks.engines --size 100k          # Oxigraph server and Virtuoso
    python -m benchmarks.engines --quick               # a smoke run of a few seconds

The data is generated (:mod:`benchmarks.generate`), loaded with ``zkg load`` and written out
with ``zkg export --format nquads``; then each engine loads those N-Quads with its own loader
as the README says (timed: ``oxigraph load``; Virtuoso's bulk loader through ``isql-vt``, with
``deploy/virtuoso.ini`` and ``deploy/virtuoso-private-graphs.sql``), is started, and ``zkg serve --store`` is started in front of it. Each
of the two gets SPARQL requests it was never sent before, of the same kinds
(:mod:`benchmarks.distinct`), at the engine's own endpoint and at zkg's ``/sparql``, the two
taking turns (:func:`benchmarks.rounds.measure`); the entity pages, data documents and search
(distinct too) are zkg's alone. zkg keeps no answer cache in front of a remote engine
(only for the engine it manages), so every request goes to the engine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import distinct, queries, rounds, servers
from benchmarks.generate import generate, parse_size
from benchmarks.rounds import measure
from benchmarks.run import BASE_IRI, say, zkg_load

REPO = servers.REPO
RESULTS = REPO / "benchmarks" / "results" / "engines-latest.json"
ENGINES = ("oxigraph", "virtuoso")


def _zkg(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "zkg.cli.main", *args], env=servers.zkg_env(), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"zkg {' '.join(args[:3])}… failed: {done.stderr[-500:]}")


def prepare(size: int, work: Path, *, seed: int) -> dict:
    """Generate, ``zkg load`` (timed), ``zkg export`` to ``work/zkg.nq``."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    counts = generate(size, work, seed=seed)
    seconds, peak, _ = zkg_load(work)
    _zkg(
        "export",
        "--data",
        str(work / "zkg-data"),
        "--base-iri",
        BASE_IRI,
        "--format",
        "nquads",
        "-o",
        str(work / "zkg.nq"),
    )
    with open(work / "zkg.nq", "rb") as dump:
        quads = sum(1 for _ in dump)
    return {**counts, "quads": quads, "zkg_load_s": round(seconds, 3), "zkg_load_peak_mb": peak}


def start_oxigraph(work: Path) -> tuple[servers.Server, float, str]:
    """(server, load seconds, the store setting) for Oxigraph server on the export."""
    location = work / "oxigraph-store"
    started = time.perf_counter()
    subprocess.run(
        [servers.oxigraph_executable(), "load", "--location", str(location), "--file", str(work / "zkg.nq")],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    server = servers.start_oxigraph(location, work / "oxigraph.log")
    return server, seconds, f"sparql+{server.url}/query"


def start_virtuoso(work: Path) -> tuple[servers.Server, float, str]:
    """(server, load seconds, the store setting) for Virtuoso on the export: the README's
    recipe, its two ports made free ones."""
    folder = work / "virtuoso"
    folder.mkdir()
    isql_port, http_port = servers.free_port(), servers.free_port()
    ini = (REPO / "deploy" / "virtuoso.ini").read_text(encoding="utf-8")
    ini = ini.replace("127.0.0.1:1111", f"127.0.0.1:{isql_port}").replace("127.0.0.1:8890", f"127.0.0.1:{http_port}")
    (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
    shutil.copy(work / "zkg.nq", folder / "zkg.nq")
    server = _VirtuosoServer(folder, http_port)
    started = time.perf_counter()
    loaded = subprocess.run(
        [
            "isql-vt",
            f"127.0.0.1:{isql_port}",
            "dba",
            "dba",
            "exec=ld_dir('.', 'zkg.nq', 'urn:x-zkg:default'); rdf_loader_run(); checkpoint;",
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if loaded.returncode != 0 or "*** Error" in loaded.stdout:
        server.stop()
        raise RuntimeError(f"Virtuoso's bulk loader failed: {loaded.stdout[-500:]}{loaded.stderr[-500:]}")
    for step in (str(REPO / "deploy" / "virtuoso-private-graphs.sql"), 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'):
        subprocess.run(["isql-vt", f"127.0.0.1:{isql_port}", "dba", "dba", step], check=True, capture_output=True)
    return server, seconds, f"sparql+{server.url}/sparql"


class _VirtuosoServer(servers.Server):
    def __init__(self, folder: Path, port: int):
        super().__init__(
            "virtuoso",
            ["virtuoso-t", "-f", "-c", "virtuoso.ini"],
            url=f"http://127.0.0.1:{port}",
            log=folder.parent / "virtuoso-run.log",
            ready_path="/sparql?query=ASK%7B%7D",
            cwd=folder,
        )


def run_engine(name: str, work: Path, figures: dict, args) -> dict:
    starter = start_oxigraph if name == "oxigraph" else start_virtuoso
    engine, load_seconds, store = starter(work)
    say(f"   {name}: loaded in {load_seconds:.2f} s (zkg load: {figures['zkg_load_s']} s)")
    result: dict = {"load_s": round(load_seconds, 3), "runs": {}}
    front = None
    try:
        front = servers.start_zkg(
            work / f"front-{name}", BASE_IRI, work / f"zkg-{name}.log", workers=args.workers, store=store
        )
        result["probe"] = front.said
        engine_path = "/query" if name == "oxigraph" else "/sparql"
        for kind in queries.SPARQL_KINDS:
            # Requests never sent before (benchmarks.distinct): no cache of either answers them.
            endpoints = {name: (engine, engine_path), "zkg": (front, "/sparql")}
            targets = rounds.sparql_feeds(kind, endpoints, BASE_IRI, figures)
            result["runs"][kind] = measured = measure(targets, args)
            ratio = measured["zkg"]["rps"] / measured[name]["rps"] if measured[name]["rps"] else None
            measured["ratio"] = round(ratio, 3) if ratio is not None else None
            say(
                f"   {kind:13s} {name} {measured[name]['rps']:8.1f} req/s, zkg in front {measured['zkg']['rps']:8.1f} "
                f"req/s ({measured['ratio']}x), errors {measured[name]['errors']}/{measured['zkg']['errors']}"
            )
        for kind in ("page_cold", "data", "search"):
            feed = rounds.Feed(lambda count, kind=kind: distinct.zkg_requests(kind, figures, count))
            result["runs"][kind] = measured = measure({"zkg": (front, feed)}, args, rounds=1)
            say(f"   {kind:13s} zkg in front {measured['zkg']['rps']:8.1f} req/s, errors {measured['zkg']['errors']}")
        result["peak_rss_mb"] = {name: engine.peak_rss_mb(), "zkg": front.peak_rss_mb()}
    finally:
        if front is not None:
            front.stop()
        engine.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", help="triples (default 100k)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2k triples, short runs")
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of load per server and kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--driver", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.duration, args.warmup, args.rounds, args.driver = "2k", 1.0, 0.2, 1, "python"
    size = parse_size(args.size)
    work = Path(tempfile.mkdtemp(prefix="zkg-engines-"))
    results: dict = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.engines " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cpus": os.cpu_count(),
        "size": size,
        "engines": {},
    }
    try:
        say(f"== {size} triples: generating, zkg load, zkg export in {work}")
        results["data"] = figures = prepare(size, work, seed=args.seed)
        for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
            results["engines"][name] = run_engine(name, work, figures, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    say(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
