"""Curation in the browser: sign-in with a token, the forms on entity pages, revert buttons.

- **Sign-in** (``/sign-in``): a curator pastes a write token (``zkg token create NAME``). The
  session is recorded in the data directory and named by a signed cookie (``zkg_session``,
  never holding the token): it lasts 8 hours, ends for good on signing out, and a revoked
  token ends it too (:mod:`zkg.web.sessions`). Where to go afterwards (``next``) is kept only
  when it is a path of this site (:mod:`zkg.web.redirects`).
- **CSRF.** Every form carries the session's CSRF token, checked on every POST (constant-time
  comparison); a POST whose ``Origin`` is another origin, or that the browser marks as
  cross-site (``Sec-Fetch-Site``), is refused (403) before that. The session cookie is
  SameSite=Strict as well. SPARQL Update and the Graph Store Protocol ignore the session:
  they take bearer tokens only (:mod:`zkg.web.curation.writes`).
- **Forms** (``_curate.html``, included in the entity page): add a statement (property and
  target entity chosen by label, with autocompletion from ``/search`` and the vocabulary),
  or correct a value (one of the entity's statements replaced by a new value); the source is
  required. Both go through the one write path; a rejected change shows the SHACL report
  (422), a stale one the conflict (409), with the form to try again.
- **Revert** (``POST /changes/<id>/revert``): curators only, CSRF-checked.

Pages a curator sees carry their CSRF token, so they are never cached (``private,
no-store``) and entity pages allow this origin's script (the autocompletion) for curators
only; everyone else gets the script-free, cacheable pages.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
)

from zkg.base.errors import ZkgError
from zkg.curation import tokens
from zkg.curation.apply import Conflict, Rejected
from zkg.curation.writer import Attribution
from zkg.linked_data.labels import fallback_label, labels_for
from zkg.linked_data.search import fold
from zkg.rdf.namespaces import XSD
from zkg.rdf.prefixes import compact, graph_iri
from zkg.store import loading
from zkg.web.curation import writes
from zkg.web.curation.history import entry_views, history_entries, history_url
from zkg.web.curation.session import (  # noqa: F401 (as before)
    CURATE_SECURITY_POLICY,
    Forbidden,
    check_csrf,
    csrf_token,
    current_curator,
    require_curator,
)
from zkg.web.http_caching import PerVersion, label_index
from zkg.web.redirects import current_path, local_target
from zkg.web.sessions import session_records
from zkg.web.urls import page_url

curate_blueprint = Blueprint(
    "curate", __name__, template_folder="../templates", static_folder="../static", static_url_path="/curate/static"
)

LANGUAGES = (("en", "English"), ("zh-Hans", "Chinese (simplified)"), ("", "no language"))


def _page(template: str, status: int = 200, **context) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


# -- sign-in ------------------------------------------------------------------------------------


@curate_blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = local_target(request.values.get("next"))
    if request.method == "GET":
        return _page("sign_in.html", next_url=next_url, error=None, curator=current_curator())
    try:
        check_csrf()
    except Forbidden as error:
        return _page("sign_in.html", 403, next_url=next_url, error=error.message, curator=None)
    info = tokens.check(current_app.config["ZKG_SETTINGS"].data, request.form.get("token", "").strip() or None)
    if info is None:
        return _page(
            "sign_in.html", 401, next_url=next_url, error="That token is not valid (unknown or revoked).", curator=None
        )
    if not info.can_write:
        return _page(
            "sign_in.html",
            403,
            next_url=next_url,
            curator=None,
            error=f"The token {info.name!r} may only read: curating needs a write token.",
        )
    records = session_records(current_app)
    records.end(session.get("sid"))  # whatever session this browser had ends here
    records.sweep()
    try:
        session_id, record = records.start(info.name, info.created.isoformat())
    except OSError as error:
        return _page(
            "sign_in.html",
            503,
            next_url=next_url,
            curator=None,
            error=f"Signing in is not possible now: the data directory cannot record the session ({error.strerror}).",
        )
    session.clear()
    session["sid"] = session_id
    session["until"] = int(record.ends)
    session["csrf"] = secrets.token_urlsafe(32)  # a new one for the new session
    flash(f"Signed in as {info.name}.")
    return redirect(next_url, 303)


@curate_blueprint.post("/sign-out")
def sign_out():
    try:
        check_csrf()
    except Forbidden as error:
        return writes.plain(error.message, 403)
    # Ended on the server: a copy of this cookie no longer signs anyone in.
    session_records(current_app).end(session.get("sid"))
    session.clear()
    return redirect(local_target(request.form.get("next")), 303)


# -- the forms ----------------------------------------------------------------------------------


@dataclass
class FormInput:
    subject: str
    property: str = ""
    value: str = ""
    kind: str = "entity"
    language: str = "en"
    replaces: str = ""
    source: str = ""
    message: str = ""

    @classmethod
    def from_request(cls) -> "FormInput":
        form = request.form
        return cls(
            subject=form.get("subject", ""),
            property=form.get("property", "").strip(),
            value=form.get("value", "").strip(),
            kind=form.get("kind", "entity"),
            language=form.get("language", "en"),
            replaces=form.get("replaces", ""),
            source=form.get("source", "").strip(),
            message=form.get("message", "").strip(),
        )


class FormError(ZkgError):
    """What the curator typed cannot be made into a statement (HTTP 400)."""


_IRI_IN_BRACKETS = re.compile(r"<([^<>\s]+)>\s*$")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def resolve_property(text: str) -> ox.NamedNode:
    """A property from an IRI, a prefixed name, ``label <IRI>`` or a label of the vocabulary."""
    store = writes.store()
    term = _iri_or_curie(text, store.prefixes)
    if term is not None:
        return term
    wanted = text.strip().lower()
    matches = [p for p in _properties() if p["label"].lower() == wanted]
    if len(matches) == 1:
        return ox.NamedNode(matches[0]["iri"])
    if not matches:
        raise FormError(f"no property is called {text!r}: choose one from the list (or give its IRI)")
    options = ", ".join(m["curie"] for m in matches)
    raise FormError(f"several properties are called {text!r} ({options}): choose one from the list")


def resolve_entity(text: str) -> ox.NamedNode:
    """An entity from an IRI, a prefixed name, ``label <IRI>`` (what the list offers) or its
    label (an exact match; several: an error naming them)."""
    store = writes.store()
    term = _iri_or_curie(text, store.prefixes)
    if term is not None:
        return term
    hits = label_index(store).search(text, limit=20)  # the search page's index, per dataset version
    exact = [h for h in hits if fold(h.label) == fold(text) or fold(h.matched or "") == fold(text)]
    unique = list(dict.fromkeys(h.iri for h in exact))
    if len(unique) == 1:
        return ox.NamedNode(unique[0])
    if not unique:
        raise FormError(f"no entity is called {text!r}: choose one from the list, or give its IRI")
    raise FormError(f"several entities are called {text!r}: choose one from the list")


def _iri_or_curie(text: str, prefixes: dict[str, str]) -> ox.NamedNode | None:
    text = text.strip()
    bracketed = _IRI_IN_BRACKETS.search(text)
    if bracketed:
        # The list shows an IRI's hidden characters as \uXXXX (curate.js, zkg.rdf.visible), as
        # N-Triples may write them; an IRI holds no backslash, so they are read back.
        text = _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), bracketed.group(1))
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", text) or text.startswith("urn:"):
        try:
            return ox.NamedNode(text)
        except ValueError:
            raise FormError(f"not a valid IRI: {text!r}") from None
    name, colon, local = text.partition(":")
    if colon and name in prefixes and " " not in text:
        return ox.NamedNode(prefixes[name] + local)
    return None


def make_value(data: FormInput, replaced: ox.Quad | None):
    """The statement's object from the form: an entity, a text, a number, a date."""
    kind = data.kind
    if not data.value:
        raise FormError("give the value")
    if kind == "same" and replaced is not None:
        old = replaced.object
        if isinstance(old, ox.NamedNode):
            return resolve_entity(data.value)
        if old.language:
            return ox.Literal(data.value, language=old.language)
        return _typed(data.value, old.datatype.value)
    if kind == "entity" or kind == "same":
        return resolve_entity(data.value)
    if kind == "text":
        return ox.Literal(data.value, language=data.language) if data.language else ox.Literal(data.value)
    if kind == "number":
        if re.fullmatch(r"[+-]?\d+", data.value):
            return ox.Literal(data.value, datatype=ox.NamedNode(XSD + "integer"))
        if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)", data.value):
            return ox.Literal(data.value, datatype=ox.NamedNode(XSD + "decimal"))
        raise FormError(f"not a number: {data.value!r} (write 183400000000 or 2.5, in base units)")
    if kind == "date":
        for pattern, datatype in ((r"\d{4}-\d{2}-\d{2}", "date"), (r"\d{4}-\d{2}", "gYearMonth"), (r"\d{4}", "gYear")):
            if re.fullmatch(pattern, data.value):
                return ox.Literal(data.value, datatype=ox.NamedNode(XSD + datatype))
        raise FormError(f"not a date: {data.value!r} (write 2016-03-05, 2015-09 or 2015)")
    raise FormError(f"unknown kind of value {kind!r}")


