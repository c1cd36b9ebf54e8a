"""Ratios, targets and the printed table of a benchmark results file.

``python -m benchmarks.report [results.json]`` prints the tables again (Markdown, as
docs/operations/performance.md shows them): for each size the distinct mix first (no
request text sent twice: the headline, and the one the targets are read from), then the
cached mix, labelled "cached (repeated requests)". A results file of the harness before the
distinct mix (no ``mixes`` in it) holds the cached mix alone, and is labelled so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks import targets as targets_
from benchmarks.distinct import ZKG_KINDS as DISTINCT_ZKG_KINDS
from benchmarks.queries import SPARQL_KINDS, ZKG_ONLY_KINDS

PEERS = ("oxigraph", "rdflib")
NAMES = {"zkg": "zkg", "oxigraph": "Oxigraph server", "rdflib": "rdflib-endpoint"}


def _ratio(a, b):
    return round(a / b, 3) if a and b else None


def mixes(results: dict, size: dict) -> tuple[dict | None, dict | None]:
    """(the distinct mix's runs, the cached mix's runs) of one size; None for a mix not run.
    Files of the harness before the distinct mix have no ``mixes``: their ``runs`` are cached."""
    if "mixes" not in results:
        return None, size.get("runs")
    return size.get("runs") or None, size.get("cached_runs") or None


def _ratios(runs: dict | None) -> dict:
    runs = runs or {}
    return {
        kind: {peer: _ratio(runs[kind]["zkg"]["rps"], runs[kind][peer]["rps"]) for peer in PEERS if peer in runs[kind]}
        for kind in SPARQL_KINDS
        if kind in runs and "zkg" in runs[kind]
    }


def add_ratios(results: dict) -> None:
    """Add ``ratios`` (zkg/peer req/s per kind, of the distinct mix), ``cached_ratios`` and
    ``targets`` (issue 18's, :mod:`benchmarks.targets`, read from the distinct mix when it was run; issue 6's for writes and loads) to every size."""
    baseline = (results.get("write_baseline") or {}).get("median_s")
    for size in results["sizes"]:
        distinct_runs, cached_runs = mixes(results, size)
        size["ratios"], size["cached_ratios"] = _ratios(distinct_runs), _ratios(cached_runs)
        runs = distinct_runs or cached_runs or {}
        ratios = size["ratios"] if distinct_runs else size["cached_ratios"]
        targets = []
        if not distinct_runs:
            targets.append(_info("targets read from the cached mix (repeated requests): no distinct run", None))
        for kind, peer, bound in targets_.ratio_target_names():
            name = NAMES[peer]
            targets.append(_target(f"{kind} >= {bound}x {name} req/s", ratios.get(kind, {}).get(peer), bound))
        for kind, rate in targets_.RATE_TARGETS.items():
            run = (distinct_runs or {}).get(kind, {}).get("zkg")
            met = None if not run else run["rps"] >= rate.rps and run["p99_ms"] < rate.p99_ms
            value = None if not run else f"{run['rps']:.0f}/s, p99 {run['p99_ms']:.1f} ms"
            targets.append(
                {"target": f"{kind} >= {rate.rps}/s, p99 < {rate.p99_ms} ms (distinct)", "value": value, "met": met}
            )
        servers_ = size.get("servers", {})
        zkg_mb, engine_mb = (servers_.get(n, {}).get("peak_rss_mb") for n in ("zkg", "oxigraph"))
        if zkg_mb and engine_mb:
            bound_mb = targets_.memory_bound(engine_mb)
            targets.append(
                _target(
                    f"zkg serve peak memory <= 2x the engine's + 150 MB ({bound_mb} MB)", zkg_mb, bound_mb, at_most=True
                )
            )
        if size["size"] < targets_.TARGET_SIZE:
            targets.append(_info("the ratio, rate and memory targets are set at 1M triples", None))
        # The warm page is the cached mix's (a page primed first) against the cached point lookup.
        warm = cached_runs or {}
        page, lookup = warm.get("page", {}).get("zkg"), warm.get("point", {}).get("zkg")
        if page and lookup and page["p50_ms"] and lookup["p50_ms"]:
            cost = round(page["p50_ms"] / lookup["p50_ms"], 3)
            size["page_cost_ratio"] = cost
            targets.append(
                _target(
                    "entity page (warm) <= 2x its point lookup (median latency; cached mix)", cost, 2.0, at_most=True
                )
            )
        cold, lookup = runs.get("page_cold", {}).get("zkg"), runs.get("point", {}).get("zkg")
        if cold and not cold["requests"]:
            targets.append(_info("entity page built afresh: no page completed within the run", None))
        elif cold and lookup and lookup["p50_ms"]:
            size["page_cold_cost_ratio"] = round(cold["p50_ms"] / lookup["p50_ms"], 3)
            targets.append(
                _info("entity page built afresh, vs its point lookup (median latency)", size["page_cold_cost_ratio"])
            )
        write = (size.get("write") or {}).get("median_s")
        if write and baseline:
            size["write_ratio"] = round(write / baseline, 3)
            targets.append(
                _target(
                    "validated 50-triple write <= 1.5x the small-store cost", size["write_ratio"], 1.5, at_most=True
                )
            )
        load_ratio = size["load"].get("zkg_load_ratio")
        if size["size"] >= LOAD_TARGET_SIZE:
            targets.append(_target("zkg load <= 1.2x pyoxigraph bulk load", load_ratio, 1.2, at_most=True))
        else:  # fixed costs (start-up, imports) weigh more on small loads: the target is set at 1M
            targets.append(_info("zkg load vs pyoxigraph bulk load (the 1.2x target is for 1M triples)", load_ratio))
        size["targets"] = targets


def _target(name: str, value, bound: float, *, at_most: bool = False) -> dict:
    met = None if value is None else (value <= bound if at_most else value >= bound)
    return {"target": name, "value": value, "met": met}


def _info(name: str, value) -> dict:
    """A figure reported beside the targets, not one of them."""
    return {"target": name, "value": value, "met": None, "info": True}


#: The issue sets the load target at 1M triples.
LOAD_TARGET_SIZE = 1_000_000


def _human(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def _cell(run: dict | None) -> str:
    if not run:
        return "–"
    flag = f" ({run['errors']} err)" if run.get("errors") else ""
    return f"{run['rps']:.0f} / {run['p50_ms']:.1f} / {run['p99_ms']:.1f}{flag}"


def table(results: dict) -> str:
    """The results as Markdown: one table per size, then the targets."""
    lines = [
        f"Benchmark of {results['when']} on {results['machine']['cpus']} CPUs, "
        f"{results['machine']['memory_gb']} GB; {results['settings']['connections']} connections, "
        f"{results['settings']['duration_s']} s per server and kind"
        + (
            f" in {results['settings']['rounds']} rounds taken in turn (median round shown)"
            if results["settings"].get("rounds", 1) > 1
            else ""
        )
        + f", driver {results['settings']['driver']}.",
        f"Reproduce: `{results['command']}`",
        "",
    ]
    baseline = results.get("write_baseline")
    for size in results["sizes"]:
        load = size["load"]
        lines.append(f"### {_human(size['size'])} triples ({load['quads']} quads with the ontology)")
        lines.append("")
        lines.append(
            f"Load: zkg {load['zkg_load_s']:.1f} s (peak {load['zkg_load_peak_mb']:.0f} MB), "
            f"pyoxigraph bulk load {load['pyoxigraph_bulk_load_s']:.1f} s "
            f"(peak {load['pyoxigraph_bulk_load_peak_mb']:.0f} MB): ratio {load['zkg_load_ratio']}."
        )
        servers = size.get("servers", {})
        memory = ", ".join(f"{NAMES[name]} {info['peak_rss_mb']:.0f} MB" for name, info in servers.items())
        if memory:
            lines.append(f"Peak memory serving: {memory}.")
        if "rdflib" in servers:
            lines.append(f"rdflib-endpoint took {servers['rdflib']['startup_s']:.0f} s to parse the data and answer.")
        write = size.get("write") or {}
        if write.get("median_s") is not None:
            small = (
                f" vs {baseline['median_s'] * 1000:.0f} ms at {_human(baseline['size'])}"
                if baseline and baseline.get("median_s")
                else ""
            )
            lines.append(f"Validated 50-triple write: {write['median_s'] * 1000:.0f} ms{small}.")
        elif write.get("error"):
            lines.append(f"Validated 50-triple write: not measured ({write['error']}).")
        lines.append("")
        distinct_runs, cached_runs = mixes(results, size)
        if distinct_runs:
            lines += [
                "#### Distinct requests (no request text sent twice)",
                "",
                "Every request of a kind is new to the server (warm-up and rounds included), so no "
                "answer cache, response cache or ETag answers it: these are the figures to quote.",
                "",
            ]
            lines += _runs_table(distinct_runs, size.get("ratios", {}), (*SPARQL_KINDS, *DISTINCT_ZKG_KINDS), sent=True)
        elif "mixes" not in results:
            lines += [
                "Distinct requests: not measured (this run is of the harness before the distinct mix; "
                "a run with distinct requests is pending).",
                "",
            ]
        else:
            lines += ["Distinct requests: not measured in this run (`--mixes`).", ""]
        for target in size.get("targets", []):
            value = "–" if target["value"] is None else target["value"]
            if target.get("info"):
                lines.append(f"- (info) {target['target']}: {value}")
                continue
            mark = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
            lines.append(f"- {target['target']}: {value} ({mark})")
        lines.append("")
        if cached_runs:
            lines += [
                "#### Cached (repeated requests)"
                + (", from the harness before the distinct mix" if "mixes" not in results else ""),
                "",
                "A few dozen texts per kind sent over and over, pages and documents primed first: what "
                "zkg's caches give a client asking the same things again, not its speed on new requests.",
                "",
            ]
            lines += _runs_table(cached_runs, size.get("cached_ratios", {}), (*SPARQL_KINDS, *ZKG_ONLY_KINDS))
    return "\n".join(lines)


def _sent(runs: dict, present: list[str]) -> str:
    """The distinct texts each server was sent (and repeats, if any) for one kind."""
    cells = []
    for name in ("zkg", *present):
        run = runs.get(name)
        if run and "distinct_sent" in run:
            repeats = f" (+{run['repeats']} repeated)" if run.get("repeats") else ""
            cells.append(f"{run['distinct_sent']}{repeats}")
        else:
            cells.append("–")
    return " / ".join(cells)


def _runs_table(runs: dict, ratios: dict, kinds, *, sent: bool = False) -> list[str]:
    present = [p for p in PEERS if any(p in runs.get(k, {}) for k in SPARQL_KINDS)]
    header = (
        "| request | zkg req/s / p50 ms / p99 ms | "
        + " | ".join(f"{NAMES[p]} req/s / p50 / p99" for p in present)
        + " | "
        + " | ".join(f"zkg/{NAMES[p]}" for p in present)
        + " |"
        + (f" distinct texts sent (zkg{''.join(' / ' + NAMES[p] for p in present)}) |" if sent else "")
    )
    lines = [header, "|" + "---|" * (2 + 2 * len(present) + (1 if sent else 0))]
    for kind in kinds:
        kind_runs = runs.get(kind)
        if not kind_runs:
            continue
        kind_ratios = ratios.get(kind, {})
        cells = [_cell(kind_runs.get("zkg"))] + [_cell(kind_runs.get(p)) for p in present]
        cells += [f"{kind_ratios[p]:.2f}x" if kind_ratios.get(p) else "–" for p in present]
        if sent:
            cells.append(_sent(kind_runs, present))
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    path = Path((argv or sys.argv[1:] or ["benchmarks/results/latest.json"])[0])
    results = json.loads(path.read_text(encoding="utf-8"))
    add_ratios(results)  # again, with this version's targets
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
