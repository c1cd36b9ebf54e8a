"""The distinct mix: thousands of distinct texts per kind, none sent twice, reported first.

The counts are those of the generated data at 100k and 1M triples (537 companies in 5
sub-parks, 5,373 in 50; two people a company), as ``benchmarks/results/latest.json`` holds.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace

import pytest

from benchmarks import distinct, load, queries, report, rounds
from tests.support.stub_http import serving

AT_100K = {"companies": 537, "people": 1074, "sub_parks": 5}
AT_1M = {"companies": 5373, "people": 10746, "sub_parks": 50}
BASE = "http://localhost:8080/"


@pytest.mark.parametrize("counts", [AT_100K, AT_1M], ids=["100k", "1M"])
@pytest.mark.parametrize("kind", queries.SPARQL_KINDS)
def test_each_sparql_kind_has_5000_distinct_texts(kind, counts):
    requests = distinct.sparql_requests(kind, BASE, "/sparql", counts, 5000)
    assert len({(r.path, r.accept) for r in requests}) == len(requests) == 5000
    # and without the modifier that only lengthens a list (a LIMIT far above a lookup's rows)
    if kind in ("point", "describe"):
        assert len(distinct.entities(counts)) >= distinct.AT_LEAST
    if kind == "label_search":
        assert len(distinct.words(counts)) >= distinct.AT_LEAST


@pytest.mark.parametrize("counts", [AT_100K, AT_1M], ids=["100k", "1M"])
@pytest.mark.parametrize("kind", distinct.ZKG_KINDS)
def test_each_zkg_kind_has_5000_distinct_requests(kind, counts):
    requests = distinct.zkg_requests(kind, counts, 5000)
    assert len(set(requests)) == len(requests) == 5000


def test_a_longer_list_starts_with_the_shorter_one():
    for kind in queries.SPARQL_KINDS:
        assert distinct.texts(kind, BASE, AT_100K, 20_000)[:7000] == distinct.texts(kind, BASE, AT_100K, 7000)
    for kind in distinct.ZKG_KINDS:
        assert distinct.zkg_requests(kind, AT_100K, 9000)[:3000] == distinct.zkg_requests(kind, AT_100K, 3000)


@pytest.fixture
def recording_server():
    """A loopback server answering 200 to everything and counting the paths it was sent."""
    seen: Counter = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            with lock:
                seen[self.path] += 1
            # One write: headers and body apart would wait on delayed ACKs (40 ms a request).
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        def log_message(self, *args):
            pass

    with serving(Handler) as url:
        yield url, seen


def test_the_python_driver_stops_at_the_lists_end(recording_server):
    url, seen = recording_server
    mix = [queries.Request(f"/{i}", "text/plain") for i in range(300)]
    result = load.run(url, mix, duration=30, connections=4, driver="python", cycle=False)
    assert result["sent"] == result["distinct"] == result["requests"] == 300 and result["repeats"] == 0
    assert set(seen) == {r.path for r in mix} and max(seen.values()) == 1
    assert result["seconds"] < 30  # it stopped at the end, not at the deadline


def test_the_cached_mix_cycles_through_its_list(recording_server):
    url, seen = recording_server
    mix = [queries.Request(f"/{i}", "text/plain") for i in range(5)]
    result = load.run(url, mix, duration=30, connections=2, driver="python", max_requests=40)
    assert result["sent"] == 40 and result["distinct"] == 5 and result["repeats"] == 35
    assert all(count == 8 for count in seen.values())  # each text once before any again


def test_wrk_counts_what_it_sends_past_the_lists_end(recording_server):
    if not load.have_wrk():  # a failure saying what to install, never a skip (.ci/run installs it)
        pytest.fail("this test needs wrk, the load generator the harness prefers: apt-get install wrk")
    url, seen = recording_server
    mix = [queries.Request(f"/{i}", "text/plain") for i in range(50)]
    result = load.run(url, mix, duration=1, connections=2, driver="wrk", cycle=False)
    assert result["sent"] >= sum(seen.values()) > 50  # a second of a local server sends more than 50
    assert result["distinct"] == 50 and result["repeats"] == result["sent"] - 50


def test_no_text_is_sent_twice_over_warm_up_and_rounds(recording_server):
    """Each server takes the next unsent requests of its list in every run."""
    url, seen = recording_server
    server = SimpleNamespace(url=url, settle=lambda: 0.0)
    feed = rounds.Feed(lambda count: [queries.Request(f"/t{i}", "text/plain") for i in range(count)])
    args = SimpleNamespace(rounds=3, warmup=0.3, duration=0.9, connections=4, driver="python", max_requests=1_000_000)
    (numbers,) = rounds.measure({"zkg": (server, feed)}, args).values()
    assert numbers["repeats"] == 0 and len(numbers["rounds_rps"]) == 3
    assert max(seen.values()) == 1 and numbers["distinct_sent"] == sum(seen.values()) > 0
    assert set(seen) == {f"/t{i}" for i in range(numbers["distinct_sent"])}  # in the list's order


def _run(rps: float, **more) -> dict:
    return {"rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0, "requests": int(rps), **more}


def _results(**size) -> dict:
    return {
        "when": "now",
        "command": "python -m benchmarks.run",
        "machine": {"cpus": 2, "memory_gb": 1},
        "settings": {"connections": 8, "duration_s": 10, "rounds": 3, "driver": "wrk"},
        "sizes": [
            {
                "size": 100_000,
                "load": {
                    "quads": 1,
                    "zkg_load_s": 1,
                    "zkg_load_peak_mb": 1,
                    "pyoxigraph_bulk_load_s": 1,
                    "pyoxigraph_bulk_load_peak_mb": 1,
                    "zkg_load_ratio": 1,
                },
                **size,
            }
        ],
    }


def test_the_report_prints_the_distinct_table_first():
    results = _results(
        runs={
            "point": {
                "zkg": _run(1000, distinct_sent=12000, repeats=0),
                "oxigraph": _run(8000, distinct_sent=9, repeats=3),
            }
        },
        cached_runs={"point": {"zkg": _run(6000), "oxigraph": _run(15000)}},
    )
    results["mixes"] = ["distinct", "cached"]
    report.add_ratios(results)
    printed = report.table(results)
    assert printed.index("Distinct requests") < printed.index("Cached (repeated requests)")
    assert "| point | 1000 / 1.0 / 2.0 | 8000 / 1.0 / 2.0 | 0.12x | 12000 / 9 (+3 repeated) |" in printed
    assert "| point | 6000 / 1.0 / 2.0 | 15000 / 1.0 / 2.0 | 0.40x |" in printed
    (size,) = results["sizes"]
    assert size["ratios"]["point"]["oxigraph"] == 0.125 and size["cached_ratios"]["point"]["oxigraph"] == 0.4
    assert any(t["value"] == 0.125 for t in size["targets"])  # targets are read from the distinct mix


def test_a_file_of_the_old_harness_is_labelled_cached():
    results = _results(runs={"point": {"zkg": _run(6000), "oxigraph": _run(15000)}})  # no "mixes"
    report.add_ratios(results)
    printed = report.table(results)
    assert "a run with distinct requests is pending" in printed
    assert "Cached (repeated requests), from the harness before the distinct mix" in printed
    assert results["sizes"][0]["ratios"] == {} and results["sizes"][0]["cached_ratios"]["point"]["oxigraph"] == 0.4


@pytest.mark.parametrize("module", [distinct, rounds], ids=lambda m: m.__name__)
def test_the_examples_in_the_docstrings_hold(module):
    """benchmarks/ is outside the suite's doctest paths: its examples are run here."""
    import doctest

    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failed == 0