def _typed(value: str, datatype: str) -> ox.Literal:
    checks = {
        XSD + "integer": r"[+-]?\d+",
        XSD + "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
        XSD + "date": r"\d{4}-\d{2}-\d{2}",
        XSD + "gYear": r"\d{4}",
        XSD + "gYearMonth": r"\d{4}-\d{2}",
    }
    if datatype in checks and not re.fullmatch(checks[datatype], value):
        raise FormError(f"{value!r} is not a valid {compact(datatype, writes.store().prefixes)}")
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def parse_statement(text: str) -> ox.Quad:
    """A statement the correction form names (an N-Quads line)."""
    try:
        quads = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    except SyntaxError:
        quads = []
    if len(quads) != 1:
        raise FormError("choose the statement to correct from the list")
    return quads[0]


@curate_blueprint.post("/curate/statement")
def statement():
    """Add a statement, or (``replaces``) correct one: one changeset either way."""
    data = FormInput.from_request()
    try:
        check_csrf()
        curator = require_curator()
        subject = ox.NamedNode(data.subject)
        replaced = parse_statement(data.replaces) if data.replaces else None
        if replaced is not None and replaced.subject != subject:
            raise FormError("that statement is not about this entity")
        predicate = replaced.predicate if replaced is not None else resolve_property(data.property)
        if not data.source:
            raise FormError("say where this comes from: the source is required (a URL or a citation)")
        value = make_value(data, replaced)
        addition = ox.Quad(subject, predicate, value)  # no graph: the changeset's own graph
        if replaced is not None and (replaced.subject, replaced.predicate, replaced.object) == (
            subject,
            predicate,
            value,
        ):
            raise FormError("the new value is the same as the old one")
        attribution = Attribution.of_token(curator.name, source=data.source, message=data.message)
        # The statement replaced is one the page listed, in its graph: removed exactly there.
        outcome = writes.app_curator().write(
            attribution, additions=[addition], removals=[replaced] if replaced is not None else [], exact_removals=True
        )
    except ValueError as error:  # an IRI pyoxigraph refuses
        return _failed(data, 400, f"not a valid IRI: {error}")
    except Forbidden as error:
        return _failed(data, 403, error.message)
    except FormError as error:
        return _failed(data, 400, error.message)
    except Exception as error:
        return _write_failed(data, error)
    verb = "Corrected" if replaced is not None else "Added"
    flash(
        f"{verb}: changeset {outcome.id} ({len(outcome.changeset.additions)} added, "
        f"{len(outcome.changeset.removals)} removed)."
    )
    return redirect(local_target(_entity_page(data.subject)), 303)


