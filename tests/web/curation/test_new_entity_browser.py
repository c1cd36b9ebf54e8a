"""A curator makes an entity in a real headless Chromium, on a live ``zkg serve`` of its own
loaded from the project's graph/: signs in, opens "New entity" from the home page, picks the
class by its label, fills the form made from the shapes (the place picked from the search's
completion), sees the preview, commits, lands on the new page, corrects the founding year
(the old and new side by side), sees both changes in the history, and reverts the correction
with a reason. A creation the shapes refuse shows the message beside its field. Every form
fits its card at 390 px and 1,400 px, and every field has a label.

``ZKG_CURATION_SCREENSHOTS=/dir`` saves what the test looked at, at both widths.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.live_server import serve_at_own_url
from tests.web.curation.test_curation_browser import _wait

SOURCE = "https://en.wikipedia.org/wiki/Legend_Holdings"
WIDTHS = (390, 1400)

#: Every control of the page's forms that no label names, and every form wider than its card
#: (or a page wider than the window): what a phone or a screen reader would trip on.
LAYOUT_PROBLEMS = """
const problems = [];
if (document.documentElement.scrollWidth > window.innerWidth + 1) {
  const wide = Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest("pre, .table-scroll"))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
  problems.push("the page is " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window: " + wide.join(", "));
}
for (const form of document.querySelectorAll("main form")) {
  const card = form.closest(".card, section") || form.parentElement;
  if (form.scrollWidth > card.clientWidth + 1)
    problems.push((form.id || form.action) + " is " + form.scrollWidth + " px wide in a " + card.clientWidth + " px card");
  for (const control of form.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button"].includes(control.type)) continue;
    if (control.labels.length === 0) problems.push((form.id || "a form") + ": " + (control.name || control.id) + " has no label");
    const box = control.getBoundingClientRect();
    const cardBox = card.getBoundingClientRect();
    if (box.width > 0 && box.right > cardBox.right + 1)
      problems.push((form.id || "a form") + ": " + control.name + " runs past its card");
  }
}
return problems;
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from zkg.curation import tokens

    data = tmp_path_factory.mktemp("new-entity-browser") / "zkg-data"
    server = serve_at_own_url(data)
    server.token = tokens.create(data, "wang.curator", scope=tokens.WRITE)
    yield server
    server.stop()


def ask(base: str, query: str) -> bool:
    response = requests.get(
        base + "sparql", params={"query": query}, timeout=30, headers={"Accept": "application/sparql-results+json"}
    )
    return response.json()["boolean"]


def founded(base: str, year: str) -> bool:
    return ask(
        base,
        f'ASK {{ <{base}id/legend-holdings> <https://schema.org/foundingDate> "{year}"^^<http://www.w3.org/2001/XMLSchema#gYear> }}',
    )


def check_layout(page, name: str) -> None:
    """The page at both widths: no unlabelled field, no form wider than its card."""
    shots = os.environ.get("ZKG_CURATION_SCREENSHOTS")
    for width in WIDTHS:
        page.set_window_size(width, 1000)
        problems = page.execute_script(LAYOUT_PROBLEMS)
        assert problems == [], f"{name} at {width} px: {problems}"
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            height = page.execute_script("return document.documentElement.scrollHeight")
            page.set_window_size(width, min(max(height, 800), 6000))
            page.save_screenshot(str(Path(shots) / f"{name}-{width}.png"))
    page.set_window_size(1400, 1000)


def pick_from_completion(page, field, typed: str, wanted: str) -> str:
    """Type into an entity picker and take the suggestion that starts with ``wanted``."""
    field.send_keys(typed)
    script = (
        "return Array.from(document.querySelectorAll('#zkg-entities option')).map(o => o.value)"
        ".find(v => v.startsWith(arguments[0]))"
    )
    _wait(page, lambda d: d.execute_script(script, wanted), f"the search did not offer {wanted}")
    choice = page.execute_script(script, wanted)
    field.clear()
    field.send_keys(choice)  # what picking the suggestion puts in the field
    return choice


def sign_in(page, server, next_path: str = "/") -> None:
    page.get(server.url + "sign-in?next=" + next_path)
    page.find_element(By.NAME, "token").send_keys(server.token)
    page.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    _wait(page, lambda d: "Signed in as" in d.page_source or "Sign out" in d.page_source, "not signed in")


