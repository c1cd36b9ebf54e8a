"""The query editor: what a browser gets from ``/sparql`` (Accept ``text/html``).

The editor is YASGUI (vendored under ``static/vendor/yasgui``, see its README) wired to this
deployment by ``static/editor.js``: SPARQL highlighting and syntax checking that know the
predeclared prefixes, completion of those prefixes and of the classes and properties in the
store (``/sparql/terms.json``), the competency questions as examples, results as a table a
person can read (``static/editor-results.js``: IRIs as their labels, linked to their pages,
literals as values, a "raw terms" switch; a refused query's explanation with its line marked),
downloads in every format and the query in the address bar.

It works with no internet: every script and style is served by zkg, the YASGUI completers
that call external services are replaced, and the page is sent with a Content-Security-Policy
that lets the browser talk to this origin only. The page has no inline script: its
configuration travels in a ``<script type="application/json">`` block read by editor.js.

The sparql blueprint calls :func:`render_editor` when a browser asks ``/sparql`` for HTML;
:data:`editor_blueprint` serves ``/sparql/terms.json`` and the static files.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from zkg.base.errors import ZkgError
from zkg.power.canned import QUERIES_DIR, header_fields, load_queries
from zkg.rdf import negotiation
from zkg.rdf.lexical import NUMERIC_TYPES
from zkg.rdf.prefixes import prefixes as zkg_prefixes
from zkg.sparql import protocol
from zkg.web.iris import DEREFERENCEABLE

_log = logging.getLogger(__name__)
_WEB_DIR = Path(__file__).resolve().parent.parent  # zkg/web/, from zkg/web/sparql/
_PACKAGE_DIR = _WEB_DIR.parent

editor_blueprint = Blueprint(
    "editor",
    __name__,
    static_folder="../static",
    static_url_path="/static",
    template_folder="../templates",
)

#: Sent with the editor page. Scripts, fonts, images and fetches: this origin only.
#: 'unsafe-inline' for styles only, because YASGUI's column resizer adds a <style> element.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)


# -- download formats --------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadFormat:
    label: str  # the link's text
    param: str  # the value of /sparql?format=
    media_type: str
    extension: str  # of the downloaded file's name

    def as_json(self) -> dict:
        return {"label": self.label, "param": self.param, "mediaType": self.media_type, "extension": self.extension}


def _download(fmt: negotiation.Format, label: str, extension: str) -> DownloadFormat:
    return DownloadFormat(label, fmt.name, fmt.media_type, extension)


_SOLUTIONS = (
    _download(negotiation.SPARQL_JSON, "JSON", "srj"),
    _download(negotiation.SPARQL_XML, "XML", "srx"),
    _download(negotiation.SPARQL_CSV, "CSV", "csv"),
    _download(negotiation.SPARQL_TSV, "TSV", "tsv"),
)

#: What the editor offers as downloads, by query form: links to /sparql?query=…&format=…,
#: with the format names the endpoint's content negotiation (zkg.rdf.negotiation) defines.
DOWNLOAD_FORMATS: dict[str, tuple[DownloadFormat, ...]] = {
    "solutions": _SOLUTIONS,  # SELECT
    "boolean": _SOLUTIONS,  # ASK
    "graph": (  # CONSTRUCT, DESCRIBE
        _download(negotiation.TURTLE, "Turtle", "ttl"),
        _download(negotiation.N_TRIPLES, "N-Triples", "nt"),
        _download(negotiation.JSON_LD, "JSON-LD", "jsonld"),
        _download(negotiation.RDF_XML, "RDF/XML", "rdf"),
    ),
}


# -- example queries ---------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleQuery:
    """One example: a canned query (``zkg/power/queries/<slug>.rq``), e.g. a competency question."""

    slug: str  # the file name without .rq, e.g. "01-people"
    title: str  # from the "# title:" line (else the slug)
    question: str  # from the "# question:" line (may be empty)
    query: str  # the whole file, comments included

    def as_json(self) -> dict:
        return {"slug": self.slug, "title": self.title, "question": self.question, "query": self.query}


def example_queries_dir() -> Path:
    """Where the example queries are: the canned queries' folder, ``zkg/power/queries`` (shipped
    in the package; :mod:`zkg.power.canned` serves the same files at ``/queries/<slug>``)."""

    return QUERIES_DIR


def parse_example(path: Path) -> ExampleQuery:
    """Read one ``.rq`` file; its leading comment lines give title and question.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = Path(d) / "07-who.rq"
    >>> _ = p.write_text("# title: Who\\n# question: Who is there?\\nSELECT * {}\\n", encoding="utf-8")
    >>> e = parse_example(p); e.slug, e.title, e.question
    ('07-who', 'Who', 'Who is there?')
    """
    text = path.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for key, value in header_fields(text):
        found.setdefault(key, value)  # the first title and question win
    return ExampleQuery(
        slug=path.stem,
        title=found.get("title") or path.stem,
        question=found.get("question", ""),
        query=text.strip() + "\n",
    )


def example_queries(directory: str | Path | None = None) -> list[ExampleQuery]:
    """The editor's example queries: the canned queries of ``directory`` (default
    :func:`example_queries_dir`) that need no parameter value, in file-name order (one source
    for both: :func:`zkg.power.canned.load_queries`). A missing folder gives no examples; a
    malformed file is left out with an error in the log."""

    folder = Path(directory) if directory is not None else example_queries_dir()
    return [
        ExampleQuery(slug=q.slug, title=q.title, question=q.question, query=q.text)
        for q in load_queries(folder)
        if not q.required
    ]


# -- vocabulary terms for completion ----------------------------------------------------

#: Classes and properties in the store: those used in the data and those declared in a
#: vocabulary, with an English (or untagged) label and comment when the store has one.
TERMS_QUERY = """
SELECT ?term ?kind (SAMPLE(?l) AS ?label) (SAMPLE(?c) AS ?comment) (SUM(?n) AS ?uses) WHERE {
  {
    { SELECT ?term (COUNT(*) AS ?n) { ?s ?term ?o } GROUP BY ?term }
    BIND("properties" AS ?kind)
  } UNION {
    { SELECT ?term (COUNT(*) AS ?n) { ?s rdf:type ?term } GROUP BY ?term }
    BIND("classes" AS ?kind)
  } UNION {
    VALUES ?type { owl:Class rdfs:Class }
    ?term rdf:type ?type .
    BIND(0 AS ?n) BIND("classes" AS ?kind)
  } UNION {
    VALUES ?type { rdf:Property owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty
                   qb:DimensionProperty qb:MeasureProperty qb:AttributeProperty }
    ?term rdf:type ?type .
    BIND(0 AS ?n) BIND("properties" AS ?kind)
  }
  FILTER(isIRI(?term))
  OPTIONAL { ?term rdfs:label|skos:prefLabel ?l FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }
  OPTIONAL { ?term rdfs:comment|skos:definition ?c FILTER(LANG(?c) = "" || LANGMATCHES(LANG(?c), "en")) }
}
GROUP BY ?term ?kind
ORDER BY ?kind DESC(?uses) ?term
"""

#: At most this many terms of each kind (the most used first).
TERMS_LIMIT = 5000
#: How long terms.json is reused before the store is asked again, in seconds.
TERMS_TTL = 60.0


def vocabulary_terms(store) -> dict:
    """``{"classes": [...], "properties": [...]}``, each term ``{"iri", "label", "comment",
    "uses"}``; ``store`` is a :class:`zkg.store.local.Store`.

    >>> from zkg.store.local import Store
    >>> s = Store.open(base_iri="http://zkg.test/")
    >>> s.update('INSERT DATA { GRAPH graph:v { zkg:Thing a owl:Class ; rdfs:label "thing"@en } '
    ...          'GRAPH graph:d { id:x a zkg:Thing ; schema:name "X" } }')
    >>> t = vocabulary_terms(s)
    >>> [(c["iri"], c["label"], c["uses"]) for c in t["classes"]]
    [('http://www.w3.org/2002/07/owl#Class', None, 1), ('http://zkg.test/def/Thing', 'thing', 1)]
    >>> [p["iri"] for p in t["properties"]][:2]
    ['http://www.w3.org/1999/02/22-rdf-syntax-ns#type', 'http://www.w3.org/2000/01/rdf-schema#label']
    """
    result: dict[str, list] = {"classes": [], "properties": []}
    rows = store.query(TERMS_QUERY)
    try:
        for row in rows:
            bucket = result[row["kind"].value]
            if len(bucket) >= TERMS_LIMIT:
                continue
            label, comment = row["label"], row["comment"]
            bucket.append(
                {
                    "iri": row["term"].value,
                    "label": label.value if label is not None else None,
                    "comment": comment.value if comment is not None else None,
                    "uses": int(row["uses"].value) if row["uses"] is not None else 0,
                }
            )
    finally:
        protocol.close(rows)  # a remote engine's answer holds a connection
    return result


_terms_lock = threading.Lock()


def _cached_terms(store) -> dict:
    """:func:`vocabulary_terms` of ``store``, reused for :data:`TERMS_TTL` seconds (per app)."""
    now = time.monotonic()
    with _terms_lock:
        hit = current_app.extensions.get("zkg.editor.terms")  # (store, when, terms)
        if hit is not None and hit[0] is store and now - hit[1] < TERMS_TTL:
            return hit[2]
    terms = vocabulary_terms(store)
    with _terms_lock:
        current_app.extensions["zkg.editor.terms"] = (store, now, terms)
    return terms


# -- the app's settings and store ----------------------------------------------------------


def _settings():
    """The app's :class:`zkg.base.settings.Settings` (create_app keeps it in the app config)."""
    settings = current_app.config.get("ZKG_SETTINGS")
    if settings is None:
        raise RuntimeError("the app has no ZKG_SETTINGS: build it with zkg.web.create_app()")
    return settings


