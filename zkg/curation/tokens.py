"""Bearer tokens for writers: ``{data}/tokens.json`` holds only salted hashes.

A token is ``zkg_`` + 43 URL-safe characters (256 random bits), shown once by
:func:`create`. The file stores, per token name: scope (``write`` or ``read``), creation
time, a random salt, and ``sha256(salt + token)``; it is written atomically with mode 0600.
:func:`check` hashes the presented token with each entry's salt and compares with
:func:`hmac.compare_digest` (constant time), every entry compared whatever matched. Tokens are
never logged or printed except by ``create``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from zkg.base.errors import ZkgError

TOKENS_FILE = "tokens.json"
WRITE, READ = "write", "read"


class TokenError(ZkgError):
    """A token name that is taken, unknown or malformed."""


@dataclass(frozen=True)
class TokenInfo:
    name: str
    scope: str  # WRITE or READ
    created: datetime

    @property
    def can_write(self) -> bool:
        return self.scope == WRITE


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}$")
_LOCK = threading.Lock()
PREFIX = "zkg_"


def _path(data_dir) -> Path:
    return Path(data_dir) / TOKENS_FILE


def _digest(salt: str, token: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + token.encode("utf-8")).hexdigest()


def _load(data_dir) -> dict:
    path = _path(data_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise TokenError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("tokens", {}), dict):
        raise TokenError(f"cannot read {path}: not a token file")
    return data.get("tokens", {})


def _save(data_dir, tokens: dict) -> None:
    path = _path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{TOKENS_FILE}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"tokens": tokens}, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)  # never a half-written file
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _info(name: str, entry: dict) -> TokenInfo:
    try:
        created = datetime.fromisoformat(entry.get("created", ""))
    except ValueError:
        created = datetime.fromtimestamp(0, timezone.utc)
    return TokenInfo(name, entry.get("scope", READ), created)


def create(data_dir: str | Path, name: str, *, scope: str = WRITE) -> str:
    """Make a token named ``name`` and return it (the only time it is seen)."""
    if not _NAME.match(name or ""):
        raise TokenError(f"token name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@'")
    if scope not in (WRITE, READ):
        raise TokenError(f"token scope {scope!r}: use {WRITE!r} or {READ!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    with _LOCK:
        tokens = _load(data_dir)
        if name in tokens:
            raise TokenError(f"a token named {name!r} exists: revoke it first (zkg token revoke {name})")
        tokens[name] = {
            "scope": scope,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "salt": salt,
            "sha256": _digest(salt, token),
        }
        _save(data_dir, tokens)
    return token


def list_tokens(data_dir: str | Path) -> list[TokenInfo]:
    """The tokens, by name (never the secrets)."""
    return [_info(name, entry) for name, entry in sorted(_load(data_dir).items())]


def revoke(data_dir: str | Path, name: str) -> None:
    """Delete the token named ``name`` (TokenError if there is none)."""
    with _LOCK:
        tokens = _load(data_dir)
        if name not in tokens:
            raise TokenError(f"no token named {name!r}")
        del tokens[name]
        _save(data_dir, tokens)


def check(data_dir: str | Path, token: str | None) -> TokenInfo | None:
    """The token's info if ``token`` is a valid one, else None.

    Every stored token is compared, in constant time, whatever matched.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> secret = create(folder, "alice")
    >>> check(folder, secret).name, check(folder, secret + "x"), check(folder, None)
    ('alice', None, None)
    """
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    try:
        tokens = _load(data_dir)
    except TokenError:
        return None
    found = None
    for name, entry in sorted(tokens.items()):
        salt, expected = entry.get("salt", ""), entry.get("sha256", "")
        try:
            actual = _digest(salt, token)
        except ValueError:
            continue
        if hmac.compare_digest(actual.encode("ascii"), expected.encode("ascii")) and found is None:
            found = _info(name, entry)
    return found
