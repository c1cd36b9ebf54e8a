from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.store.local import Store
from zkg.validation.shacl import format_report, validate, validate_files


def test_fixture_conforms_with_a_warning(fixture_store):
    report = validate(fixture_store)
    assert report.conforms
    assert [(r.severity, r.path) for r in report.results] == [("Warning", "rdfs:comment")]
    warning = report.results[0]
    assert str(warning.focus_node) == TEST_BASE + "id/bob"
    assert warning.message == "a person should have a description"
    assert warning.source_shape_text == "zkg:PersonShape > rdfs:comment"


def test_subclasses_from_the_vocabulary_are_targeted(fixture_store):
    # Bob is only a zkg:Researcher; the shape targets schema:Person; the vocabulary links them.
    fixture_store.update("DELETE WHERE { GRAPH ?g { id:bob schema:name ?n } }")
    report = validate(fixture_store)
    assert not report.conforms
    violations = [r for r in report.results if r.severity == "Violation"]
    assert [(str(r.focus_node), r.path, r.message) for r in violations] == [
        (TEST_BASE + "id/bob", "schema:name", "a person needs a name")
    ]
    assert violations[0].constraint == "sh:MinCountConstraintComponent"


def test_shapes_are_not_validated_as_data(fixture_store):
    # A schema:Person typed in the shapes graph must not be a focus node.
    fixture_store.update("INSERT DATA { GRAPH graph:shapes { id:ghost a schema:Person } }")
    assert validate(fixture_store).conforms


def test_code_lists_in_the_vocabulary_are_seen(fixture_store):
    # The role scheme lives in the vocabulary graph; the data only points at its concepts.
    assert validate(fixture_store).conforms
    fixture_store.update("DELETE WHERE { GRAPH graph:vocabulary { <code/role/director> skos:inScheme ?s } }")
    report = validate(fixture_store)
    assert [(str(r.focus_node), r.path, r.message) for r in report.results if r.severity == "Violation"] == [
        (TEST_BASE + "id/alice", "zkg:role", "a role must come from the role scheme")
    ]


def test_complex_paths_and_values_are_readable(fixture_store):
    fixture_store.update(
        'INSERT DATA { GRAPH graph:extra { id:bob schema:address [ schema:addressLocality "Haidian"@en ] } }'
    )
    report = validate(fixture_store)
    assert not report.conforms
    (violation,) = [r for r in report.results if r.severity == "Violation"]
    assert violation.path == "schema:address/schema:addressLocality"
    text = format_report(report)
    assert "schema:address/schema:addressLocality" in text and "id:bob" in text
    assert text.splitlines()[-1].startswith("does NOT conform: 1 violation(s), 1 warning(s)")


def test_format_report_table(fixture_store):
    lines = format_report(validate(fixture_store)).splitlines()
    assert [cell.strip() for cell in lines[0].split(" | ")][:3] == ["severity", "focus node", "path"]
    assert "Warning" in lines[2] and "id:bob" in lines[2]
    assert lines[-1] == "conforms: 0 violation(s), 1 warning(s), 0 info(s)"


def test_no_shapes_means_nothing_checked():
    report = validate(Store.open(base_iri=TEST_BASE))
    assert report.conforms and not report.shapes_checked
    assert "nothing was checked" in report.summary()


def test_validate_files_without_a_store():
    report = validate_files(FIXTURE_PROJECT / "graph", FIXTURE_PROJECT / "ontology", TEST_BASE)
    assert report.conforms and len(report.results) == 1


def test_real_data_conforms(store):
    """The lead's data against the lead's shapes (skipped until the files exist)."""
    report = validate(store)
    assert report.conforms, format_report(report)
