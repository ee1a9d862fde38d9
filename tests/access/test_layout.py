"""The shape of the imports: the pages of cases, evidence and export ask `access`, never
`shares`, and no module of these capabilities imports itself back in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "caseapp"
CAPABILITIES = ("access", "cases", "custody", "evidence", "export", "shares")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """What a module imports when it loads: its top-level statements, not TYPE_CHECKING
    blocks or imports inside functions (those run later, once everything is loaded)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name for name in names if name in known)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {
        _module_name(path): path
        for capability in CAPABILITIES
        for path in (PACKAGE / capability).rglob("*.py")
    }
    return {name: _top_level_imports(path, set(paths)) for name, path in paths.items()}


def test_cases_evidence_and_export_import_nothing_of_shares():
    offenders = [
        f"{name} imports {target}"
        for name, targets in _graph().items()
        if name.split(".")[1] in ("cases", "evidence", "export")
        for target in targets
        if target.startswith("caseapp.shares")
    ]
    assert offenders == []


def test_no_capability_imports_another_ones_views():
    offenders = [
        f"{name} imports {target}"
        for name, targets in _graph().items()
        for target in targets
        if target.endswith(".views") and target.split(".")[1] != name.split(".")[1]
    ]
    assert offenders == []


def test_no_module_imports_itself_back_in_a_circle():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(name: str) -> None:  # Tarjan: every strongly connected set of modules
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in graph[name]:
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member == name:
                    break
            if len(members) > 1:
                circles.append(sorted(members))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    assert circles == []
