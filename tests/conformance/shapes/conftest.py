"""Session fixtures of the shape tests: the shapes, the ontology and the real data, parsed
once, and ``check(graph)``, the validation every shape test runs (see shapes_testing)."""

from __future__ import annotations

import pytest
from rdflib import Graph

from tests.support.shapes_testing import (
    GRAPH_DIR,
    ONTOLOGY_DIR,
    SHAPES_DIR,
    Result,
    parse_trig_union,
    parse_turtle_dir,
    validate,
)


@pytest.fixture(scope="session")
def shapes_graph() -> Graph:
    return parse_turtle_dir(SHAPES_DIR)


@pytest.fixture(scope="session")
def ontology_graph() -> Graph:
    return parse_turtle_dir(ONTOLOGY_DIR)


@pytest.fixture(scope="session")
def real_data_graph() -> Graph:
    return parse_trig_union(sorted(GRAPH_DIR.rglob("*.trig")))


@pytest.fixture(scope="session")
def check(shapes_graph, ontology_graph):
    """``check(data_graph) -> [Result]`` against the session's shapes and ontology."""
    return lambda data: validate(data, shapes_graph, ontology_graph)


@pytest.fixture(scope="session")
def real_results(check, real_data_graph) -> list[Result]:
    return check(real_data_graph)
