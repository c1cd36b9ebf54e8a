"""Last-Modified and If-Modified-Since (zkg/store/version.py, zkg/web/http_caching.py): HTTP
dates have whole seconds, and two writes can fall within one. A client revalidating with the
date it was given (or, lacking one, the response's Date) must never be told "not modified"
about data a later write changed, whichever second it fell in; a date it got for data that did
not change since still gets its 304."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

import requests

from tests.support.curation_testing import make_curation
from tests.support.live_server import LiveServer, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE
from zkg.curation import tokens

ALICE = f"{TEST_BASE}id/alice"
DOCUMENT = "/data/id/alice.ttl"


def _at_the_start_of_a_second() -> float:
    """Wait for the next second to begin (the clock is the condition awaited); its time."""
    target = int(time.time()) + 1
    while time.time() < target:
        time.sleep(0.005)
    return target


def _http_date(moment: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(moment), timezone.utc), usegmt=True)


def _validator(response, asked_at: float) -> str:
    """What a client revalidates with: the Last-Modified it was given, else the response's
    date (the test client sends no Date header: the second the request was made)."""
    return response.headers.get("Last-Modified") or response.headers.get("Date") or _http_date(asked_at)


def test_two_writes_within_one_second_never_answer_a_stale_304(tmp_path):
    cur = make_curation(tmp_path)
    for attempt in range(5):  # the two writes must share a second: a slow machine may need another go
        second = _at_the_start_of_a_second()
        assert (
            cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "first {attempt}"@en }}').status_code
            == 200
        )
        asked = time.time()
        first = cur.client.get(DOCUMENT)
        assert first.status_code == 200 and f"first {attempt}" in first.get_data(as_text=True)
        validator = _validator(first, asked)
        assert (
            cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "second {attempt}"@en }}').status_code
            == 200
        )
        if time.time() >= second + 1:
            continue  # the second write fell in the next second: not the case under test
        again = cur.client.get(DOCUMENT, headers={"If-Modified-Since": validator})
        assert again.status_code == 200, f"a stale 304 for {validator} after a write in the same second"
        assert f"second {attempt}" in again.get_data(as_text=True)
        # Within the second of the last change, no date is given that a later write could share.
        assert "Last-Modified" not in again.headers
        break
    else:
        raise AssertionError("two writes never fell within one second")


def test_a_date_for_unchanged_data_still_gets_its_304_and_a_later_write_a_200(tmp_path):
    cur = make_curation(tmp_path)
    assert cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "settled"@en }}').status_code == 200
    _at_the_start_of_a_second()  # the write's second has passed: its date can be given
    settled = cur.client.get(DOCUMENT)
    date = settled.headers["Last-Modified"]
    assert parsedate_to_datetime(date).timestamp() <= time.time()  # never a date in the future
    assert cur.client.get(DOCUMENT, headers={"If-Modified-Since": date}).status_code == 304
    assert cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "later"@en }}').status_code == 200
    after = cur.client.get(DOCUMENT, headers={"If-Modified-Since": date})
    assert after.status_code == 200 and "later" in after.get_data(as_text=True)


def test_a_date_in_the_future_is_no_date(tmp_path):
    cur = make_curation(tmp_path)
    future = _http_date(time.time() + 3600)
    assert cur.client.get(DOCUMENT, headers={"If-Modified-Since": future}).status_code == 200


def test_on_a_live_server_a_revalidation_after_a_write_is_never_a_304(tmp_path):
    # Two workers: the write and the revalidation may land on different processes, which see
    # each other's writes through the data directory's file times. 6-10 s: four writes,
    # each checked by the shapes, on a live server of its own (it is written to).
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    token = tokens.create(data, "last-modified", scope=tokens.WRITE)
    live = LiveServer(
        data, base_iri=TEST_BASE, options=("--workers", "2", "--threads", "2"), env={"ZKG_RATE_LIMIT": "0"}
    )
    document = live.url + "data/id/z-park.ttl"

    def write(value: str) -> None:
        answer = requests.post(
            live.sparql,
            timeout=60,
            data=(
                f"INSERT DATA {{ GRAPH <{TEST_BASE}graph/reference> {{ <{TEST_BASE}id/z-park> "
                f'<https://schema.org/slogan> "{value}"@en }} }}'
            ).encode(),
            headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {token}",
                "ZKG-Source": "https://example.org/last-modified-test",
            },
        )
        assert answer.status_code == 200, answer.text

    try:
        wait_answering(live)
        for round_ in range(2):
            write(f"probe a{round_}")
            seen = requests.get(document, timeout=30)
            assert f"probe a{round_}" in seen.text
            served = parsedate_to_datetime(seen.headers["Date"])
            if "Last-Modified" in seen.headers:
                assert parsedate_to_datetime(seen.headers["Last-Modified"]) <= served
            validator = seen.headers.get("Last-Modified") or seen.headers["Date"]
            write(f"probe b{round_}")
            for _ in range(4):  # new connections: both workers
                again = requests.get(document, headers={"If-Modified-Since": validator}, timeout=30)
                assert again.status_code == 200 and f"probe b{round_}" in again.text, validator
    finally:
        live.stop()
    assert "Traceback" not in live.log_path.read_text(encoding="utf-8")
