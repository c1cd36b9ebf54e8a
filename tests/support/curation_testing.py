"""Shared by the curation web tests: an app on a fresh, writable in-memory store (loaded
from the fixture project) with a data directory holding a write and a read-only token."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store

SOURCE = "https://example.org/second-article"
#: The entity page the sign-in sends a curator back to (an entity of the fixture project).
ALICE_PAGE = "/page/id/alice"


@dataclass
class Curation:
    app: object
    client: object
    store: Store
    write_token: str
    read_token: str

    def auth(self, token: str | None = None, **extra) -> dict:
        headers = {"Authorization": f"Bearer {token or self.write_token}", "ZKG-Source": SOURCE}
        headers.update(extra)
        return headers

    def update(self, text: str, **headers):
        return self.client.post(
            "/sparql",
            data=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update", **self.auth(**headers)},
        )


def make_curation(tmp_path, project=FIXTURE_PROJECT) -> Curation:
    """``project``: a folder with graph/ and ontology/ (the fixture project unless given)."""
    from zkg.curation import tokens
    from zkg.web import create_app

    data = tmp_path / "data"
    data.mkdir()
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=project / "graph", ontology_dir=project / "ontology")
    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=data, max_request_bytes=200_000)
    write_token = tokens.create(data, "alice", scope=tokens.WRITE)
    read_token = tokens.create(data, "reader", scope=tokens.READ)
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True})
    return Curation(app, app.test_client(), store, write_token, read_token)


def csrf_of(html: str) -> str:
    """The CSRF token of a form page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(cur: Curation, token: str | None = None):
    """Sign in on ``cur``'s app with a token (the write token unless given); the response."""
    form = cur.client.get("/sign-in").get_data(as_text=True)
    return cur.client.post(
        "/sign-in", data={"token": token or cur.write_token, "csrf_token": csrf_of(form), "next": ALICE_PAGE}
    )
