"""The house keeps its floors: a contract over the import graph of ``bot/``.

Floors, bottom up: the knowledge (with the form's data, ``form_spec``); the understanding (``nlu``) and
the store, side by side; the engine (``dialogue``); the top floor (web, leads, tools, the app and its
command line). A module may import its own floor and the floors below, never above; nothing imports in
a circle; only the store talks to Redis; the floors below the top know no HTTP, no WeChat, no Redis.
Every import counts, also those inside functions; only ``if TYPE_CHECKING:`` blocks are left out.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bot"

FLOORS = {  # what each part of the bot may import besides itself
    "bot.form_spec": set(),
    "bot.knowledge": {"bot.form_spec"},
    "bot.nlu": {"bot.knowledge", "bot.form_spec"},
    "bot.config": {"bot.store.accounts"},
    "bot.store": {"bot.knowledge", "bot.form_spec", "bot.config"},
    "bot.dialogue": {"bot.nlu", "bot.store", "bot.knowledge", "bot.form_spec"},
}
WEB_LIBRARIES = ("flask", "wechatpy", "redis")
LOWER_FLOORS = ("bot.knowledge", "bot.nlu", "bot.dialogue")
# the modules the route table takes its handlers from: none imports another (the table composes them)
HANDLER_MODULES = ("bot.dialogue.campaigns", "bot.dialogue.form", "bot.dialogue.form_pause", "bot.dialogue.general",
                   "bot.dialogue.search")
# replies several handlers give (an answer from the knowledge, the menu): they import no handler module
SHARED_REPLIES = ("bot.dialogue.answers", "bot.dialogue.menu")


def _module_name(path: Path) -> tuple[str, str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST, package: str):
    todo = [tree]
    while todo:
        node = todo.pop()
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                todo.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module
                names = [f"{module}.{alias.name}" for alias in child.names]
                if not all(_is_module(n) for n in names):  # `from . import sub` imports sub, not the package
                    yield module
                yield from names
            todo.append(child)


def import_graph() -> dict[str, set[str]]:
    """module → everything it names in an import (modules, and names inside them)."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name, package = _module_name(path)
        graph[name] = set(_imports(ast.parse(path.read_text(encoding="utf-8")), package))
    return graph


def _within(name: str, part: str) -> bool:
    return name == part or name.startswith(part + ".")


def _floor(module: str) -> str | None:
    return max((part for part in FLOORS if _within(module, part)), key=len, default=None)


def _module_edges(graph):
    modules = set(graph)
    edges = {}
    for module, names in graph.items():
        # a name inside a module counts as that module; `from pkg import sub` as the submodule
        edges[module] = {max((m for m in modules if _within(n, m)), key=len) for n in names
                         if any(_within(n, m) for m in modules)} - {module}
    return edges


def _cycles(edges) -> list[list[str]]:
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
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
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert "bot.knowledge.loader" in graph["bot.knowledge.consistency"] or \
        "bot.knowledge.problems" in graph["bot.knowledge.consistency"]  # relative, inside a function
    assert any(_within(n, "flask") for n in graph["bot.app"])
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import flask\nimport redis\n")
    assert set(_imports(tree, "bot")) == {"typing", "typing.TYPE_CHECKING", "redis"}
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_cycles():
    assert _cycles(_module_edges(import_graph())) == []


def test_each_floor_imports_only_the_floors_below():
    wrong = []
    for module, names in import_graph().items():
        floor = _floor(module)
        if floor is None:
            continue  # the top floor may import anything of the bot
        allowed = FLOORS[floor] | {floor}
        wrong += [f"{module} → {n}" for n in sorted(names)
                  if _within(n, "bot") and n != "bot" and not any(_within(n, a) for a in allowed)]
        wrong += [f"{module} → bot" for n in names if n == "bot"]
    assert wrong == []


def test_handlers_do_not_import_each_other():
    edges = _module_edges(import_graph())
    wrong = [f"{module} → {other}" for module in HANDLER_MODULES for other in sorted(edges[module])
             if other in HANDLER_MODULES]
    wrong += [f"{module} → {other}" for module in SHARED_REPLIES for other in sorted(edges[module])
              if other in HANDLER_MODULES or other in SHARED_REPLIES]
    assert wrong == []


def test_every_handler_of_the_table_comes_from_a_handler_module():
    from bot.dialogue import table

    routes = [*table.ANYWHERE, *(r for group in (table.BEFORE, table.TABLE, table.AFTER)
                                 for routes in group.values() for r in routes)]
    homes = {route.run.__module__ for route in routes}
    assert homes <= {*HANDLER_MODULES, *SHARED_REPLIES, "bot.dialogue.table"}, homes
    assert set(HANDLER_MODULES) <= homes  # the list names no module the table has stopped using


def test_only_the_store_talks_to_redis():
    wrong = [f"{module} → {n}" for module, names in import_graph().items() if not _within(module, "bot.store")
             for n in sorted(names) if _within(n, "redis")]
    assert wrong == []


def test_the_lower_floors_import_no_web_library():
    wrong = [f"{module} → {n}" for module, names in import_graph().items()
             if any(_within(module, floor) for floor in LOWER_FLOORS)
             for n in sorted(names) if any(_within(n, lib) for lib in WEB_LIBRARIES)]
    assert wrong == []


def test_importing_the_lower_floors_loads_no_web_library():
    modules = sorted(m for m in import_graph() if any(_within(m, floor) for floor in LOWER_FLOORS))
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}:\n    importlib.import_module(name)\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {WEB_LIBRARIES!r})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(modules) > 30
    assert json.loads(out.stdout) == []


def test_the_store_imports_no_web_library():
    wrong = [f"{module} → {n}" for module, names in import_graph().items() if _within(module, "bot.store")
             for n in sorted(names) if _within(n, "flask") or _within(n, "wechatpy")]
    assert wrong == []


# `kb check` and `kb test` gather every part's sentences from plain lists, not from the parts themselves:
# they import only the floors below the top (and the list), so they run without Flask, wechatpy or Redis
KB_TOOLS = ("bot.sentences", "bot.tools.kb_check", "bot.tools.kb_test")


def test_the_knowledge_tools_import_no_part_of_the_top_floor_and_no_web_library():
    graph = import_graph()
    wrong = [f"{module} → {n}" for module in KB_TOOLS for n in sorted(graph[module])
             if (_within(n, "bot") and _floor(n) is None and not any(_within(n, t) for t in (*KB_TOOLS, "bot.tools")))
             or any(_within(n, lib) for lib in WEB_LIBRARIES)]
    assert wrong == []
    assert any(_within(n, "bot.store.memory") for n in graph["bot.tools.kb_test"])  # the graph sees them
