"""Load and serve at a size the side-by-side run does not reach (10M triples by default):
generate, ``zkg load`` (timed, peak memory, its progress lines counted), ``zkg serve``, and a
few request kinds under load. zkg only: at 1M rdflib-endpoint already takes a minute and
1.8 GB to parse.

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

from benchmarks import load, queries, run, servers
from benchmarks.generate import generate, parse_size


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
        server = servers.start_zkg(work / "zkg-data", run.BASE_IRI, work / "zkg-serve.log")
        results["serve_startup_s"] = round(server.startup_seconds, 1)
        try:
            kinds = {
                kind: queries.sparql_requests(
                    kind, run.BASE_IRI, "/sparql", companies=counts["companies"], sub_parks=counts["sub_parks"]
                )
                for kind in ("point", "describe")
            }
            kinds.update(
                {kind: queries.zkg_requests(kind, companies=counts["companies"]) for kind in ("page_cold", "search")}
            )
            for kind, requests in kinds.items():
                if kind != "page_cold":  # a warm-up would make the cold pages warm
                    load.run(server.url, requests, duration=2, connections=8)
                    server.settle()
                results[kind] = load.run(server.url, requests, duration=args.duration, connections=8)
                server.settle()
                run.say(
                    f"{kind:10s} {results[kind]['rps']:9.1f} req/s  p50 {results[kind]['p50_ms']:8.2f} ms  "
                    f"errors {results[kind]['errors']}"
                )
            results["serve_peak_mb"] = server.peak_rss_mb()
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
