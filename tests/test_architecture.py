"""The layers of docs/architecture.md, enforced: an app imports only from the layers below it.

    config                    (wires everything; imports any app)
    origination   stats       (siblings: neither imports the other)
    servicing
    loanregister              (the loan book and the register)
    common                    (shared tooling and records; imports no app)

A higher app adds to a lower one's pages and imports through `common.hooks`, never by being imported.
"""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ["common", "loanregister", "servicing", "origination", "stats"]

# What each app may import from the project's own apps.
ALLOWED = {
    "common": set(),
    "loanregister": {"common"},
    "servicing": {"common", "loanregister"},
    "origination": {"common", "loanregister", "servicing"},
    "stats": {"common", "loanregister", "servicing"},
}


def imported_apps(path: Path) -> list[tuple[int, str]]:
    """(line, app) for every import of one of our apps in a module, at any depth (function-level too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in APPS:
                found.append((node.lineno, top))
    return found


def violations(app: str) -> list[str]:
    bad = []
    for path in sorted((BASE_DIR / app).rglob("*.py")):
        for line, target in imported_apps(path):
            if target != app and target not in ALLOWED[app]:
                bad.append(f"{path.relative_to(BASE_DIR)}:{line}: {app} imports {target}")
    return bad


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_layers_below_it(app):
    assert violations(app) == []


def test_the_checker_finds_an_upward_import(tmp_path):
    # given a module that imports upwards, including inside a function
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from servicing.ledger import x\n    import stats.rates\n")
    # then both imports are seen
    assert imported_apps(module) == [(4, "servicing"), (5, "stats")]
