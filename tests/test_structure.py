"""The shape of the package, checked on every run: no import cycles between modules, no private
names imported across modules, and each package importing only the layers below it.

The check reads the source with ``ast`` (nothing is imported), and counts every import, including
the ones inside functions and under ``TYPE_CHECKING``: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "borderwatch"

# What each package may import, besides itself (see ARCHITECTURE.md). "core" is the modules at the
# package root (errors, atomic, tables, taxonomy, boxes, tiling, geoparquet, cli_common, ...).
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "datasets": {"core"},
    "detector": {"core", "datasets"},
    "geo": {"core", "detector"},
    "claims": {"core", "geo"},
    "report": {"core", "detector", "geo", "claims"},
    "training": {"core", "datasets", "detector"},
    "pipeline": {"core", "detector", "geo", "claims", "report"},
    "cli": {"core", "datasets", "detector", "geo", "claims", "report", "training", "pipeline"},
}


# Known imports against the layers, each with what would remove it. Keep this short.
LAYER_EXCEPTIONS = {
    # the trust check reads shipped model cards; the card schema is a shared contract that belongs
    # at the package root (borderwatch/card.py) once its users are not being edited
    ("borderwatch.trust", "borderwatch.detector.card"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:  # ``from pkg import module``
                    out.append((full, None, node.lineno))
                else:
                    out.append((base, alias.name, node.lineno))
    return [(m, n, line) for m, n, line in out if m == "borderwatch" or m.startswith("borderwatch.")]


def target(module: str, known: set[str]) -> str | None:
    """The known module an import resolves to (``import a.b.c`` of a function c resolves to a.b)."""
    while module and module not in known:
        module = module.rpartition(".")[0]
    return module or None


def graph() -> tuple[dict[str, set[str]], list[str]]:
    mods = modules()
    known = set(mods)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    private = []
    for name, path in mods.items():
        for module, taken, line in imports_of(name, path, known):
            resolved = target(module, known)
            if resolved is None or resolved == name:
                continue
            edges[name].add(resolved)
            if taken and taken.startswith("_") and not taken.startswith("__"):
                private.append(f"{path.relative_to(ROOT.parent)}:{line}: takes {taken} from {resolved}")
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
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


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if len(parts) == 2 and (ROOT / f"{parts[1]}.py").is_file():
        return "cli" if parts[1] == "cli" else "core"
    return parts[1]


def test_the_checker_sees_every_module_and_import():
    edges, _ = graph()
    assert "borderwatch.detector.run.driver" in edges
    assert "borderwatch.detector.run.runner" in edges["borderwatch.detector.run.driver"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    edges, _ = graph()
    found = cycles(edges)
    assert not found, "import cycles (lazy imports count):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_private_names_imported_across_modules():
    _, private = graph()
    assert not private, "private names imported from another module (make them public or move them):\n" + "\n".join(private)


def test_packages_import_only_the_layers_below():
    edges, _ = graph()
    wrong = []
    for module, targets in edges.items():
        own = layer_of(module)
        allowed = LAYERS.get(own, set()) | {own}
        for t in sorted(targets):
            if layer_of(t) not in allowed and (module, t) not in LAYER_EXCEPTIONS:
                wrong.append(f"{module} ({own}) imports {t} ({layer_of(t)})")
    assert not wrong, "imports against the layers of ARCHITECTURE.md:\n" + "\n".join(wrong)