def _entity_page(iri: str) -> str:
    return page_url(iri) or f"{request.script_root}/"


def _write_failed(data: FormInput, error: Exception) -> Response:
    if isinstance(error, Rejected):
        try:
            report = error.text()
        except NotImplementedError:
            report = error.message
        return _failed(
            data, 422, "The change was refused: it would break the graph's shapes. Nothing was written.", report=report
        )
    if isinstance(error, Conflict):
        return _failed(
            data,
            409,
            "The statement you corrected has changed since the page was loaded. "
            "Nothing was written: reload the page and try again.",
        )
    response = writes.error_response(error)
    if response is None:
        raise error
    return _failed(data, response.status_code, response.get_data(as_text=True).strip())


def _failed(data: FormInput, status: int, message: str, report: str | None = None) -> Response:
    return _page(
        "curate_result.html",
        status,
        data=data,
        message=message,
        report=report,
        back=_entity_page(data.subject) if data.subject else None,
    )


# -- revert ---------------------------------------------------------------------------------------


@curate_blueprint.post("/changes/<changeset_id>/revert")
def revert(changeset_id: str):
    data = FormInput(subject=request.form.get("subject", ""))
    try:
        check_csrf()
        curator = require_curator()
        attribution = Attribution.of_token(
            curator.name,
            source=request.form.get("source", "").strip() or None,
            message=request.form.get("message", "").strip() or f"revert {changeset_id}",
        )
        outcome = writes.app_curator().revert(changeset_id, attribution)
    except Forbidden as error:
        return _failed(data, 403, error.message)
    except Exception as error:
        return _write_failed(data, error)
    flash(f"Reverted {changeset_id}: changeset {outcome.id}.")
    back = local_target(request.form.get("next"))
    return redirect(back, 303)


# -- what the entity page shows ------------------------------------------------------------------


