"""What differs between the SPARQL engines zkg runs in front of, one profile per engine.

:class:`zkg.store.remote.RemoteStore` speaks the SPARQL 1.1 Protocol to any engine, but
engines read and answer it differently. Every such difference is a field of
:class:`EngineProfile`, read here and nowhere else, so that the rest of zkg never asks which
engine it talks to:

- **how a query or an update is sent**: a direct POST (``application/sparql-query``, the
  protocol's own) or an HTML-form POST (``application/x-www-form-urlencoded``). Virtuoso 7.2.5
  never answers a direct query POST (its issue 842: the request waits out every time limit);
- **which Accept** asks for each query form: Virtuoso answers a CONSTRUCT with SPARQL JSON
  bindings when JSON is acceptable at all, so a graph query asks for N-Triples alone;
- **how ASK comes back**: Virtuoso answers it as a one-row SELECT of ``__ASK_RETVAL`` (no row:
  false), which :meth:`EngineProfile.ask_boolean` reads as the boolean it is;
- **how IRIs may be written**: the guard writes each IRI's first letter as a ``\\u`` escape
  (:mod:`zkg.sparql.reader`), which SPARQL allows; Virtuoso's compiler refuses it ("Bad
  character '\\'"), so for Virtuoso :meth:`EngineProfile.engine_text` writes that letter
  plainly, the same IRI;
- **which graphs are the dataset's**: Oxigraph's default graph is the union of the named
  graphs when asked with its ``union-default-graph`` parameter, and apart from them
  otherwise; Virtuoso's is always the union of every graph it holds (there is no default
  graph apart: :attr:`EngineProfile.default_graph_apart`), its own system graphs too (its
  quad-map metadata ``virtrdf#``, the LDP vocabulary, the endpoint's service
  description…), and ``GRAPH ?g`` ranges over them. Those must be private to Virtuoso (the
  recipe in docs/operations/serving.md makes them so): zkg asks once which of them the
  endpoint shows (:attr:`EngineProfile.own_graphs_query`) and refuses to answer while any
  is (:mod:`zkg.store.engine_dataset`), rather than count them as data. (Virtuoso's
  ``define input:default-graph-exclude`` and ``input:named-graph-exclude`` pragmas would
  leave them out per query, but in 7.2.5 any ``input:`` pragma makes ``GRAPH <iri> {…}``
  match nothing, and zkg's own queries name graphs that way; naming every graph of the
  dataset instead would grow with the data, a changeset being a graph of its own);
- **the engine's own row cap**: Virtuoso's ``ResultSetMaxRows`` cuts an answer without an
  error (a SELECT's answer says ``X-SPARQL-MaxRows``, a CONSTRUCT's nothing), read once per
  store (:attr:`EngineProfile.row_cap_query`) so that zkg never passes a cut answer on as
  whole (:attr:`zkg.store.remote.RemoteStore.engine_row_cap`);
- **how blank nodes are labelled**: Virtuoso labels a blank node ``nodeID://b10000`` in
  SPARQL JSON (and ``_:b10000`` in N-Triples), which pyoxigraph does not read as a blank
  node's label: :meth:`EngineProfile.results_file` reads the answer without the prefix, the
  same label as in N-Triples (Virtuoso's labels hold from one answer to the next);
- **what an error answer says**: for Virtuoso a 400 is the reader's syntax error only when
  its compiler says so (``SP030``); its other errors (``SP031`` "Internal error" of its
  compiler, on queries that are valid SPARQL) are the engine's, and reported as the engine's.

The profile is given (``RemoteStore(engine=…)``), else the managed engine's (Oxigraph), else
detected once from the engine's ``Server`` header (:func:`detect`). An engine zkg does not
recognise gets :data:`OXIGRAPH`'s, the protocol as the standard writes it.

>>> VIRTUOSO.encode("query", "ASK {}", [("default-graph-uri", "urn:g")])
([], b'query=ASK+%7B%7D&default-graph-uri=urn%3Ag', 'application/x-www-form-urlencoded')
>>> OXIGRAPH.encode("update", "DROP ALL", [])
([], b'DROP ALL', 'application/sparql-update; charset=utf-8')
>>> for_server("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu").name, for_server("nginx").name
('Virtuoso', 'Oxigraph')
"""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO, Iterable, Mapping, Sequence, cast
from urllib.parse import urlencode

