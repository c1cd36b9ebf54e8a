"""Where the app may send a browser: paths of this site only (no open redirects).

A ``next`` parameter (sign-in, sign-out, revert) comes from the request, so anyone can
write a link that sets it. A browser reading ``Location`` does more than a naive check
expects: it removes tabs and line breaks anywhere (``/\\t/evil.example`` becomes
``//evil.example``), trims leading and trailing spaces and control characters, reads ``\\``
as ``/`` (``/\\evil.example``), and takes ``//host`` or ``scheme:`` as another site. So a
target is kept only when it is a path of this site whatever a browser, a proxy or a second
decoding makes of it:

- it starts with the app's mount point and ``/``, and not with ``//``;
- it holds no control character, no whitespace, no format character (bidi controls,
  zero-width characters), no backslash, nothing a browser strips or rewrites;
- percent-decoded (up to three times) or folded by Unicode compatibility (``／`` is ``/``),
  it still does not start with ``//`` or ``/\\``;
- resolved against this site's URL (dot segments removed), it stays on this site, at a path
  that does not start with ``//`` either.

Anything else is replaced by the fallback (the home page, or the page the form was about).
The kept target is sent as ASCII (non-ASCII characters percent-encoded in UTF-8).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urljoin, urlsplit

from flask import request

from zkg.web.iris import raw_request_path

#: The longest target kept (a link's path and query; longer ones are not links we wrote).
MAX_TARGET = 2048
#: ASCII a Location header may carry as it is; everything else is percent-encoded.
_LOCATION_SAFE = "/?#[]@!$&'()*+,;=:-._~%"
_PLACEHOLDER_SITE = "http://zkg.invalid"


def _unsafe(character: str) -> bool:
    """Control, format, separator or whitespace characters, and the backslash: each is
    stripped, rewritten or invisible somewhere between the link and the browser's URL."""
    return character == "\\" or character.isspace() or unicodedata.category(character) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _leaves_the_site(path: str) -> bool:
    return path.startswith(("//", "/\\"))


def same_site_path(target: str | None, *, fallback: str, root: str = "") -> str:
    """``target`` when it is a path of this site (below ``root``, the mount point), else
    ``fallback``; see the module's docstring.

    >>> same_site_path("/page/id/z-park?lang=zh", fallback="/")
    '/page/id/z-park?lang=zh'
    >>> [same_site_path(t, fallback="/") for t in ("//evil.example", "/\\\\evil.example", "/\\t/evil.example",
    ...  "https://evil.example/", "/%2F%2Fevil.example", "/\\uff0fevil.example", "javascript:alert(1)", "")]
    ['/', '/', '/', '/', '/', '/', '/', '/']
    >>> same_site_path("/page/id/中关村", fallback="/")
    '/page/id/%E4%B8%AD%E5%85%B3%E6%9D%91'
    """
    if not target or len(target) > MAX_TARGET or any(_unsafe(c) for c in target):
        return fallback
    if not target.startswith(root + "/") or _leaves_the_site(target[len(root) :]):
        return fallback
    decoded = target
    for _ in range(3):  # a target decoded again downstream must not turn into another site
        decoded = unquote(decoded)
        stripped = "".join(c for c in decoded if not _unsafe(c) or c == "\\")
        if _leaves_the_site(decoded) or _leaves_the_site(stripped):
            return fallback
    folded = unicodedata.normalize("NFKC", target)
    if _leaves_the_site(folded) or "\\" in folded or any(_unsafe(c) for c in folded):
        return fallback
    resolved = urlsplit(urljoin(_PLACEHOLDER_SITE + root + "/", target))
    if (resolved.scheme, resolved.netloc) != ("http", "zkg.invalid") or _leaves_the_site(resolved.path):
        return fallback  # (dot segments can climb to a path that starts with //)
    return quote(target, safe=_LOCATION_SAFE)


def local_target(target: str | None) -> str:
    """:func:`same_site_path` for the current request: below its mount point, else its home
    page."""
    return same_site_path(target, fallback=f"{request.script_root}/", root=request.script_root)


#: Characters a path or query string keeps as they are in :func:`current_path`.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?%"


def current_path() -> str:
    """This request's path and query as a link back to it, in ASCII: as the client sent them
    (so an IRI's own ``%`` survives), any other byte percent-encoded. For ``next``
    parameters, and the key of what a page echoes (:func:`zkg.web.http_caching.conditional`)."""

    raw = raw_request_path(request.environ, request.script_root)
    if raw is not None:  # WSGI strings carry the bytes as Latin-1
        path = quote(raw.encode("latin-1", "replace"), safe=_PATH_SAFE + "%")
    else:
        path = quote(request.path, safe=_PATH_SAFE)
    query = quote(request.query_string, safe=_QUERY_SAFE)
    return f"{request.script_root}{path}?{query}" if query else f"{request.script_root}{path}"
