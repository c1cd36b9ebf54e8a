"""The store facade as a contract (zkg.store.facade): both stores implement StoreFacade, with
every member and compatible signatures; what only some can do is declared in their
capabilities, and no module probes a store for an attribute (``getattr(store, …)``).

The assignments in :func:`_typed` are the static half, for mypy
(``mypy tests/architecture/test_store_facade.py``, run here when mypy is installed); the
tests below check the same at run time with :mod:`inspect`. Each check is shown failing on a
made-up case, so none passes by default.
"""

from __future__ import annotations

import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zkg.serve.workers import WorkerEngine
from zkg.store.facade import Capabilities, EngineSupervisor, PassesEngineBytes, StoreFacade, passes_engine_bytes
from zkg.store.local import Store
from zkg.store.managed_engine import ManagedEngine
from zkg.store.remote import RemoteStore

REPO = Path(__file__).resolve().parents[2]
BASE = "http://zkg.test/"
ENGINE = "http://127.0.0.1:9/query"  # nothing is sent: the stores are only built


def _typed(engine: ManagedEngine, worker: WorkerEngine) -> None:
    """Never called: mypy checks that each value is of the protocol it is assigned to."""
    local: StoreFacade = Store.open(base_iri=BASE)
    remote: StoreFacade = RemoteStore(ENGINE, base_iri=BASE)
    raw: PassesEngineBytes = RemoteStore(ENGINE, base_iri=BASE)
    managed: EngineSupervisor = engine
    in_a_worker: EngineSupervisor = worker
    del local, remote, raw, managed, in_a_worker


# -- what a protocol asks, and whether a class gives it ---------------------------------------


def members(protocol: type) -> dict[str, str]:
    """The protocol's members (its own and those of the protocols it extends), each
    "method", "property" or "attribute"."""
    found: dict[str, str] = {}
    for cls in reversed(protocol.__mro__):
        if not getattr(cls, "_is_protocol", False) or cls.__module__ == "typing":
            continue
        found.update({name: "attribute" for name in cls.__dict__.get("__annotations__", {})})
        for name, value in vars(cls).items():
            if name.startswith("_"):
                continue
            if isinstance(value, property):
                found[name] = "property"
            elif inspect.isfunction(value):
                found[name] = "method"
    return found