import pyoxigraph as ox

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
FORM = "application/x-www-form-urlencoded"
#: The Accept of a query whose form zkg does not know: results, or else triples.
EITHER = f"{RESULTS_JSON}, {N_TRIPLES};q=0.9"
#: How long the detection probe may take (it runs once per store, before its first query).
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class EngineProfile:
    """How one engine reads and answers the SPARQL 1.1 Protocol (see the module docstring)."""

    name: str
    #: Queries and updates as an HTML form (``query=…`` / ``update=…`` with the protocol's
    #: parameters) rather than a direct POST of the text with the parameters in the URL.
    form_encoded: bool = False
    #: The Accept per query form (``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE``); a form
    #: not named (or unknown) gets :data:`EITHER`.
    accept_by_form: tuple[tuple[str, str], ...] = ()
    #: ASK may come back as a SELECT (its one variable bound to 1 for true, or no row).
    ask_as_select: bool = False
    #: A 400 is the reader's syntax error only when its text matches this (None: every 400).
    syntax_error: re.Pattern[str] | None = None
    #: Where the engine's error text stops saying what went wrong (Virtuoso then echoes the
    #: whole query back): cut there.
    error_ends_at: str | None = None
    #: The engine reads ``\\u`` escapes in IRIs (else the guard's are written plainly).
    iri_escapes: bool = True
    #: The protocol parameter that makes the default graph the union of the named graphs;
    #: None: the engine's default graph is that union already.
    union_parameter: str | None = "union-default-graph"
    #: The engine has a default graph apart from its named graphs (read with
    #: ``union_default_graph=False``); else there is none, and a query of "the default graph
    #: and the named graphs" would read every statement twice.
    default_graph_apart: bool = True
    #: A SELECT of ``?g``: the engine's own graphs that it shows as data (asked once per store;
    #: any row makes zkg refuse to answer; None: the engine has none).
    own_graphs_query: str | None = None
    #: A SELECT of ``?g``: the dataset's named graphs.
    named_graphs_query: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
    #: A SELECT of ``?cap``: the most rows the engine sends in one answer (asked once per
    #: store; None: no cap of its own, or none it says).
    row_cap_query: str | None = None
    #: What the engine writes before a blank node's label in SPARQL JSON, which is not part
    #: of a label pyoxigraph reads (None: nothing).
    blank_node_prefix: bytes | None = None

    def results_file(self, body: IO[bytes]) -> IO[bytes]:
        """The engine's SPARQL JSON ``body`` as pyoxigraph can read it: blank node labels
        without :attr:`blank_node_prefix` (read as it arrives, never whole).

        >>> answer = b'{"s": {"type": "bnode", "value": "nodeID://b1"}, "o": "say \\\\"nodeID://x"}'
        >>> VIRTUOSO.results_file(io.BytesIO(answer)).read()
        b'{"s": {"type": "bnode", "value": "b1"}, "o": "say \\\\"nodeID://x"}'
        """
        if self.blank_node_prefix is None:
            return body
        return cast(IO[bytes], _WithoutPrefix(body, self.blank_node_prefix))

    def encode(self, kind: str, text: str, params: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], bytes, str]:
        """(URL parameters, body, Content-Type) of a ``kind`` (``query`` or ``update``) request."""
        if self.form_encoded:
            return [], urlencode([(kind, text), *params]).encode("ascii"), FORM
        return params, text.encode("utf-8"), f"application/sparql-{kind}; charset=utf-8"

    def engine_text(self, text: str) -> str:
        """``text`` as this engine can read it: for one that reads no ``\\u`` escape in IRIs,
        the escaped first letter of each IRI (the guard's, :mod:`zkg.sparql.reader`) written
        plainly. Only a letter: an escape elsewhere is left as the user wrote it.

        >>> VIRTUOSO.engine_text(r"SELECT * { <\\u0068ttp://x/a> ?p '<\\u0068' ; ?q '<\\\\u0068' }")
        "SELECT * { <http://x/a> ?p '<h' ; ?q '<\\\\\\\\u0068' }"
        >>> OXIGRAPH.engine_text(r"<\\u0068ttp://x/a>")
        '<\\\\u0068ttp://x/a>'
        """
        if self.iri_escapes:
            return text
        return _IRI_FIRST_LETTER.sub(_letter, text)

    def accept(self, form: str | None) -> str:
        """The Accept for a query of ``form``.

        >>> VIRTUOSO.accept("CONSTRUCT"), OXIGRAPH.accept("CONSTRUCT") == EITHER
        ('application/n-triples', True)
        """
        return dict(self.accept_by_form).get(form or "", EITHER)

    def ask_boolean(self, variables: Iterable[str], rows: Sequence[Mapping[str, object]]) -> bool | None:
        """The boolean of an ASK the engine answered as a SELECT, or None when the answer is
        not one (another engine's, or a real SELECT).

        >>> VIRTUOSO.ask_boolean(["__ASK_RETVAL"], [{"__ASK_RETVAL": ox.Literal("1")}])
        True
        >>> VIRTUOSO.ask_boolean(["__ASK_RETVAL"], []), OXIGRAPH.ask_boolean(["__ASK_RETVAL"], [])
        (False, None)
        """
        names = list(variables)
        if not self.ask_as_select or len(names) != 1 or len(rows) > 1:
            return None
        if not rows:
            return False
        value = rows[0].get(names[0])
        return value is not None and getattr(value, "value", str(value)) not in ("0", "false", "")

    def is_syntax_error(self, text: str) -> bool:
        """Whether a 400 with ``text`` is the reader's syntax error (else the engine's failure).

        >>> VIRTUOSO.is_syntax_error("Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error")
        True
        >>> VIRTUOSO.is_syntax_error("Virtuoso 37000 Error SP031: SPARQL compiler: Internal error")
        False
        """
        return self.syntax_error is None or bool(self.syntax_error.search(text))

    def error_message(self, text: str) -> str:
        """The part of the engine's error text that says what went wrong.

        >>> VIRTUOSO.error_message("Virtuoso 37000 Error SP031: x\\n\\nSPARQL query:\\ndefine ...")
        'Virtuoso 37000 Error SP031: x'
        """
        if self.error_ends_at is not None and self.error_ends_at in text:
            text = text[: text.index(self.error_ends_at)]
        return text.strip()


