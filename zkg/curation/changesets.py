"""Changesets: what a curator changes, who changed it, when, from which source and why.

A :class:`Changeset` is a set of quads to remove and a set of quads to add, plus its
attribution. Every write to the store goes through one (DESIGN.md, decision 7), applied by
:func:`zkg.curation.apply.apply_changeset`.

- ``id``: sortable and unique, ``YYYYMMDDTHHMMSSffffffZ-<8 hex>`` (UTC time, then random),
  so sorting ids sorts changesets by creation time.
- ``additions``: quads, each with its named graph. A triple given without a graph goes to the
  changeset's own graph ``{base}graph/changes/<id>`` (:func:`changeset_graph`).
- ``removals``: quads, each with its named graph. A triple given without a graph means "this
  triple, in every graph that holds it" (:data:`ANY_GRAPH` marks it): the curation code
  expands it against the store before checking, and records the exact quads it removed.
  (``keep_default_graph=True`` instead keeps graph-less quads in the store's real default
  graph, for the protocols that name it.)
- ``agent``: an IRI. :func:`agent_iri` turns a name (``--by "Luo Wei"``) into
  ``{base}id/agent/<slug>`` (``luo-wei``); an absolute http(s) IRI is kept as it is.
- ``time``: when it was made (UTC, aware).
- ``source``: required; an absolute IRI (the document the facts come from) or citation text.
- ``message``: why (free text, may be empty).
- ``reverts``: the id of the changeset this one undoes, or None.

Blank nodes: a label is the store's node of that label when the store has one (a changeset
made from what the store holds: an update's WHERE, a Graph Store DELETE, a revert), else a new
node when added, and a node matched by its statements when removed (which must match exactly
one way: else Conflict when none does, ChangesetError when several do). ``new_nodes`` names the
labels known to be new. :mod:`zkg.curation.blank_nodes` resolves them and writes to exactly those nodes;
a revert restores the dataset up to the labels of blank nodes it had to make anew.

>>> cs = Changeset.new(base_iri="http://zkg.test/", agent="Luo Wei", source="Interview, 2024",
...                    additions=[ox.Quad(ox.NamedNode("http://zkg.test/id/a"),
...                                       ox.NamedNode("http://zkg.test/def/p"), ox.Literal("x"))])
>>> cs.agent
'http://zkg.test/id/agent/luo-wei'
>>> cs.additions[0].graph_name == ox.NamedNode(changeset_graph("http://zkg.test/", cs.id))
True
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from zkg.base.errors import DataError, ZkgError
from zkg.rdf.display import term_text
from zkg.rdf.prefixes import prefixes

CHANGES_PATH = "graph/changes/"
ZKG_CHANGESET = "def/Changeset"  # the class of changesets, under the base IRI as the other own terms
#: The graph of a removal given without one: "this triple, in every graph that holds it".
ANY_GRAPH = ox.NamedNode("urn:x-zkg:any-graph")
AGENT_PATH = "id/agent/"


class ChangesetError(ZkgError):
    """A changeset that cannot be made or applied as given (HTTP 400; CLI exit 1)."""


class IllTypedLiteral(ChangesetError):
    """A statement to add holds a literal its datatype does not allow (``"twelve"^^xsd:integer``,
    ``"2021-02-29"^^xsd:date``) or the character NUL (HTTP 400; CLI exit 1). The message names
    the literal and where it was written: see :mod:`zkg.rdf.lexical`."""


def new_id(time: datetime | None = None) -> str:
    """A fresh changeset id: UTC time to the microsecond, then 8 random hex digits."""
    time = (time or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return time.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(4)


_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")


def is_changeset_id(text: str) -> bool:
    """Whether ``text`` has the form of a changeset id."""
    return bool(_ID.match(text))


def changeset_graph(base_iri: str, changeset_id: str) -> str:
    """The IRI of a changeset's own named graph (and of the changeset itself)."""
    return f"{base_iri}{CHANGES_PATH}{changeset_id}"


