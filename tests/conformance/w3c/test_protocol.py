"""The W3C SPARQL 1.1 Protocol tests against live `zkg serve` processes: the 20 query tests
on a read-only server, the 14 update tests (with a write token and a source) on a server of
their own, since they clear the store."""

from __future__ import annotations

import pytest

from tests.support.w3c_runner import load_manifest, run, w3c_dir

TESTS = load_manifest(w3c_dir() / "protocol" / "manifest.ttl")


def test_the_manifest_is_the_one_expected():
    assert len(TESTS) == 34
    assert sum(not t.is_update for t in TESTS) == 20


@pytest.mark.parametrize("test", [t for t in TESTS if not t.is_update], ids=lambda t: t.id)
def test_protocol_query(test, w3c_server):
    problems = run(test, w3c_server.sparql)
    assert not problems, f"{test.id} ({test.name}):\n" + "\n".join(problems)


@pytest.mark.parametrize("test", [t for t in TESTS if t.is_update], ids=lambda t: t.id)
def test_protocol_update(test, w3c_update_server):
    problems = run(test, w3c_update_server.sparql, w3c_update_server.write_headers)
    assert not problems, f"{test.id} ({test.name}):\n" + "\n".join(problems)
