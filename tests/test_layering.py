"""The package's modules import in one direction: no cycle among the imports they run at module
level, and the config's two readers apart. (Annotations may name a type of a module that imports
this one back, under ``if TYPE_CHECKING:``: that runs nothing.)"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "krm_fn"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    nodes: list[ast.stmt] = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.If):
            if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
                continue  # annotations only
            nodes.extend(node.body + node.orelse)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("krm_fn"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("krm_fn"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports at module level."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _top_level_imports(ast.parse(path.read_text())) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_config_readers_do_not_import_each_other_back() -> None:
    edges = graph()
    assert "krm_fn.config" not in edges["krm_fn.settings"]
    assert "krm_fn.identity" in edges["krm_fn.settings"]
    assert "krm_fn.identity" in edges["krm_fn.config"]
