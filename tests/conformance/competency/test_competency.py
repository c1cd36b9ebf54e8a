"""Competency questions: SPARQL queries a researcher would ask of the graph, with answers.

Each question is one file ``NN-slug.rq`` in ``zkg/power/queries/`` (shipped in the package: the
same files are the canned queries at ``/queries/NN-slug`` and the editor's examples). It
starts with comment lines ``# title: …`` and ``# question: …`` and uses the prefixes zkg
predeclares (zkg.rdf.prefixes), so it needs no PREFIX lines. Its answer, in this folder, is
``NN-slug.expected.tsv`` (SELECT) or ``NN-slug.expected.json`` (ASK, or SELECT rows). The answers were worked out by hand from the
source article (shared/seeds/, China Daily, 5 March 2016, p. 7), not copied from query output:
a failure means the data, the query or the expectation disagrees with the article.

Expected-answer files
---------------------
TSV: an optional ``#`` comment block, then a header line with the variable names, then one
line per solution, tab-separated. Cells are written the Turtle way and resolved against the
store's base IRI: ``id:luo-wei``, ``role:head`` (the code-list prefixes of the data files),
``<code/unit/CNY>``, ``"IASP director general"@en``, ``"2015"^^xsd:gYear``, ``492`` (xsd:integer),
``40.7`` (xsd:decimal), ``true``; an empty cell is an unbound variable.

JSON: ``{"boolean": true}`` for ASK, or ``{"vars": [...], "rows": [[cell, ...], ...]}``.

Solutions are compared as a multiset, or in order when the query has ORDER BY.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.support import sparql_testing
from zkg.power.canned import QUERIES_DIR
from zkg.rdf.prefixes import sparql_prologue

HERE = Path(__file__).resolve().parent
QUERIES = sorted(QUERIES_DIR.glob("[0-9][0-9]-*.rq"))
NAME = re.compile(r"^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.rq$")


def header(query: Path) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a query file."""
    fields: dict[str, str] = {}
    for line in query.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#\s*(\w+):\s*(.*\S)\s*$", line)
        if not match:
            if line.startswith("#"):
                continue
            break
        fields[match.group(1)] = match.group(2)
    return fields


