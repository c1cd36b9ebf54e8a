"""Changesets read from files: RDF (Turtle, TriG, N-Triples, N-Quads) and RDF Patch (A and D
rows, H headers), with errors that name the file, line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from zkg.base.errors import DataError
from zkg.curation.changesets import Changeset, ChangesetError, blank_labels
from zkg.rdf.prefixes import prefixes

FILE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".nquads": ox.RdfFormat.N_QUADS,
}
PATCH_SUFFIXES = (".rdfp", ".patch")

_POSITION = re.compile(r"(?:line|at) (\d+)(?::| column | between columns )?(\d+)?")


def parse_quads(data: bytes | str, *, format: ox.RdfFormat, base_iri: str, path: str = "<data>") -> list[ox.Quad]:
    """Quads of an RDF document (Turtle, TriG, N-Triples, N-Quads); relative IRIs resolve
    against ``base_iri`` and the zkg prefixes are predeclared for Turtle and TriG.
    A syntax error raises DataError with ``path:line:column``.

    >>> [str(q) for q in parse_quads('id:a schema:name "A" .', format=ox.RdfFormat.TURTLE, base_iri="http://zkg.test/")]
    ['<http://zkg.test/id/a> <https://schema.org/name> "A"']
    """

    text = data.decode("utf-8") if isinstance(data, bytes) else data
    prologue = ""
    if format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        prologue = "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in prefixes(base_iri).items())
    try:
        return list(
            ox.parse((prologue + text).encode("utf-8"), format=format, base_iri=base_iri, rename_blank_nodes=True)
        )
    except SyntaxError as error:
        shift = prologue.count("\n")
        message = str(error.args[0] if error.args else error)
        match = _POSITION.search(message)
        line = error.lineno if error.lineno is not None else (int(match.group(1)) if match else None)
        if line is not None and line > shift:
            line -= shift
        column = (
            error.offset if error.offset is not None else (int(match.group(2)) if match and match.group(2) else None)
        )
        detail = re.sub(r"^Parser error (?:at|between) [^:]*: ", "", message)
        where = f"{path}:{line}:{column}" if line is not None else path
        raise DataError(f"{where}: {detail}", path=path, line=line, column=column) from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}", path=path) from None


def quads_from_file(path: str | Path, *, base_iri: str, format: ox.RdfFormat | None = None) -> list[ox.Quad]:
    """The statements of a file (ChangesetError when it has none). The format comes from the
    extension (.ttl .trig .nt .nq) unless given; the file's blank nodes get fresh labels."""
    path = Path(path)
    if format is None:
        format = FILE_FORMATS.get(path.suffix.lower())
        if format is None:
            raise ChangesetError(f"{path}: unknown file type {path.suffix!r}: use .ttl, .trig, .nt or .nq")
    quads = parse_quads(_read_text(path), format=format, base_iri=base_iri, path=str(path))
    if not quads:
        raise ChangesetError(f"{path}: no statements")
    return quads


def changeset_from_file(
    path: str | Path,
    *,
    base_iri: str,
    agent: str,
    source: str,
    remove: bool = False,
    message: str = "",
    format: ox.RdfFormat | None = None,
) -> Changeset:
    """A changeset adding (or, with ``remove``, removing) the statements of a file.

    The format comes from the extension (.ttl .trig .nt .nq) unless given. Triples outside
    a named graph are added to the changeset's own graph, or removed from every graph
    holding them.
    """
    quads = quads_from_file(path, base_iri=base_iri, format=format)
    if remove:
        return Changeset.new(base_iri=base_iri, agent=agent, source=source, removals=quads, message=message)
    # The parser gave the file's blank nodes fresh labels: new nodes, never the store's.
    return Changeset.new(
        base_iri=base_iri, agent=agent, source=source, additions=quads, message=message, new_nodes=blank_labels(quads)
    )


@dataclass(frozen=True)
class Patch:
    """An RDF Patch read from a file: its ``H`` headers and its ``A`` and ``D`` rows."""

    headers: dict
    additions: tuple[ox.Quad, ...]
    removals: tuple[ox.Quad, ...]

    def header(self, name: str) -> str | None:
        term = self.headers.get(name)
        return None if term is None else term.value

    def changeset(
        self, *, base_iri: str, agent: str | None = None, source: str | None = None, message: str | None = None
    ) -> Changeset:
        """The patch's changeset; the headers ``agent``, ``source`` and ``message`` fill in
        what the arguments do not give."""
        return Changeset.new(
            base_iri=base_iri,
            agent=agent or self.header("agent") or "",
            source=source or self.header("source") or "",
            message=message if message is not None else (self.header("message") or ""),
            additions=self.additions,
            removals=self.removals,
        )


def read_patch(path: str | Path, *, base_iri: str) -> Patch:
    """The RDF Patch of a file (``A``/``D`` rows of 3 or 4 terms; ``H`` headers; ``TX``/``TC``
    and ``PA``/``PD`` prefix rows are accepted; a patch with ``TA`` is refused, and one
    without ``A`` or ``D`` rows: ChangesetError)."""
    path = Path(path)
    headers, additions, removals = parse_patch(_read_text(path), base_iri=base_iri, path=str(path))
    if not additions and not removals:
        raise ChangesetError(f"{path}: no A or D rows")
    return Patch(headers, tuple(additions), tuple(removals))


def changeset_from_patch(
    path: str | Path, *, base_iri: str, agent: str | None = None, source: str | None = None, message: str | None = None
) -> Changeset:
    """A changeset from an RDF Patch file (:func:`read_patch`; ``H`` headers ``agent``,
    ``source``, ``message`` fill in what the arguments do not give)."""
    return read_patch(path, base_iri=base_iri).changeset(base_iri=base_iri, agent=agent, source=source, message=message)


