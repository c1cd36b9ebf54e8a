"""Curators' sign-in sessions: a signed cookie naming a session the data directory records.

- **The cookie** is ``zkg_session`` (HttpOnly, SameSite=Strict, Secure when the request came
  over https, ``Path`` the app's mount point, ``Expires`` and ``Max-Age`` the session's end).
  It is signed with ``{data}/session.key`` (made on first use, mode 0600; ``SECRET_KEY`` in
  the app config overrides it) and holds the session's id, its end and the CSRF token: never
  the write token.
- **The session** is a record in ``{data}/sessions/``: one small file per session, named by
  a hash of its id, holding the token's name and creation time and when the session began.
  Every request of a signed-in curator reads it, so a session ends on the server, for every
  worker process (``zkg serve --workers N``) and every machine sharing the data directory:

  - signing out deletes the record: a copy of the cookie replayed afterwards is refused;
  - a session lasts :data:`SESSION_LIFETIME` (8 hours) from signing in, measured against
    the record, not only by the cookie's expiry (which a client may ignore or rewrite);
  - a revoked token ends it (the token must still exist, with the same creation time, and
    may write: :func:`zkg.web.curation.session.current_curator`).

  Records of ended sessions are removed when anyone signs in.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

SESSION_COOKIE = "zkg_session"
#: How long a sign-in lasts, whatever the client does with the cookie.
SESSION_LIFETIME = timedelta(hours=8)
SESSION_KEY_FILE = "session.key"
SESSIONS_DIRECTORY = "sessions"
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class SessionRecord:
    curator: str  # the write token's name
    token_created: str  # the token's creation time (ISO 8601): a token made again anew does not match
    started: float  # Unix time of the sign-in

    @property
    def ends(self) -> float:
        return self.started + SESSION_LIFETIME.total_seconds()


class SessionRecords:
    """The sessions the data directory records (see the module's docstring). ``clock``: Unix
    time now."""

    def __init__(self, data_dir: Path, clock=time.time):
        self.directory = Path(data_dir) / SESSIONS_DIRECTORY
        self.clock = clock

    def _path(self, session_id: str) -> Path:
        # Named by a hash: a listing of the directory gives no usable session id.
        return self.directory / (hashlib.sha256(session_id.encode("ascii")).hexdigest() + ".json")

    def start(self, curator: str, token_created: str) -> tuple[str, SessionRecord]:
        """A new session for the token's holder: (its id, its record). OSError when the data
        directory cannot hold it (read-only, full)."""
        self.directory.mkdir(mode=0o700, exist_ok=True)
        session_id = secrets.token_urlsafe(32)
        record = SessionRecord(curator, token_created, self.clock())
        path = self._path(session_id)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"curator": curator, "token_created": token_created, "started": record.started}, handle)
        return session_id, record

    def find(self, session_id) -> SessionRecord | None:
        """The live session of that id; None when it never was, was ended or is past its end."""
        if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
            return None
        try:
            with open(self._path(session_id), encoding="utf-8") as handle:
                fields = json.load(handle)
            record = SessionRecord(str(fields["curator"]), str(fields["token_created"]), float(fields["started"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record if record.started <= self.clock() < record.ends else None

    def end(self, session_id) -> None:
        """End a session: its record is removed (nothing happens for an unknown id)."""
        if isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id):
            try:
                self._path(session_id).unlink()
            except FileNotFoundError:
                pass

    def sweep(self) -> int:
        """Remove the records of sessions past their end; how many were removed."""
        removed = 0
        now = self.clock()
        try:
            paths = list(self.directory.glob("*.json"))
        except OSError:
            return 0
        for path in paths:
            try:
                started = float(json.loads(path.read_text(encoding="utf-8"))["started"])
            except (OSError, ValueError, KeyError, TypeError):
                started = -1.0  # unreadable: no session can use it
            if now >= started + SESSION_LIFETIME.total_seconds() or started > now:
                try:
                    path.unlink()
                    removed += 1
                except OSError:
                    pass
        return removed


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie, with the attributes of the module's docstring: its expiry is the
    recorded session's end (``until`` in the session), not renewed by later requests."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure  # Secure when the request came over https

    def get_cookie_path(self, app) -> str:
        return app.config.get("SESSION_COOKIE_PATH") or f"{request.script_root}/"

    def open_session(self, app, request):
        # Most requests (queries, pages, machine clients) carry no session cookie: an empty
        # session for them, without building the signing serializer on every request.
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def get_expiration_time(self, app, session) -> datetime | None:
        until = session.get("until")
        return datetime.fromtimestamp(until, timezone.utc) if isinstance(until, (int, float)) else None

    def save_session(self, app, session, response) -> None:
        expires = self.get_expiration_time(app, session)
        if expires is None or not session:
            super().save_session(app, session, response)
            return
        if not self.should_set_cookie(app, session):
            return
        value = self.get_signing_serializer(app).dumps(dict(session))
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            expires=expires,
            max_age=max(0, int(expires.timestamp() - time.time())),
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite="Strict",
        )
        response.vary.add("Cookie")


def _read_key(path: Path) -> str | None:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return key or None


def shared_key(data: Path) -> str | None:
    """The data directory's session key, made on first use; None without a writable one.

    Every worker process of ``zkg serve --workers N`` starts at once and asks: the key is
    written whole to a file of its own and then linked into place, which fails if another
    process was first, so no process ever reads a key half written (and each reads the
    winner's). An empty key file (left by a crash of an older zkg) is replaced."""
    path = data / SESSION_KEY_FILE
    key = _read_key(path)
    if key is not None or not data.is_dir():
        return key
    fresh = data / f".{SESSION_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(fresh, path)
        except FileExistsError:
            if _read_key(path) is None:  # empty: no process writes it so; take its place
                os.replace(fresh, path)
                fresh = None
        return _read_key(path)
    except OSError:
        return None
    finally:
        if fresh is not None:
            try:
                os.unlink(fresh)
            except OSError:
                pass


def _secret_key(app: Flask) -> str:
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    # No data directory (tests, in-memory stores) or a read-only one: a key of this process.
    return shared_key(Path(app.config["ZKG_SETTINGS"].data)) or secrets.token_hex(32)


def init_sessions(app: Flask) -> None:
    """The cookie's name and attributes as documented, whatever Flask's defaults are."""
    app.secret_key = _secret_key(app)
    app.session_interface = CookieSessions()
    app.config["SESSION_COOKIE_NAME"] = SESSION_COOKIE
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    # The signature's own age limit: a cookie signed more than a session's length ago is void.
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    app.extensions["zkg.sessions"] = SessionRecords(Path(app.config["ZKG_SETTINGS"].data))


def session_records(app: Flask) -> SessionRecords:
    return app.extensions["zkg.sessions"]