def _store():
    """The app's :class:`zkg.store.local.Store`."""
    store = current_app.config.get("ZKG_STORE")
    if store is None:
        raise RuntimeError("the app has no ZKG_STORE: build it with zkg.web.create_app()")
    return store


# -- views ---------------------------------------------------------------------------------


@editor_blueprint.get("/sparql/terms.json")
def terms():
    """The classes and properties the editor completes, from this store only."""
    try:
        payload = _cached_terms(_store())
    except ZkgError as error:
        return Response(f"cannot list the vocabulary terms: {error}\n", status=503, mimetype="text/plain")
    response = jsonify(payload)
    response.headers["Cache-Control"] = f"public, max-age={int(TERMS_TTL)}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


#: What a new editor tab holds.
DEFAULT_QUERY = """\
# The prefixes listed on this page are predeclared: no PREFIX lines needed.
SELECT ?entity ?name WHERE {
  ?entity schema:name ?name .
}
ORDER BY ?name
LIMIT 25
"""


def editor_config(query: str | None, examples: list[ExampleQuery]) -> dict:
    """What editor.js needs, as the JSON block embedded in the page."""
    settings = _settings()
    endpoint = request.base_url  # render_editor answers /sparql itself
    return {
        "endpoint": endpoint,
        "editorUrl": endpoint,
        "baseIri": settings.base_iri,
        "termsUrl": url_for("editor.terms"),
        # Completion from the shapes (zkg.web.power.complete); absent when that blueprint is not there.
        "completeUrl": url_for("complete.complete") if "complete.complete" in current_app.view_functions else None,
        "prefixes": zkg_prefixes(settings.base_iri),
        # Results a person can read (static/editor-results.js): where zkg's own IRIs have their
        # page, which datatypes are numbers, and the row limit its label queries keep within.
        "pageUrl": f"{request.script_root}/page/",
        "dereferenceable": list(DEREFERENCEABLE),
        "numericTypes": sorted(NUMERIC_TYPES),
        "rowLimit": settings.row_limit,
        "examples": [e.as_json() for e in examples],
        "downloads": {kind: [f.as_json() for f in formats] for kind, formats in DOWNLOAD_FORMATS.items()},
        "defaultQuery": DEFAULT_QUERY,
        "query": query,
    }


def render_editor(query: str | None = None) -> Response:
    """The editor page, opened on ``query`` when one is given (``/sparql?query=…``)."""
    examples = example_queries()
    config = editor_config(query, examples)
    html = render_template(
        "editor.html",
        config=config,
        examples=examples,
        prefixes=config["prefixes"],
        query=query,
        endpoint=config["endpoint"],
        download_formats=DOWNLOAD_FORMATS,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept")
    return response