class _WithoutPrefix(io.RawIOBase):
    """A JSON body with ``prefix`` taken out wherever it begins a string (after ``"``, and not
    after an escaped ``\\"`` inside one), read a chunk at a time."""

    def __init__(self, body: IO[bytes], prefix: bytes, chunk: int = 64 * 1024):
        self.body, self.chunk, self.keep = body, chunk, len(prefix) - 1
        self.pattern = re.compile(rb'(?<=")(?<!\\")' + re.escape(prefix))
        self.context = b""  # the last bytes given, for the look-behind
        self.pending = b""  # bytes not given yet: a prefix may go on in the next chunk
        self.ready = b""
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self.ready and not self.ended:
            read = self.body.read(self.chunk)
            self.ended = not read
            start = len(self.context)
            # (A prefix beginning in the bytes given was seen whole, and kept, when they were.)
            data = self.pattern.sub(lambda m: b"" if m.start() >= start else m[0], self.context + self.pending + read)
            data = data[start:]
            keep = 0 if self.ended else min(len(data), self.keep)
            self.ready, self.pending = data[: len(data) - keep], data[len(data) - keep :]
            self.context = (self.context + self.ready)[-(self.keep + 3) :]
        view = memoryview(buffer)
        count = min(len(view), len(self.ready))
        view[:count] = self.ready[:count]
        self.ready = self.ready[count:]
        return count


#: The escaped first character of an IRI as the guard writes it (``<\\u0068ttp:…``).
_IRI_FIRST_LETTER = re.compile(r"<\\u([0-9A-Fa-f]{4})")


def _letter(match: re.Match[str]) -> str:
    """The escape written plainly when it is an ASCII letter (an IRI scheme's first), else as is.
    A letter reads the same escaped or not, wherever it is: in a string too."""
    character = chr(int(match.group(1), 16))
    return "<" + character if character.isascii() and character.isalpha() else match.group(0)


#: Oxigraph server, and the protocol as the standard writes it (any engine not recognised).
OXIGRAPH = EngineProfile(name="Oxigraph")

