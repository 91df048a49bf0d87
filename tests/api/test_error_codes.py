"""The documented error codes are the ones the code raises.

``ERROR_CODES`` (bihuan/core/api_errors.py) is what the OpenAPI description and docs/api.md tell
clients to expect. It is kept by hand, so this test reads every service's source: each
``DomainError`` subclass and each ``raise SomeError(..., code="…")`` with a literal code must
appear under the status that error class answers with. A new code raised anywhere without being
documented fails here, naming the file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from bihuan.core.api_errors import ERROR_CODES

SOURCE = Path(__file__).resolve().parents[2] / "bihuan"
BASE = {"DomainError": (400, "invalid")}


@dataclass(frozen=True)
class Raised:
    code: str
    status: int
    where: str


def _modules() -> list[tuple[Path, ast.Module]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = set(path.relative_to(SOURCE).parts)
        if parts & {"tests", "migrations", "testing"}:
            continue
        found.append((path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return found


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(modules: list[tuple[Path, ast.Module]]) -> dict[str, tuple[int, str]]:
    """Every DomainError subclass by name: (status, default code), inherited through bases."""
    classes = dict(BASE)
    definitions = [
        node
        for _path, module in modules
        for node in ast.walk(module)
        if isinstance(node, ast.ClassDef)
    ]
    changed = True
    while changed:
        changed = False
        for node in definitions:
            if node.name in classes:
                continue
            parents = [classes[n] for b in node.bases if (n := _name(b)) in classes]
            if not parents:
                continue
            status, code = parents[0]
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                    for target in statement.targets:
                        value = statement.value.value
                        if isinstance(target, ast.Name) and target.id == "status":
                            assert isinstance(value, int), f"{node.name}.status"
                            status = value
                        if isinstance(target, ast.Name) and target.id == "code":
                            code = str(value)
            classes[node.name] = (status, code)
            changed = True
    return classes


def raised_codes() -> list[Raised]:
    modules = _modules()
    classes = _error_classes(modules)
    raised = [Raised(code, status, f"class {name}") for name, (status, code) in classes.items()]
    for path, module in modules:
        for node in ast.walk(module):
            if not (isinstance(node, ast.Call) and _name(node.func) in classes):
                continue
            status = classes[str(_name(node.func))][0]
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
                    raised.append(Raised(str(keyword.value.value), status, where))
    return raised


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = {(r.code, r.status) for r in raised_codes()}
    # A code raised with an explicit code= and a class default, at their statuses.
    assert ("ticket_closed", 409) in codes
    assert ("not_found", 404) in codes
    assert ("unknown_reference", 422) in codes


def test_every_raised_code_is_documented_under_its_status() -> None:
    missing = sorted(
        {
            f"{r.status} {r.code} ({r.where})"
            for r in raised_codes()
            if r.code not in ERROR_CODES.get(r.status, [])
        }
    )
    assert not missing, "undocumented error codes (add them to ERROR_CODES):\n" + "\n".join(missing)
