"""docs/commands.md indexes every management command of our apps, and the contract commands of docs/requirements.md
§3 exist."""

import re
from pathlib import Path

from django.core.management import get_commands

BASE_DIR = Path(__file__).resolve().parent.parent
OUR_APPS = {"common", "loanregister", "servicing", "origination", "stats"}
CONTRACT_COMMANDS = {
    "import_loans",
    "import_transactions",
    "import_exchange_rates",
    "export_maturities",
    "run_maturity_radar",
    "run_collection_reminders",
    "lending_stats",
    "seed_demo",
}


def _documented() -> set[str]:
    text = (BASE_DIR / "docs" / "commands.md").read_text()
    return set(re.findall(r"^\| `([a-z_]+)", text, re.M))


def _ours() -> set[str]:
    return {name for name, app in get_commands().items() if app in OUR_APPS}


def test_every_command_of_our_apps_is_in_docs_commands_md():
    undocumented = _ours() - _documented()
    assert not undocumented, f"add a line to docs/commands.md for: {sorted(undocumented)}"


def test_docs_commands_md_lists_only_commands_that_exist():
    # the contract commands are listed from the start; anything else listed must exist
    assert CONTRACT_COMMANDS <= _documented()
    stale = _documented() - _ours() - CONTRACT_COMMANDS
    assert not stale, f"docs/commands.md lists commands that do not exist: {sorted(stale)}"


# Contract commands of features no issue has asked for yet (the radar, collections, the statistics). docs/commands.md
# marks them as planned. The test below fails as soon as one is built, so that this list only ever shrinks.
NOT_YET_BUILT: set[str] = set()  # lending_stats is built (issue 13)


def test_the_contract_commands_of_the_requirements_exist():
    missing = CONTRACT_COMMANDS - _ours()
    assert missing == NOT_YET_BUILT, (
        f"docs/requirements.md §3 commands missing: {sorted(missing)}; planned: {sorted(NOT_YET_BUILT)}"
    )


def test_commands_not_yet_built_are_marked_planned_in_the_index():
    text = (BASE_DIR / "docs" / "commands.md").read_text()
    for name in NOT_YET_BUILT:
        line = next(row for row in text.splitlines() if row.startswith(f"| `{name}"))
        assert "planned" in line.lower(), line


# -- requirement ids -----------------------------------------------------------------------------------------------
RULE_ID = re.compile(r"\b(REG|SRV|COL|REC|LPO|STAT)-(\d+)\b")
TEST_ID = re.compile(r"\bdef test_(reg|srv|col|rec|lpo|stat)(\d+)_")


def _cited_rule_ids() -> dict[str, str]:
    """Rule id -> the first file that cites it, in the apps' code and templates and in the tests."""
    cited: dict[str, str] = {}
    for folder in [*sorted(OUR_APPS), "tests"]:
        for path in sorted((BASE_DIR / folder).rglob("*")):
            if path.suffix not in (".py", ".html") or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            found = [f"{a}-{n}" for a, n in RULE_ID.findall(text)]
            found += [f"{a.upper()}-{n}" for a, n in TEST_ID.findall(text)]
            for rule in found:
                cited.setdefault(rule, str(path.relative_to(BASE_DIR)))
    return cited


def test_every_rule_id_cited_in_code_and_tests_is_in_docs_requirements_md():
    # given the rules listed in the repository's own requirements
    listed = {
        f"{a}-{n}"
        for a, n in re.findall(
            r"^- ([A-Z]+)-(\d+) ", (BASE_DIR / "docs" / "requirements.md").read_text(), re.M
        )
    }
    # then every id a comment, docstring or test name cites is one of them
    unknown = {rule: where for rule, where in _cited_rule_ids().items() if rule not in listed}
    assert not unknown, f"rule ids cited but not in docs/requirements.md: {unknown}"
