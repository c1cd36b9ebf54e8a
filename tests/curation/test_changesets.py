"""Changesets: building them, reading them from files and RDF Patch, writing them out."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import TEST_BASE as B
from zkg.base.errors import DataError
from zkg.curation.changeset_files import changeset_from_file, changeset_from_patch, parse_patch
from zkg.curation.changesets import (
    ANY_GRAPH,
    ChangesetError,
    agent_iri,
    changeset_graph,
    diff_description,
    is_changeset_id,
    to_rdf_patch,
)


def test_new_resolves_agent_graphs_and_id(helpers):
    cs = helpers.changeset(add='id:a schema:name "A" .', remove='id:a schema:name "B" .', by="Luo Wei")
    assert is_changeset_id(cs.id) and cs.graph == changeset_graph(B, cs.id)
    assert cs.agent == B + "id/agent/luo-wei" and cs.agent_name == "Luo Wei"
    assert cs.additions[0].graph_name == ox.NamedNode(cs.graph)
    assert cs.removals[0].graph_name == ANY_GRAPH
    assert cs.changed_graphs() == sorted([cs.graph, ANY_GRAPH.value])
    assert agent_iri(B, "https://orcid.org/0000-0002-1825-0097") == "https://orcid.org/0000-0002-1825-0097"


def test_ids_sort_by_time():
    from datetime import datetime, timedelta, timezone

    from zkg.curation.changesets import new_id

    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ids = [new_id(t + timedelta(microseconds=n)) for n in (5, 1, 1000000, 0)]
    assert sorted(ids) == [ids[3], ids[1], ids[0], ids[2]]


@pytest.mark.parametrize("source", ["", "   "])
def test_the_source_is_required(helpers, source):
    with pytest.raises(ChangesetError, match="source"):
        helpers.changeset(add='id:a schema:name "A" .', source=source)


def test_the_agent_is_required(helpers):
    with pytest.raises(ChangesetError, match="who made the change"):
        helpers.changeset(add='id:a schema:name "A" .', by=" ")


def test_a_statement_cannot_be_both_added_and_removed(helpers):
    quads = helpers.turtle('id:a schema:name "A" .', graph="g")
    with pytest.raises(ChangesetError, match="both added and removed"):
        helpers.changeset(add=quads, remove=quads)


def test_inverse_swaps_and_links(helpers):
    cs = helpers.changeset(add='id:a schema:name "A" .', remove=helpers.turtle('id:a schema:name "B" .', graph="g"))
    back = cs.inverse(agent="Other", message="the source does not say so")
    assert back.additions == cs.removals and back.removals == cs.additions
    # Issue 16: its own reason, and no source borrowed from the changeset it undoes.
    assert back.reverts == cs.id and back.source == "" and back.id != cs.id
    assert back.message == "the source does not say so"
    assert cs.inverse(agent="Other", message="why", source="https://example.org/b").source == "https://example.org/b"


def test_only_a_revert_may_go_without_a_source(helpers):
    with pytest.raises(ChangesetError, match="source of the change is required"):
        helpers.changeset(add='id:a schema:name "A" .', source="")
    back = helpers.changeset(add='id:a schema:name "A" .').inverse(agent="Other", message="why")
    patch = to_rdf_patch(back)
    assert "H source" not in patch and f"H reverts <{B}graph/changes/{back.reverts}>" in patch
    assert "source" not in diff_description(back)


def test_files_in_every_format(tmp_path):
    (tmp_path / "a.ttl").write_text('id:a schema:name "A" ; schema:knows [ schema:name "B" ] .')
    (tmp_path / "a.trig").write_text('graph:g { id:a schema:name "A" }')
    (tmp_path / "a.nt").write_text(f'<{B}id/a> <https://schema.org/name> "A" .\n')
    (tmp_path / "a.nq").write_text(f'<{B}id/a> <https://schema.org/name> "A" <{B}graph/g> .\n')
    for name, count, graph in (
        ("a.ttl", 3, None),
        ("a.trig", 1, B + "graph/g"),
        ("a.nt", 1, None),
        ("a.nq", 1, B + "graph/g"),
    ):
        cs = changeset_from_file(tmp_path / name, base_iri=B, agent="x", source="y")
        assert len(cs.additions) == count
        assert cs.additions[0].graph_name.value == (graph or cs.graph)
    removal = changeset_from_file(tmp_path / "a.nt", base_iri=B, agent="x", source="y", remove=True)
    assert removal.removals[0].graph_name == ANY_GRAPH and not removal.additions


def test_file_errors_name_the_line(tmp_path):
    (tmp_path / "bad.ttl").write_text('id:a schema:name "A" .\nid:b schema:name .\n')
    with pytest.raises(DataError, match=r"bad.ttl:2:"):
        changeset_from_file(tmp_path / "bad.ttl", base_iri=B, agent="x", source="y")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ChangesetError, match="unknown file type"):
        changeset_from_file(tmp_path / "x.json", base_iri=B, agent="x", source="y")
    (tmp_path / "empty.ttl").write_text("# nothing\n")
    with pytest.raises(ChangesetError, match="no statements"):
        changeset_from_file(tmp_path / "empty.ttl", base_iri=B, agent="x", source="y")


def test_rdf_patch_round_trip(helpers, tmp_path):
    cs = helpers.changeset(
        add='id:a schema:name "A\\"quoted\\"\\nline"@en ; schema:knows [ schema:age 3 ] .',
        remove=helpers.turtle('id:a schema:name "B" .', graph="g"),
        message="why",
    )
    text = to_rdf_patch(cs)
    assert text.splitlines()[0] == f"H id <{cs.graph}> ." and text.rstrip().endswith("TC .")
    headers, additions, removals = parse_patch(text, base_iri=B)
    assert sorted(map(str, additions)) == sorted(map(str, cs.additions))
    assert removals == list(cs.removals)
    assert headers["message"].value == "why" and headers["agent"].value == cs.agent
    (tmp_path / "p.rdfp").write_text(text)
    again = changeset_from_patch(tmp_path / "p.rdfp", base_iri=B)
    assert again.source == cs.source and again.message == "why" and len(again.additions) == 3


def test_patch_with_prefixes_and_errors(tmp_path):
    (tmp_path / "p.rdfp").write_text(
        'PA ex: <http://example.org/> .\nTX .\nA ex:s ex:p 1 .\nD id:x schema:name "y" graph:g .\nTC .\n'
    )
    cs = changeset_from_patch(tmp_path / "p.rdfp", base_iri=B, agent="x", source="y")
    assert str(cs.additions[0].object) == '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert cs.removals[0].graph_name == ox.NamedNode(B + "graph/g")
    for bad, message in (
        ("A ex:s ex:p .\n", "3 or 4 terms"),
        ("X .\n", "unknown row"),
        ("TX .\nTA .\n", "aborts"),
        ("A nope:s nope:p 1 .\n", "unknown prefix"),
    ):
        (tmp_path / "bad.rdfp").write_text(bad)
        with pytest.raises(DataError, match=message):
            changeset_from_patch(tmp_path / "bad.rdfp", base_iri=B, agent="x", source="y")


def test_diff_description_is_readable(store, helpers):
    cs = helpers.changeset(add='id:a schema:name "A"@en .', remove='id:b schema:name "B"@en .', message="fix")
    text = diff_description(cs, store.prefixes)
    assert '+ id:a schema:name "A"@en' in text and '- id:b schema:name "B"@en' in text
    assert "(every graph holding it)" in text and "message fix" in text and "1 removal(s), 1 addition(s)" in text