def signature_problems(expected: inspect.Signature, actual: inspect.Signature) -> list[str]:
    """How ``actual`` fails to accept every call ``expected`` allows (annotations are mypy's)."""
    problems = []
    given = actual.parameters
    for name, wanted in expected.parameters.items():
        have = given.get(name)
        if have is None:
            problems.append(f"no parameter {name}")
            continue
        keyword_ok = (
            wanted.kind is inspect.Parameter.KEYWORD_ONLY and have.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        if have.kind is not wanted.kind and not keyword_ok:
            problems.append(f"{name} is {have.kind.description}, not {wanted.kind.description}")
        if have.default != wanted.default:
            problems.append(f"{name} defaults to {have.default!r}, not {wanted.default!r}")
    positional = [n for n, p in expected.parameters.items() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    if [n for n in given if n in positional] != positional:
        problems.append(f"positional parameters in another order: {list(given)}")
    for name, have in given.items():
        if (
            name not in expected.parameters
            and have.default is inspect.Parameter.empty
            and have.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ):
            problems.append(f"{name} is required, and the protocol does not give it")
    return problems


def conformance_problems(protocol: type, instance: object) -> list[str]:
    """Every member of ``protocol`` missing from ``instance`` or not as the protocol has it."""
    cls = type(instance)
    problems = []
    for name, kind in members(protocol).items():
        static = inspect.getattr_static(cls, name, None)
        if kind == "method":
            if not inspect.isfunction(static):
                problems.append(f"{cls.__name__}.{name}: not a method")
                continue
            wanted = inspect.signature(getattr(protocol, name))
            problems += [f"{cls.__name__}.{name}: {p}" for p in signature_problems(wanted, inspect.signature(static))]
        elif static is None and name not in vars(instance):
            problems.append(f"{cls.__name__}.{name}: missing")
        elif inspect.isfunction(static):
            problems.append(f"{cls.__name__}.{name}: a method, where the protocol has a {kind}")
    return problems


@pytest.fixture
def local():
    store = Store.open(base_iri=BASE)
    yield store
    store.close()


@pytest.mark.parametrize("protocol", [StoreFacade, PassesEngineBytes, EngineSupervisor])
def test_the_protocols_have_members(protocol):
    assert len(members(protocol)) >= 5


def test_the_local_store_is_a_store_facade(local):
    assert conformance_problems(StoreFacade, local) == []


def test_the_remote_store_is_a_store_facade_that_passes_engine_bytes():
    remote = RemoteStore(ENGINE, base_iri=BASE)
    assert conformance_problems(StoreFacade, remote) == []
    assert conformance_problems(PassesEngineBytes, remote) == []


def test_both_engine_supervisors_are_what_the_remote_store_asks_for(tmp_path):
    engine = ManagedEngine(tmp_path, query_timeout=1, executable="oxigraph")
    worker = WorkerEngine(tmp_path, parent=1, in_flight=None, slot=0)
    assert conformance_problems(EngineSupervisor, engine) == []
    assert conformance_problems(EngineSupervisor, worker) == []


def test_a_missing_member_or_a_changed_signature_is_found(local):
    class Narrow:
        base_iri = BASE

        def query(self, sparql, *, default_graph=None):  # no named_graphs, …
            ...

        def count(self, graph, extra):  # graph required, and one more
            ...

        capabilities = Capabilities()

    found = conformance_problems(StoreFacade, Narrow())
    assert "Narrow.prefixes: missing" in found
    assert "Narrow.query: no parameter named_graphs" in found
    assert "Narrow.count: graph defaults to <class 'inspect._empty'>, not None" in found
    assert "Narrow.count: extra is required, and the protocol does not give it" in found
    assert "Narrow.update: not a method" in found


def test_capabilities_are_declared_not_probed(local):
    assert local.capabilities == Capabilities(in_process=True)
    assert passes_engine_bytes(local) is None
    remote = RemoteStore(ENGINE, base_iri=BASE)
    assert remote.capabilities == Capabilities(engine_bytes=True)
    assert passes_engine_bytes(remote) is remote
    supervised = RemoteStore(base_iri=BASE, supervisor=WorkerEngine(Path("/nonexistent"), 1, None, 0))
    assert supervised.capabilities.supervised_engine


# -- no probes ---------------------------------------------------------------------------------

#: ``getattr(store, …)``, ``hasattr(self.store, …)``, ``setattr(self._supervisor, …)``: a
#: store (or its supervisor) asked for an attribute instead of declaring what it has.
PROBE = re.compile(r"\b(?:get|has|set)attr\(\s*[\w.\[\]\"']*?(?:store|supervisor)\b", re.IGNORECASE)


def probes(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PROBE.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_no_module_probes_a_store_for_an_attribute():
    assert probes(REPO / "zkg") == []


def test_a_probe_is_found(tmp_path):
    (tmp_path / "a.py").write_text(
        'x = getattr(store, "supervisor", None)\n'
        'y = hasattr(self._store, "query_raw")\n'
        'z = getattr(self.supervisor, "read_only_reason", None)\n'
        'w = getattr(result, "close", None)\n'
    )
    assert [p.split(":")[1] for p in probes(tmp_path)] == ["1", "2", "3"]


# -- mypy (the test extra installs it) ---------------------------------------------------------------


def test_mypy_agrees_that_both_stores_are_store_facades(tmp_path):
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert mypy is not None, "mypy comes with the test extra (pyproject.toml)"
    wrong = tmp_path / "wrong.py"  # the check failing: a class short of the facade
    wrong.write_text(
        "from zkg.store.facade import StoreFacade\n"
        "class Narrow:\n    base_iri = 'x'\n"
        "def f() -> None:\n    store: StoreFacade = Narrow()\n"
    )
    checked = subprocess.run(
        [
            mypy,
            "--follow-imports=silent",
            "--ignore-missing-imports",
            "--no-error-summary",
            "--cache-dir=/dev/null",
            str(Path(__file__)),
            str(wrong),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith(str(wrong) + ":5:"), checked.stdout[-3000:]
