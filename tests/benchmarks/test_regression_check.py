"""The CI speed check's verdict (benchmarks/regression.py): floors from the targets and the
recorded ratios, a drop caught, a kind not measured counted as failed. The run itself is CI's
last step (.ci/run), not a test: speed is never measured in timed tests."""

from __future__ import annotations

import doctest
import random

import pytest

from benchmarks import regression, search_after_write, targets


@pytest.mark.parametrize("module", [regression, targets, search_after_write], ids=lambda m: m.__name__)
def test_the_examples_in_the_docstrings_hold(module):
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failed == 0


def test_every_sparql_kind_has_a_recorded_ratio_and_a_floor_at_most_half_its_target():
    from benchmarks.queries import SPARQL_KINDS

    assert set(regression.BASELINE) == set(SPARQL_KINDS)
    for kind in SPARQL_KINDS:
        target = targets.RATIO_TARGETS.get(kind, {}).get("oxigraph")
        assert 0 < regression.floor(kind) <= regression.BASELINE[kind] / 2 + 1e-9
        if target is not None:
            assert regression.floor(kind) <= target / 2


def test_a_ratio_halved_is_caught_and_the_recorded_pace_passes():
    chance = random.Random(18)
    for _ in range(500):
        kind = chance.choice(list(regression.BASELINE))
        recorded, least = regression.BASELINE[kind], regression.floor(kind)
        slower = least * chance.uniform(0.05, 0.99)  # at most half the recorded pace, or half the target
        kept = recorded * chance.uniform(0.55, 3.0)  # a slow round, or faster
        assert kind in regression.below_floor({kind: slower}), (kind, slower)
        assert regression.below_floor({kind: kept}) == {}, (kind, kept)


def test_a_kind_that_failed_to_measure_fails_the_check():
    assert regression.below_floor({"two_hop": None, "point": 1.0}) == {"two_hop": None}
