"""The benchmark harness runs end to end at a tiny size and gives sane numbers.

Not a speed test: it checks that the generator, the loaders, zkg serve, the Oxigraph server,
the load generator and the report work together (``python -m benchmarks.run --quick``), and
that the generated data conforms to the shapes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

from benchmarks import generate, queries, report, run  # noqa: E402

pytestmark = pytest.mark.slow


def test_generator_is_deterministic_and_sized(tmp_path):
    first = generate.generate(3000, tmp_path / "a")
    second = generate.generate(3000, tmp_path / "b")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.trig"))
    assert files and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert first == second and 3000 <= first["triples"] < 3300


def test_generated_data_conforms_to_the_shapes(tmp_path):
    from zkg.store.local import Store
    from zkg.validation.shacl import validate

    generate.generate(600, tmp_path)
    store = Store.open(base_iri=run.BASE_IRI)
    store.load_sources(graph_dir=tmp_path / "graph", ontology_dir=run.ONTOLOGY)
    report_ = validate(store)
    assert report_.conforms, [r.message for r in report_.results][:5]


def test_quick_run_measures_zkg_and_oxigraph(tmp_path):
    from benchmarks import distinct

    out = tmp_path / "results.json"
    assert run.main(["--quick", "--duration", "0.3", "--skip-writes", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    (size,) = results["sizes"]
    assert results["mixes"] == ["distinct", "cached"]
    assert size["load"]["zkg_load_s"] > 0 and size["load"]["pyoxigraph_bulk_load_s"] > 0
    for mix, runs, ratios in (("distinct", "runs", "ratios"), ("cached", "cached_runs", "cached_ratios")):
        for kind in queries.SPARQL_KINDS:
            for server in ("zkg", "oxigraph"):
                numbers = size[runs][kind][server]
                assert numbers["requests"] > 0 and numbers["rps"] > 0, (mix, kind, server)
                assert numbers["errors"] == 0, (mix, kind, server, numbers)
                assert 0 < numbers["p50_ms"] <= numbers["p99_ms"] + 1e-9
                if mix == "distinct":  # the Python driver never sends a text twice
                    assert numbers["distinct_sent"] >= numbers["requests"] and numbers["repeats"] == 0
            assert size[ratios][kind]["oxigraph"] > 0
    for kind in queries.ZKG_ONLY_KINDS:
        assert size["cached_runs"][kind]["zkg"]["errors"] == 0 and size["cached_runs"][kind]["zkg"]["requests"] > 0
    for kind in distinct.ZKG_KINDS:
        numbers = size["runs"][kind]["zkg"]
        assert numbers["errors"] == 0 and numbers["requests"] > 0 and numbers["repeats"] == 0, (kind, numbers)
    assert size["servers"]["zkg"]["peak_rss_mb"] > 0
    printed = report.table(results)
    assert "| point |" in printed
    assert printed.index("Distinct requests") < printed.index("Cached (repeated requests)")


def test_load_generator_refuses_other_hosts():
    from benchmarks import load

    with pytest.raises(ValueError):
        load.run("http://example.org", [queries.Request("/", "text/plain")], duration=0.1)


def test_the_first_failing_request_of_a_mix_is_named():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from benchmarks import load

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status = 200 if self.path == "/fine" else 503
            body = b"ok" if status == 200 else b"the engine is\nrestarting"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        mix = [queries.Request("/fine", "text/plain"), queries.Request("/broken", "text/plain")]
        assert load._first_error(url, mix, 5) == "503 the engine is restarting"
        assert load._first_error(url, mix[:1], 5) is None
    finally:
        server.shutdown()


def test_the_large_run_loads_with_progress_and_serves(tmp_path):
    from benchmarks import large

    out = tmp_path / "large.json"
    assert large.main(["--triples", "12k", "--duration", "0.3", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["triples"] >= 12_000 and results["zkg_load_s"] > 0
    assert results["progress_lines"] >= 1  # past 10,000 quads the load is a bulk load, with progress
    for kind in ("point", "describe", "page_cold", "data", "search"):
        assert results[kind]["errors"] == 0 and results[kind]["requests"] > 0, (kind, results[kind])
        assert results[kind]["distinct"] > 0 and results[kind]["repeats"] == 0, (kind, results[kind])
    # A curator's write over HTTP, found by search: every one of them, and timed.
    found = results["search_after_write"]
    assert found["not_found"] == 0 and len(found["runs"]) == 5 and found["median_found_after_s"] >= 0
    assert all(run["polls"] >= 1 and run["write_s"] > 0 for run in found["runs"])
    assert results["first_search_s"] > 0
    assert 0 < results["engine_peak_mb"] and 0 < results["zkg_peak_mb"]


def test_the_engines_run_sends_each_server_distinct_requests(tmp_path):
    """``python -m benchmarks.engines --quick`` with Oxigraph server: zkg in front of the
    engine and the engine alone each get SPARQL texts they were never sent before."""
    from benchmarks import engines

    out = tmp_path / "engines.json"
    assert engines.main(["--quick", "--engines", "oxigraph", "--duration", "0.3", "--out", str(out)]) == 0
    runs = json.loads(out.read_text())["engines"]["oxigraph"]["runs"]
    for kind in queries.SPARQL_KINDS:
        for server in ("zkg", "oxigraph"):
            numbers = runs[kind][server]
            assert numbers["requests"] > 0 and numbers["errors"] == 0, (kind, server, numbers)
            assert numbers["repeats"] == 0 and numbers["distinct_sent"] >= numbers["requests"], (kind, server)
    for kind in ("page_cold", "data", "search"):
        assert runs[kind]["zkg"]["requests"] > 0 and runs[kind]["zkg"]["repeats"] == 0, kind
