"""History: what changed, who changed it, when, from which source; per entity and overall.

- ``/history?iri=<IRI>``: the changesets that touched a resource (it was the subject or the
  object of a statement they added or removed), newest first: HTML, or RDF (their PROV
  descriptions from the metadata graph: Turtle, N-Triples, JSON-LD, RDF/XML) by ``Accept``
  or ``format=``. Linked from every entity page.
- ``/changes``: the latest changesets of the whole graph: HTML, an Atom feed
  (``application/atom+xml``, ``format=atom``), a JSON Feed (``application/feed+json``,
  ``format=jsonfeed``) or RDF. ``limit=`` (at most 500).
- ``/changes/<id>``: one changeset: attribution and its diff (HTML), the RDF Patch the change
  log holds (``application/rdf-patch``, ``format=rdfp``), or its PROV description (RDF).

Each change shows who made it and when, its source and message, and the statements it removed
and added by their labels (:mod:`zkg.web.curation.change_views`). Curators see a *Revert…* link
on each change not reverted yet: a page asking for confirmation and a reason
(:mod:`zkg.web.curation.revert`). The pages are cached like the rest (ETag from the dataset
version, per language of the labels), except for curators.
"""

from __future__ import annotations

from datetime import timezone
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request

from zkg.base.errors import ZkgError
from zkg.curation.changesets import diff_description, to_rdf_patch
from zkg.curation.history import get_changeset, history, recent_changes
from zkg.linked_data.labels import labels_for
from zkg.power.canned import MAX_IRI
from zkg.rdf import negotiation
from zkg.rdf.negotiation import HTML, Format, NotAcceptable
from zkg.rdf.prefixes import graph_iri
from zkg.rdf.visible import visible
from zkg.web.curation import writes
from zkg.web.curation.change_views import MAX_PAGE, entry_views
from zkg.web.curation.session import CURATE_SECURITY_POLICY, csrf_token, current_curator
from zkg.web.http_caching import conditional
from zkg.web.redirects import current_path
from zkg.web.responses import plain
from zkg.web.urls import page_url, request_languages

history_blueprint = Blueprint("history", __name__, template_folder="../templates")

RDF_FORMATS = (negotiation.TURTLE, negotiation.N_TRIPLES, negotiation.JSON_LD, negotiation.RDF_XML)
ATOM = Format("atom", "application/atom+xml", "Atom")
JSON_FEED = Format("jsonfeed", "application/feed+json", "JSON Feed", (), ("json-feed",))
RDF_PATCH = Format("rdfp", "application/rdf-patch", "RDF Patch", (), ("rdf-patch", "patch"), text=True)
RECENT_LIMIT, MAX_LIMIT = 50, 500


def history_url(iri: str) -> str:
    return f"{request.script_root}/history?iri={quote(iri, safe='')}"


def history_entries(iri: str, limit: int | None = None) -> list:
    try:
        return history(writes.store(), iri, log=writes.app_curator().log, limit=limit)
    except NotImplementedError:
        return []


def _choose(offers):
    return negotiation.choose(request.headers.get("Accept"), request.args.getlist("format"), offers)


def _html(template: str, **context) -> Response:
    response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


def metadata_triples(changeset_iris: list[str]) -> list[ox.Triple]:
    """The PROV descriptions of changesets (and of their agents) in the metadata graph."""
    if not changeset_iris:
        return []
    store = writes.store()
    metadata = ox.NamedNode(graph_iri(store.base_iri, "metadata"))
    values = " ".join(str(ox.NamedNode(i)) for i in changeset_iris)
    text = (
        f"CONSTRUCT {{ ?c ?p ?o . ?a ?ap ?ao }} WHERE {{ VALUES ?c {{ {values} }} GRAPH {metadata} {{ ?c ?p ?o "
        f"OPTIONAL {{ ?c prov:wasAttributedTo ?a . ?a ?ap ?ao }} }} }}"
    )
    return sorted(set(store.query(text)), key=str)


def _rdf(triples: list[ox.Triple], chosen: Format) -> Response:
    store = writes.store()
    if chosen is negotiation.TURTLE:
        body = ox.serialize(triples, format=chosen.oxigraph, prefixes=store.prefixes)
    else:
        body = ox.serialize(triples, format=chosen.oxigraph)
    return Response(body, content_type=chosen.content_type)


def _curator_context() -> dict:
    curator = current_curator()
    return {"curator": curator, "csrf": csrf_token() if curator else None}


# -- per entity -------------------------------------------------------------------------------------


@history_blueprint.route("/history", methods=["GET", "HEAD"])
def entity_history():
    iri = request.args.get("iri", "").strip()
    if not iri:
        return plain("name the resource: /history?iri=<IRI>", 400)
    if len(iri) > MAX_IRI:
        return plain(f"the IRI is longer than {MAX_IRI} characters", 400)
    try:
        ox.NamedNode(iri)
        chosen = _choose((HTML, *RDF_FORMATS))
    except ValueError:
        return plain(f"not an IRI: {iri!r}", 400)
    except NotAcceptable as error:
        return plain(error.message, 406)

    languages = request_languages()

    def build() -> Response:
        entries = history_entries(iri)
        if chosen is not HTML:
            return _rdf(metadata_triples([e.iri for e in entries]), chosen)
        title = labels_for(writes.store(), [iri], languages).get(iri) or iri

        return _html(
            "history.html",
            iri=iri,
            title=title,
            page=page_url(iri),
            entries=entry_views(entries),
            formats=RDF_FORMATS,
            next_url=current_path(),
            **_curator_context(),
        )

    return conditional(("history", iri, chosen.name, *languages), build, vary=("Accept", "Accept-Language"))


