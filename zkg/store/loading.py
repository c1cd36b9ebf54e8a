"""Reading the project's files (graph/, ontology/) into quads ready to replace graphs in a store.

Which file feeds which graph:

- every ``graph/**/*.trig``: the named graphs written in the file (no default-graph triples:
  each statement belongs to the graph of its source, decision 4 of DESIGN.md);
- every ``ontology/*.ttl``: the graph ``{base}graph/vocabulary``;
- every ``ontology/shapes/*.ttl``: the graph ``{base}graph/shapes``.

Files use relative IRIs (``@prefix id: <id/> .``); they are resolved against the configured
base IRI here, so no host is written in the data.

Each file is parsed once (:func:`checked_batches`): a syntax error raises
:class:`~zkg.base.errors.DataError` naming ``file:line:column``. So does a literal its datatype
does not allow (``"twelve"^^xsd:integer``, a 30 February) or one holding NUL
(:mod:`zkg.rdf.lexical`): the message names the file, the line when the literal can be found in
it, and the statement. The store (:meth:`zkg.store.local.Store.load_sources`) writes nothing it
cannot undo before every file has passed.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox

from zkg.base.errors import DataError
from zkg.rdf import lexical
from zkg.rdf.namespaces import XSD
from zkg.rdf.prefixes import graph_iri
from zkg.store.layout import FileRecord

# Above this many quads the load builds a new store with pyoxigraph's bulk loader and swaps
# it in (zkg.store.layout) instead of one atomic update in the store. Both are atomic; the
# bulk path costs a new store (a few tens of ms), the update a SPARQL text of every quad:
# at 8k quads a reload already takes 0.09 s against 0.24 s, at 100k 0.7 s against 6 s.
BULK_THRESHOLD = 10_000

VOCABULARY = "vocabulary"
SHAPES = "shapes"


@dataclass(frozen=True)
class SourceFile:
    """One file to load; ``target_graph`` is set for Turtle files (triples only)."""

    path: Path
    format: ox.RdfFormat
    target_graph: ox.NamedNode | None = None


@dataclass
class ParsedSources:
    """What the files hold: per file its sha256, graphs and quad count; quads per graph
    (``counts``, exact but for the ``shared`` graphs: see :func:`checked_batches`); from
    :func:`parse_sources`, the quads themselves while their total stays under the bulk
    threshold (``quads is None`` past it)."""

    files: list[FileRecord] = field(default_factory=list)
    graphs: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    shared: set[str] = field(default_factory=set)
    total: int = 0
    quads: list[ox.Quad] | None = field(default_factory=list)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def discover_sources(*, graph_dir: Path, ontology_dir: Path, base_iri: str) -> list[SourceFile]:
    """The files to load, in a fixed order (data, vocabulary, shapes; each sorted by path)."""
    graph_dir, ontology_dir = Path(graph_dir), Path(ontology_dir)
    for label, folder in (("graph", graph_dir), ("ontology", ontology_dir)):
        if not folder.is_dir():
            raise DataError(f"no {label} directory at {display_path(folder)}")
    vocabulary = ox.NamedNode(graph_iri(base_iri, VOCABULARY))
    shapes = ox.NamedNode(graph_iri(base_iri, SHAPES))
    sources = [SourceFile(p, ox.RdfFormat.TRIG) for p in sorted(graph_dir.rglob("*.trig")) if p.is_file()]
    sources += [
        SourceFile(p, ox.RdfFormat.TURTLE, vocabulary) for p in sorted(ontology_dir.glob("*.ttl")) if p.is_file()
    ]
    sources += [
        SourceFile(p, ox.RdfFormat.TURTLE, shapes)
        for p in sorted((ontology_dir / "shapes").glob("*.ttl"))
        if p.is_file()
    ]
    return sources


_PARSER_PREFIX = re.compile(r"^Parser error (?:at|between) [^:]*: ")


def _read(source: SourceFile) -> bytes:
    try:
        return source.path.read_bytes()
    except OSError as error:
        raise DataError(
            f"{display_path(source.path)}: cannot read: {error.strerror or error}", path=source.path
        ) from None


def iter_quads(source: SourceFile, content: bytes, base_iri: str, *, check_literals: bool = True) -> Iterator[ox.Quad]:
    """The quads of one file; raises DataError with ``file:line:column`` on bad syntax, and
    (unless ``check_literals`` is False: the file was checked already) on a refused literal.

    Blank nodes are renamed so that ``_:b0`` in two files are two different nodes.
    """
    where = display_path(source.path)
    try:
        found: Iterator[ox.Quad] = ox.parse(content, format=source.format, base_iri=base_iri, rename_blank_nodes=True)
        if check_literals:
            found = _checked_literals(found, source, content)
        for quad in found:
            if source.target_graph is not None:
                yield ox.Quad(quad.subject, quad.predicate, quad.object, source.target_graph)
            elif isinstance(quad.graph_name, ox.DefaultGraph):
                raise DataError(
                    f"{where}: a triple outside any GRAPH block ({quad.subject} {quad.predicate} …); "
                    "every statement belongs in the named graph of its source",
                    path=source.path,
                )
            elif isinstance(quad.graph_name, ox.BlankNode):
                raise DataError(
                    f"{where}: a graph named by a blank node; name every graph with an IRI", path=source.path
                )
            else:
                yield quad
    except SyntaxError as error:
        line, column = _position(error)
        detail = _PARSER_PREFIX.sub("", str(error.args[0] if error.args else error))
        raise DataError(f"{where}:{line}:{column}: {detail}", path=source.path, line=line, column=column) from None


def _checked_literals(quads: Iterator[ox.Quad], source: SourceFile, content: bytes) -> Iterator[ox.Quad]:
    """``quads`` as they come, raising DataError at the first object :mod:`zkg.rdf.lexical`
    refuses. Only objects are looked at: the parsers already refuse any IRI with NUL, and a
    literal can only be an object (or inside an RDF 1.2 triple term, itself an object)."""
    literal_type, triple_type, problem_of = ox.Literal, ox.Triple, lexical.literal_problem
    for quad in quads:
        term = quad.object
        if (type(term) is literal_type and problem_of(term)) or (
            type(term) is triple_type and lexical.term_problem(term)
        ):
            problem = lexical.quad_problem(quad)
            # Looked for only as a literal written out (one inside a triple term is not).
            line = _line_of(content, term) if isinstance(term, ox.Literal) else None
            where = display_path(source.path) + (f":{line}" if line else "")
            raise DataError(f"{where}: {problem}", path=source.path, line=line)
        yield quad


def _line_of(content: bytes, literal: ox.Literal) -> int | None:
    """The line of the file where ``literal`` is written, when it can be found as it is (a
    literal written with escapes, or only as a bare number, is not found: None)."""
    value = literal.value
    forms = [value, value.replace("\x00", "\\u0000")] if "\x00" in value else [value]
    typed = literal.language is None and literal.datatype.value != XSD + "string"
    for form in forms:
        for quote in ('"', "'"):
            needle = (quote + form + quote).encode("utf-8")
            start = content.find(needle + b"^^") if typed else -1
            if start < 0:
                start = content.find(needle)
            if start >= 0:
                return content.count(b"\n", 0, start) + 1
    return None


def _position(error: SyntaxError) -> tuple[int | None, int | None]:
    if error.lineno is not None:
        return error.lineno, error.offset
    match = re.search(r"line (\d+)(?: column (\d+)| between columns (\d+))?", str(error))
    if not match:
        return None, None
    column = match.group(2) or match.group(3)
    return int(match.group(1)), int(column) if column else None


_GRAPH_NAME = operator.attrgetter("graph_name")
_OBJECT = operator.attrgetter("object")

# Quads parsed, checked and handed on at a time: a file is never held whole in memory (one
# file may hold millions), and the per-batch work (sets of its quads and objects) stays cheap.
BATCH = 50_000


def checked_batches(sources: list[SourceFile], base_iri: str, parsed: ParsedSources) -> Iterator[list[ox.Quad]]:
    """The quads of every file, parsed once, in checked lists of at most :data:`BATCH`.

    ``parsed`` is filled in as files are done (a file's sha256, graphs and quad count once its
    last batch is out). A bad file raises DataError (``file:line:column``, see
    :func:`iter_quads`) after the batches of it that came before the error were handed out:
    the caller writes nothing until the end, or writes where a failure can be undone.

    Quads are counted per graph without duplicates within a batch: the counts
    (``parsed.counts``) are exact for every graph but those fed by several batches
    (``parsed.shared``), where a statement written twice may be counted twice.
    """
    fed: set[ox.NamedNode] = set()  # graphs some batch has fed so far
    for source in sources:
        content = _read(source)
        per_graph: Counter[ox.NamedNode] = Counter()
        for batch, graphs in _file_batches(source, content, base_iri):
            if len(graphs) == 1:
                (graph,) = graphs
                per_graph[graph] += len(set(batch))
            else:
                per_graph.update(map(_GRAPH_NAME, set(batch)))
            parsed.shared.update(graph.value for graph in graphs & fed)
            fed |= graphs
            yield batch
        counts = {graph.value: n for graph, n in per_graph.items()}
        parsed.files.append(
            {
                "path": str(source.path),
                "sha256": hashlib.sha256(content).hexdigest(),
                "quads": sum(counts.values()),
                "graphs": sorted(counts),
            }
        )
        parsed.graphs.update(counts)
        parsed.counts.update(counts)
        parsed.total += sum(counts.values())


def _file_batches(
    source: SourceFile, content: bytes, base_iri: str
) -> Iterator[tuple[list[ox.Quad], set[ox.NamedNode]]]:
    """One file's quads in lists, each with its set of graph names, checked with as little
    Python work per quad as can be: the parser fills a list at C speed, and only the
    distinct graph names and objects of the list are looked at. At the first problem the
    file is read again by :func:`iter_quads`, which raises the DataError naming the first
    bad statement exactly as it always did."""
    target = source.target_graph
    found = ox.parse(content, format=source.format, base_iri=base_iri, rename_blank_nodes=True)
    while True:
        try:
            batch = list(itertools.islice(found, BATCH))
        except SyntaxError:
            break
        if not batch:
            return
        if target is not None:
            batch = [ox.Quad(t.subject, t.predicate, t.object, target) for t in batch]
            graphs = {target}
        else:
            graphs = set(map(_GRAPH_NAME, batch))
            if any(type(graph) is not ox.NamedNode for graph in graphs):
                break  # a default-graph triple or a blank-node graph name
        if _has_refused_object(batch):
            break
        yield batch, graphs
    for _ in iter_quads(source, content, base_iri):
        pass
    raise DataError(f"{display_path(source.path)}: cannot be loaded", path=source.path)  # iter_quads raised first


def _has_refused_object(batch: list[ox.Quad]) -> bool:
    """Whether an object of ``batch`` is a literal :mod:`zkg.rdf.lexical` refuses (the check of
    :func:`_checked_literals`, made once per distinct object: a third of them in a typical
    file). Distinct within the batch only: a set remembering objects across batches costs
    more in term comparisons than the checks it saves."""
    literal_type, triple_type, problem_of = ox.Literal, ox.Triple, lexical.literal_problem
    for term in set(map(_OBJECT, batch)):
        kind = type(term)
        if (kind is literal_type and problem_of(term)) or (kind is triple_type and lexical.term_problem(term)):
            return True
    return False


def parse_sources(sources: list[SourceFile], base_iri: str, *, keep_limit: int = BULK_THRESHOLD) -> ParsedSources:
    """Parse and check every file; keep the quads when there are at most ``keep_limit`` of
    them (else ``quads`` is None)."""
    parsed = ParsedSources()
    kept: list[ox.Quad] | None = []
    for batch in checked_batches(sources, base_iri, parsed):
        if kept is not None:
            kept.extend(batch)
            if len(kept) > keep_limit:
                kept = None
    parsed.quads = kept
    return parsed


def replace_graphs_update(graphs_to_drop: list[str], quads: list[ox.Quad]) -> str:
    """One SPARQL Update that empties ``graphs_to_drop`` and inserts ``quads``.

    Run as a single pyoxigraph ``update()`` call it is atomic: readers see the old graphs or
    the new ones, never a mix.

    >>> q = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o"), ox.NamedNode("http://x/g"))
    >>> print(replace_graphs_update(["http://x/g"], [q]))
    DROP SILENT GRAPH <http://x/g> ;
    INSERT DATA {
    GRAPH <http://x/g> {
    <http://x/s> <http://x/p> "o" .
    }
    }
    """
    parts = [f"DROP SILENT GRAPH <{iri}> ;\n" for iri in graphs_to_drop]
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        # str() of a pyoxigraph term is its N-Triples form, which is valid SPARQL.
        by_graph.setdefault(str(quad.graph_name), []).append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
    parts.append("INSERT DATA {\n")
    for graph, lines in by_graph.items():
        parts.append(f"GRAPH {graph} {{\n")
        parts.extend(lines)
        parts.append("}\n")
    parts.append("}")
    return "".join(parts)
