"""Curators' sessions (zkg/web/sessions.py): the cookie has the documented name and
attributes, signing out ends the session on the server (a copied cookie replayed afterwards
signs no one in), and a session ends 8 hours after signing in by the server's record, whatever
the client does with the cookie. The last test does the same on a real ``zkg serve --workers 2``,
where the session must be ended for every worker."""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

from tests.support.curation_testing import ALICE_PAGE, SOURCE, csrf_of, make_curation, sign_in
from tests.support.live_server import LiveServer, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE
from zkg.curation import tokens
from zkg.web.sessions import SESSION_COOKIE, SESSION_LIFETIME, SESSIONS_DIRECTORY, shared_key

REPO = Path(__file__).resolve().parents[2]
EIGHT_HOURS = 8 * 3600
#: Requests per check on a live server, each on a new connection: spread over both workers.
ROUNDS = 12


def _cookie_attributes(header: str) -> tuple[str, str, dict[str, str]]:
    """(name, value, {attribute in lower case: value}) of one Set-Cookie header."""
    first, *rest = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    attributes = {}
    for part in rest:
        key, _, val = part.partition("=")
        attributes[key.lower()] = val
    return name, value, attributes


def test_the_cookie_has_the_documented_name_and_attributes(tmp_path):
    cur = make_curation(tmp_path)
    response = sign_in(cur)
    assert response.status_code == 303
    name, value, attributes = _cookie_attributes(response.headers["Set-Cookie"])
    assert name == SESSION_COOKIE == "zkg_session"
    assert "httponly" in attributes and attributes["samesite"] == "Strict" and attributes["path"] == "/"
    assert "secure" not in attributes  # plain http here; over https see the next test
    assert abs(int(attributes["max-age"]) - EIGHT_HOURS) <= 60
    expires = parsedate_to_datetime(attributes["expires"]).timestamp()
    assert abs(expires - (time.time() + EIGHT_HOURS)) <= 60
    assert cur.write_token not in value and cur.write_token.split("_", 1)[1] not in value


def test_over_https_the_cookie_is_secure(tmp_path):
    cur = make_curation(tmp_path)
    form = cur.client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    response = cur.client.post(
        "/sign-in", base_url="https://localhost", data={"token": cur.write_token, "csrf_token": csrf_of(form)}
    )
    name, _, attributes = _cookie_attributes(response.headers["Set-Cookie"])
    assert name == "zkg_session" and "secure" in attributes and attributes["samesite"] == "Strict"


def test_the_documents_say_what_the_code_does():
    # The curators' guide holds what the README said of sessions before the docs site.
    curators = (REPO / "docs" / "guides" / "curators.md").read_text(encoding="utf-8")
    security = (REPO / "SECURITY.md").read_text(encoding="utf-8")
    for text in (curators, security):
        assert f"`{SESSION_COOKIE}`" in text and "8 hours" in text
    assert SESSION_LIFETIME.total_seconds() == EIGHT_HOURS


def _signed_in(client) -> bool:
    return 'id="add-statement"' in client.get(ALICE_PAGE).get_data(as_text=True)


def test_a_cookie_copied_before_signing_out_signs_no_one_in_afterwards(tmp_path):
    cur = make_curation(tmp_path)
    sign_in(cur)
    html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
    csrf = csrf_of(html)
    copied = cur.client.get_cookie(SESSION_COOKIE).value
    assert cur.client.post("/sign-out", data={"csrf_token": csrf}).status_code == 303
    assert not _signed_in(cur.client)

    thief = cur.app.test_client()
    thief.set_cookie(SESSION_COOKIE, copied)
    assert not _signed_in(thief)
    before = cur.store.dump(format="nquads")
    form = {
        "csrf_token": csrf,
        "subject": f"{TEST_BASE}id/alice",
        "property": "schema:knows",
        "kind": "entity",
        "value": "Bob",
        "source": SOURCE,
    }
    refused = thief.post("/curate/statement", data=form)
    assert refused.status_code == 403 and "sign in" in refused.get_data(as_text=True)
    assert cur.store.dump(format="nquads") == before
    assert not list((tmp_path / "data" / SESSIONS_DIRECTORY).glob("*.json"))  # nothing left on the server


def _age_sessions(data_dir: Path, seconds: float) -> None:
    """Move every recorded session's start ``seconds`` into the past (as if signed in then)."""
    records = list((data_dir / SESSIONS_DIRECTORY).glob("*.json"))
    assert records, "no session recorded in the data directory"
    for path in records:
        fields = json.loads(path.read_text(encoding="utf-8"))
        fields["started"] -= seconds
        path.write_text(json.dumps(fields), encoding="utf-8")


