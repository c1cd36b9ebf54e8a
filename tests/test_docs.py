"""The documentation says what the code does: every setting, variable, command, option and
route the code has is documented, nothing documented is gone from the code, the generated
parts are current, and the site builds without a warning.

What the code has is read from the code itself (``docs/zkg_reference.py``, which imports
zkg in one place, ``docs/_zkg_names.py``): the fields of ``Settings``, the ``ZKG_*`` names
the package reads or mentions, the CLI's parser, the URL map of ``create_app()``.
"""

from __future__ import annotations

import re
import subprocess
import sys

import zkg_reference as reference
from cogapp import Cog

import zkg

REPO = reference.REPO
DOCS = REPO / "docs"
#: The README's test command, kept verbatim: CI (.ci/run) runs exactly this line.
TEST_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
#: CI's last step (issue 18): zkg's pace against its engine, above the floors.
SPEED_CHECK = ".venv/bin/python -m benchmarks.regression"
RUN_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/zkg load && .venv/bin/zkg serve"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def headings(text: str, level: int) -> list[str]:
    """The text of every heading of ``level`` (``#`` count), outside code blocks."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#" * level + " "):
            found.append(line[level + 1 :].strip())
    return found


def section(text: str, heading: str) -> str:
    """From a heading line to the next heading of the same or a higher level."""
    lines = text.splitlines()
    start = lines.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    end = next((i for i in range(start + 1, len(lines)) if re.match(rf"#{{1,{level}}} ", lines[i])), len(lines))
    return "\n".join(lines[start:end])


def block_after(text: str, heading: str) -> str:
    """The first fenced code block after ``heading``, without its fences."""
    rest = text[text.index(heading) :]
    match = re.search(r"```[a-z]*\n(.*?)\n```", rest, re.S)
    assert match, f"no code block after {heading!r}"
    return match.group(1)


# -- settings and variables ----------------------------------------------------------------------


def test_every_setting_has_a_section():
    documented = headings(page("reference/settings.md"), 3)
    missing = [s.variable for s in reference.settings() if f"`{s.variable}`" not in documented]
    assert not missing, f"settings without a section (### `ZKG_…`) in docs/reference/settings.md: {missing}"


def test_every_variable_the_code_reads_has_a_section():
    documented = headings(page("reference/settings.md"), 3)
    missing = {name: files for name, files in reference.variables_read().items() if f"`{name}`" not in documented}
    assert not missing, f"variables read by the code without a section in docs/reference/settings.md: {missing}"


def test_every_zkg_name_of_the_code_is_on_the_settings_page():
    """Variables, and the keys of create_app's configuration."""
    text = page("reference/settings.md")
    missing = sorted(name for name in reference.names_in_code() if f"`{name}`" not in text)
    assert not missing, f"ZKG_* names of the code not on docs/reference/settings.md: {missing}"


def test_no_section_for_a_variable_the_code_no_longer_reads():
    read = set(reference.variables_read())
    stale = [
        h for h in headings(page("reference/settings.md"), 3) if h.startswith("`ZKG_") and h.strip("`") not in read
    ]
    assert not stale, f"docs/reference/settings.md documents variables the code does not read: {stale}"


def test_every_variable_the_tests_read_is_in_contributing():
    pattern = re.compile(r"""environ\.get\(\s*["'](ZKG_[A-Z0-9_]+)["']|getenv\(\s*["'](ZKG_[A-Z0-9_]+)["']""")
    read = set()
    for path in (REPO / "tests").rglob("*.py"):
        read |= {a or b for a, b in pattern.findall(path.read_text(encoding="utf-8"))}
    text = page("contributing.md")
    missing = sorted(name for name in read if f"`{name}`" not in text)
    assert read and not missing, f"variables the tests read, not in docs/contributing.md: {missing}"


# -- the command line --------------------------------------------------------------------------


def test_every_command_has_a_section_with_each_of_its_options():
    text = page("reference/cli.md")
    for command in reference.commands():
        top = command.split(" ")[0]
        assert f"`zkg {top}`" in headings(text, 2), f"no section ## `zkg {top}` in docs/reference/cli.md"
        body = section(text, f"## `zkg {top}`")
        assert f"zkg {command}" in body, f"`zkg {command}` is not in its section of docs/reference/cli.md"
        missing = [o for o in reference.option_strings(command) if not re.search(rf"`{re.escape(o)}`", body)]
        assert not missing, f"options of `zkg {command}` not in its section of docs/reference/cli.md: {missing}"


