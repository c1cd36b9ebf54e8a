"""Where pages link: an IRI's page and data document here, the editor on a query, and the
label languages a request asks for. The web areas' one place for these (the kit of zkg.web)."""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app, request

from zkg.linked_data.labels import preferred_languages
from zkg.rdf.prefixes import compact
from zkg.web.iris import local_path, quote_path
from zkg.web.security import linkable


def _store():
    return current_app.config["ZKG_STORE"]


def _base() -> str:
    return _store().base_iri


def page_url(iri: str) -> str | None:
    path = local_path(iri, _base())
    return None if path is None else f"{request.script_root}/page/{quote_path(path)}"


def data_url(iri: str, extension: str | None = None) -> str:
    suffix = f".{extension}" if extension else ""
    return f"{request.script_root}/data/{quote_path(local_path(iri, _base()))}{suffix}"


def link(iri: str) -> str:
    """Where a page links for ``iri``: its page here; for a term of a vocabulary zkg declares a
    prefix for (``schema:name``, ``org:Membership``) the model guide's page of it here, which
    links on to its definition; or the IRI itself elsewhere ("" for an IRI that is not safe to
    link, e.g. ``javascript:``: pages show it as text)."""

    return page_url(iri) or model_url(iri) or (iri if linkable(iri) else "")


def curie(iri: str) -> str:
    """``prefix:local`` for ``iri`` with the store's prefixes, else ``<iri>``."""
    return compact(iri, _store().prefixes)


def model_url(iri: str) -> str | None:
    """The model guide's page of ``iri`` (``/model/schema:Person``) when it is a term of a
    reused vocabulary zkg declares a prefix for; None for zkg's own IRIs (they have pages of
    their own) and for any other IRI."""
    if local_path(iri, _base()) is not None:
        return None
    short = curie(iri)
    if short.startswith("<"):
        return None
    return f"{request.script_root}/model/{quote(short, safe=':')}"


def model_page_url(iri: str) -> str:
    """The model guide's page of any term, own ones included (``/model/zkg:Bid``)."""
    return f"{request.script_root}/model/{quote(curie(iri), safe=':<>')}"


def request_languages() -> list[str]:
    """The request's label languages: ``lang=`` if given, else Accept-Language by q-value,
    each tag followed by its primary language (``zh-CN`` → ``zh-cn, zh``: Chinese labels
    are tagged ``zh-Hans``); see :func:`zkg.linked_data.labels.preferred_languages`."""
    return preferred_languages(request.headers.get("Accept-Language"), request.args.get("lang"))


def editor_url(query: str) -> str:
    """The SPARQL editor opened on ``query`` (it runs it at once)."""
    return f"{request.script_root}/sparql?query={quote(query, safe='')}"
