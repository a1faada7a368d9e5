"""The package's layers: every import (inside functions too, TYPE_CHECKING blocks aside) goes to the
module's own package or a lower layer, and no module imports itself round a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "kzalign"

#: Layer of each top-level package of kzalign, lowest first (CONTRIBUTING.md, "Layout"). A module may
#: import from its own package and from packages of a strictly lower layer.
LAYERS: dict[str, int] = {
    "core": 0,
    "store": 1,
    "inputs": 2, "glossary": 2, "formats": 2,
    "engines": 3,
    "stages": 4,
    "": 5,  # kzalign/__init__.py: the public Python API
    "cli": 6,
}
MAX_FLAT_MODULES = 6


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The kzalign modules ``path`` imports at run time (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.split(".")[0] == "kzalign")
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    mod = ".".join(base + ([child.module] if child.module else []))
                else:
                    mod = child.module or ""
                if mod.split(".")[0] != "kzalign":
                    continue
                for alias in child.names:
                    sub = f"{mod}.{alias.name}"
                    found.add(sub if sub in modules else mod)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m != name}


def graph() -> dict[str, set[str]]:
    paths = sorted(PKG.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    top = parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else ""
    return top, LAYERS[top]


def test_every_package_has_a_layer() -> None:
    for module in graph():
        parts = module.split(".")
        if len(parts) > 2 or (len(parts) == 2 and (PKG / parts[1]).is_dir()):
            assert parts[1] in LAYERS, f"{module}: package {parts[1]!r} has no layer in LAYERS"


def test_imports_go_down_the_layers() -> None:
    bad = []
    for module, deps in graph().items():
        top, level = layer(module)
        for dep in deps:
            dtop, dlevel = layer(dep)
            if dtop != top and dlevel >= level:
                bad.append(f"{module} -> {dep} (layer {level} imports layer {dlevel})")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles() -> None:
    g = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(g.get(node, ())):
            if dep not in g:
                continue
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                walk(dep, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            walk(node, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_few_flat_modules() -> None:
    flat = sorted(p.name for p in PKG.glob("*.py"))
    assert len(flat) <= MAX_FLAT_MODULES, flat



def test_no_function_over_60_lines() -> None:
    """House rule (CONTRIBUTING.md): a function that does not fit a screen is split at its seams."""
    long = []
    for path in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > 60:
                    long.append(f"{module_name(path)}.{node.name}: {n} lines")
    assert not long, "\n".join(long)
