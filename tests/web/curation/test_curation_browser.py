"""Curation in a real headless Chromium, on a live ``zkg serve`` of its own (it writes), whose
base IRI is its own URL, loaded from the project's real graph/: a curator signs in with a
token, adds a statement on Zhang Shousheng's page (the property chosen from the list by its
label, the organisation by its name from the search completion, the source required), sees it
on the page with its changeset, attributed to them and to the source, finds it in the
history with the statement by its labels, and reverts it, confirming with a reason.

The browser and its checks (no console error, CSP violations included; no request leaving
loopback) are those of the editor's browser test.
``ZKG_CURATION_SCREENSHOT=/path.png`` saves the entity page with the form.
"""

from __future__ import annotations

import os

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import WAIT
from tests.support.live_server import serve_at_own_url

SOURCE = "https://example.org/interviews/zhang-shousheng-2024"


@pytest.fixture(scope="module")
def curation_server(tmp_path_factory):
    from zkg.curation import tokens

    data = tmp_path_factory.mktemp("curation-browser") / "zkg-data"
    server = serve_at_own_url(data)
    server.token = tokens.create(data, "wang.curator", scope=tokens.WRITE)
    yield server
    server.stop()


def _wait(driver, condition, message: str):
    # Elements of the page being left go stale while the next one loads: ask again. Chrome
    # may also answer a lookup made mid-navigation with a generic inspector error ("Node with
    # given id does not belong to the document"): the same race, so ask again too.
    def asked_again(d):
        try:
            return condition(d)
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return False
            raise

    waiting = WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    return waiting.until(asked_again, message)


def _affiliated(base: str) -> bool:
    query = f"ASK {{ <{base}id/zhang-shousheng> <https://schema.org/affiliation> <{base}id/zhongguancun-development-group> }}"
    response = requests.get(
        base + "sparql", params={"query": query}, timeout=30, headers={"Accept": "application/sparql-results+json"}
    )
    return response.json()["boolean"]