def changeset_id_of(base_iri: str, iri: str) -> str | None:
    """The id of a changeset graph IRI, or None when ``iri`` is not one."""
    prefix = base_iri + CHANGES_PATH
    if iri.startswith(prefix) and is_changeset_id(iri[len(prefix):]):
        return iri[len(prefix):]
    return None


def slug(name: str) -> str:
    """``"Luo Wei"`` -> ``"luo-wei"``; non-Latin letters are kept (IRIs allow them)."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_")
    return text


def agent_iri(base_iri: str, agent: str) -> str:
    """The IRI of an agent given by IRI (kept) or by name (``{base}id/agent/<slug>``).

    >>> agent_iri("http://zkg.test/", "Luo Wei"), agent_iri("http://zkg.test/", "https://orcid.org/0000-0001")
    ('http://zkg.test/id/agent/luo-wei', 'https://orcid.org/0000-0001')
    """
    text = (agent or "").strip()
    if is_iri(text):
        return text
    name = slug(text)
    if not name:
        raise ChangesetError("who made the change is required (--by NAME or an IRI)")
    return base_iri + AGENT_PATH + name


_IRI = re.compile(r"^(https?|urn|doi|isbn):\S+$", re.IGNORECASE)


def is_iri(text: str) -> bool:
    """Whether a source (or agent) is an absolute IRI; anything else is citation text.

    >>> is_iri("https://example.org/a"), is_iri("China Daily, 5 March 2016, p. 7")
    (True, False)
    """
    return bool(_IRI.match(text.strip())) and not any(c in text for c in '<>"{}|^`\\')


def _term_key(term) -> str:
    return "" if isinstance(term, ox.DefaultGraph) else str(term)


def graph_value(term) -> str:
    """A graph name as text: its IRI, or "" for the default graph."""
    return "" if isinstance(term, ox.DefaultGraph) else term.value


def quad_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    """A total order on quads (graph, subject, predicate, object), as the dumps sort them."""
    return (_term_key(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def _unique(quads: Iterable[ox.Quad]) -> tuple[ox.Quad, ...]:
    return tuple(sorted(set(quads), key=quad_key))


@dataclass(frozen=True)
class Changeset:
    """One change to the store. Build with :meth:`new` (it resolves agent and graphs)."""

    id: str
    additions: tuple[ox.Quad, ...]
    removals: tuple[ox.Quad, ...]
    agent: str  # IRI
    time: datetime  # UTC
    source: str  # IRI or citation text
    message: str = ""
    reverts: str | None = None
    base_iri: str = field(default="", compare=False)  # the deployment the changeset was made for
    agent_name: str = field(default="", compare=False)  # the name the agent was given by, if any
    # Labels of blank nodes the maker knows to be new (a parsed document's, an update's own):
    # not looked for in the store (zkg.curation.blank_nodes). Any other label may be a node of the store.
    new_nodes: frozenset = field(default=frozenset(), compare=False)
    # Statements of the store's blank nodes the maker read (a COPY's source graph): where
    # zkg.curation.blank_nodes finds the nodes the changeset only adds to, without a scan.
    anchors: tuple = field(default=(), compare=False)

    @classmethod
    def new(cls, *, base_iri: str, agent: str, source: str, additions: Iterable[ox.Quad] = (),
            removals: Iterable[ox.Quad] = (), message: str = "", reverts: str | None = None,
            id: str | None = None, time: datetime | None = None,
            keep_default_graph: bool = False, new_nodes: Iterable[str] = (),
            anchors: Iterable[ox.Quad] = ()) -> "Changeset":
        """A changeset for the deployment at ``base_iri``.

        Resolves ``agent`` (name or IRI), sends graph-less additions to the changeset's own
        graph, drops duplicate quads, and checks that ``source`` is given (ChangesetError
        otherwise) and that no quad is both added and removed. With ``keep_default_graph``
        (the Graph Store Protocol's ``?default``, SPARQL Update templates) quads in the
        default graph stay there, removals included, instead. ``new_nodes``: labels of blank
        nodes known to be new, ``anchors`` statements of the store's blank nodes the maker read
        (see :mod:`zkg.curation.blank_nodes`).
        """
        source = " ".join((source or "").split())
        if not source:
            raise ChangesetError("the source of the change is required (--source: an IRI or a citation)")
        time = (time or datetime.now(timezone.utc)).astimezone(timezone.utc)
        changeset_id = id or new_id(time)
        if not is_changeset_id(changeset_id):
            raise ChangesetError(f"not a changeset id: {changeset_id!r}")
        own = ox.NamedNode(changeset_graph(base_iri, changeset_id))
        added = []
        for quad in additions:
            _check_quad(quad)
            if isinstance(quad.graph_name, ox.DefaultGraph) and not keep_default_graph:
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, own)
            added.append(quad)
        removed = []
        for quad in removals:
            _check_quad(quad)
            if isinstance(quad.graph_name, ox.DefaultGraph) and not keep_default_graph:
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, ANY_GRAPH)
            removed.append(quad)
        added_set, removed_set = set(added), set(removed)
        both = added_set & removed_set
        if both:
            example = sorted(both, key=quad_key)[0]
            raise ChangesetError(f"{len(both)} statement(s) both added and removed, e.g. {example}")
        return cls(id=changeset_id, additions=_unique(added_set), removals=_unique(removed_set),
                   agent=agent_iri(base_iri, agent), time=time, source=source, message=(message or "").strip(),
                   reverts=reverts, base_iri=base_iri,
                   agent_name="" if is_iri(agent or "") else " ".join((agent or "").split()),
                   new_nodes=frozenset(new_nodes), anchors=tuple(anchors))

    @property
    def graph(self) -> str:
        """The changeset's own named graph (also the IRI the metadata describes)."""
        return changeset_graph(self.base_iri, self.id)

    @property
    def source_is_iri(self) -> bool:
        return is_iri(self.source)

    @property
    def empty(self) -> bool:
        return not self.additions and not self.removals

    def changed_graphs(self) -> list[str]:
        """The named graphs the changeset adds to or removes from, sorted ("" for the default graph)."""
        return sorted({graph_value(q.graph_name) for q in (*self.additions, *self.removals)})

    def inverse(self, *, agent: str, message: str, source: str | None = None) -> "Changeset":
        """The changeset that undoes this one (additions and removals swapped), as a new
        changeset with ``reverts`` set; its source defaults to this changeset's."""
        return Changeset.new(base_iri=self.base_iri, agent=agent, source=source or self.source,
                             additions=self.removals, removals=self.additions,
                             message=message or f"revert {self.id}", reverts=self.id, keep_default_graph=True)

    def with_quads(self, *, additions: Iterable[ox.Quad], removals: Iterable[ox.Quad]) -> "Changeset":
        """The same changeset (id, attribution) with other quads (e.g. the effective ones)."""
        return replace(self, additions=_unique(additions), removals=_unique(removals))


def blank_labels(quads: Iterable[ox.Quad]) -> frozenset[str]:
    """The labels of the blank nodes in ``quads``."""
    return frozenset(t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode))


