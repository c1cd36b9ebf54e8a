"""Bearer tokens: shown once, stored as salted hashes in a 0600 file, checked in constant time."""

from __future__ import annotations

import hmac
import json
import stat

import pytest

from zkg.curation import tokens
from zkg.curation.tokens import READ, WRITE, TokenError


def test_only_a_salted_hash_is_stored(tmp_path):
    secret = tokens.create(tmp_path, "alice")
    path = tmp_path / tokens.TOKENS_FILE
    text = path.read_text()
    assert secret not in text and secret[4:] not in text
    entry = json.loads(text)["tokens"]["alice"]
    assert set(entry) == {"scope", "created", "salt", "sha256"} and entry["scope"] == WRITE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = tokens.create(tmp_path, "bob")
    entries = json.loads(path.read_text())["tokens"]
    assert entries["alice"]["salt"] != entries["bob"]["salt"] and other != secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_check_and_scopes(tmp_path):
    writer = tokens.create(tmp_path, "ci")
    reader = tokens.create(tmp_path, "viewer", scope=READ)
    assert tokens.check(tmp_path, writer).can_write
    info = tokens.check(tmp_path, reader)
    assert info.name == "viewer" and not info.can_write
    for wrong in (None, "", writer[:-1], writer + "x", "zkg_" + "A" * 43, "x" * 1000):
        assert tokens.check(tmp_path, wrong) is None
    assert tokens.check(tmp_path / "nowhere", writer) is None


def test_check_compares_in_constant_time_against_every_token(tmp_path, monkeypatch):
    secret = tokens.create(tmp_path, "a")
    tokens.create(tmp_path, "b")
    tokens.create(tmp_path, "c")
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda x, y: calls.append(1) or real(x, y))
    assert tokens.check(tmp_path, secret).name == "a"
    assert len(calls) == 3  # every entry compared, even after the match


def test_list_and_revoke(tmp_path):
    tokens.create(tmp_path, "b-writer")
    secret = tokens.create(tmp_path, "a-reader", scope=READ)
    assert [(t.name, t.scope) for t in tokens.list_tokens(tmp_path)] == [("a-reader", READ), ("b-writer", WRITE)]
    tokens.revoke(tmp_path, "a-reader")
    assert tokens.check(tmp_path, secret) is None
    assert [t.name for t in tokens.list_tokens(tmp_path)] == ["b-writer"]
    with pytest.raises(TokenError, match="no token named"):
        tokens.revoke(tmp_path, "a-reader")


def test_names_are_checked_and_unique(tmp_path):
    tokens.create(tmp_path, "alice")
    with pytest.raises(TokenError, match="exists"):
        tokens.create(tmp_path, "alice")
    for bad in ("", "with space", "x" * 65, "../etc"):
        with pytest.raises(TokenError):
            tokens.create(tmp_path, bad)
