"""Data that breaks a shape before any write: the project's graph with an organisation's
name left out of its source file, loaded as ``zkg load`` loads it (not written through the
write path, which would refuse it). For the tests of what a change causes and what was
already in the graph (zkg.validation.causes)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.store.local import Store

#: The organisation without its schema:name (a violation), and without a description (a warning).
NAMELESS = "id:z-park-software-park"
_SOURCE = "sources/china-daily-2016-03-05-p7.trig"
_NAME_LINE = '        schema:name "Z-Park software park"@en ;\n'


def project_with_a_nameless_organisation(folder: Path) -> Path:
    """A project folder (graph/ and ontology/) in ``folder``: the project's own, with
    :data:`NAMELESS`'s name taken out of its source file."""
    shutil.copytree(GRAPH_DIR, folder / "graph")
    shutil.copytree(ONTOLOGY_DIR, folder / "ontology")
    source = folder / "graph" / _SOURCE
    text = source.read_text(encoding="utf-8")
    assert _NAME_LINE in text, "the source file changed: pick another organisation"
    source.write_text(text.replace(_NAME_LINE, ""), encoding="utf-8")
    return folder


def store_with_a_nameless_organisation(folder: Path) -> Store:
    """An in-memory store loaded from :func:`project_with_a_nameless_organisation`."""
    project = project_with_a_nameless_organisation(folder)
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=project / "graph", ontology_dir=project / "ontology")
    return store
