"""The modules of nutgraf import one another without cycles.

The graph is read from the source: every ``import`` and ``from ... import`` a module runs when
it is imported (at its top level, under ``if TYPE_CHECKING:`` too, but not inside functions,
where an import is a deliberate lazy load).
"""

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "nutgraf"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def import_time_statements(tree: ast.AST):
    """The import statements run when the module is imported: all but those in functions."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from import_time_statements(node)


def imported(module: str, statement: ast.Import | ast.ImportFrom) -> set[str]:
    """The nutgraf modules ``statement`` in ``module`` imports."""
    if isinstance(statement, ast.Import):
        return {alias.name for alias in statement.names if alias.name in MODULES}
    target = statement.module or ""
    if statement.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - statement.level + 1]
        target = ".".join([*base, target] if target else base)
    found = set()
    for alias in statement.names:
        if f"{target}.{alias.name}" in MODULES:  # from a package import one of its modules
            found.add(f"{target}.{alias.name}")
        elif target in MODULES:
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set().union(*(imported(module, s) for s in import_time_statements(tree))) - {module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        path.append(module)
        for other in sorted(graph[module]):
            if cycle := visit(other):
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        if cycle := visit(module):
            return cycle
    return None


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert "nutgraf.store.base" in graph["nutgraf.jobs"]
    assert "nutgraf.api" in graph["nutgraf.server.app"]
    assert "nutgraf.api" not in graph["nutgraf.eval.cli"]  # imported inside a function only


def test_no_module_imports_itself_through_others():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)
