"""The package's layers point down only, and no module imports in a circle.

Read from the source (ast), not by importing: a deferred import inside a
function counts like any other, so no cycle can hide behind one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "workbench"

# Bottom first. A module may import from its own layer or below, never above. Entries are
# module names relative to the package; a name ending in "." covers a whole subpackage.
LAYERS: list[tuple[str, ...]] = [
    ("contract", "errors", "geo", "objective", "words", "outputs", "extras", "engine.tuning", "engine.budget",
     "scenario.limits"),
    ("timeutil", "csvfile"),
    ("scenario.types",),
    ("availability", "scenario.cells"),
    ("index", "rules", "scenario.settings", "scenario.plausible"),
    ("validate", "kpis"),
    ("scenario.check", "scenario.files", "scenario.write"),
    ("scenario.read",),
    ("scenario.edit", "scenario.generate", "scenario", "datasets", "whatif"),
    ("engine.candidates", "engine.plan", "compare"),
    ("engine.bound", "engine.greedy", "engine.agreed", "engine.continuity", "engine.explain", "engine.formulation",
     "engine.select"),
    ("engine.timing", "engine.crossweek", "engine.rounding"),
    ("engine.weekly",),
    ("result",),
    ("engine.pipeline",),
    ("engine",),
    ("",),  # the package itself: its public API
    ("export", "export.", "views", "experiments", "experiments.", "simulate", "simulate."),
    ("ui", "ui.", "cli"),
]


def _parents(name: str) -> set[str]:
    """The subpackages a module lives in (not the top package, which always loads first)."""
    parts = name.split(".")
    return {".".join(parts[:k]) for k in range(1, len(parts))}


def modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def layer(name: str) -> int:
    best, found = -1, None
    for k, entries in enumerate(LAYERS):
        for e in entries:
            if name == e or (e.endswith(".") and name.startswith(e)):
                length = len(e)
                if length > best:
                    best, found = length, k
    if found is None:
        raise AssertionError(f"module workbench.{name} has no layer in tests/test_layers.py: give it one")
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules ``name`` imports (relative or absolute, at any depth of the file)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = [p for p in package if p]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + (node.module.split(".") if node.module else []))
            elif node.module and (node.module == "workbench" or node.module.startswith("workbench.")):
                target = node.module[len("workbench."):] if node.module != "workbench" else ""
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                out.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "workbench" or alias.name.startswith("workbench."):
                    out.add(alias.name[len("workbench."):] if alias.name != "workbench" else "")
    out.discard(name)
    return {m for m in out if m in known}


GRAPH = {name: imports(name, path, modules()) for name, path in modules().items()}
# Importing ``a.b.c`` first runs the __init__ of the subpackage ``a.b``: an edge too, unless the
# importer lives in that subpackage (its __init__ is then already running, the usual pattern).
RUNTIME = {name: targets | {p for t in targets for p in _parents(t) if p not in _parents(name) and p != name}
           for name, targets in GRAPH.items()}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_point_down(name: str) -> None:
    """A module imports only from its own layer or below (LAYERS above)."""
    upward = sorted(t or "(package)" for t in GRAPH[name] if layer(t) > layer(name))
    assert not upward, f"workbench.{name or '(package)'} (layer {layer(name)}) imports from above: {upward}"


def test_no_module_imports_in_a_circle() -> None:
    """The import graph has no cycle, deferred imports and subpackage __init__ files included."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in RUNTIME[m]:
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " → ".join(path[path.index(t):] + [t]))
            if t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in GRAPH:
        if m not in state:
            visit(m)
