"""The shape of the code: one direction of imports, no import circles, Whoosh behind one door.

Read from the source (every import statement, those inside functions too) and
checked in fresh interpreters, so that an import side effect cannot hide.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("", "index", "search")


def modules() -> dict[str, Path]:
    found = {}
    for folder in LIBRARY:
        for path in sorted((ROOT / folder).glob("*.py")):
            name = "hsearch" + (f".{folder}" if folder else "") + ("" if path.stem == "__init__" else f".{path.stem}")
            found[name] = path
    return found


def imported(name: str, path: Path) -> Iterator[str]:
    """Every module ``path`` imports, anywhere in it, as an absolute name."""
    package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def project_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imported(name, path) if m in known and m != name} for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_among_the_projects_modules() -> None:
    assert cycles(project_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_build_side_never_imports_the_query_side_or_the_cli() -> None:
    for name, path in modules().items():
        if name.startswith("hsearch.index"):
            bad = {m for m in imported(name, path) if m.startswith(("hsearch.search", "click"))}
            assert not bad, (name, bad)


def test_whooshs_private_attributes_are_read_in_one_module_only() -> None:
    """``_name`` attributes of objects other than ``self``/``cls`` on the full-text side, outside whoosh_compat."""
    offenders = []
    for name, path in modules().items():
        if name == "hsearch.index.whoosh_compat":
            continue
        source = path.read_text(encoding="utf-8")
        if "whoosh" not in source:
            continue
        tree = ast.parse(source)
        own = {node.attr for node in ast.walk(tree)  # private attributes this module's own classes set
               if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
               and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls", "os", "sys"):
                    continue
                if node.attr in own:
                    continue
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert offenders == []


def _fresh(code: str) -> str:
    """What ``code`` prints in a new interpreter, with none of the environment hsearch may set."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                            env=env)
    return result.stdout.strip()


@pytest.mark.parametrize("module", ["hsearch.search.fusion", "hsearch.index.encoders", "hsearch.search.modes",
                                    "hsearch.search.relevance"])
def test_light_modules_load_no_whoosh(module: str) -> None:
    loaded = _fresh(f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('whoosh')))")
    assert loaded == "[]"


def test_importing_the_engine_patches_nothing_and_opening_an_index_installs_the_fixes(seed_index: Path) -> None:
    code = (
        "from whoosh import matching\n"
        "from whoosh.filedb import structfile\n"
        "before = (structfile.BufferFile.__init__, matching.AndNotMatcher._find_first)\n"
        "import hsearch.search.engine, hsearch.search.server, hsearch.search.cli\n"
        "from hsearch.index import whoosh_compat\n"
        "after = (structfile.BufferFile.__init__, matching.AndNotMatcher._find_first)\n"
        "print(before == after, whoosh_compat.installed())\n"
        f"engine = hsearch.search.engine.SearchEngine({str(seed_index)!r})\n"
        "print(whoosh_compat.installed())\n"
    )
    assert _fresh(code).split() == ["True", "False", "True"]


def test_importing_the_package_writes_no_environment_variable_and_faiss_sets_the_wait_policy() -> None:
    code = ("import os; before = dict(os.environ)\n"
            "import hsearch.index.vectors, hsearch.index.encoders, hsearch.index.atomic, hsearch.search.engine\n"
            "print(sorted(set(os.environ.items()) ^ set(before.items())))\n"
            "hsearch.index.vectors.faiss.IndexFlatIP\n"
            "print(os.environ.get('OMP_WAIT_POLICY'))")
    assert _fresh(code).splitlines() == ["[]", "PASSIVE"]


def test_every_exception_class_is_defined_once() -> None:
    defined: dict[str, list[str]] = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and (node.name.endswith("Error") or node.name.endswith("Exception")):
                defined.setdefault(node.name, []).append(name)
    assert {cls: where for cls, where in defined.items() if len(where) > 1} == {}


def test_library_messages_name_no_cli_command() -> None:
    """Advice is data (:class:`hsearch.index.errors.Remedy`), worded by each edge: no shell commands in the library."""
    offenders = []
    for name, path in modules().items():
        if name.startswith("hsearch.search.cli") or name == "hsearch.search.server":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                      and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if "hsearch verify --" in node.value or "hsearch index --" in node.value:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