#: Virtuoso Open Source 7 (tested: Debian's 7.2.5).
VIRTUOSO = EngineProfile(
    name="Virtuoso",
    form_encoded=True,
    accept_by_form=(
        ("SELECT", RESULTS_JSON),
        ("ASK", RESULTS_JSON),
        ("CONSTRUCT", N_TRIPLES),
        ("DESCRIBE", N_TRIPLES),
    ),
    ask_as_select=True,
    syntax_error=re.compile(r"\bSP030\b"),
    error_ends_at="\n\nSPARQL query:",
    iri_escapes=False,
    union_parameter=None,
    default_graph_apart=False,
    # Virtuoso's own graphs, as a fresh 7.2.5 database holds them: its quad-map metadata
    # (``virtrdf#``, and any graph of OpenLink's namespace), the vocabularies it loads at
    # start (LDP; OWL in some builds), its WebDAV graph, and the endpoint's service
    # description, a graph named by the endpoint it describes (``http://<host>/sparql``,
    # the host from its URIQA setting: hence found by what it holds, not by name).
    own_graphs_query="""SELECT DISTINCT ?g WHERE {
  { GRAPH ?g { ?g a <http://www.w3.org/ns/sparql-service-description#Service> } }
  UNION
  { GRAPH ?g { ?s ?p ?o }
    FILTER(STRSTARTS(STR(?g), "http://www.openlinksw.com/") || ?g IN (<http://www.w3.org/ns/ldp#>,
      <http://www.w3.org/2002/07/owl#>, <http://www.w3.org/2002/07/owl>) || CONTAINS(STR(?g), "/DAV/")) }
}""",
    # ``GRAPH ?g { }`` gives Virtuoso one row with ?g unbound; and it answers exactly
    # ``SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`` from its list of graphs, private
    # ones too (7.2.5): GROUP BY reads the graphs the endpoint may read.
    named_graphs_query="SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    # The ini's [SPARQL] ResultSetMaxRows, which Virtuoso lets its endpoint read.
    blank_node_prefix=b"nodeID://",
    row_cap_query="SELECT (bif:cfg_item_value(bif:virtuoso_ini_path(), 'SPARQL', 'ResultSetMaxRows') AS ?cap) {}",
)

#: By the name a setting or a test gives.
PROFILES = {"oxigraph": OXIGRAPH, "virtuoso": VIRTUOSO}


def named(name: str) -> EngineProfile | None:
    """The profile the engine setting (``ZKG_ENGINE``) names; None for ``auto`` (detect).

    >>> named("virtuoso").name, named("auto")
    ('Virtuoso', None)
    """
    return None if name == "auto" else PROFILES[name]


def key(profile: EngineProfile) -> str:
    """The setting's name for ``profile`` (what :func:`named` reads).

    >>> key(VIRTUOSO)
    'virtuoso'
    """
    return next(name for name, known in PROFILES.items() if known == profile)


def for_server(server: str | None) -> EngineProfile:
    """The profile of the engine whose ``Server`` header is ``server``."""
    return VIRTUOSO if (server or "").lower().startswith("virtuoso") else OXIGRAPH


def detect(query_url: str, headers: Mapping[str, str], timeout: float = PROBE_TIMEOUT) -> EngineProfile:
    """The profile of the engine at ``query_url``, from the ``Server`` header of its answer
    to ``GET ?query=ASK{}`` (a request every engine answers, whatever it does with POSTs).
    An engine that does not answer the probe gets :data:`OXIGRAPH`'s: the queries that follow
    say what is wrong, as they would have without a probe."""
    url = query_url + ("&" if "?" in query_url else "?") + urlencode({"query": "ASK {}"})
    request = urllib.request.Request(url, headers={**headers, "Accept": RESULTS_JSON})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return for_server(answer.headers.get("Server"))
    except urllib.error.HTTPError as error:
        return for_server(error.headers.get("Server"))
    except (OSError, ValueError):
        return OXIGRAPH


def boolean_result(value: bool) -> ox.QueryBoolean:
    """A pyoxigraph boolean result (it has no constructor: parsed from its JSON).

    >>> bool(boolean_result(False))
    False
    """
    document = b'{"head":{},"boolean":' + (b"true" if value else b"false") + b"}"
    parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QueryBoolean)
    return parsed
