"""Reading the project's files (graph/, ontology/) into quads ready to replace graphs in a store.

Which file feeds which graph:

- every ``graph/**/*.trig``: the named graphs written in the file (no default-graph triples:
  each statement belongs to the graph of its source, decision 4 of DESIGN.md);
- every ``ontology/*.ttl``: the graph ``{base}graph/vocabulary``;
- every ``ontology/shapes/*.ttl``: the graph ``{base}graph/shapes``.

Files use relative IRIs (``@prefix id: <id/> .``); they are resolved against the configured
base IRI here, so no host is written in the data.

All files are parsed before anything is written: a syntax error raises
:class:`~zkg.errors.DataError` naming ``file:line:column`` and the store is never touched.
So does a literal its datatype does not allow (``"twelve"^^xsd:integer``, a 30 February) or
one holding NUL (:mod:`zkg.lexical`): the message names the file, the line when the literal
can be found in it, and the statement.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pyoxigraph as ox

from zkg import lexical
from zkg.errors import DataError
from zkg.prefixes import graph_iri

# Above this many quads the load goes through pyoxigraph's bulk loader instead of one
# atomic update: building a SPARQL text of millions of quads costs too much memory.
BULK_THRESHOLD = 200_000

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
    """What the files hold: per file its sha256, graphs and quad count; the quads themselves
    only while their total stays under the bulk threshold (``quads is None`` past it)."""

    files: list[dict] = field(default_factory=list)
    graphs: set[str] = field(default_factory=set)
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
    sources += [SourceFile(p, ox.RdfFormat.TURTLE, vocabulary) for p in sorted(ontology_dir.glob("*.ttl")) if p.is_file()]
    sources += [
        SourceFile(p, ox.RdfFormat.TURTLE, shapes) for p in sorted((ontology_dir / "shapes").glob("*.ttl")) if p.is_file()
    ]
    return sources


_PARSER_PREFIX = re.compile(r"^Parser error (?:at|between) [^:]*: ")


def _read(source: SourceFile) -> bytes:
    try:
        return source.path.read_bytes()
    except OSError as error:
        raise DataError(f"{display_path(source.path)}: cannot read: {error.strerror or error}", path=source.path) from None


def iter_quads(source: SourceFile, content: bytes, base_iri: str, *,
               check_literals: bool = True) -> Iterator[ox.Quad]:
    """The quads of one file; raises DataError with ``file:line:column`` on bad syntax, and
    (unless ``check_literals`` is False: the file was checked already) on a refused literal.

    Blank nodes are renamed so that ``_:b0`` in two files are two different nodes.
    """
    where = display_path(source.path)
    try:
        found = ox.parse(content, format=source.format, base_iri=base_iri, rename_blank_nodes=True)
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
                raise DataError(f"{where}: a graph named by a blank node; name every graph with an IRI", path=source.path)
            else:
                yield quad
    except SyntaxError as error:
        line, column = _position(error)
        detail = _PARSER_PREFIX.sub("", str(error.args[0] if error.args else error))
        raise DataError(f"{where}:{line}:{column}: {detail}", path=source.path, line=line, column=column) from None


def _checked_literals(quads: Iterator[ox.Quad], source: SourceFile, content: bytes) -> Iterator[ox.Quad]:
    """``quads`` as they come, raising DataError at the first object :mod:`zkg.lexical`
    refuses. Only objects are looked at: the parsers already refuse any IRI with NUL, and a
    literal can only be an object (or inside an RDF 1.2 triple term, itself an object)."""
    literal_type, triple_type, problem_of = ox.Literal, ox.Triple, lexical.literal_problem
    for quad in quads:
        term = quad.object
        if ((type(term) is literal_type and problem_of(term))
                or (type(term) is triple_type and lexical.term_problem(term))):
            problem = lexical.quad_problem(quad)
            line = _line_of(content, term)
            where = display_path(source.path) + (f":{line}" if line else "")
            raise DataError(f"{where}: {problem}", path=source.path, line=line)
        yield quad


def _line_of(content: bytes, literal: ox.Literal) -> int | None:
    """The line of the file where ``literal`` is written, when it can be found as it is (a
    literal written with escapes, or only as a bare number, is not found: None)."""
    value = literal.value
    forms = [value, value.replace("\x00", "\\u0000")] if "\x00" in value else [value]
    typed = literal.language is None and literal.datatype.value != lexical.XSD + "string"
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


def _count_graphs(source: SourceFile, content: bytes, base_iri: str) -> Counter[str] | None:
    """Quads per graph of one file, counted with as little Python work per quad as can be
    (the literal check of :func:`_checked_literals`); None when the file has a syntax error,
    which :func:`iter_quads` then reports precisely. A refused literal raises DataError."""
    try:
        found = _checked_literals(ox.parse(content, format=source.format, base_iri=base_iri, rename_blank_nodes=True),
                                  source, content)
        if source.target_graph is not None:
            return Counter({source.target_graph.value: sum(1 for _ in found)})
        graphs = Counter(map(_GRAPH_NAME, found))
    except SyntaxError:
        return None
    if any(not isinstance(graph, ox.NamedNode) for graph in graphs):
        return None
    return Counter({graph.value: n for graph, n in graphs.items()})


_GRAPH_NAME = operator.attrgetter("graph_name")


def parse_sources(sources: list[SourceFile], base_iri: str, *, keep_limit: int = BULK_THRESHOLD) -> ParsedSources:
    """Parse every file (all of them, before any write); keep the quads when there are at
    most ``keep_limit`` of them (else ``quads`` is None: the bulk path re-reads the files).

    Files are first checked (syntax, literals) and counted in one pass; only a small dataset is
    parsed a second time to keep its quads, so a large one costs a single quick pass."""
    parsed = ParsedSources()
    for source in sources:
        content = _read(source)
        per_graph = _count_graphs(source, content, base_iri)
        if per_graph is None:  # an error: iter_quads raises DataError naming file:line:column
            per_graph = Counter(quad.graph_name.value for quad in iter_quads(source, content, base_iri))
        parsed.files.append(
            {
                "path": str(source.path),
                "sha256": hashlib.sha256(content).hexdigest(),
                "quads": sum(per_graph.values()),
                "graphs": sorted(per_graph),
            }
        )
        parsed.graphs.update(per_graph)
        parsed.total += sum(per_graph.values())
    if parsed.total > keep_limit:
        parsed.quads = None
    else:
        parsed.quads = [quad for source in sources
                        for quad in iter_quads(source, _read(source), base_iri, check_literals=False)]
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


def bulk_replace(
    store: ox.Store,
    sources: list[SourceFile],
    base_iri: str,
    graphs_to_drop: list[str],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 100_000,
    file_quads: dict[str, int] | None = None,
) -> None:
    """Replace graphs through pyoxigraph's bulk loader, calling ``progress(quads_so_far)``.

    NOT atomic: the graphs are dropped first (one update), then refilled; a reader (or a
    crash) in between sees them partly loaded. ``file_quads`` (path -> quads, from
    :func:`parse_sources`): the files were checked already, so their quads go from the parser
    to the loader without Python work per quad. Files were already parsed without error, so
    only I/O failures can interrupt it; run ``zkg load`` again to finish.
    """
    if graphs_to_drop:
        store.update("".join(f"DROP SILENT GRAPH <{iri}> ;\n" for iri in graphs_to_drop).rstrip(" ;\n"))

    def counted() -> Iterator[ox.Quad]:
        done = reported = 0
        for source in sources:
            content = _read(source)
            if file_quads is None:  # not checked yet: check each quad on the way
                for quad in iter_quads(source, content, base_iri):
                    yield quad
                    done += 1
                    if progress is not None and done % every == 0:
                        progress(done)
                continue
            # Checked by parse_sources already: straight from the parser to the loader.
            found = ox.parse(content, format=source.format, base_iri=base_iri, rename_blank_nodes=True)
            if source.target_graph is not None:
                graph = source.target_graph
                found = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in found)
            yield from found
            done += file_quads[str(source.path)]
            if progress is not None and done - reported >= every:
                progress(done)
                reported = done
        if progress is not None:
            progress(done)

    store.bulk_extend(counted())