def test_sign_in_add_a_statement_see_it_attributed_and_revert_it(curation_server, page):
    base = curation_server.url
    page.set_window_size(1400, 1000)
    entity = base + "page/id/zhang-shousheng"

    # Anonymous: no form, a way to sign in.
    page.get(entity)
    assert not page.find_elements(By.ID, "add-statement")
    page.find_element(By.LINK_TEXT, "Sign in to add or correct facts").click()
    page.find_element(By.NAME, "token").send_keys(curation_server.token)
    page.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
    _wait(page, lambda d: d.current_url == entity, "signing in did not lead back to the page")
    assert "Signed in as wang.curator." in page.find_element(By.ID, "curation").text

    # The form: the property by its label from the list, the organisation by its name.
    form = page.find_element(By.ID, "add-statement")
    properties = page.execute_script(
        "return Array.from(document.querySelectorAll('#zkg-properties option')).map(o => [o.value, o.textContent])"
    )
    assert ["schema:affiliation", "affiliation"] in properties
    form.find_element(By.NAME, "property").send_keys("affiliation")
    value = form.find_element(By.NAME, "value")
    value.send_keys("Zhongguancun Develop")
    wanted = "Zhongguancun Development Group <"
    _wait(
        page,
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#zkg-entities option')).some(o => o.value.startsWith(arguments[0]))",
            wanted,
        ),
        "the search did not offer Zhongguancun Development Group",
    )
    choice = page.execute_script(
        "return Array.from(document.querySelectorAll('#zkg-entities option')).map(o => o.value)"
        ".find(v => v.startsWith(arguments[0]))",
        wanted,
    )
    assert choice == f"Zhongguancun Development Group <{base}id/zhongguancun-development-group>"
    value.clear()
    value.send_keys(choice)  # what picking the suggestion puts in the field
    # The source is required: the browser will not send the form without it.
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert page.current_url == entity and not _affiliated(base)
    form = page.find_element(By.ID, "add-statement")
    form.find_element(By.NAME, "source").send_keys(SOURCE)
    form.find_element(By.NAME, "message").send_keys("he advises the group")
    screenshot = os.environ.get("ZKG_CURATION_SCREENSHOT")
    if screenshot:
        page.save_screenshot(screenshot)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    # Back on the page: the statement, its changeset, by whom and from where.
    _wait(page, lambda d: "Added: changeset" in d.find_element(By.ID, "curation").text, "no confirmation")
    assert _affiliated(base)
    row = next(
        tr
        for tr in page.find_elements(By.CSS_SELECTOR, "table.facts tbody tr")
        if "Zhongguancun Development Group" in tr.text
    )
    assert row.find_element(By.CSS_SELECTOR, "td.source-cell a").get_attribute("href") == SOURCE  # its source
    latest = page.find_element(By.CSS_SELECTOR, "#curation .change")
    assert "wang.curator" in latest.text and SOURCE in latest.text and "he advises the group" in latest.text
    changeset = latest.get_attribute("data-changeset")

    # The history of the entity has it, attributed, the statement by its labels; reverting it
    # asks for confirmation and a reason (issue 16).
    page.find_element(By.CSS_SELECTOR, "#curation a.history-link").click()
    _wait(page, lambda d: "/history" in d.current_url, "the history link did not open the history")
    history_url = page.current_url
    entry = page.find_element(By.CSS_SELECTOR, f'.change[data-changeset="{changeset}"]')
    assert "wang.curator" in entry.text and SOURCE in entry.text
    added = entry.find_element(By.CSS_SELECTOR, ".statement-added").text
    assert "Zhang Shousheng" in added and "affiliation" in added and "Zhongguancun Development Group" in added
    entry.find_element(By.CSS_SELECTOR, "a[data-revert]").click()
    _wait(page, lambda d: d.find_elements(By.ID, "revert-form"), "the revert link did not open its confirmation")
    would = page.find_element(By.CSS_SELECTOR, "#revert-form").find_element(By.XPATH, "..").text
    assert "It would remove" in would and "Zhongguancun Development Group" in would
    assert _affiliated(base)  # the confirmation is a dry run
    form = page.find_element(By.ID, "revert-form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()  # no reason: the browser keeps the form
    assert page.find_elements(By.ID, "revert-form") and _affiliated(base)
    form.find_element(By.NAME, "reason").send_keys("the interview does not say so")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(page, lambda d: d.current_url == history_url, "the revert did not lead back to the history")
    _wait(
        page,
        lambda d: "reverted by" in d.find_element(By.CSS_SELECTOR, f'.change[data-changeset="{changeset}"]').text,
        "the history does not show the revert",
    )
    assert not _affiliated(base)
    revert_row = page.find_element(By.CSS_SELECTOR, ".change")  # the newest: the revert, with its reason
    assert "the interview does not say so" in revert_row.text and "no source" in revert_row.text
    assert "wang.curator" in revert_row.text and f"reverts {changeset}" in revert_row.text
    page.get(entity)
    assert "Zhongguancun Development Group" not in page.find_element(By.CSS_SELECTOR, "table.facts").text


def test_names_offered_while_typing_show_hidden_characters_written_out(curation_server, page):
    # A person whose name holds a right-to-left override: the list curate.js fills from the
    # search writes it \u202E (zkg/rdf/visible.py), and the IRI is read back exactly.
    base = curation_server.url
    name = "Mallory\u202e yrollaM"
    update = (
        f"INSERT DATA {{ <{base}id/mallory> a <https://schema.org/Person> ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "{name}"@en ; <https://schema.org/name> "{name}"@en }}'
    )
    written = requests.post(
        base + "sparql",
        data=update.encode(),
        timeout=60,
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {curation_server.token}",
            "ZKG-Source": SOURCE,
        },
    )
    assert written.status_code == 200, written.text
    entity = base + "page/id/zhang-shousheng"
    page.get(entity)
    if not page.find_elements(By.ID, "add-statement"):
        page.get(base + "sign-in?next=/page/id/zhang-shousheng")
        page.find_element(By.NAME, "token").send_keys(curation_server.token)
        page.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()
        _wait(page, lambda d: d.current_url == entity, "signing in did not lead back to the page")
    page.find_element(By.ID, "add-statement").find_element(By.NAME, "value").send_keys("Mallory")
    options = "return Array.from(document.querySelectorAll('#zkg-entities option')).map(o => [o.value, o.textContent])"
    _wait(
        page,
        lambda d: any(v.startswith("Mallory") for v, _ in d.execute_script(options)),
        "the search did not offer Mallory",
    )
    offered = page.execute_script(options)
    assert all("\u202e" not in value + text for value, text in offered)
    assert [f"Mallory\\u202E yrollaM <{base}id/mallory>", "Person"] in offered
