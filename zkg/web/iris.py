"""Between the project's IRIs and this server's URLs.

Every IRI under the base in one of :data:`DEREFERENCEABLE` (``{base}id/…``, ``{base}def/…``,
``{base}code/…``, ``{base}graph/…``) is served by this app at the same path (the base IRI's
path is where the app is mounted), with its page at ``/page/<path>`` and its data documents
at ``/data/<path>.<ext>``.

IRIs may hold non-ASCII characters (``id/中关村``) or percent-encoded ones (``id/caf%C3%A9``),
and RDF tells them apart although a URL path decodes both the same way. So:

- links this app writes percent-encode every ``%`` of the IRI (as ``%25``): decoding the
  path gives back the IRI's characters exactly;
- a request for an IRI itself (``/id/…``) is looked up by its raw request path when the
  server passes it on (waitress and werkzeug do), and by the decoded path in IRI and URI
  form, and the form the store has wins.
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox

from zkg.store.version import dataset_version

DEREFERENCEABLE = ("id/", "def/", "code/", "graph/")

# RFC 3986 pchar and "/" without "%": a literal % in an IRI is always written %25.
_URL_SAFE = "/:@!$&'()*+,;=-._~"
# Characters an IRI may not hold as they are (RFC 3987), so a decoded path has them encoded.
_IRI_FORBIDDEN = set(' <>"{}|\\^`')


def local_path(iri: str, base_iri: str) -> str | None:
    """The IRI's path below the base when this app serves it, else None.

    >>> local_path("http://zkg.test/id/z-park", "http://zkg.test/"), local_path("https://schema.org/name", "http://zkg.test/")
    ('id/z-park', None)
    """
    if not iri.startswith(base_iri):
        return None
    rest = iri[len(base_iri) :]
    return rest if rest.startswith(DEREFERENCEABLE) else None


def quote_path(path: str) -> str:
    """A local path as a URL path: non-ASCII as UTF-8 %XX, every % as %25.

    >>> quote_path("id/中关村"), quote_path("id/caf%C3%A9"), quote_path("id/a b")
    ('id/%E4%B8%AD%E5%85%B3%E6%9D%91', 'id/caf%25C3%25A9', 'id/a%20b')
    """
    return quote(path, safe=_URL_SAFE)


def _iri_form(path: str) -> str:
    # Non-ASCII stays; only what an IRI cannot hold is percent-encoded.
    return "".join(quote(c, safe="") if c in _IRI_FORBIDDEN or ord(c) < 0x21 else c for c in path)


def candidate_paths(decoded: str, raw: str | None = None, *, raw_first: bool = True) -> list[str]:
    """The local paths a request may mean, without repeats: for an IRI itself the path as
    sent comes first (``raw_first``); for the page and data URLs this app writes, whose
    decoded path is exact, the decoded path comes first and the raw one last (it serves
    people who type ``/page/`` before an IRI's path as it is).

    >>> candidate_paths("id/café", "id/caf%C3%A9")
    ['id/caf%C3%A9', 'id/café']
    >>> candidate_paths("id/a/b", "id/a%2Fb", raw_first=False)
    ['id/a/b', 'id/a%2Fb']
    >>> candidate_paths("id/a b")  # "id/a b" is no IRI: resolve() leaves it out
    ['id/a b', 'id/a%20b']
    """
    found = []
    forms = (decoded, _iri_form(decoded), quote(decoded, safe=_URL_SAFE + "%"))
    for path in (raw, *forms) if raw_first else (*forms, raw):
        if path is not None and path not in found:
            found.append(path)
    return found


def valid_iri(text: str) -> ox.NamedNode | None:
    try:
        return ox.NamedNode(text)
    except ValueError:
        return None


def resolve(store, base_iri: str, paths: list[str], known=None) -> str | None:
    """The first of ``paths`` whose IRI the store says anything about (one query). ``known``:
    a :class:`zkg.base.bounded_cache.BoundedCache` keeping the answer by (dataset version, base,
    paths), so a warm page asks the engine nothing; a new version (any write) misses them
    all, so none is ever stale. Its key is as long as the request's path: the cache counts it."""
    nodes = [node for node in (valid_iri(base_iri + p) for p in paths) if node is not None]
    if not nodes:
        return None
    key = (dataset_version(store).tag, base_iri, tuple(paths))
    if known is not None:
        found = known.get(key, _UNKNOWN)
        if found is not _UNKNOWN:
            return found
    values = " ".join(str(n) for n in nodes)
    found = {
        row["c"].value
        for row in store.query(
            f"SELECT DISTINCT ?c WHERE {{ VALUES ?c {{ {values} }} FILTER EXISTS {{ {{ ?c ?p ?o }} UNION {{ ?s ?p ?c }} }} }}",
            trusted=True,
        )
    }
    answer = next((n.value for n in nodes if n.value in found), None)
    if known is not None:
        known.put(key, answer)
    return answer


_UNKNOWN = object()


def raw_request_path(environ: dict, script_root: str) -> str | None:
    """The request path as the client sent it (still percent-encoded), below the app's
    mount point, when the server passes it on; else None."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not raw:
        return None
    path = raw.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") and "://" in path:  # an absolute-form target (a proxy's): the path after the authority
        # (not urlsplit: it remembers its last 128 arguments, and this one is as long as a client makes it)
        slash = path.find("/", path.index("://") + 3)
        path = path[slash:] if slash >= 0 else "/"
    if script_root and path.startswith(script_root):
        path = path[len(script_root) :]
    return path
