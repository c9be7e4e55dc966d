"""The walls hold: the import-linter layers, and no import circle between modules at load."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import annotator

PACKAGE = Path(annotator.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, here: str) -> set[str]:
    """Return the dotted names one import statement may load, relative ones resolved."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        parent = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
        base = f"{parent}.{base}" if base else parent
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


def _load_time_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Return what a module imports while it loads: not in functions, not for type checkers."""
    found: set[str] = set()
    here = name if is_package else name.rpartition(".")[0]

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(_targets(node, here))
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, []))
            elif isinstance(node, ast.ExceptHandler):
                visit(node.body)

    visit(tree.body)
    return found


def import_graph() -> dict[str, set[str]]:
    """Map each annotator module to the annotator modules its loading runs first.

    Importing a.b.c runs a and a.b too, unless they are packages the importer sits in
    (those are already loading when it runs).
    """
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")
             if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = _edges(name, files,
                             _load_time_imports(tree, name, path.name == "__init__.py"))
    return graph


def _edges(name: str, files: dict, targets: set[str]) -> set[str]:
    """Return the annotator modules that importing ``targets`` runs, bar name's own packages."""
    own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
    edges = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            step = ".".join(parts[:i])
            if step in files and step not in own:
                edges.add(step)
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            strongconnect(node)
    return found


def test_no_two_modules_import_each_other_while_loading():
    assert cycles(import_graph()) == []


def test_the_circle_finder_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_the_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True,
                            cwd=PACKAGE.parent, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Branching on what a message says ties behaviour to its English words: outcomes carry a
# kind (an exception class, a code, a flag) and the words are only shown.
_TEXT_BRANCH = re.compile(
    r"""\b(?:reason|message|saved|error|detail|msg)\s*(?:\.startswith\(|\.endswith\(|"""
    r"""[!=]=\s*['"])""")


def test_no_code_branches_on_the_english_text_of_a_message():
    found = []
    for path in [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "templates").rglob("*.html")]:
        if "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _TEXT_BRANCH.search(line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert found == []


def test_the_text_branch_finder_sees_one():
    assert _TEXT_BRANCH.search('return not reason.startswith("You cannot ")')
    assert _TEXT_BRANCH.search("{% if saved and saved.startswith('Saved') %}")
    assert _TEXT_BRANCH.search("{% if saved == 'Source added.' %}")
    assert not _TEXT_BRANCH.search("if isinstance(refusal, review.WrongState):")
    assert not _TEXT_BRANCH.search("{% if saved and saved_form == 'claim' %}")


def _all_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Return everything a module imports, at load time or inside functions."""
    found: set[str] = set()
    here = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(_targets(node, here))
    return found


def full_import_graph() -> tuple[dict[str, set[str]], int]:
    """Map each module to every annotator module it imports, function-level imports
    included; return the graph and how many imports sit inside functions."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    in_functions = 0
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                in_functions += sum(isinstance(inner, ast.Import | ast.ImportFrom)
                                    and "annotator" in ast.unparse(inner)
                                    for inner in ast.walk(node))
        graph[name] = _edges(name, files, _all_imports(tree, name, path.name == "__init__.py"))
    return graph, in_functions


def test_no_circle_even_through_imports_inside_functions():
    graph, in_functions = full_import_graph()
    # A function-level import hides a circle from the load-time check above; counted here
    # (lazy imports keep the CLI's start-up quick), and none may close a circle.
    assert in_functions > 0
    assert cycles(graph) == []


_QUERY_CALLS = {"exec", "execute", "scalar", "scalars", "query"}
_BUILDERS = {"select", "func", "update", "delete", "insert", "text", "and_", "or_", "not_"}


def test_no_view_of_web_or_api_runs_a_query_itself():
    found = []
    for folder in ("web", "api"):
        for path in (PACKAGE / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    method = node.func.attr
                    first = node.args[0] if node.args else None
                    model_get = (method == "get" and isinstance(first, ast.Name)
                                 and first.id[:1].isupper())
                    if method in _QUERY_CALLS or model_get:
                        found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:80]}")
                elif isinstance(node, ast.ImportFrom) and node.module in (
                        "sqlmodel", "sqlalchemy") and {a.name for a in node.names} & _BUILDERS:
                    found.append(f"{path.name}:{node.lineno}: imports a query builder")
    assert found == []
