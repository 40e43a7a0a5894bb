"""How a higher app adds to what a lower one does, without the lower one importing it.

The core (loanregister) knows nothing of servicing, origination or the statistics. An app that builds on the
loan book registers here, in its `AppConfig.ready()`:

- `on_loans_imported(name, fn)`: `fn(loan_ids=..., user=..., balances=...)` runs inside the import's transaction
  after the loans are written, so it is all-or-nothing with them; what it returns is reported under `name`.
  `balances` is the file's new outstanding balance of loans that existed, by id: the import sets the balance of
  a loan it creates only, and servicing, the owner of the balance, books both in its ledger;
- `add_loan_panel(template)`: a template included on the loan page with the page's context (servicing's
  schedule and ledger panels);
- `add_navigation(url_name, label, permission, description=...)`: an entry in the navigation bar for users with
  the permission (or all of a tuple of permissions), listed with its description on the home page too;
- `add_demo_seeder(name, fn)`: `fn(loan_ids=..., today=..., seed=..., ledger=...)` runs in `seed_demo`'s
  transaction after the loans, their register events and (unless `ledger` is false) their opening balances are
  written, so an app gives the demo book its own life (arrears, applications, a year of flows); what it returns
  (a short summary) is reported under `name`.

Hooks run in the order the apps are listed in INSTALLED_APPS.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

LoansImported = Callable[..., object]


@dataclass(frozen=True)
class NavigationItem:
    url_name: str
    label: str
    # None: every signed-in user; "__staff__": staff only; a tuple: all of its permissions
    permission: str | tuple[str, ...] | None
    order: int
    description: str = ""


_loans_imported: dict[str, LoansImported] = {}
_loan_panels: list[str] = []
_navigation: list[NavigationItem] = []
_demo_seeders: dict[str, Callable[..., object]] = {}


def on_loans_imported(name: str, fn: LoansImported) -> None:
    _loans_imported[name] = fn


def loans_imported(
    *, loan_ids: Iterable[int], user=None, balances: dict[int, Decimal] | None = None
) -> dict[str, object]:
    """Tell the apps that these loans were created or changed by an import (or the demo seed), and the new
    balances the file gave loans that existed; returns what each hook returned, by its name."""
    ids = list(loan_ids)
    return {
        name: fn(loan_ids=ids, user=user, balances=balances or {}) for name, fn in _loans_imported.items()
    }


def add_loan_panel(template: str) -> None:
    if template not in _loan_panels:
        _loan_panels.append(template)


def loan_panels() -> list[str]:
    return list(_loan_panels)


def add_navigation(
    url_name: str,
    label: str,
    permission: str | tuple[str, ...] | None,
    *,
    order: int = 50,
    description: str = "",
) -> None:
    if all(item.url_name != url_name for item in _navigation):
        _navigation.append(NavigationItem(url_name, label, permission, order, description))


def navigation_items() -> list[NavigationItem]:
    return sorted(_navigation, key=lambda item: item.order)


def add_demo_seeder(name: str, fn: Callable[..., object]) -> None:
    _demo_seeders[name] = fn


def demo_seeded(*, loan_ids: range, today, seed: int, ledger: bool) -> dict[str, object]:
    """Run the apps' demo seeders in INSTALLED_APPS order; returns what each returned, by its name."""
    return {
        name: fn(loan_ids=loan_ids, today=today, seed=seed, ledger=ledger)
        for name, fn in _demo_seeders.items()
    }