def _check_quad(quad) -> None:
    if not isinstance(quad, ox.Quad):
        raise ChangesetError(f"not a quad: {quad!r}")
    if isinstance(quad.graph_name, ox.BlankNode):
        raise ChangesetError("a graph named by a blank node: name every graph with an IRI")
    for term in (quad.subject, quad.predicate, quad.object):
        if isinstance(term, ox.Triple):
            raise ChangesetError("RDF 1.2 triple terms are not supported")


# -- reading changesets -------------------------------------------------------------------------

FILE_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE, ".turtle": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES, ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS, ".nquads": ox.RdfFormat.N_QUADS,
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
        return list(ox.parse((prologue + text).encode("utf-8"), format=format, base_iri=base_iri,
                             rename_blank_nodes=True))
    except SyntaxError as error:
        shift = prologue.count("\n")
        message = str(error.args[0] if error.args else error)
        match = _POSITION.search(message)
        line = error.lineno if error.lineno is not None else (int(match.group(1)) if match else None)
        if line is not None and line > shift:
            line -= shift
        column = error.offset if error.offset is not None else (int(match.group(2)) if match and match.group(2) else None)
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


def changeset_from_file(path: str | Path, *, base_iri: str, agent: str, source: str, remove: bool = False,
                        message: str = "", format: ox.RdfFormat | None = None) -> Changeset:
    """A changeset adding (or, with ``remove``, removing) the statements of a file.

    The format comes from the extension (.ttl .trig .nt .nq) unless given. Triples outside
    a named graph are added to the changeset's own graph, or removed from every graph
    holding them.
    """
    quads = quads_from_file(path, base_iri=base_iri, format=format)
    if remove:
        return Changeset.new(base_iri=base_iri, agent=agent, source=source, removals=quads, message=message)
    # The parser gave the file's blank nodes fresh labels: new nodes, never the store's.
    return Changeset.new(base_iri=base_iri, agent=agent, source=source, additions=quads, message=message,
                         new_nodes=blank_labels(quads))


