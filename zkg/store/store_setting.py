"""The store setting (``ZKG_STORE``, ``--store``): which engine's endpoints, and what credentials."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

from zkg.base.errors import StoreError
from zkg.store.http_auth import HttpAuth


def parse_store_spec(spec: str, *, update_url: str | None = None) -> tuple[str, str | None, HttpAuth | None]:
    """(query URL, update URL, credentials) from a store setting.

    ``sparql+http://host:port/path`` names the SPARQL 1.1 query endpoint. The update endpoint
    is ``update_url`` when given (``ZKG_UPDATE_URL``); else ``?update=URL`` in the spec; else,
    for a query URL ending in ``/query``, its sibling ``/update`` (Oxigraph, Fuseki); else the
    query URL itself (Virtuoso, QLever and Blazegraph take updates at the same address).
    ``user:password@`` in the spec are credentials for both, given as the engine asks:
    HTTP Basic or Digest (:mod:`zkg.store.http_auth`).

    >>> parse_store_spec("sparql+http://127.0.0.1:7878/query")
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', None)
    >>> q, u, auth = parse_store_spec("sparql+http://dba:s%40cret@db:8890/sparql-auth")
    >>> q, u, auth.user, auth.password
    ('http://db:8890/sparql-auth', 'http://db:8890/sparql-auth', 'dba', 's@cret')
    >>> parse_store_spec("sparql+http://g:7200/repositories/zkg?update=http://g:7200/repositories/zkg/statements")[1]
    'http://g:7200/repositories/zkg/statements'
    """
    if not spec.startswith(("sparql+http://", "sparql+https://")):
        raise StoreError(f"unsupported store {spec!r}: use sparql+http://host:port/path (the SPARQL query endpoint)")
    parts = urlsplit(spec[len("sparql+") :])
    if not parts.hostname:
        raise StoreError(f"no host in the store setting {spec!r}")
    query_params = [p for p in parts.query.split("&") if p and not p.startswith("update=")]
    given = [unquote(p[len("update=") :]) for p in parts.query.split("&") if p.startswith("update=")]
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    query = urlunsplit((parts.scheme, netloc, parts.path or "/", "&".join(query_params), ""))
    if update_url is None and given:
        update_url = given[0]
    if update_url is None:
        update_url = (
            query[: -len("/query")] + "/update" if parts.path.endswith("/query") and not query_params else query
        )
    auth = None
    if parts.username is not None:
        auth = HttpAuth(unquote(parts.username), unquote(parts.password or ""))
    return query, update_url, auth