def body(text: str) -> str:
    """The query without whole-line comments."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def is_ordered(text: str) -> bool:
    return re.search(r"\bORDER\s+BY\b", body(text), re.IGNORECASE) is not None


def expected_file(query: Path) -> Path:
    stem = query.name[: -len(".rq")]
    candidates = [HERE / f"{stem}.expected.tsv", HERE / f"{stem}.expected.json"]
    found = [c for c in candidates if c.exists()]
    assert len(found) == 1, f"{query.name}: needs exactly one of {[c.name for c in candidates]}"
    return found[0]


def read_expected(path: Path, base: str) -> sparql_testing.Solutions | bool:
    prefix_map = sparql_testing.expected_prefixes(base)
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if "boolean" in data:
            return bool(data["boolean"])
        names = data["vars"]
        rows = [
            {n: sparql_testing.parse_cell(c, base, prefix_map) for n, c in zip(names, row, strict=True)}
            for row in data["rows"]
        ]
        return sparql_testing.Solutions(names, rows)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    lines = [line for line in lines if line.strip()]
    names = [n.strip().lstrip("?") for n in lines[0].split("\t")]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        cells += [""] * (len(names) - len(cells))
        assert len(cells) == len(names), f"{path.name}: row {number} has {len(cells)} cells for {len(names)} columns"
        rows.append({n: sparql_testing.parse_cell(c, base, prefix_map) for n, c in zip(names, cells)})
    return sparql_testing.Solutions(names, rows)


def row_key(row: dict, names: list[str]) -> tuple:
    return tuple(row[n].key() if row.get(n) is not None else None for n in names)


def show(row: dict, names: list[str], prefix_map: dict[str, str]) -> str:
    def one(term):
        if term is None:
            return "-"
        text = str(term)
        if term.kind == "iri":
            best = max(
                (p for p in prefix_map.items() if term.value.startswith(p[1])), key=lambda p: len(p[1]), default=None
            )
            if best:
                text = f"{best[0]}:{term.value[len(best[1]) :]}"
        return text

    return " | ".join(f"{n}={one(row.get(n))}" for n in names)


def compare(query: Path, actual, expected, base: str) -> None:
    if isinstance(expected, bool):
        assert actual == expected, f"{query.name}: ASK answered {actual}, expected {expected}"
        return
    assert isinstance(actual, sparql_testing.Solutions), f"{query.name}: expected solutions, got {actual!r}"
    assert sorted(actual.variables) == sorted(expected.variables), (
        f"{query.name}: variables {actual.variables} != expected {expected.variables}"
    )
    names = expected.variables
    got = [row_key(r, names) for r in actual.rows]
    want = [row_key(r, names) for r in expected.rows]
    prefix_map = sparql_testing.expected_prefixes(base)
    if is_ordered(query.read_text(encoding="utf-8")):
        if got == want:
            return
        lines = [f"{query.name}: solutions differ (ordered)", "got:"]
        lines += ["  " + show(r, names, prefix_map) for r in actual.rows]
        lines += ["expected:"] + ["  " + show(r, names, prefix_map) for r in expected.rows]
        pytest.fail("\n".join(lines))
    missing = Counter(want) - Counter(got)
    extra = Counter(got) - Counter(want)
    if not missing and not extra:
        return
    lines = [f"{query.name}: solutions differ"]
    by_key_expected = {row_key(r, names): r for r in expected.rows}
    by_key_actual = {row_key(r, names): r for r in actual.rows}
    for key, count in missing.items():
        lines.append(f"  missing x{count}: " + show(by_key_expected[key], names, prefix_map))
    for key, count in extra.items():
        lines.append(f"  unexpected x{count}: " + show(by_key_actual[key], names, prefix_map))
    pytest.fail("\n".join(lines))


def test_there_are_enough_questions():
    assert len(QUERIES) >= 18


def test_file_names_and_numbers():
    numbers = [NAME.match(q.name).group(1) if NAME.match(q.name) else None for q in QUERIES]
    assert None not in numbers, [q.name for q, n in zip(QUERIES, numbers) if n is None]
    assert len(set(numbers)) == len(numbers), "two questions share a number"
    orphans = [
        p.name
        for p in HERE.glob("*.expected.*")
        if not (QUERIES_DIR / (p.name.split(".expected.")[0] + ".rq")).exists()
    ]
    assert not orphans, f"expected answers without a query: {orphans}"


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_query_header_and_prefixes(query: Path):
    fields = header(query)
    assert fields.get("title"), f"{query.name}: no '# title:' line"
    assert fields.get("question", "").endswith("?"), f"{query.name}: no '# question: …?' line"
    text = body(query.read_text(encoding="utf-8"))
    declared = re.findall(r"^\s*PREFIX\s+([\w-]*):", text, re.IGNORECASE | re.MULTILINE)
    predeclared = set(sparql_testing.project_prefixes(sparql_testing.BASE_IRI))
    assert not set(declared) & predeclared, f"{query.name}: declares predeclared prefixes {declared}"
    assert not re.search(r"^\s*BASE\s", text, re.IGNORECASE | re.MULTILINE), f"{query.name}: must not set BASE"
    assert "localhost" not in text and "zkg.test" not in text, f"{query.name}: hard-codes a host"


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_competency_question(query: Path, kg: sparql_testing.KG):
    expected = read_expected(expected_file(query), kg.base)
    actual = kg.query(query.read_text(encoding="utf-8"))
    compare(query, actual, expected, kg.base)


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_question_runs_with_explicit_prefixes(query: Path, store):
    """Pasted into another SPARQL 1.1 client together with the editor's PREFIX lines (no
    predeclared prefixes, no base IRI), a question gives the same answer."""
    text = sparql_prologue(store.prefixes) + "\n" + query.read_text(encoding="utf-8")
    # pyoxigraph as it is: its default graph is the union of the named graphs, which zkg keeps.
    actual = sparql_testing.normalize_result(store.oxigraph.query(text))
    expected = read_expected(expected_file(query), store.base_iri)
    compare(query, actual, expected, store.base_iri)


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_question_reads_the_same_as_the_guard_writes_it(query: Path, store):
    """The engine is given the guard's text (zkg.sparql.reader: prefixed names expanded, IRIs
    escaped, comments gone): it answers every question exactly as the question itself."""
    from zkg.rdf.sparql_scan import tokens
    from zkg.sparql.guard import check_query

    reading = check_query(query.read_text(encoding="utf-8"), base_iri=store.base_iri, prefixes=store.prefixes)
    assert not [t.text for t in tokens(reading.engine_text) if t.kind == "pname"]
    actual = sparql_testing.normalize_result(store.query(reading.engine_text))
    expected = read_expected(expected_file(query), store.base_iri)
    compare(query, actual, expected, store.base_iri)