@dataclass(frozen=True)
class Patch:
    """An RDF Patch read from a file: its ``H`` headers and its ``A`` and ``D`` rows."""

    headers: dict
    additions: tuple[ox.Quad, ...]
    removals: tuple[ox.Quad, ...]

    def header(self, name: str) -> str | None:
        term = self.headers.get(name)
        return None if term is None else term.value

    def changeset(self, *, base_iri: str, agent: str | None = None, source: str | None = None,
                  message: str | None = None) -> Changeset:
        """The patch's changeset; the headers ``agent``, ``source`` and ``message`` fill in
        what the arguments do not give."""
        return Changeset.new(base_iri=base_iri, agent=agent or self.header("agent") or "",
                             source=source or self.header("source") or "",
                             message=message if message is not None else (self.header("message") or ""),
                             additions=self.additions, removals=self.removals)


def read_patch(path: str | Path, *, base_iri: str) -> Patch:
    """The RDF Patch of a file (``A``/``D`` rows of 3 or 4 terms; ``H`` headers; ``TX``/``TC``
    and ``PA``/``PD`` prefix rows are accepted; a patch with ``TA`` is refused, and one
    without ``A`` or ``D`` rows: ChangesetError)."""
    path = Path(path)
    headers, additions, removals = parse_patch(_read_text(path), base_iri=base_iri, path=str(path))
    if not additions and not removals:
        raise ChangesetError(f"{path}: no A or D rows")
    return Patch(headers, tuple(additions), tuple(removals))


def changeset_from_patch(path: str | Path, *, base_iri: str, agent: str | None = None, source: str | None = None,
                         message: str | None = None) -> Changeset:
    """A changeset from an RDF Patch file (:func:`read_patch`; ``H`` headers ``agent``,
    ``source``, ``message`` fill in what the arguments do not give)."""
    return read_patch(path, base_iri=base_iri).changeset(base_iri=base_iri, agent=agent, source=source,
                                                         message=message)


# One RDF term in patch rows: IRI, blank node, literal (with language or datatype), prefixed
# name, or the keyword-free bare numbers/booleans of Turtle.
_TERM = re.compile(r'''
    <[^<>"{}|^`\\\s]*>
  | _:[A-Za-z0-9_][A-Za-z0-9_.\-]*
  | "(?:[^"\\\n]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^<>"{}|^`\\\s]*>|[A-Za-z][\w\-.]*:[\w\-.]*))?
  | [A-Za-z][\w\-.]*:[\w\-.%]*[\w\-%]|[A-Za-z][\w\-]*:
  | [+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?
  | true|false
  | \.
''', re.VERBOSE)


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
            raise DataError(f"{where}: cannot read {text[pos:pos + 30]!r}")
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