# -- recent changes ----------------------------------------------------------------------------------


@history_blueprint.route("/changes", methods=["GET", "HEAD"])
def changes():
    try:
        chosen = _choose((HTML, ATOM, JSON_FEED, *RDF_FORMATS))
        limit = max(1, min(int(request.args.get("limit", RECENT_LIMIT)), MAX_LIMIT))
    except NotAcceptable as error:
        return plain(error.message, 406)
    except ValueError:
        return plain(f"limit must be a number from 1 to {MAX_LIMIT}", 400)

    languages = request_languages()

    def build() -> Response:
        entries = recent_changes(writes.store(), limit, log=writes.app_curator().log)
        views = entry_views(entries)
        if chosen is ATOM:
            return Response(_atom(views), content_type="application/atom+xml; charset=utf-8")
        if chosen is JSON_FEED:
            response = jsonify(_json_feed(views))
            response.headers["Content-Type"] = "application/feed+json"
            return response
        if chosen is not HTML:
            return _rdf(metadata_triples([e.iri for e in entries]), chosen)
        return _html("changes.html", entries=views, formats=RDF_FORMATS, next_url=current_path(), **_curator_context())

    return conditional(("changes", str(limit), chosen.name, *languages), build, vary=("Accept", "Accept-Language"))


def _absolute(path: str) -> str:
    return request.host_url.rstrip("/") + path


def _summary(view) -> str:
    entry = view["entry"]
    text = f"{entry.added} added, {entry.removed} removed by {view['agent']}"
    text += f"; source: {view['source_label']}" if entry.source else "; no source"  # a revert may cite none
    if entry.reverts:
        text += f"; reverts {entry.reverts}"
    if entry.message:
        text += f"; {entry.message}"
    return text


def _feed_text(text: str) -> str:
    """Text a feed reader shows: hidden characters written out (zkg.rdf.visible; XML cannot even
    hold most control characters), then escaped."""
    return xml_escape(visible(text))


def _atom(views) -> str:
    updated = views[0]["entry"].time if views else None
    stamp = updated.astimezone(timezone.utc).isoformat() if updated else "1970-01-01T00:00:00+00:00"
    items = []
    for view in views:
        entry = view["entry"]
        items.append(
            "<entry>"
            f"<id>{xml_escape(entry.iri)}</id>"
            f"<title>{_feed_text(entry.message or 'Changeset ' + entry.id)}</title>"
            f'<link rel="alternate" type="text/html" href="{xml_escape(_absolute(view["url"]))}"/>'
            f"<updated>{entry.time.astimezone(timezone.utc).isoformat()}</updated>"
            f"<author><name>{_feed_text(view['agent'])}</name><uri>{xml_escape(entry.agent)}</uri></author>"
            f"<summary>{_feed_text(_summary(view))}</summary>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{xml_escape(_absolute(request.script_root + '/changes'))}</id>"
        "<title>Zhongguancun Knowledge Graph: recent changes</title>"
        f'<link rel="self" href="{xml_escape(_absolute(current_path()))}"/>'
        f"<updated>{stamp}</updated>" + "".join(items) + "</feed>\n"
    )


def _json_feed(views) -> dict:
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Zhongguancun Knowledge Graph: recent changes",
        "home_page_url": _absolute(request.script_root + "/changes"),
        "feed_url": _absolute(current_path()),
        "items": [
            {
                "id": v["entry"].iri,
                "url": _absolute(v["url"]),
                "title": visible(v["entry"].message or f"Changeset {v['entry'].id}"),
                "content_text": visible(_summary(v)),
                "date_published": v["entry"].time.astimezone(timezone.utc).isoformat(),
                "authors": [{"name": visible(v["agent"]), "url": v["entry"].agent}],
            }
            for v in views
        ],
    }


# -- one changeset --------------------------------------------------------------------------------------


@history_blueprint.route("/changes/<changeset_id>", methods=["GET", "HEAD"])
def changeset(changeset_id: str):
    try:
        chosen = _choose((HTML, RDF_PATCH, *RDF_FORMATS))
    except NotAcceptable as error:
        return plain(error.message, 406)
    entry = get_changeset(writes.store(), changeset_id, log=writes.app_curator().log)
    if entry is None:
        return plain(f"there is no changeset {changeset_id}", 404)

    languages = request_languages()

    def build() -> Response:
        if chosen is RDF_PATCH:
            if entry.changeset is None:
                raise ZkgError("the change log of this data directory does not hold this changeset")
            return Response(to_rdf_patch(entry.changeset), content_type=RDF_PATCH.content_type)
        if chosen is not HTML:
            return _rdf(metadata_triples([entry.iri]), chosen)
        diff = None
        if entry.changeset is not None:
            diff = diff_description(entry.changeset, writes.store().prefixes)
        return _html(
            "changeset.html",
            view=entry_views([entry], shown=MAX_PAGE)[0],
            diff=diff,
            formats=(RDF_PATCH, *RDF_FORMATS),
            next_url=current_path(),
            **_curator_context(),
        )

    return conditional(("changeset", changeset_id, chosen.name, *languages), build, vary=("Accept", "Accept-Language"))
