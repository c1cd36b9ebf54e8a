"""New entities in the browser: a class picked by label, a form made from its shapes, a preview
(the exact statements and the shapes' verdict, from a dry run), then one changeset.

- ``GET /curate/new``: the classes the shapes target, each with its description from the model
  guide; ``?class=`` (a label, CURIE or IRI) opens its form, ``?name=`` and ``?iri=`` fill it
  (the search page with no match and the 404 page of an unknown ``id/`` IRI link here).
- ``POST /curate/new``: ``action=preview`` checks the draft (a dry run of the one write path)
  and shows the statements and the verdict beside the fields it is about; ``action=commit``
  writes it, if it is still what was previewed (a digest of the statements, so a change made
  to the form after the preview is previewed again, never committed unseen), and lands on the
  new page. Curators only (a sign-in link otherwise), CSRF-checked like every form.

The form itself is :mod:`zkg.curation.entity_form`; reading it, :mod:`zkg.curation.entity_draft`.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, flash, redirect, render_template, request

from zkg.base.errors import ZkgError
from zkg.curation.apply import Rejected
from zkg.curation.entity_draft import MAX_SLOTS, Draft, is_unused, read_draft
from zkg.curation.entity_form import EntityForm, creatable_classes, entity_form
from zkg.curation.writer import Attribution
from zkg.linked_data.labels import labels_for
from zkg.rdf.prefixes import compact
from zkg.web.curation import writes
from zkg.web.curation.form_values import resolve_entity
from zkg.web.curation.session import CURATE_SECURITY_POLICY, Forbidden, check_csrf, current_curator, require_curator
from zkg.web.curation.verdict import verdict_by_field
from zkg.web.http_caching import per_version
from zkg.web.redirects import current_path
from zkg.web.urls import page_url

new_entity_blueprint = Blueprint("new_entity", __name__, template_folder="../templates")

LANGUAGES = (
    ("en", "English"),
    ("zh-Hans", "Chinese (simplified)"),
    ("zh-Hant", "Chinese (traditional)"),
    ("", "no language"),
)


def _page(status: int = 200, **context) -> Response:
    values = context.get("values") or {}
    context.setdefault("languages", LANGUAGES)
    for name in ("verdict", "digest", "note", "preview", "error"):
        context.setdefault(name, None)
    context.setdefault("problems", {})
    context["base_iri"] = writes.store().base_iri
    context["slot_numbers"] = lambda key: _slot_numbers(values, key)
    response = Response(render_template("new_entity.html", **context), status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


def _slot_numbers(values, key: str) -> list[int]:
    """The value slots of a field to show again: those filled, or one empty slot."""
    filled = [n for n in range(MAX_SLOTS) if (values.get(f"{key}.{n}") or "").strip()]
    return filled or [0]


def _classes():
    return per_version("zkg.curate.classes", creatable_classes, writes.store())


def _form(cls: str) -> EntityForm:
    forms = per_version("zkg.curate.forms", lambda store: {}, writes.store())
    if cls not in forms:  # per dataset version; a handful of classes, each built once
        forms[cls] = entity_form(writes.store(), cls)
    return forms[cls]


def _chosen_class(text: str) -> str | None:
    """The class a label, CURIE or IRI names, among those the form can make."""
    wanted = text.strip()
    if not wanted:
        return None
    lowered = wanted.lower()
    for choice in _classes():
        if wanted in (choice.iri, choice.curie) or choice.label.lower() == lowered:
            return choice.iri
    return None


@new_entity_blueprint.get("/curate/new")
def new_entity():
    if current_curator() is None:
        return _sign_in_first()
    asked = request.args.get("class", "")
    cls = _chosen_class(asked)
    prefill = {
        "name": request.args.get("name", "").strip(),
        "iri": request.args.get("iri", "").strip(),
        "name.lang": "en",
    }
    if cls is None:
        error = f"No class is called {asked!r}: choose one of the list." if asked else None
        return _page(400 if asked else 200, classes=_classes(), form=None, error=error, values=prefill)
    return _page(form=_form(cls), values=prefill, problems={}, preview=None)


@new_entity_blueprint.post("/curate/new")
def create_entity():
    values = request.form
    try:
        check_csrf()
        curator = require_curator()
    except Forbidden as error:
        return writes.plain(error.message, 403)
    cls = _chosen_class(values.get("class", ""))
    if cls is None:
        return _page(400, classes=_classes(), form=None, error="Choose the class of the new entity.", values=values)
    form = _form(cls)
    store = writes.store()
    draft = read_draft(store, form, values, find=resolve_entity, is_free=lambda iri: is_unused(store, iri))
    source = (values.get("source") or "").strip()
    if not source:
        draft.problem("source", "say where this comes from: the source is required (a URL or a citation)")
    if draft.problems:
        return _page(
            400, form=form, values=values, problems=draft.problems, preview=None, error=_summary(draft.problems)
        )
    attribution = Attribution.of_token(curator.name, source=source, message=(values.get("message") or "").strip())
    digest = _digest(draft)
    committing = values.get("action") == "commit" and values.get("previewed") == digest
    try:
        outcome = writes.app_curator().write(attribution, additions=draft.statements, dry_run=not committing)
    except Rejected as rejected:
        verdict = verdict_by_field(store, form, draft, rejected.report, preexisting=rejected.preexisting)
        return _page(
            422,
            form=form,
            values=values,
            problems=verdict.blocking_by_field,
            verdict=verdict,
            preview=_preview(store, draft),
            error="The shapes refuse this entity as it is: nothing was written. What to change is shown beside each field.",
        )
    except ZkgError as error:
        response = writes.error_response(error)
        if response is None:
            raise
        return _page(
            response.status_code,
            form=form,
            values=values,
            problems={},
            preview=None,
            error=response.get_data(as_text=True).strip(),
        )
    if committing:
        flash(f"Created {draft.name}: changeset {outcome.id} ({len(outcome.changeset.additions)} statements).")
        # To the page's curation card, where the changeset is named (a fragment of its own, so
        # the browser does not carry this form's #preview over to the new page).
        return redirect((page_url(draft.iri) or f"{request.script_root}/") + "#curation", 303)
    verdict = verdict_by_field(store, form, draft, outcome.report, preexisting=outcome.preexisting)
    note = None
    if values.get("action") == "commit":
        note = "The form changed after its preview: check the statements below again, then commit."
    return _page(
        form=form, values=values, problems={}, verdict=verdict, preview=_preview(store, draft), digest=digest, note=note
    )


def _summary(problems: dict[str, list[str]]) -> str:
    count = sum(len(found) for found in problems.values())
    return f"{count} thing(s) to fix before a preview: see the messages beside the fields. Nothing was written."


def _digest(draft: Draft) -> str:
    text = "\n".join(sorted(str(q) for q in draft.statements))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _preview(store, draft: Draft) -> list[dict]:
    """The statements, each with the labels a person reads and the exact term a machine does."""
    iris = {
        t.value for q in draft.statements for t in (q.subject, q.predicate, q.object) if isinstance(t, ox.NamedNode)
    }
    labels = labels_for(store, iris - {draft.iri, *draft.created})
    labels[draft.iri] = draft.name or draft.iri
    for quad in draft.statements:
        if quad.subject.value in draft.created and quad.predicate.value.endswith("label"):
            labels[quad.subject.value] = quad.object.value
    rows = []
    for quad in draft.statements:
        value = quad.object
        rows.append(
            {
                "subject": labels.get(quad.subject.value, quad.subject.value),
                "new": quad.subject.value == draft.iri or quad.subject.value in draft.created,
                "property": labels.get(quad.predicate.value, quad.predicate.value),
                "curie": compact(quad.predicate.value, store.prefixes),
                "value": labels.get(value.value, value.value) if isinstance(value, ox.NamedNode) else value.value,
                "detail": _literal_detail(value, store.prefixes),
                "link": page_url(value.value)
                if isinstance(value, ox.NamedNode) and value.value not in draft.created
                else None,
                "nquad": f"{quad} .",
            }
        )
    return rows


def _literal_detail(value, prefixes) -> str:
    if isinstance(value, ox.NamedNode):
        return compact(value.value, prefixes)
    if value.language:
        return f"@{value.language}"
    return compact(value.datatype.value, prefixes)


def _sign_in_first() -> Response:
    target = f"{request.script_root}/sign-in?next=" + quote(current_path(), safe="/")
    return redirect(target, 303)
