"""What the kept union default graph costs (issue 19, zkg.store.union_graph): the same
generated data loaded by this zkg (named graphs and their union) and by an earlier one (named
graphs only, its default graph asked as pyoxigraph's union option): ``zkg load``'s time and
peak memory, the store's size on disk, one curator's write through the write path, and a
point lookup and two aggregates over the default graph, each the median of several runs.

    python -m benchmarks.union_cost --triples 1M --before 1baffe3   # benchmarks/results/union-1m.json

``--before``: the commit of the earlier zkg (taken with ``git archive``, run from its own
folder with this interpreter).
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
from pathlib import Path

from benchmarks import run
from benchmarks.generate import generate, parse_size

#: Measured in a process of its own, under either zkg: a write, and the queries.
MEASURE = r"""
import json, statistics, sys, time
import pyoxigraph as ox
from zkg.store.local import Store
from zkg.curation.writer import Attribution, Curator

data, base, mode = sys.argv[1], sys.argv[2], sys.argv[3]
store = Store.open(data, base_iri=base)
entity = next(iter(store.query("SELECT ?s { GRAPH ?g { ?s a ?t } FILTER(isIRI(?s)) } LIMIT 1")))["s"]
queries = {
    "point": f"SELECT ?p ?o {{ {entity} ?p ?o }}",
    "count_all": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "count_by_type": "SELECT ?t (COUNT(?s) AS ?n) { ?s a ?t } GROUP BY ?t",
}
figures = {}
for name, text in queries.items():
    times = []
    for _ in range(7):
        started = time.perf_counter()
        if mode == "union-option":  # the earlier zkg's reading: pyoxigraph's union of all graphs
            rows = list(store.oxigraph.query(text, use_default_graph_as_union=True))
        else:
            rows = list(store.query(text))
        times.append(time.perf_counter() - started)
    figures[name + "_ms"] = round(statistics.median(times) * 1000, 2)
    figures[name + "_rows"] = len(rows)
    if name == "count_all":
        figures["count_all_value"] = int(rows[0]["n"].value)
curator = Curator(store)
times = []
for i in range(7):
    quad = ox.Quad(entity, ox.NamedNode(base + "def/benchmarkNote"), ox.Literal(f"note {i}"))
    started = time.perf_counter()
    curator.write(Attribution("Bench", source="https://example.org/bench"), additions=[quad])
    times.append(time.perf_counter() - started)
figures["write_ms"] = round(statistics.median(times) * 1000, 1)
print(json.dumps(figures))
"""


def _load(code: Path, work: Path, data: Path) -> dict:
    """``zkg load`` of ``work``'s files into ``data`` by the zkg in ``code``: seconds, peak MB."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [
        sys.executable,
        "-c",
        run.PEAK_WRAPPER,
        "zkg.cli.main",
        "load",
        "--data",
        str(data),
        "--base-iri",
        run.BASE_IRI,
        "--graph-dir",
        str(work / "graph"),
        "--ontology-dir",
        str(code / "ontology"),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"zkg load failed ({code}):\n{done.stderr[-2000:]}")
    return {"load_s": round(seconds, 1), "load_peak_mb": run._peak_from_stderr(done.stderr)}


def _measure(code: Path, data: Path, mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(data), run.BASE_IRI, mode],
        env=env,
        cwd=code,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring failed ({code}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _size_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.union_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="1M", help="size in triples (default 1M)")
    parser.add_argument("--before", required=True, help="the commit of the earlier zkg to compare with")
    parser.add_argument("--out", type=Path, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="zkg-union-"))
    try:
        counts = generate(parse_size(args.triples), work)
        before = work / "before-code"
        before.mkdir()
        archive = subprocess.run(["git", "archive", args.before], cwd=run.REPO, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        results: dict = {"triples": counts["triples"], "before": args.before}
        for name, code, mode in (("before", before, "union-option"), ("kept union", run.REPO, "kept")):
            data = work / f"data-{name.replace(' ', '-')}"
            figures = _load(code, work, data)
            figures["store_mb"] = _size_mb(data)
            figures.update(_measure(code, data, mode))
            results[name] = figures
            run.say(f"{name}: {figures}")
        if args.out is not None:
            args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
