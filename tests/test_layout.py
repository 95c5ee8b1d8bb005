"""The layout's promises that import-linter cannot see: no import cycles (function-level imports
included), no module over 400 lines, the TUI loaded by the CLI only to start the app, and every
private Textual name in ``tui/internals.py`` alone."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scenario_tui"
MAX_LINES = 400
INTERNALS = PACKAGE / "tui" / "internals.py"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> list[tuple[str, ast.AST, bool]]:
    """(imported module, node, at module level) for every import in the file, lazy ones too."""
    tree = ast.parse(path.read_text(), str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            # "from pkg import module" imports the submodule when there is one
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        found.extend((name, node, id(node) in top_level) for name in names)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _node, _top in _imports(path):
            while target and target not in MODULES:  # an attribute of a module: its module
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("scenario_tui"):
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_is_read():
    """The checks below see real edges (a parser that read nothing would pass them all)."""
    graph = _graph()
    assert "scenario_tui.core.errors" in graph["scenario_tui.core.ids"]
    assert any(t.startswith("scenario_tui.tui") for t in graph["scenario_tui.tui.app"])
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_in_a_cycle():
    """Lazy imports count too: a cycle hidden in a function is still a cycle of design."""
    assert _cycles(_graph()) == []


def test_no_module_is_over_400_lines():
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_cli_imports_the_tui_only_inside_functions():
    """``scenario-tui --version`` and the scripting commands never pay for Textual."""
    eager = [f"{name}: {target}" for name, path in MODULES.items()
             if name.startswith("scenario_tui.cli")
             for target, _node, top in _imports(path)
             if top and (target.startswith("scenario_tui.tui") or target.startswith("textual"))]
    assert eager == []


def _textual_private_names() -> set[str]:
    from textual.app import App
    from textual.driver import Driver
    from textual.screen import ModalScreen, Screen
    from textual.scroll_view import ScrollView
    from textual.widget import Widget
    from textual.widgets import DataTable, Input, Static, TextArea

    names: set[str] = set()
    for cls in (App, Driver, Screen, ModalScreen, ScrollView, Widget, DataTable, Input, Static,
                TextArea):
        for klass in inspect.getmro(cls):
            if klass.__module__.startswith("textual"):
                names.update(n for n in vars(klass)
                             if n.startswith("_") and not n.startswith("__"))
    return names


def _private_textual_uses(path: Path, private: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private:
            uses.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in private:
            uses.append(f"{path.name}:{node.lineno} def {node.name}")
    return uses


def test_private_textual_names_live_only_in_the_internals_module():
    """Each is a debt with a reason and a figure (tui/internals.py); anywhere else it hides."""
    private = _textual_private_names()
    assert "_display" in private and "_scroll_update" in private  # the scan sees them
    assert _private_textual_uses(INTERNALS, private), "internals.py names none: scan broken?"
    outside = [use for name, path in MODULES.items()
               if name.startswith("scenario_tui.tui") and path != INTERNALS
               for use in _private_textual_uses(path, private)]
    assert outside == []


@pytest.mark.parametrize("name", ["scenario_tui.core", "scenario_tui.api", "scenario_tui.store",
                                  "scenario_tui.service", "scenario_tui.fake", "scenario_tui.cli",
                                  "scenario_tui.tui"])
def test_each_layer_is_a_package(name):
    assert name in MODULES and MODULES[name].name == "__init__.py"


def test_sniffio_is_a_dependency_of_ours_not_only_of_the_test_extras():
    """httpcore (under httpx) imports sniffio on every request; missing, each import searches the
    path and fails again, about 1 ms of CPU a request. The SDK (a test extra) brings it, so the
    tests alone would never miss it: the package must ask for it itself."""
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    assert any(dep.split(">")[0].split("=")[0].strip() == "sniffio"
               for dep in project["dependencies"])
