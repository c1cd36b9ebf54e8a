"""Who is curating: the signed-in curator of a browser session, and the CSRF check of its
forms. Shared by the curation pages (:mod:`zkg.web.curation.forms`), the history
(:mod:`zkg.web.curation.history`) and the revert's confirmation (:mod:`zkg.web.curation.revert`)."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import current_app, g, request, session

from zkg.base.errors import ZkgError
from zkg.curation import tokens
from zkg.web.sessions import session_records

#: The security policy of curation pages (no inline script; this origin's script only).
CURATE_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)

# -- sessions -----------------------------------------------------------------------------------


def current_curator() -> tokens.TokenInfo | None:
    """The signed-in curator's token info, or None: the session must be recorded in the data
    directory and not past its end (:mod:`zkg.web.sessions`), and its token must still exist,
    with the same creation time, and may write."""
    if "zkg_curator" in g:
        return g.zkg_curator
    curator = None
    session_id = session.get("sid")
    if session_id is not None:
        record = session_records(current_app).find(session_id)
        found = []
        if record is not None:
            try:
                known = tokens.list_tokens(current_app.config["ZKG_SETTINGS"].data)
                found = [t for t in known if t.name == record.curator]
            except (ZkgError, OSError):
                found = []
        if found and found[0].created.isoformat() == record.token_created and found[0].can_write:
            curator = found[0]
        else:  # signed out, expired, or its token revoked: the cookie no longer signs anyone in
            for key in ("sid", "until"):
                session.pop(key, None)
    g.zkg_curator = curator
    return curator


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


class Forbidden(ZkgError):
    http_status = 403


def check_csrf() -> None:
    """Refuse (Forbidden) a POST from another origin or without this session's CSRF token."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        own = urlsplit(request.host_url)
        theirs = urlsplit(origin)
        if (theirs.scheme, theirs.netloc) != (own.scheme, own.netloc):
            raise Forbidden(f"refused: this form was sent from another site ({origin})")
    elif origin == "null":
        raise Forbidden("refused: this form was sent from an opaque origin")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise Forbidden("refused: the browser says this request comes from another site")
    expected = session.get("csrf")
    sent = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Forbidden("refused: the form's security token is missing or out of date; reload the page and try again")


def require_curator() -> tokens.TokenInfo:
    curator = current_curator()
    if curator is None:
        raise Forbidden("sign in with a write token to change the graph")
    return curator