# One RDF term in patch rows: IRI, blank node, literal (with language or datatype), prefixed
# name, or the keyword-free bare numbers/booleans of Turtle.
_TERM = re.compile(
    r"""
    <[^<>"{}|^`\\\s]*>
  | _:[A-Za-z0-9_][A-Za-z0-9_.\-]*
  | "(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^<>"{}|^`\\\s]*>|[A-Za-z][\w\-.]*:[\w\-.]*))?
  | [A-Za-z][\w\-.]*:[\w\-.%]*[\w\-%]|[A-Za-z][\w\-]*:
  | [+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?
  | true|false
  | \.
""",
    re.VERBOSE,
)


def _tokens(text: str, where: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        if text[pos] == "#":
            break
        match = _TERM.match(text, pos)
        if not match:
            raise DataError(f"{where}: cannot read {text[pos : pos + 30]!r}")
        out.append(match.group(0))
        pos = match.end()
    return out


def _expand(token: str, prefix_map: dict[str, str], where: str) -> str:
    """One token as N-Triples text."""

    if token.startswith(("<", "_:")):
        return token
    if token.startswith('"'):
        if "^^" in token and not token.endswith(">"):
            value, datatype = token.rsplit("^^", 1)
            return value + "^^" + _expand(datatype, prefix_map, where)
        return token
    if token in ("true", "false"):
        return f'"{token}"^^<http://www.w3.org/2001/XMLSchema#boolean>'
    if re.match(r"^[+-]?\d", token):
        kind = "double" if "e" in token.lower() else "decimal" if "." in token else "integer"
        return f'"{token}"^^<http://www.w3.org/2001/XMLSchema#{kind}>'
    prefix, _, local = token.partition(":")
    if prefix not in prefix_map:
        raise DataError(f"{where}: unknown prefix {prefix}: (declare it with PA {prefix} <…> .)")
    return f"<{prefix_map[prefix]}{local}>"


def parse_patch(
    text: str, *, base_iri: str, path: str = "<patch>"
) -> tuple[dict[str, ox.NamedNode | ox.Literal], list[ox.Quad], list[ox.Quad]]:
    """(headers, additions, removals) of RDF Patch text. Syntax errors raise DataError.

    >>> h, a, d = parse_patch('H source "a talk" .\\nTX .\\nA id:x schema:name "X" .\\nD id:x schema:name "Y" graph:g .\\nTC .',
    ...                       base_iri="http://zkg.test/")
    >>> h["source"].value, [str(q) for q in a], [str(q) for q in d]
    ('a talk', ['<http://zkg.test/id/x> <https://schema.org/name> "X"'], ['<http://zkg.test/id/x> <https://schema.org/name> "Y" <http://zkg.test/graph/g>'])
    """

    prefix_map = prefixes(base_iri)
    headers: dict[str, ox.NamedNode | ox.Literal] = {}
    additions: list[ox.Quad] = []
    removals: list[ox.Quad] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        code, _, rest = stripped.partition(" ")
        header_name = None
        if code == "H":
            header_name, _, rest = rest.strip().partition(" ")
        if code in ("PA", "PD"):
            match = re.match(r"^([A-Za-z][\w\-.]*|):?\s*(?:<([^<>\s]*)>)?\s*\.?\s*$", rest.strip())
            if not match or (code == "PA") != bool(match.group(2)):
                raise DataError(f"{where}: expected {code} prefix{' <namespace>' if code == 'PA' else ''} .")
            if code == "PA":
                prefix_map[match.group(1)] = match.group(2)
            else:
                prefix_map.pop(match.group(1), None)
            continue
        tokens = _tokens(rest, where)
        if tokens and tokens[-1] == ".":
            tokens = tokens[:-1]
        if code == "TA":
            raise DataError(f"{where}: the patch aborts its transaction (TA): nothing to apply")
        if code in ("TX", "TC"):
            if tokens:
                raise DataError(f"{where}: {code} takes no terms")
            continue
        if code == "H":
            if not header_name or len(tokens) != 1:
                raise DataError(f"{where}: expected H name value .")
            headers[header_name] = _parse_terms([_expand(tokens[0], prefix_map, where)], base_iri, where)[0]
            continue
        if code not in ("A", "D"):
            raise DataError(f"{where}: unknown row {code!r} (RDF Patch rows: H, TX, TC, TA, PA, PD, A, D)")
        if len(tokens) not in (3, 4):
            raise DataError(
                f"{where}: an {code} row has 3 or 4 terms (subject predicate object [graph]), found {len(tokens)}"
            )
        terms = _parse_terms([_expand(t, prefix_map, where) for t in tokens], base_iri, where)
        graph = terms[3] if len(terms) == 4 else ox.DefaultGraph()
        quad = ox.Quad(terms[0], terms[1], terms[2], graph)
        (additions if code == "A" else removals).append(quad)
    return headers, additions, removals


def _parse_terms(nt_terms: list[str], base_iri: str, where: str) -> list:
    """N-Triples terms -> pyoxigraph terms (by parsing a statement made of them)."""

    dummy = "<urn:x-zkg:p>"
    if len(nt_terms) in (3, 4):
        text = " ".join(nt_terms) + " .\n"
    else:  # one term: as the object of a dummy triple
        text = f"{dummy} {dummy} {nt_terms[0]} .\n"
    try:
        quads = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS, base_iri=base_iri))
    except SyntaxError as error:
        raise DataError(f"{where}: {error}") from None
    quad = quads[0]
    if len(nt_terms) in (3, 4):
        out = [quad.subject, quad.predicate, quad.object]
        return out + ([quad.graph_name] if len(nt_terms) == 4 else [])
    return [quad.object]
