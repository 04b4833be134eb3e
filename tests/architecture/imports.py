"""The project's import graph, read from the source with ``ast`` (no module is imported).

Every ``import`` counts wherever it stands — at module level, inside a function, under
``if TYPE_CHECKING:`` — because a late import that dodges a cycle is still a cycle in the
design. ``docs/architecture.md`` draws the layers this checks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Lowest first. A module may import its own package and any package on a lower layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("config",),
    ("storage",),
    ("collectors", "nlp"),
    ("scoring",),
    ("grapevine",),
    ("app",),
)
PACKAGES = tuple(name for layer in LAYERS for name in layer)


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def project_modules() -> dict[str, Path]:
    """Dotted name → file for every module of the project's packages (tests excluded)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        single = ROOT / f"{package}.py"
        if single.is_file():
            modules[package] = single
            continue
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic loads these by path; they import nothing of ours
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _targets(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        for alias in node.names:
            yield f"{prefix}.{alias.name}"  # a submodule, when there is one by that name


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports. ``from pkg import name`` is an edge to
    ``pkg.name`` when that is a module, else to ``pkg``: a package's ``__init__`` that
    re-exports its own modules is not a cycle, a module that imports its parent's
    re-exports back is."""
    modules = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for target in _targets(node, name, is_package):
                # the longest project module that the dotted target names
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if parts and ".".join(parts) != name:
                    graph[name].add(".".join(parts))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for every import that crosses into another package on the same or a
    higher layer."""
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            same_package = module.split(".")[0] == target.split(".")[0]
            if not same_package and layer_of(target) >= layer_of(module):
                bad.append(f"{module} -> {target}")
    return bad


if __name__ == "__main__":
    g = import_graph()
    for c in cycles(g):
        print("cycle:", " ".join(c))
    for line in upward_imports(g):
        print("upward:", line)
