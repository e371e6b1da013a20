"""The shape of the package: SQL only in the engine, no import cycle, no private name crossing
modules, every hook of the engine protocol documented and implemented."""

import ast
import inspect
import re
from collections import defaultdict
from pathlib import Path

from tastemaker.engine import DuckDBEngine
from tastemaker.engine.base import Engine

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "tastemaker"
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                 r"CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?TABLE|DROP\s+TABLE|COPY\s*\()", re.S)
ENGINE_CALLS = {"execute", "executemany", "fetchall", "fetchone", "fetchnumpy", "fetchmany", "sql"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        yield ".".join(parts), is_pkg, path, ast.parse(path.read_text(encoding="utf-8"))


def _docstrings(tree) -> set[int]:
    """ids of the string nodes that are docstrings (of the module, classes and functions)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _resolve(current: str, is_pkg: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = current.split(".") if is_pkg else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


#: modules that run SQL on another application's database (never the warehouse): each named here
FOREIGN_DATABASES = {"tastemaker.imports.navidrome": "Navidrome's SQLite file, opened read-only"}


def test_no_sql_runs_outside_the_engine():
    found = []
    for name, _, path, tree in _modules():
        if name.startswith("tastemaker.engine"):
            continue
        if name in FOREIGN_DATABASES:     # ... but never the warehouse's driver or the engine
            imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names] + [
                n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
            assert not [m for m in imported if "duckdb" in m or "engine" in m or "pyspark" in m], name
            continue
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] in ("duckdb", "pyspark") for n in names):
                    found.append(f"{where} imports a database driver")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ENGINE_CALLS:
                found.append(f"{where} calls .{node.func.attr}()")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                    and SQL.search(node.value):
                found.append(f"{where} holds SQL: {node.value.strip()[:60]!r}")
    assert not found, "SQL outside tastemaker.engine:\n" + "\n".join(found)


def test_the_check_finds_sql_where_it_is():
    """The scan above is not vacuous: the engine itself is full of what it looks for."""
    hits = 0
    for name, _, _, tree in _modules():
        if name.startswith("tastemaker.engine.duckdb"):
            docs = _docstrings(tree)
            hits += sum(isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
                        and bool(SQL.search(n.value)) for n in ast.walk(tree))
    assert hits > 50


def _import_graph():
    modules = {name: (is_pkg, tree) for name, is_pkg, _, tree in _modules()}
    graph, private = defaultdict(set), []
    for name, (is_pkg, tree) in modules.items():
        for node in ast.walk(tree):                      # function-level imports included
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_pkg, node.level, node.module)
                targets = [((f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base), a.name)
                           for a in node.names]
            else:
                continue
            for target, imported in targets:
                if target in modules and target != name:
                    graph[name].add(target)
                    if imported and imported.startswith("_") and not imported.startswith("__") \
                            and f"{target}.{imported}" not in modules:
                        private.append(f"{name} imports {imported} from {target}")
    return graph, private


def test_no_import_cycle_and_no_private_name_crosses_modules():
    graph, private = _import_graph()
    assert not private, "\n".join(private)
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_hook_of_the_engine_protocol_is_documented_and_implemented():
    hooks = sorted(Engine.__abstractmethods__)
    assert len(hooks) > 80
    undocumented = [h for h in hooks if not (inspect.getdoc(getattr(Engine, h)) or "").strip()]
    assert not undocumented, undocumented
    engine = DuckDBEngine.open(None)            # an ABC with a missing hook cannot be instantiated
    try:
        assert isinstance(engine, Engine) and engine.kind == "duckdb"
        for h in hooks:
            impl = getattr(type(engine), h)
            assert getattr(impl, "__isabstractmethod__", False) is False, h
    finally:
        engine.close()
