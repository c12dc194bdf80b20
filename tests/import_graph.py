"""The project's import graph, read with `ast`, checked against the dependency rules the README states.

    python -m tests.import_graph        prints the package edges; exit 1 on a violation (`make lint` runs it)

Every `import` and `from ... import` of every project module counts, function-level ones included
(a hidden import is still a dependency). Rules:
- package edges: only those in ALLOWED (the README's "Dependencies" section says the same);
- the node reaches the runtime only through its client surface (RUNTIME_SURFACE_FOR_NODE): never a
  pallet, never frame internals beyond errors and state reading;
- no cycle between modules, function-level imports included (a function-level import that only
  dodges an import-time cycle is still a cycle); imports under `if TYPE_CHECKING:` (annotations,
  never executed) are edges of the package graph but not of the cycle check.
"""
from __future__ import annotations

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("node", "runtime", "primitives", "consensus", "p2p", "storage", "genesis", "tools", "tests")

ALLOWED = {
    "node": {"runtime", "consensus", "p2p", "storage", "genesis", "primitives"},
    "runtime": {"primitives", "consensus"},
    "consensus": {"primitives"},
    "storage": {"primitives"},
    "p2p": set(),
    "genesis": {"runtime", "primitives"},        # genesis storage is built by the pallets' genesis configs
    "primitives": set(),
    # clients of nodes; the others as libraries (the CLI entry, offline chain generation, extrinsic
    # encoding, peer ids); nothing imports tools
    "tools": {"node", "runtime", "genesis", "p2p", "primitives"},
    "tests": set(PACKAGES),
}
# What of the runtime the node may import: its APIs (and their table), block execution, extrinsic format,
# metadata, version.
RUNTIME_SURFACE_FOR_NODE = ("runtime.api", "runtime.apis", "runtime.api_table", "runtime.block_execution",
                            "runtime.extrinsic", "runtime.metadata", "runtime.version")
# What of consensus the runtime may import: the Yuma kernel only.
CONSENSUS_FOR_RUNTIME = ("consensus.yuma",)


def modules() -> dict[str, pathlib.Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import statements inside `if TYPE_CHECKING:` blocks."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, (ast.Name, ast.Attribute)) and \
                (getattr(node.test, "id", None) or getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def imports_of(name: str, path: pathlib.Path) -> list[tuple[str, bool]]:
    """(imported module, runs at all? i.e. not under `if TYPE_CHECKING:`) for every import in the file."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = _type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) not in typing_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import sub` depends on pkg.sub (and pkg's __init__ runs first, as for any import
            # of pkg.sub: that is not an edge of its own); `from pkg import name` depends on pkg
            found += [(f"{target}.{alias.name}", id(node) not in typing_only) for alias in node.names]
    return found


def resolve(target: str, known: dict[str, pathlib.Path]) -> str | None:
    """The project module an import names (the longest known prefix: `pkg.name` of `from pkg import
    name` resolves to pkg.name if that is a module, else to pkg), or None if not ours."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def graph() -> dict[str, set[tuple[str, bool]]]:
    known = modules()
    edges: dict[str, set[tuple[str, bool]]] = {}
    for name, path in known.items():
        out = set()
        for target, runs in imports_of(name, path):
            resolved = resolve(target, known)
            if resolved is not None and resolved != name:
                out.add((resolved, runs))
        edges[name] = out
    return edges


def violations() -> list[str]:
    edges = graph()
    problems = []
    for source, targets in edges.items():
        src_pkg = source.split(".")[0]
        for target, _top in sorted(targets):
            dst_pkg = target.split(".")[0]
            if dst_pkg == src_pkg:
                continue
            if dst_pkg not in ALLOWED[src_pkg]:
                problems.append(f"{source} -> {target}: {src_pkg} may not import {dst_pkg}")
            elif src_pkg == "node" and dst_pkg == "runtime" and not target.startswith(RUNTIME_SURFACE_FOR_NODE):
                problems.append(f"{source} -> {target}: the node uses the runtime only through its API surface")
            elif src_pkg == "runtime" and dst_pkg == "consensus" and not target.startswith(CONSENSUS_FOR_RUNTIME):
                problems.append(f"{source} -> {target}: the runtime uses only consensus.yuma")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges)]
    return problems


def cycles(edges: dict[str, set[tuple[str, bool]]]) -> list[list[str]]:
    """Cycles among imports that run, at any level (Tarjan's strongly connected components)."""
    succ = {m: sorted({t for t, runs in ts if runs}) for m, ts in edges.items()}
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in succ.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(succ):
        if v not in index:
            visit(v)
    return out


def package_edges() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for source, targets in graph().items():
        for target, _top in targets:
            a, b = source.split(".")[0], target.split(".")[0]
            if a != b:
                out.setdefault(a, set()).add(b)
    return out


def main() -> int:
    for package, targets in sorted(package_edges().items()):
        if package != "tests":
            print(f"{package} -> {', '.join(sorted(targets))}")
    problems = violations()
    for line in problems:
        print(f"import graph: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
