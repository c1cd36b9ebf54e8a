"""The curation panel of an entity page: what ``_curate.html`` shows a reader or a curator.

Everyone sees the entity's recent changes and a sign-in link; a signed-in curator also gets
the forms (:mod:`zkg.web.curation.forms`): the CSRF token, the properties to choose from
(:func:`zkg.web.curation.form_values.properties`), the entity's statements a correction may
replace, and the languages a text may be in. The template calls :func:`curation_panel`
(put in every template's context by :mod:`zkg.web.curation.area`).
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
from flask import get_flashed_messages, request

from zkg.linked_data.labels import fallback_label, labels_for
from zkg.web.curation import writes
from zkg.web.curation.form_values import properties, shaped_properties
from zkg.web.curation.history import entry_views, history_entries, history_url
from zkg.web.curation.session import csrf_token, current_curator
from zkg.web.redirects import current_path

LANGUAGES = (("en", "English"), ("zh-Hans", "Chinese (simplified)"), ("", "no language"))


def curation_panel(iri: str) -> dict:
    """What ``_curate.html`` shows for ``iri`` (called from the template)."""
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
        # Completion: the properties the shapes of this entity's classes name first, then the rest.
        shaped = shaped_properties(writes.store(), ox.NamedNode(iri))
        ranked = sorted(properties(), key=lambda p: p["iri"] not in shaped)
        panel["properties"] = [(p["curie"], p["label"]) for p in ranked]
        panel["statements"] = _statements(iri)
        panel["languages"] = LANGUAGES
    return panel


def _statements(iri: str) -> list[tuple[str, str, str]]:
    """(label, N-Quads line, the value as shown) of the entity's statements a form may correct."""
    store = writes.store()
    node = ox.NamedNode(iri)
    rows = list(store.query(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} FILTER(!isBlank(?o)) }} LIMIT 300"))
    iris = {r["p"].value for r in rows} | {r["g"].value for r in rows}
    iris |= {r["o"].value for r in rows if isinstance(r["o"], ox.NamedNode)}
    names = labels_for(store, iris)

    def name(iri: str) -> str:
        return names.get(iri, fallback_label(iri))

    found = []
    for row in rows:
        value = name(row["o"].value) if isinstance(row["o"], ox.NamedNode) else row["o"].value
        label = f"{name(row['p'].value)}: {value} — in {name(row['g'].value)}"
        found.append((label, f"{ox.Quad(node, row['p'], row['o'], row['g'])} .", value))
    return sorted(found)