def test_a_session_ends_eight_hours_after_signing_in_on_the_server(tmp_path):
    cur = make_curation(tmp_path)
    sign_in(cur)
    data = tmp_path / "data"
    _age_sessions(data, EIGHT_HOURS - 120)  # signed in 7 h 58 min ago: still on
    assert _signed_in(cur.client)
    _age_sessions(data, 121)  # 8 h and a second ago: over, although the browser still sends the cookie
    assert cur.client.get_cookie(SESSION_COOKIE) is not None
    assert not _signed_in(cur.client)
    # The next sign-in sweeps the ended session's record away.
    sign_in(cur)
    assert len(list((data / SESSIONS_DIRECTORY).glob("*.json"))) == 1 and _signed_in(cur.client)


def test_signing_in_again_ends_the_previous_session(tmp_path):
    cur = make_curation(tmp_path)
    sign_in(cur)
    first = cur.client.get_cookie(SESSION_COOKIE).value
    sign_in(cur)
    replay = cur.app.test_client()
    replay.set_cookie(SESSION_COOKIE, first)
    assert not _signed_in(replay) and _signed_in(cur.client)


def test_a_forged_or_malformed_session_id_signs_no_one_in(tmp_path):
    cur = make_curation(tmp_path)
    with cur.app.test_request_context():
        serializer = cur.app.session_interface.get_signing_serializer(cur.app)
        for sid in ("../../session.key", "x" * 43, 7, None):
            client = cur.app.test_client()
            client.set_cookie(SESSION_COOKIE, serializer.dumps({"sid": sid, "csrf": "c"}))
            assert not _signed_in(client), sid


# -- a live server with two workers -----------------------------------------------------------------


def _live_sign_in(live: LiveServer, token: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(live.url + "sign-in", timeout=30).text
    answer = browser.post(
        live.url + "sign-in",
        data={"token": token, "csrf_token": csrf_of(form), "next": "/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text
    assert re.match(r"zkg_session=[^;]+; Expires=", answer.headers["Set-Cookie"])
    return browser


def _signed_in_everywhere(live: LiveServer, cookie: str) -> set[bool]:
    """Whether each of ROUNDS requests (new connections: both workers) is signed in."""
    seen = set()
    for _ in range(ROUNDS):
        page = requests.get(live.url + "sign-in", cookies={SESSION_COOKIE: cookie}, timeout=30)
        assert page.status_code == 200
        seen.add("You are signed in as" in page.text)
    return seen


def test_on_a_live_server_sessions_end_for_every_worker(tmp_path):
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    token = tokens.create(data, "session-test", scope=tokens.WRITE)
    live = LiveServer(
        data, base_iri=TEST_BASE, options=("--workers", "2", "--threads", "2"), env={"ZKG_RATE_LIMIT": "0"}
    )
    try:
        wait_answering(live)
        browser = _live_sign_in(live, token)
        copied = browser.cookies[SESSION_COOKIE]
        assert _signed_in_everywhere(live, copied) == {True}
        csrf = csrf_of(browser.get(live.url + "sign-in", timeout=30).text)
        out = browser.post(live.url + "sign-out", data={"csrf_token": csrf}, allow_redirects=False, timeout=30)
        assert out.status_code == 303
        assert _signed_in_everywhere(live, copied) == {False}

        second = _live_sign_in(live, token).cookies[SESSION_COOKIE]
        assert _signed_in_everywhere(live, second) == {True}
        _age_sessions(data, EIGHT_HOURS + 1)
        assert _signed_in_everywhere(live, second) == {False}
    finally:
        live.stop()
    assert "Traceback" not in live.log_path.read_text(encoding="utf-8")


# -- the signing key every worker shares -------------------------------------------------------------


def _key_of_a_worker(data: str, barrier, keys) -> None:
    barrier.wait()  # every process asks at the same moment, as the workers of zkg serve do
    keys.put(shared_key(Path(data)))


def test_workers_starting_together_all_sign_with_one_whole_key(tmp_path):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for round_ in range(10):
        data = tmp_path / f"data-{round_}"
        data.mkdir()
        barrier, keys = context.Barrier(6), context.Queue()
        processes = [context.Process(target=_key_of_a_worker, args=(str(data), barrier, keys)) for _ in range(6)]
        for process in processes:
            process.start()
        seen = [keys.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert len(set(seen)) == 1 and len(seen[0]) == 64, seen
        assert (data / "session.key").read_text(encoding="utf-8").strip() == seen[0]
        assert sorted(p.name for p in data.iterdir()) == ["session.key"]  # no key file left half-way


def test_an_empty_key_file_is_replaced(tmp_path):
    (tmp_path / "session.key").write_text("", encoding="utf-8")
    key = shared_key(tmp_path)
    assert key and len(key) == 64 and shared_key(tmp_path) == key