def test_a_curator_creates_legend_holdings_corrects_its_year_and_reverts_the_correction(server, page):
    base = server.url
    page.set_window_size(1400, 1000)
    sign_in(page, server)
    page.get(base)
    page.find_element(By.CSS_SELECTOR, ".hero a[href$='/curate/new']").click()

    # The class, by its label; its description from the model guide.
    _wait(page, lambda d: d.find_elements(By.ID, "class-picker"), "no class picker")
    assert "A business company." in page.find_element(By.CSS_SELECTOR, ".class-list").text
    check_layout(page, "new-entity-classes")
    page.find_element(By.ID, "class-input").send_keys("Corporation")
    page.find_element(By.CSS_SELECTOR, "#class-picker button[type=submit]").click()
    _wait(page, lambda d: d.find_elements(By.ID, "new-entity"), "no form for Corporation")
    assert page.find_element(By.ID, "new-title").text.startswith("New Corporation")

    form = page.find_element(By.ID, "new-entity")
    form.find_element(By.ID, "name-input").send_keys("Legend Holdings")
    assert "legend-holdings" in form.find_element(By.ID, "iri-input").get_attribute("placeholder")  # minted, shown
    form.find_element(By.ID, "schema:foundingDate.0").send_keys("1948")  # a slip, corrected below
    Select(form.find_element(By.ID, "zkg:organizationKind.0")).select_by_visible_text("company")
    pick_from_completion(
        page,
        form.find_element(By.ID, "schema:location.0"),
        "Zhongguancun Science Park ar",
        "Zhongguancun Science Park area <",
    )
    form.find_element(By.ID, "source-input").send_keys(SOURCE)
    form.find_element(By.ID, "message-input").send_keys("a company of the park")
    check_layout(page, "new-entity-form")
    form.find_element(By.CSS_SELECTOR, "button[value=preview]").click()

    # The preview: the statements and the verdict; nothing written yet.
    _wait(page, lambda d: d.find_elements(By.ID, "preview"), "no preview")
    preview = page.find_element(By.ID, "preview").text
    assert "founding date" in preview and "1948" in preview and "Zhongguancun Science Park area" in preview
    assert "The shapes accept it" in preview
    assert not ask(base, f"ASK {{ <{base}id/legend-holdings> ?p ?o }}")
    check_layout(page, "new-entity-preview")
    page.find_element(By.ID, "commit").click()

    # The new page, with the changeset that made it.
    _wait(
        page,
        lambda d: d.current_url == base + "page/id/legend-holdings#curation",
        "the commit did not land on the new page",
    )
    assert "Created Legend Holdings: changeset" in page.find_element(By.ID, "curation").text
    assert founded(base, "1948")

    # Correct the year: the statement chosen, the old value beside the new one.
    correct = page.find_element(By.ID, "correct-value")
    chooser = Select(correct.find_element(By.NAME, "replaces"))
    chooser.select_by_visible_text(next(o.text for o in chooser.options if o.text.startswith("founding date: 1948")))
    assert page.find_element(By.ID, "correct-old").text == "1948"
    correct.find_element(By.NAME, "value").send_keys("1984")
    correct.find_element(By.NAME, "source").send_keys(SOURCE)
    correct.find_element(By.NAME, "message").send_keys("founded in 1984, not 1948")
    check_layout(page, "entity-page-curation")
    correct.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(page, lambda d: "Corrected “1948” → “1984”" in d.find_element(By.ID, "curation").text, "no correction")
    assert founded(base, "1984") and not founded(base, "1948")

    # Both in the history, with what each added and removed.
    page.find_element(By.CSS_SELECTOR, "#curation a.history-link").click()
    _wait(page, lambda d: "/history" in d.current_url, "no history")
    changes = page.find_elements(By.CSS_SELECTOR, ".change")
    assert len(changes) == 2
    assert "founded in 1984, not 1948" in changes[0].text and "a company of the park" in changes[1].text
    check_layout(page, "history")

    # Revert the correction: its row says what it removed and added, by their labels; the
    # revert is confirmed on a page showing its dry run and the shapes' verdict, with a reason.
    correction = changes[0]
    correction_id = correction.get_attribute("data-changeset")
    assert "founding date" in correction.find_element(By.CSS_SELECTOR, ".statement-removed").text
    assert "1948" in correction.find_element(By.CSS_SELECTOR, ".statement-removed").text
    assert "1984" in correction.find_element(By.CSS_SELECTOR, ".statement-added").text
    correction.find_element(By.CSS_SELECTOR, "a[data-revert]").click()
    _wait(page, lambda d: d.find_elements(By.ID, "revert-form"), "no confirmation of the revert")
    shown = page.find_element(By.TAG_NAME, "main").text
    assert "It would remove" in shown and "It would add back" in shown and "It would be accepted" in shown
    assert founded(base, "1984")  # the confirmation is a dry run
    check_layout(page, "revert-confirmation")
    reason = "the interview says 1948 after all"
    form = page.find_element(By.ID, "revert-form")
    form.find_element(By.NAME, "reason").send_keys(reason)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(
        page,
        lambda d: (
            "/history" in d.current_url
            and "reverted by" in d.find_element(By.CSS_SELECTOR, f'.change[data-changeset="{correction_id}"]').text
        ),
        "the revert is not in the history",
    )
    assert founded(base, "1948") and not founded(base, "1984")
    latest = page.find_elements(By.CSS_SELECTOR, ".change")[0]  # the revert: its curator, its reason, no source
    assert reason in latest.text and "no source" in latest.text and "wang.curator" in latest.text
    check_layout(page, "history-reverted")


def test_a_creation_the_shapes_refuse_shows_the_message_beside_the_field(server, page):
    base = server.url
    page.set_window_size(1400, 1000)
    sign_in(page, server, "/curate/new?class=schema:Corporation")
    page.get(base + "curate/new?class=schema:Corporation&name=Legend%20Group")
    form = page.find_element(By.ID, "new-entity")
    form.find_element(By.ID, "schema:foundingDate.0").send_keys("1984")
    # The park, the organisation, where a place is wanted.
    pick_from_completion(
        page, form.find_element(By.ID, "schema:location.0"), "Zhongguancun Scien", "Zhongguancun Science Park <"
    )
    form.find_element(By.ID, "source-input").send_keys(SOURCE)
    form.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    _wait(
        page, lambda d: d.find_elements(By.CSS_SELECTOR, "#field-schema\\:location .field-messages.error"), "no message"
    )
    message = page.find_element(By.CSS_SELECTOR, "#field-schema\\:location .field-messages.error").text
    assert message.startswith("location (schema:location): schema:location of an organisation must be a place")
    assert not page.find_elements(By.ID, "commit")
    # The refusal is a 422, which Chrome logs as a failed load: expected here, and the only entry.
    logged = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert logged and all("status of 422" in m for m in logged), logged
    assert not ask(base, f"ASK {{ <{base}id/legend-group> ?p ?o }}")
    check_layout(page, "new-entity-refused")
