"""The W3C SPARQL 1.1 Protocol tests, every query test against a live `zkg serve`.

Update tests (14) are collected but deselected: see conftest.py.
"""

from __future__ import annotations

import pytest
from runner import load_manifest, run, w3c_dir

TESTS = load_manifest(w3c_dir() / "protocol" / "manifest.ttl")


def test_the_manifest_is_the_one_expected():
    assert len(TESTS) == 34
    assert sum(not t.is_update for t in TESTS) == 20


@pytest.mark.parametrize("test", [
    pytest.param(t, id=t.id, marks=[pytest.mark.w3c_update] if t.is_update else []) for t in TESTS
])
def test_protocol(test, w3c_server):
    problems = run(test, w3c_server.sparql)
    assert not problems, f"{test.id} ({test.name}):\n" + "\n".join(problems)
