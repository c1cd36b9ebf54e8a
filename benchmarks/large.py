"""Load and serve at a size the side-by-side run does not reach (10M triples by default):
generate, ``zkg load`` (timed, peak memory, its progress lines counted), ``zkg serve``, the
first search after the start, a few request kinds under load with requests never sent twice
(:mod:`benchmarks.distinct`), how soon search finds a curator's write
(:mod:`benchmarks.search_after_write`), and peak memory of zkg's processes and of its engine
apart. zkg only: at 1M rdflib-endpoint already takes a minute and 1.8 GB to parse.

    python -m benchmarks.large --triples 10M      # benchmarks/results/10m.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import distinct, load, run, search_after_write, servers, targets
from benchmarks.generate import generate, parse_size


def memory(server: servers.Server) -> dict:
    """Peak resident memory (VmHWM) of the engine process, and of zkg's own processes."""
    processes = servers.tree(server.process.pid)
    engine = [pid for pid in processes if b"oxigraph" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    engine_mb = sum(servers.peak_rss_mb(pid) for pid in engine)
    return {"engine_peak_mb": round(engine_mb, 1), "zkg_peak_mb": round(server.peak_rss_mb() - engine_mb, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.large", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="10M", help="size in triples (default 10M)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per request kind")
    parser.add_argument("--out", type=Path, default=run.REPO / "benchmarks" / "results" / "10m.json")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed after)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="zkg-large-"))
    try:
        started = time.perf_counter()
        counts = generate(parse_size(args.triples), work)
        results: dict = {"triples": counts["triples"], "generate_s": round(time.perf_counter() - started, 1)}
        run.say(f"generated {counts['triples']} triples in {results['generate_s']} s")
        seconds, peak, progress = run.zkg_load(work)
        results.update(zkg_load_s=round(seconds, 1), zkg_load_peak_mb=peak, progress_lines=len(progress))
        run.say(
            f"zkg load {results['zkg_load_s']} s, peak {peak} MB, "
            f"{len(progress)} progress lines (last: {progress[-1] if progress else '-'})"
        )
        token = search_after_write.write_token(work / "zkg-data")
        server = servers.start_zkg(work / "zkg-data", run.BASE_IRI, work / "zkg-serve.log")
        results["serve_startup_s"] = round(server.startup_seconds, 1)
        try:
            # The first search after the start, before anything else warms the server.
            first, _found = search_after_write.search(server.url, "technology")
            results["first_search_s"] = round(first, 3)
            run.say(f"first search after the start: {first:.3f} s")
            for kind in ("point", "describe", "page_cold", "data", "search"):
                if kind in distinct.ZKG_KINDS:
                    requests = distinct.zkg_requests(kind, counts, 200_000)
                else:
                    requests = distinct.sparql_requests(kind, run.BASE_IRI, "/sparql", counts, 200_000)
                results[kind] = load.run(server.url, requests, duration=args.duration, connections=8, cycle=False)
                server.settle()
                run.say(
                    f"{kind:10s} {results[kind]['rps']:9.1f} req/s  p50 {results[kind]['p50_ms']:8.2f} ms  "
                    f"p99 {results[kind]['p99_ms']:8.2f} ms  errors {results[kind]['errors']}  "
                    f"distinct {results[kind]['distinct']}, repeats {results[kind]['repeats']}"
                )
            found = search_after_write.measure(server.url, run.BASE_IRI, token, companies=counts["companies"])
            results["search_after_write"] = found
            run.say(
                f"a write found by search after {found['median_found_after_s']} s (median of {len(found['runs'])}; "
                f"max {found['max_found_after_s']} s; the write itself {found['median_write_s']} s)"
            )
            results.update(memory(server))
            run.say(
                f"peak memory: zkg {results['zkg_peak_mb']} MB beside its engine's {results['engine_peak_mb']} MB "
                f"(bound {targets.memory_bound(results['engine_peak_mb'])} MB)"
            )
        finally:
            server.stop()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
