"""The shape of the package, checked (docs/architecture.md): the layers' one-way rule and the
web areas' independence (import-linter's contracts in pyproject.toml, run here as CI runs
them), no import circle between modules, and no module reaching for another's private names.

Each check is shown failing on a made-up package in ``test_*_catches``: a check that cannot
fail would prove nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "zkg"


def circles(package: str) -> list[tuple[str, str]]:
    """Pairs of modules each reaching the other through imports (function-level ones too)."""
    graph = grimp.build_graph(package, cache_dir=None)
    found = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if graph.chain_exists(importer=imported, imported=importer):
                found.add(tuple(sorted((importer, imported))))
    return sorted(found)


def private_imports(root: Path, package: str) -> list[str]:
    """``from zkg.x import _name`` anywhere but in zkg.x itself."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join((package, *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.split(".")[0] == package
                and node.module != module
            ):
                found += [
                    f"{module}:{node.lineno} imports {a.name} from {node.module}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return found


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    program = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(program), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_layers_and_the_web_areas_keep_their_contracts():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def test_no_module_is_in_an_import_circle():
    assert circles("zkg") == []


def test_no_module_imports_the_private_names_of_another():
    assert private_imports(PACKAGE, "zkg") == []


# -- each check fails where it should ----------------------------------------------------------


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A package ``toy`` with two layers, written to ``tmp_path``."""
    root = tmp_path / "toy"
    for name in ("__init__.py", "low/__init__.py", "high/__init__.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    (root / "low" / "a.py").write_text("_secret = 1\n")
    (root / "high" / "b.py").write_text("from toy.low import a\n")
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""
        [tool.importlinter]
        root_package = "toy"
        [[tool.importlinter.contracts]]
        name = "toy layers"
        type = "layers"
        layers = ["toy.high", "toy.low"]
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    for name in [m for m in sys.modules if m == "toy" or m.startswith("toy.")]:
        del sys.modules[name]


def test_an_upward_import_breaks_the_contract(toy):
    assert lint_imports(toy.parent).returncode == 0
    (toy / "low" / "a.py").write_text("def f():\n    from toy.high import b\n")  # inside a function too
    result = lint_imports(toy.parent)
    assert result.returncode != 0 and "toy.low.a -> toy.high.b" in result.stdout


def test_a_circle_is_found(toy):
    assert circles("toy") == []
    (toy / "low" / "c.py").write_text("from toy.low import a\n")
    (toy / "low" / "a.py").write_text("def f():\n    from toy.low import c\n")
    assert circles("toy") == [("toy.low.a", "toy.low.c")]


def test_a_private_import_is_found(toy):
    assert private_imports(toy, "toy") == []
    (toy / "high" / "b.py").write_text("from toy.low.a import _secret\n")
    assert private_imports(toy, "toy") == ["toy.high.b:1 imports _secret from toy.low.a"]
