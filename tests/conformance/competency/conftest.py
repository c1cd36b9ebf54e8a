"""Fixtures for the competency-question tests."""

from __future__ import annotations

import pytest

from tests.support import sparql_testing


@pytest.fixture
def kg(store) -> sparql_testing.KG:
    """The project's store (tests/conftest.py: the real graph/ and ontology/, base
    http://zkg.test/) behind the small query interface the questions are checked with."""
    return sparql_testing.project_kg(store)
