"""The front cache on a real ``zkg serve --workers 2`` (the managed engine): answers kept in
front of Flask in each worker are never older than the last write, whichever worker took the
write and whichever answers next (read-your-writes across processes)."""

from __future__ import annotations

import requests

from tests.support.live_server import LiveServer, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE
from zkg.curation import tokens

ZPARK = TEST_BASE + "id/z-park"
FACT = f'GRAPH <{TEST_BASE}graph/reference> {{ <{ZPARK}> <https://schema.org/slogan> "front-cache probe"@en }}'
ASK = f'ASK {{ <{ZPARK}> <https://schema.org/slogan> "front-cache probe"@en }}'
SOURCE = "https://example.org/front-cache-test-source"
#: Requests per check, each on a new connection: the kernel spreads them over both workers.
ROUNDS = 12


def test_kept_answers_follow_every_write_in_every_worker(tmp_path):
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    token = tokens.create(data, "front-cache", scope=tokens.WRITE)
    live = LiveServer(
        data, base_iri=TEST_BASE, options=("--workers", "2", "--threads", "2"), env={"ZKG_RATE_LIMIT": "0"}
    )
    try:
        wait_answering(live)

        def seen() -> set[tuple]:
            answers = set()
            for _ in range(ROUNDS):
                ask = requests.get(
                    live.sparql,
                    params={"query": ASK},
                    timeout=30,
                    headers={"Accept": "application/sparql-results+json"},
                )
                document = requests.get(live.url + "data/id/z-park.ttl", timeout=30)
                page = requests.get(live.url + "page/id/z-park", timeout=30, headers={"Accept": "text/html"})
                assert ask.status_code == document.status_code == page.status_code == 200
                answers.add(
                    (
                        ask.json()["boolean"],
                        "front-cache probe" in document.text,
                        # The page's facts: its history rows (issue 16) show the statements
                        # changes removed too.
                        "front-cache probe" in page.text.split('id="curation"')[0],
                        document.headers["ETag"],
                    )
                )
            return answers

        def write(operation: str) -> None:
            response = requests.post(
                live.sparql,
                data=f"{operation} {{ {FACT} }}".encode(),
                timeout=60,
                headers={
                    "Content-Type": "application/sparql-update",
                    "Authorization": f"Bearer {token}",
                    "ZKG-Source": SOURCE,
                },
            )
            assert response.status_code == 200, response.text

        before = seen()
        assert len(before) == 1 and next(iter(before))[:3] == (False, False, False)
        assert seen() == before  # kept answers: the same
        write("INSERT DATA")
        after = seen()
        assert len(after) == 1 and next(iter(after))[:3] == (True, True, True), after
        assert next(iter(after))[3] != next(iter(before))[3]  # a new version, a new ETag
        write("DELETE DATA")
        removed = seen()
        assert len(removed) == 1 and next(iter(removed))[:3] == (False, False, False), removed
    finally:
        live.stop()
    assert "Traceback" not in live.log_path.read_text(encoding="utf-8")


def test_a_query_string_is_never_served_to_other_visitors(live_server):
    # The session's live server runs one worker per core: new connections reach each of them.
    page = live_server.url + "page/id/z-park"
    poisoned = requests.get(page + "?utm_source=live-poison", timeout=30)
    assert poisoned.status_code == 200 and "live-poison" in poisoned.text
    for _ in range(ROUNDS):
        clean = requests.get(page, timeout=30)
        assert clean.status_code == 200 and "live-poison" not in clean.text