PROPERTIES_QUERY = """
SELECT ?p (COUNT(?s) AS ?uses) (SAMPLE(?l) AS ?label) WHERE {
  { GRAPH ?g { ?s ?p ?o } FILTER(?g NOT IN (%(vocabulary)s, %(shapes)s)) }
  UNION { GRAPH %(vocabulary)s { ?p a ?kind VALUES ?kind { rdf:Property owl:ObjectProperty owl:DatatypeProperty } } }
  UNION { GRAPH %(shapes)s { [] sh:path ?p FILTER(isIRI(?p)) } }
  OPTIONAL { ?p rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en") || LANG(?l) = "") }
  FILTER(?p NOT IN (rdf:first, rdf:rest, rdf:subject, rdf:predicate, rdf:object))
}
GROUP BY ?p
"""


def property_choices(store) -> list[dict]:
    """The properties a curator picks from: those the data uses, the vocabulary declares or
    the shapes constrain; each ``{"iri", "curie", "label", "uses"}``, the most used first."""

    text = PROPERTIES_QUERY % {
        "vocabulary": f"<{graph_iri(store.base_iri, loading.VOCABULARY)}>",
        "shapes": f"<{graph_iri(store.base_iri, loading.SHAPES)}>",
    }
    found = []
    for row in store.query(text):
        iri = row["p"].value
        label = row["label"].value if row["label"] is not None else fallback_label(iri)
        found.append(
            {"iri": iri, "curie": compact(iri, store.prefixes), "label": label, "uses": int(row["uses"].value)}
        )
    return sorted(found, key=lambda p: (-p["uses"], p["label"].lower(), p["iri"]))


def _properties() -> list[dict]:
    """:func:`property_choices`, computed once per dataset version (per app)."""
    held = current_app.extensions.get("zkg.curate.properties") or current_app.extensions.setdefault(
        "zkg.curate.properties", PerVersion(property_choices)
    )
    return held.get(writes.store())


def curation_panel(iri: str) -> dict:
    """What ``_curate.html`` shows for ``iri`` (called from the template)."""
    from urllib.parse import quote

    curator = current_curator()
    panel = {
        "iri": iri,
        "curator": curator,
        "history_url": history_url(iri),
        "messages": get_flashed_messages(),
        "entries": entry_views(history_entries(iri, limit=5)),
        "csrf": None,
        "sign_in_url": f"{request.script_root}/sign-in?next=" + quote(current_path(), safe="/"),
    }
    if curator is not None:
        panel["csrf"] = csrf_token()
        panel["properties"] = [(p["curie"], p["label"]) for p in _properties()]
        panel["statements"] = _statements(iri)
        panel["languages"] = LANGUAGES
    return panel


def _statements(iri: str) -> list[tuple[str, str]]:
    """(label, N-Quads line) of the entity's statements a form may correct."""
    store = writes.store()
    node = ox.NamedNode(iri)
    rows = list(
        store.query(
            f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} FILTER(!isBlank(?o)) }} LIMIT 300",
            union_default_graph=False,
        )
    )
    iris = {r["p"].value for r in rows} | {r["g"].value for r in rows}
    iris |= {r["o"].value for r in rows if isinstance(r["o"], ox.NamedNode)}
    names = labels_for(store, iris)

    def name(iri: str) -> str:
        return names.get(iri, fallback_label(iri))

    found = []
    for row in rows:
        value = name(row["o"].value) if isinstance(row["o"], ox.NamedNode) else row["o"].value
        label = f"{name(row['p'].value)}: {value} — in {name(row['g'].value)}"
        found.append((label, f"{ox.Quad(node, row['p'], row['o'], row['g'])} ."))
    return sorted(found)


# -- caching and security headers of pages curators see ---------------------------------------------


def _has_session_cookie() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


@curate_blueprint.before_app_request
def _no_revalidation_for_curators():
    # A curator's pages carry a CSRF token, forms and their name: never a 304 of a shared version.
    if request.method in ("GET", "HEAD") and _has_session_cookie() and session.get("sid"):
        request.environ.pop("HTTP_IF_NONE_MATCH", None)
        request.environ.pop("HTTP_IF_MODIFIED_SINCE", None)


@curate_blueprint.after_app_request
def _curator_headers(response: Response) -> Response:
    if response.mimetype != "text/html":
        return response
    response.vary.add("Cookie")  # pages differ for signed-in curators
    if (_has_session_cookie() and session.get("sid")) or request.path.startswith("/sign-in"):
        response.headers["Cache-Control"] = "private, no-store"
        for name in ("ETag", "Last-Modified"):
            response.headers.pop(name, None)
        if request.path.startswith("/page/") and "Content-Security-Policy" in response.headers:
            response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


# -- registration -----------------------------------------------------------------------------------