def test_the_global_options_are_documented():
    body = section(page("reference/cli.md"), "## Global options")
    for action in reference.options("", with_global=True):
        for spelling in action.option_strings:
            if spelling not in ("-h", "--help"):
                assert f"`{spelling}`" in body, f"global option {spelling} not in docs/reference/cli.md"


def test_no_section_for_a_command_that_is_gone():
    commands = {c.split(" ")[0] for c in reference.commands()}
    stale = [
        h for h in headings(page("reference/cli.md"), 2) if h.startswith("`zkg ") and h.strip("`")[4:] not in commands
    ]
    assert not stale, f"docs/reference/cli.md documents commands that do not exist: {stale}"


# -- the HTTP routes ------------------------------------------------------------------------------


def test_every_route_has_a_section_naming_its_methods():
    text = page("reference/http-api.md")
    documented = headings(text, 3)
    for route in reference.routes():
        heading = f"`{route.rule}`"
        assert heading in documented, f"no section ### {heading} in docs/reference/http-api.md"
        body = section(text, f"### {heading}")
        unsaid = [m for m in route.methods if m not in ("HEAD", "OPTIONS") and not re.search(rf"\b{m}\b", body)]
        assert not unsaid, f"the section of {route.rule} does not say what {unsaid} do"


def test_no_section_for_a_route_that_is_gone():
    rules = {route.rule for route in reference.routes()}
    stale = [h for h in headings(page("reference/http-api.md"), 3) if h.strip("`") not in rules]
    assert not stale, f"docs/reference/http-api.md documents routes the app does not have: {stale}"


# -- generated parts, the README, the changelog -------------------------------------------------


def test_the_generated_parts_are_current(capsys):
    status = Cog().main(reference.cog_arguments("--check"))
    said = capsys.readouterr()
    assert status == 0, (
        "a generated part of the docs is stale; regenerate with "
        f"`.venv/bin/cog -r -I docs -I . {' '.join(reference.GENERATED_PAGES)}`\n" + said.out + said.err
    )


def test_the_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert block_after(readme, "## Test it") == TEST_COMMAND
    ci = [
        line
        for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ci[-2] == TEST_COMMAND, ".ci/run must run the README's test command, verbatim, before the speed check"
    assert ci[-1] == SPEED_CHECK, ".ci/run must end with the speed check the contributing page names"
    assert f"`{SPEED_CHECK.removeprefix('.venv/bin/')}`" in page("contributing.md")
    assert block_after(page("getting-started.md"), "## Test it") == TEST_COMMAND


def test_the_readme_run_command_is_the_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert block_after(readme, "## Run it") == RUN_COMMAND
    assert block_after(page("getting-started.md"), "## Run it") == RUN_COMMAND


def test_the_readme_is_short_and_its_links_into_the_docs_hold():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200, "the README is the way in; the rest belongs in docs/"
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", readme)
    assert links, "the README links into docs/"
    broken = [link for link in links if not (REPO / link).is_file()]
    assert not broken, f"README links to missing pages: {broken}"


def test_the_changelog_names_the_version():
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    first = headings(changelog, 2)[0]
    assert zkg.__version__ in first, f"CHANGELOG.md's first section ({first!r}) is not version {zkg.__version__}"


def test_zkg_is_imported_in_one_place_by_the_docs():
    """So that moving a module means editing docs/_zkg_names.py only."""
    importing = sorted(
        p.name
        for p in DOCS.glob("*.py")
        if re.search(r"^\s*(from zkg[. ]|import zkg)", p.read_text(encoding="utf-8"), re.M)
    )
    assert importing == ["_zkg_names.py", "conf.py"], importing
    assert "from zkg import __version__" in page("conf.py")


# -- the site ------------------------------------------------------------------------------------


def test_the_site_builds_without_a_warning(tmp_path):
    # About two seconds for the whole site, so not marked slow: the inner loop catches it too.
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert built.returncode == 0 and not built.stderr.strip(), built.stderr
    assert (tmp_path / "html" / "reference" / "http-api.html").is_file()
