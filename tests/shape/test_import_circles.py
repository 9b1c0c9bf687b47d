"""No import circle: neither between modules nor between the top-level packages.

The packages are layered (docs/architecture.md, and tests/shape/test_layers.py for who may import whom): `common`
imports nothing of the project; `client` stands on it; `hardware` and `cockpit` (the figures: rollups, KPIs,
reports) stand on `common`; `caller` (the service, its API and the presenters above it, such as the cockpit's
routes and the what-if replay) imports them; `records` plugs into the service; the apps (`kiosk`, `display`,
`caller_console`, `uikit`) stand on `common`, `client` and `hardware`; `demo` and `bench` are tools on top.
An import inside a function counts like any other (it is the same dependency, only later); imports under
``if TYPE_CHECKING:`` do not (they name types and never run).
"""
from __future__ import annotations

import ast
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
SKIP = {"tests", "bench", ".venv", ".git", "out", "build", "dist"}
# Circles allowed on purpose, each with its reason (none today: the PostgreSQL store is chosen by
# caller.pgstore.open_store, above both stores).
ON_PURPOSE: set[tuple[str, str]] = set()


def _modules() -> dict[str, pathlib.Path]:
    mods = {}
    for path in REPO.rglob("*.py"):
        rel = path.relative_to(REPO)
        if rel.parts[0] in SKIP or any(part.startswith(".") for part in rel.parts) or len(rel.parts) < 2:
            continue
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        mods[name] = path
    return mods


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST):
    """Every import statement outside ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    tops = {m.split(".")[0] for m in mods}

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for target in targets:
                found = resolve(target) if target.split(".")[0] in tops else None
                if found and found != mod and not mod.startswith(found + ".") and (mod, found) not in ON_PURPOSE:
                    edges[mod].add(found)
    return edges


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts with more than one member (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on, stack, out = set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        out.append(sorted(part))
    return out


GRAPH = import_graph()


def test_no_module_imports_itself_round_a_circle():
    assert circles(GRAPH) == [], "break these circles (move the shared part down, or the user of both up)"


# The programs that compose the server with its plug-ins (caller/plugins.py): they name records' plug-in list,
# and nothing of the product imports them (test below), so no circle can run through them. Their edges are left out
# of the package graph, not of the module graph.
COMPOSITION_ROOTS = {"caller.__main__", "caller.testing"}


def test_no_package_imports_itself_round_a_circle():
    packages: dict[str, set[str]] = {}
    for mod, targets in GRAPH.items():
        if mod in COMPOSITION_ROOTS:
            continue
        top = mod.split(".")[0]
        packages.setdefault(top, set()).update(t.split(".")[0] for t in targets if t.split(".")[0] != top)
    assert circles(packages) == [], (
        "these packages import each other; code that needs the service and the cockpit's or records' parts belongs "
        "in caller (presenters above the service), shared helpers in a leaf package")


def test_common_imports_nothing_of_the_project():
    assert not {t for m, ts in GRAPH.items() if m.split(".")[0] == "common" for t in ts if not t.startswith("common")}


def test_the_check_sees_a_circle_when_there_is_one():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_programs_name_the_plug_ins_and_nothing_imports_them():
    tools = ("demo", "bench")
    into_records = {m for m, ts in GRAPH.items() if m.startswith("caller") and any(t.startswith("records") for t in ts)}
    assert into_records <= COMPOSITION_ROOTS, into_records - COMPOSITION_ROOTS
    importers = {m for m, ts in GRAPH.items() if ts & COMPOSITION_ROOTS and not m.startswith(tools)}
    assert importers <= COMPOSITION_ROOTS, importers
