"""Which tests are ``live``, ``browser`` and ``remote``, decided at collection from what each
test uses (tests/conftest.py applies :func:`mark`), so that ``pytest -m "not live and not
browser"`` leaves out exactly the tests that need a real ``zkg serve`` or a Chromium.

- ``live``: the test, or one of its fixtures, or a function or class of the repository's own
  test code that these call (followed through tests/ and benchmarks/, however deep), names
  ``LiveServer`` (tests/support/live_server.py) or runs ``zkg serve`` itself (the ``ZKG``
  command, or ``zkg.cli.main``, with ``"serve"``);
- ``browser``: the test uses the ``browser`` fixture (``page`` uses it);
- ``remote``: the test is under tests/remote/.

The reading is of the code, not of names in a list, so a new test that starts a server is
marked without anyone remembering to. The other way round is checked at run time: a
``LiveServer`` started by a test not marked ``live`` fails at once
(:func:`tests.support.live_server.expect_live`).
"""

from __future__ import annotations

import dis
import importlib
import importlib.util
import inspect
from functools import cache
from pathlib import Path
from types import CodeType, FunctionType, ModuleType

import pytest

TESTS = Path(__file__).resolve().parents[1]
REMOTE = TESTS / "remote"
#: Whose code is followed: the tests' and the benchmark harness's (the soak and the smoke run
#: start their servers there); zkg's own and libraries' code never starts a test server.
FOLLOWED = (TESTS, TESTS.parent / "benchmarks")
#: The fixture that is a Chromium (tests/web/conftest.py).
BROWSER_FIXTURE = "browser"


@cache
def _followed(filename: str) -> bool:
    """Code of the tests or the benchmarks (or of a doctest of theirs)."""
    return filename.startswith("<doctest") or any(Path(filename).resolve().is_relative_to(r) for r in FOLLOWED)


def _codes(obj: object) -> list[tuple[CodeType, dict]]:
    """The code objects (with their globals) of a function, or of a class's methods, of the
    followed code; nothing for anything else."""
    obj = getattr(obj, "__func__", obj)
    if isinstance(obj, FunctionType):
        obj = inspect.unwrap(obj)
        return [(obj.__code__, obj.__globals__)] if _followed(obj.__code__.co_filename) else []
    if isinstance(obj, type):
        found = []
        for member in vars(obj).values():
            member = getattr(member, "__func__", getattr(member, "fget", member))
            if isinstance(member, FunctionType) and _followed(member.__code__.co_filename):
                found.append((member.__code__, member.__globals__))
        return found
    return []


def _starts_a_server(code: CodeType) -> bool:
    names = set(code.co_names) | set(code.co_varnames)
    zkg_command = "ZKG" in names or "zkg.cli.main" in code.co_consts
    return "LiveServer" in names or (zkg_command and "serve" in code.co_consts)


@cache
def _followed_module(name: str) -> ModuleType | None:
    """The module ``name`` if it is of the followed code (imported now if need be), else None.
    Nothing else is imported: finding a module imports its parent packages."""
    if name.split(".")[0] not in {root.name for root in FOLLOWED}:
        return None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not _followed(spec.origin):
        return None
    return importlib.import_module(name)


@cache
def _imported_here(code: CodeType) -> dict[str, object]:
    """What the imports inside a function bind (``from benchmarks import large``), for the
    followed code only: the name it is bound to, and the object."""
    bound, module, target = {}, None, None
    for instruction in dis.get_instructions(code):
        if instruction.opname == "IMPORT_NAME":
            module, target = instruction.argval, None
        elif instruction.opname == "IMPORT_FROM" and module:
            submodule = _followed_module(f"{module}.{instruction.argval}")
            parent = _followed_module(module)
            target = submodule or getattr(parent, instruction.argval, None)
        elif instruction.opname.startswith("STORE_") and target is not None:
            bound[instruction.argval], target = target, None
    return bound


def _called(code: CodeType, globals_: dict) -> list[tuple[CodeType, dict]]:
    """What ``code`` may call of the followed code: the functions and classes its names are
    bound to, and for a module of the followed code (``soak.soak(…)``), its functions and
    classes that ``code`` names as attributes."""
    found = []
    names = {**globals_, **_imported_here(code)}
    for name in (*code.co_names, *code.co_varnames):
        bound = names.get(name)
        if isinstance(bound, ModuleType) and _followed(getattr(bound, "__file__", None) or "<none>"):
            found += [pair for attribute in code.co_names for pair in _codes(getattr(bound, attribute, None))]
        else:
            found += _codes(bound)
    return found


def _reaches(code: CodeType, globals_: dict, seen: set[CodeType]) -> bool:
    if code in seen:
        return False
    seen.add(code)
    if _starts_a_server(code):
        return True
    nested = [c for c in code.co_consts if isinstance(c, CodeType)]  # lambdas, inner functions
    return any(_reaches(c, globals_, seen) for c in nested) or any(
        _reaches(c, g, seen) for c, g in _called(code, globals_)
    )


#: Fixtures are shared by many tests: each function is read once.
_answers: dict[tuple[CodeType, int], bool] = {}


def reaches_a_server(function: object) -> bool:
    """Whether ``function`` (a test or a fixture) starts a ``zkg serve``, itself or through the
    followed code it calls."""
    for code, globals_ in _codes(function):
        key = (code, id(globals_))
        if key not in _answers:
            _answers[key] = _reaches(code, globals_, set())
        if _answers[key]:
            return True
    return False


def _fixture_functions(item: pytest.Item) -> list[object]:
    """The functions of the fixtures ``item`` uses, directly or through other fixtures (the
    definition that applies to it, where a conftest or a module overrides another)."""
    definitions = item._fixtureinfo.name2fixturedefs  # pytest's own closure of the fixtures
    return [definitions[name][-1].func for name in item.fixturenames if definitions.get(name)]


def mark(items: list[pytest.Item]) -> None:
    """Add ``live``, ``browser`` and ``remote`` to the items they fit."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue  # doctests: no server, no browser
        if BROWSER_FIXTURE in item.fixturenames:
            item.add_marker(pytest.mark.browser)
        if reaches_a_server(item.function) or any(reaches_a_server(f) for f in _fixture_functions(item)):
            item.add_marker(pytest.mark.live)
        if item.path.is_relative_to(REMOTE):
            item.add_marker(pytest.mark.remote)
