"""No open redirects (zkg/web/redirects.py): every ``next`` the app sends a browser to (sign-in,
sign-out, revert) is a path of this site, whatever a browser, a proxy or a second decoding
makes of it; anything else lands on the safe default. Browsers strip tabs and line breaks,
trim control characters and spaces, read ``\\`` as ``/``: each trick is in the catalogue."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.curation_testing import ALICE_PAGE, SOURCE, csrf_of, make_curation, sign_in
from tests.support.zkg_testing import TEST_BASE
from zkg.web.redirects import same_site_path

#: Targets that leave the site, directly or once a browser or a proxy has read them.
HOSTILE = [
    "//evil.example/",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example/",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x0c/evil.example",
    "/\x1f/evil.example",
    "/\x7f/evil.example",
    "/\x85/evil.example",
    "//evil.example\n",
    "https://evil.example/",
    "HTTPS://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "//user@evil.example",
    "//user:pass@evil.example/",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%2509/evil.example",
    "/\u2028/evil.example",
    "/\u2029/evil.example",
    "/\u00a0/evil.example",
    "/\u3000/evil.example",
    "/\u200b/evil.example",
    "/\u200e/evil.example",
    "/\u202e/evil.example",
    "/\u2066/evil.example",
    "/\ufeff/evil.example",
    "/\u061c/evil.example",
    "/\uff0fevil.example",
    "/\uff3cevil.example",
    "/\ufe68evil.example",
    "/page/id/../..//evil.example",
    "/./\\evil.example",
    "evil.example",
    "page/id/z-park",
    ".",
    "?next=//evil.example",
    "#//evil.example",
    "",
    "/" + "a" * 5000,
]
#: Paths of this site: kept (non-ASCII percent-encoded).
KEPT = [
    ("/", "/"),
    ("/page/id/z-park", "/page/id/z-park"),
    ("/page/id/z-park?lang=zh", "/page/id/z-park?lang=zh"),
    ("/history?iri=http%3A%2F%2Fx.test%2Fid%2Fa", "/history?iri=http%3A%2F%2Fx.test%2Fid%2Fa"),
    ("/page/id/%E4%B8%AD", "/page/id/%E4%B8%AD"),
    ("/page/id/中关村", "/page/id/%E4%B8%AD%E5%85%B3%E6%9D%91"),
    ("/search?q=a%20b#results", "/search?q=a%20b#results"),
    ("/@evil.example", "/@evil.example"),
]


@pytest.mark.parametrize("target", HOSTILE, ids=[repr(t)[:40] for t in HOSTILE])
def test_hostile_targets_fall_back(target):
    assert same_site_path(target, fallback="/home") == "/home"


@pytest.mark.parametrize(("target", "sent"), KEPT)
def test_paths_of_this_site_are_kept(target, sent):
    assert same_site_path(target, fallback="/home") == sent


def test_below_a_mount_point_only_its_own_paths_are_kept():
    assert same_site_path("/zkg/page/id/a", fallback="/zkg/", root="/zkg") == "/zkg/page/id/a"
    for target in ("/other-app/", "/zkgevil", "/zkg//evil.example", "/zkg/\\evil.example"):
        assert same_site_path(target, fallback="/zkg/", root="/zkg") == "/zkg/", target


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    return make_curation(tmp_path_factory.mktemp("redirects"))


def _stays_home(location: str, home: str = "/") -> bool:
    """Whether a browser at http://localhost/… following ``location`` lands on ``home`` here."""
    assert not re.search(r"[\x00-\x20\x7f-\uffff\\]", location), f"unsafe Location {location!r}"
    landed = urlsplit(urljoin("http://localhost/sign-in", location))
    return (landed.scheme, landed.netloc, landed.path) == ("http", "localhost", home)


def _fresh_csrf(cur) -> str:
    return csrf_of(cur.client.get("/sign-in").get_data(as_text=True))


@pytest.mark.parametrize("target", HOSTILE, ids=[repr(t)[:40] for t in HOSTILE])
def test_sign_in_and_sign_out_never_send_the_browser_away(cur, target):
    form = cur.client.get("/sign-in", query_string={"next": target}).get_data(as_text=True)
    kept = unescape(re.search(r'name="next" value="([^"]*)"', form).group(1))
    assert kept == "/"
    signed_in = cur.client.post(
        "/sign-in", data={"token": cur.write_token, "csrf_token": csrf_of(form), "next": target}
    )
    assert signed_in.status_code == 303 and _stays_home(signed_in.headers["Location"])
    by_query = cur.client.post(
        "/sign-in?next=" + target.replace("%", "%25").replace("#", "%23"),
        data={"token": cur.write_token, "csrf_token": _fresh_csrf(cur)},
    )
    assert by_query.status_code == 303 and _stays_home(by_query.headers["Location"])
    signed_out = cur.client.post("/sign-out", data={"csrf_token": _fresh_csrf(cur), "next": target})
    assert signed_out.status_code == 303 and _stays_home(signed_out.headers["Location"])


def test_the_reported_case(cur):
    response = cur.client.post(
        "/sign-in?next=/%09/evil.example/", data={"token": cur.write_token, "csrf_token": _fresh_csrf(cur)}
    )
    assert response.headers["Location"] == "/"


def test_a_path_of_this_site_is_where_sign_in_goes(cur):
    response = sign_in(cur)
    assert response.headers["Location"] == ALICE_PAGE


def test_revert_goes_back_only_to_this_site(tmp_path):
    cur = make_curation(tmp_path)
    sign_in(cur)
    for target, home in (("//evil.example/", "/"), ("/\t/evil.example", "/"), (ALICE_PAGE, ALICE_PAGE)):
        html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
        form = {
            "csrf_token": csrf_of(html),
            "subject": f"{TEST_BASE}id/alice",
            "property": "schema:jobTitle",
            "kind": "text",
            "value": f"Title {len(target)}",
            "language": "en",
            "source": SOURCE,
        }
        added = cur.client.post("/curate/statement", data=form)
        assert added.status_code == 303, added.get_data(as_text=True)
        html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
        changeset = re.search(r'data-revert="([^"]+)"', html).group(1)
        reverted = cur.client.post(
            f"/changes/{changeset}/revert", data={"csrf_token": csrf_of(html), "next": target, "reason": "a test"}
        )
        assert reverted.status_code == 303 and _stays_home(reverted.headers["Location"], home), target


def test_under_a_mount_point_the_default_is_its_home(cur):
    base = "http://localhost/zkg/"
    form = cur.client.get("/sign-in", base_url=base, query_string={"next": "/elsewhere"}).get_data(as_text=True)
    response = cur.client.post(
        "/sign-in", base_url=base, data={"token": cur.write_token, "csrf_token": csrf_of(form), "next": "/elsewhere"}
    )
    assert response.headers["Location"] == "/zkg/"


def test_links_to_sign_in_carry_this_page_percent_encoded(cur):
    page = cur.client.get("/page/id/alice?lang=en").get_data(as_text=True)
    link = unescape(re.search(r'href="([^"]*/sign-in\?next=[^"]*)"', page).group(1))
    assert link == "/sign-in?next=/page/id/alice%3Flang%3Den"