def parse_patch(text: str, *, base_iri: str, path: str = "<patch>") -> tuple[dict[str, ox.NamedNode | ox.Literal], list[ox.Quad], list[ox.Quad]]:
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
            raise DataError(f"{where}: an {code} row has 3 or 4 terms (subject predicate object [graph]), found {len(tokens)}")
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


# -- writing changesets -------------------------------------------------------------------------

XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def header_terms(changeset: Changeset, *, prev: str | None = None) -> list[tuple[str, ox.NamedNode | ox.Literal]]:
    """The RDF Patch headers of a changeset, in order."""
    out: list[tuple[str, ox.NamedNode | ox.Literal]] = [("id", ox.NamedNode(changeset.graph))]
    if prev:
        out.append(("prev", ox.NamedNode(prev)))
    out.append(("agent", ox.NamedNode(changeset.agent)))
    out.append(("time", ox.Literal(changeset.time.isoformat(), datatype=ox.NamedNode(XSD_DATETIME))))
    out.append(("source", ox.NamedNode(changeset.source) if changeset.source_is_iri else ox.Literal(changeset.source)))
    if changeset.message:
        out.append(("message", ox.Literal(changeset.message)))
    if changeset.reverts:
        out.append(("reverts", ox.NamedNode(changeset_graph(changeset.base_iri, changeset.reverts))))
    return out


def _row(code: str, quad: ox.Quad) -> str:
    terms = [str(quad.subject), str(quad.predicate), str(quad.object)]
    if not isinstance(quad.graph_name, ox.DefaultGraph):
        terms.append(str(quad.graph_name))
    return f"{code} {' '.join(terms)} ."


def to_rdf_patch(changeset: Changeset, *, headers: bool = True, transaction: bool = True,
                 prev: str | None = None) -> str:
    """The changeset as RDF Patch: ``H`` headers (id, agent, time, source, message,
    reverts), ``TX .``, ``D`` rows then ``A`` rows (sorted), ``TC .``."""
    lines = [f"H {name} {term} ." for name, term in header_terms(changeset, prev=prev)] if headers else []
    if transaction:
        lines.append("TX .")
    lines += [_row("D", q) for q in changeset.removals]
    lines += [_row("A", q) for q in changeset.additions]
    if transaction:
        lines.append("TC .")
    return "\n".join(lines) + "\n"


def diff_description(changeset: Changeset, prefixes: dict[str, str] | None = None) -> str:
    """A readable diff: a header (id, agent, time, source, message), then per graph the
    removed triples (``-``) and added ones (``+``), with prefixed names."""

    p = prefixes or {}
    text = lambda term: term_text(term, p)  # noqa: E731
    lines = [
        f"changeset {changeset.id}",
        f"  by      {text(ox.NamedNode(changeset.agent))}",
        f"  at      {changeset.time.isoformat(timespec='seconds')}",
        f"  source  {text(ox.NamedNode(changeset.source)) if changeset.source_is_iri else changeset.source}",
    ]
    if changeset.message:
        lines.append(f"  message {changeset.message}")
    if changeset.reverts:
        lines.append(f"  reverts {changeset.reverts}")
    by_graph: dict[str, list[tuple[str, ox.Quad]]] = {}
    for sign, quads in (("-", changeset.removals), ("+", changeset.additions)):
        for quad in quads:
            by_graph.setdefault(graph_value(quad.graph_name), []).append((sign, quad))
    for graph in sorted(by_graph):
        name = ("(every graph holding it)" if graph == ANY_GRAPH.value else
                text(ox.NamedNode(graph)) if graph else "(the default graph)")
        lines.append(f"graph {name}")
        for sign, quad in by_graph[graph]:
            lines.append(f"  {sign} {text(quad.subject)} {text(quad.predicate)} {text(quad.object)}")
    lines.append(f"{len(changeset.removals)} removal(s), {len(changeset.additions)} addition(s)")
    return "\n".join(lines)
