"""Shared by the curation web tests: an app on a fresh, writable in-memory store (loaded
from the fixture project) with a data directory holding a write and a read-only token."""

from __future__ import annotations

from dataclasses import dataclass

from zkg_testing import FIXTURE_PROJECT, TEST_BASE

from zkg.base.settings import Settings
from zkg.store.local import Store

SOURCE = "https://example.org/second-article"


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
        return self.client.post("/sparql", data=text.encode("utf-8"),
                                headers={"Content-Type": "application/sparql-update", **self.auth(**headers)})


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
