"""The write path on a graph that already breaks a shape (loaded, not written: an organisation
without its name): only a violation the change causes rejects it; what was there before is
reported apart, never blocking (zkg.validation.causes)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.support.broken_data import NAMELESS, store_with_a_nameless_organisation
from zkg.curation.apply import Rejected, apply_changeset
from zkg.curation.changelog import ChangeLog
from zkg.validation.shacl import validate

ALREADY = {("Violation", "id/z-park-software-park", "schema:name"), ("Warning", "id/z-park-software-park", "schema:description")}  # fmt: skip


@pytest.fixture
def broken(tmp_path):
    store = store_with_a_nameless_organisation(tmp_path)
    return store, ChangeLog.for_store(store)


def _said(results, base) -> set:
    return {(r.severity, str(r.focus_node).removeprefix(base), r.path) for r in results}


def test_the_loaded_graph_breaks_the_shape(broken):
    store, _ = broken
    assert not validate(store).conforms


def test_an_unrelated_valid_statement_is_accepted_and_says_what_was_there(broken, helpers):
    store, log = broken
    fact = f'{NAMELESS} schema:alternateName "Software Park"@en .'
    outcome = apply_changeset(store, helpers.changeset(add=fact), log=log)
    assert outcome.committed and outcome.caused == ()
    assert _said(outcome.preexisting, helpers.base) == ALREADY
    assert outcome.report.count("Violation") == 1  # the report still has every result on the nodes
    assert bool(store.query(f'ASK {{ {NAMELESS} schema:alternateName "Software Park"@en }}'))


def test_a_caused_violation_is_rejected_and_is_the_only_one_caused(broken, helpers):
    store, log = broken
    before = store.dump(format="nquads")
    with pytest.raises(Rejected) as caught:
        apply_changeset(store, helpers.changeset(add=f'{NAMELESS} schema:foundingDate "x" .'), log=log)
    rejected = caught.value
    assert _said(rejected.caused, helpers.base) == {("Violation", "id/z-park-software-park", "schema:foundingDate")}
    assert _said(rejected.preexisting, helpers.base) == ALREADY
    assert rejected.message == (
        "changeset rejected: 1 violation(s) (and 1 already in the graph before this change, not blocking)"
    )
    text = rejected.text()
    blocking = text.index("what this change causes (blocking: 1 violation(s)")
    apart = text.index("already in the graph before this change (not blocking: 1 violation(s), 1 warning(s)")
    assert blocking < apart and "schema:foundingDate" in text[blocking:apart]
    assert "foundingDate" not in text[apart:] and "schema:name" in text[apart:]
    # The RDF report: what this change causes, and nothing else.
    report = ox.Store()
    report.load(rejected.turtle(), format=ox.RdfFormat.TURTLE)
    sh = "http://www.w3.org/ns/shacl#"
    paths = [r["path"].value for r in report.query(f"SELECT ?path {{ [] <{sh}result> [ <{sh}resultPath> ?path ] }}")]
    assert paths == ["https://schema.org/foundingDate"]
    assert bool(report.query(f"ASK {{ [] a <{sh}ValidationReport> ; <{sh}conforms> false }}"))
    assert store.dump(format="nquads") == before and log.entries() == []


def test_a_new_warning_is_reported_apart_from_the_one_already_there(broken, helpers):
    store, log = broken
    change = (
        f"{NAMELESS} org:hasSubOrganization id:software-park-unit . "
        'id:software-park-unit a schema:Organization ; rdfs:label "Unit"@en ; schema:name "Unit"@en .'
    )
    outcome = apply_changeset(store, helpers.changeset(add=change), log=log, dry_run=True)
    assert _said(outcome.caused, helpers.base) == {
        ("Warning", "id/software-park-unit", "schema:description"),
        ("Warning", "id/software-park-unit", "zkg:organizationKind"),
    }
    assert _said(outcome.preexisting, helpers.base) == ALREADY


def test_a_fix_is_accepted_and_what_remains_was_there_before(broken, helpers):
    store, log = broken
    outcome = apply_changeset(
        store, helpers.changeset(add=f'{NAMELESS} schema:name "Z-Park software park"@en .'), log=log
    )
    assert outcome.committed and outcome.caused == ()
    assert _said(outcome.preexisting, helpers.base) == {("Warning", "id/z-park-software-park", "schema:description")}
    assert validate(store).conforms
