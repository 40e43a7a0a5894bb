"""One owner for each cached fact of a loan (docs/ledger.md, "Who owns the loan's cached facts").

`Loan.outstanding_balance` is written by the servicing ledger's posting service only, `Loan.status` by
`loanregister.services.loan_status_set` only. The source check below fails on any other module that assigns
either field, passes it to `.update()`, names it in `update_fields` or a bulk update's field list, or updates it
in raw SQL; the behaviour tests show the owners at work (history, register, the import, the admin).
"""

import ast
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from common import hooks
from loanregister.choices import LoanStatus
from loanregister.loan_import import loans_import
from loanregister.models import Loan, RegisterEvent
from loanregister.services import loan_status_set
from servicing.ledger import ledger_reconcile, posting_create, posting_reverse
from servicing.models import Posting, PostingKind

from .servicing.ledger_support import D, make_loan

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ["common", "loanregister", "servicing", "origination", "stats"]
OWNERS = {
    "outstanding_balance": "servicing/ledger/posting.py",
    "status": "loanregister/services.py",
    # the collections state (DESIGN.md section 5): written by the collections job only
    "days_past_due": "servicing/collections/delinquency.py",
    "in_collections": "servicing/collections/delinquency.py",
}
_BULK_UPDATES = {"bulk_change", "bulk_update", "bulk_update_with_history"}
_RAW_UPDATE = {
    field: re.compile(rf"UPDATE\s+loanregister_loan\b[^;]*\bSET\b[^;]*\b({field})\b", re.I | re.S)
    for field in OWNERS
}


def _names(node: ast.AST) -> set[str]:
    """The string constants inside a node (a list of field names, say)."""
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _about_a_loan(node: ast.AST) -> bool:
    """Whether the object written names a loan (`loan.status`, `self.loan`, `Loan.objects…update`, `loans`).

    Other models have a `status` too (a lead, an application): the check follows the code's naming of loans, so
    a write to `lead.status` is not a write to `Loan.status`."""
    for part in ast.walk(node):
        name = part.id if isinstance(part, ast.Name) else part.attr if isinstance(part, ast.Attribute) else ""
        if "loan" in name.lower():
            return True
    return False


def cached_fact_writes(path: Path) -> list[tuple[int, str]]:
    """(line, field) for every write of a cached fact in a module, in any of the forms the module docstring names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and part.attr in OWNERS
                    and isinstance(part.ctx, ast.Store)
                    and (part.attr != "status" or _about_a_loan(part.value))
                ):
                    found.append((node.lineno, part.attr))
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "setattr" and len(node.args) >= 2:
                found += [(node.lineno, f) for f in _names(node.args[1]) & OWNERS.keys()]
            receiver = func.value if isinstance(func, ast.Attribute) else func
            loanish = _about_a_loan(receiver) or any(_about_a_loan(arg) for arg in node.args[:1])
            fields = OWNERS.keys() if loanish else OWNERS.keys() - {"status"}
            if name == "update":
                found += [(node.lineno, k.arg) for k in node.keywords if k.arg in fields]
            for keyword in node.keywords:
                if keyword.arg == "update_fields" or (keyword.arg == "fields" and name in _BULK_UPDATES):
                    found += [(node.lineno, f) for f in _names(keyword.value) & fields]
            if name in _BULK_UPDATES:
                for arg in node.args[2:3]:
                    found += [(node.lineno, f) for f in _names(arg) & OWNERS.keys()]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for field, pattern in _RAW_UPDATE.items():
                if pattern.search(node.value):
                    found.append((node.lineno, field))
    return sorted(set(found))


def foreign_writes() -> list[str]:
    bad = []
    for app in APPS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            where = path.relative_to(BASE_DIR).as_posix()
            for line, field in cached_fact_writes(path):
                if OWNERS[field] != where:
                    bad.append(f"{where}:{line}: writes Loan.{field}, owned by {OWNERS[field]}")
    return bad


def test_each_cached_fact_is_written_by_its_owner_only():
    assert foreign_writes() == []


def test_the_owners_do_write_them():
    # the check looks where the writes are: each owner's write is found
    for field, owner in OWNERS.items():
        assert field in {f for _line, f in cached_fact_writes(BASE_DIR / owner)}, owner


def test_the_checker_finds_every_form_of_write(tmp_path):
    # given a module that writes the cached facts in each way the check knows
    module = tmp_path / "m.py"
    module.write_text(
        "def f(loan, loans):\n"
        "    loan.status = 'paid_off'\n"
        "    loan.outstanding_balance += 1\n"
        "    setattr(loan, 'status', 'active')\n"
        "    Loan.objects.filter(pk=1).update(outstanding_balance=0)\n"
        "    loan.save(update_fields=['status', 'updated_at'])\n"
        "    bulk_change(loans, Loan, ['outstanding_balance'], user=None, now=None)\n"
        "    sql = 'UPDATE loanregister_loan SET status = %s WHERE id = %s'\n"
        "    loan.maturity_date = None\n"
    )
    # then each is found, and nothing else
    assert cached_fact_writes(module) == [
        (2, "status"),
        (3, "outstanding_balance"),
        (4, "status"),
        (5, "outstanding_balance"),
        (6, "status"),
        (7, "outstanding_balance"),
        (8, "status"),
    ]


# -- the owners at work ------------------------------------------------------------------------------------------

DAY = datetime.date(2026, 3, 1)


@pytest.mark.django_db
def test_loan_status_set_records_history_and_keeps_the_register_in_step(make_user):
    # given an active loan in the register
    user = make_user("clerk")
    loan = make_loan("S-1", rate_reset_date=datetime.date(2030, 1, 1))
    from loanregister.services import register_events_sync

    register_events_sync(loan_ids=[loan.pk])
    assert RegisterEvent.objects.filter(loan=loan).exists()
    # when it defaults
    changed = loan_status_set(loan=loan, status=LoanStatus.DEFAULTED, user=user, reason="test: defaulted")
    again = loan_status_set(loan_ids=[loan.pk], status=LoanStatus.DEFAULTED, user=user, reason="twice")
    # then the status is written once, with its history, and the loan leaves the register
    assert (changed, again) == ([loan.pk], [])
    assert loan.status == LoanStatus.DEFAULTED
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.DEFAULTED
    latest = loan.history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        LoanStatus.DEFAULTED,
        user,
        "test: defaulted",
    )
    assert not RegisterEvent.objects.filter(loan=loan).exists()


@pytest.mark.django_db
def test_loan_status_set_refuses_an_unknown_status():
    loan = make_loan("S-2")
    with pytest.raises(ValueError):
        loan_status_set(loan=loan, status="sold", reason="")


@pytest.mark.django_db
def test_srv4_the_ledger_moves_the_balance_and_sets_the_status_through_its_owner():
    # given a disbursed loan
    loan = make_loan("S-3")
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("1000"), effective_date=DAY, price=D("100")
    )
    # when it is repaid in full, and the repayment reversed
    payment = posting_create(
        loan=loan, kind=PostingKind.REDEMPTION, amount=D("1000"), effective_date=DAY, price=D("100")
    )
    paid_off = Loan.objects.get(pk=loan.pk)
    posting_reverse(posting=payment, user=None, reason="bank error")
    # then the status followed the balance, each change in the history with the ledger's reason
    loan.refresh_from_db()
    assert (paid_off.outstanding_balance, paid_off.status) == (D("0.00"), LoanStatus.PAID_OFF)
    assert (loan.outstanding_balance, loan.status) == (D("1000.00"), LoanStatus.ACTIVE)
    reasons = list(loan.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["ledger: nothing outstanding", "ledger: outstanding again"]
    assert ledger_reconcile() == []


def _import(rows: str):
    header = (
        "loan_number,borrower_name,loan_type,currency,principal,interest_rate,origination_date,maturity_date"
    )
    result = loans_import(
        file=f"{header},outstanding_balance,balance_date,status\n{rows}".encode(),
        user=None,
        file_name="loans.csv",
    )
    assert result.ok, result.errors
    return result


ROW = "L-1,Mette Hansen,fixed,DKK,2500000,4.25,2021-04-01,2051-04-01,{balance},2026-01-01,{status}\n"


@pytest.mark.django_db
def test_the_import_sets_a_new_loans_facts_and_hands_the_others_to_their_owners(monkeypatch):
    # given a loan imported with its balance: the ledger opens with it
    from loanregister.services import own_servicer_get_or_create

    own_servicer_get_or_create()
    _import(ROW.format(balance="2000000.00", status="active"))
    loan = Loan.objects.get()
    assert (loan.outstanding_balance, loan.status) == (D("2000000.00"), LoanStatus.ACTIVE)
    assert loan.postings.get().external_id == "opening:L-1"
    # when the file says another balance and status, with no app registered to book balances
    monkeypatch.setattr(hooks, "_loans_imported", {})
    _import(ROW.format(balance="1900000.00", status="defaulted"))
    # then the status went through its owner (history reason), and the balance was left to the ledger
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.status) == (D("2000000.00"), LoanStatus.DEFAULTED)
    assert loan.history.first().history_change_reason == "import_loans"
    # when servicing books it (its hook back in place)
    monkeypatch.undo()
    result = _import(ROW.format(balance="1900000.00", status="defaulted"))
    # then the ledger posted the difference on the balance date and moved the cached balance itself
    loan.refresh_from_db()
    true_up = loan.postings.order_by("id").last()
    assert (true_up.kind, true_up.amount, true_up.credit_account) == (
        PostingKind.OPENING_BALANCE,
        D("100000.00"),
        "principal",
    )
    assert loan.outstanding_balance == D("1900000.00")
    assert (result.updated, ledger_reconcile()) == (1, [])


@pytest.mark.django_db
def test_rec1_recovery_sets_the_status_through_its_owner():
    # given a loan with 14,000 owing, recourse, collateral worth 12,000
    from servicing.recovery import recovery_record

    loan = make_loan("S-4")
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("14000"), effective_date=DAY, price=D("100")
    )
    # when the recovery is recorded
    recovery_record(loan=loan, recovered_on=DAY, recovered_value=D("12000"), user=None)
    # then the loan is defaulted through loan_status_set, its reason in the history
    loan.refresh_from_db()
    assert loan.status == LoanStatus.DEFAULTED
    assert loan.history.first().history_change_reason == "recovery: defaulted"
    assert Posting.objects.filter(loan=loan, kind=PostingKind.PAYMENT).exists()


@pytest.mark.django_db
def test_the_admin_shows_the_cached_facts_read_only(client, django_user_model):
    # given a superuser on a loan's change page
    admin = django_user_model.objects.create_superuser("root", "root@example.dk", "pw")
    client.force_login(admin)
    loan = make_loan("S-5", outstanding_balance=Decimal("500.00"))
    url = reverse("admin:loanregister_loan_change", args=[loan.pk])
    page = client.get(url)
    # then both are shown, neither is an input
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "status" not in form.fields and "outstanding_balance" not in form.fields
    assert {"status", "outstanding_balance"} <= set(page.context["adminform"].readonly_fields)
    # and a post that names them changes neither
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "status": LoanStatus.CHARGED_OFF,
            "outstanding_balance": "1.00",
            "servicer_assignments-TOTAL_FORMS": "0",
            "servicer_assignments-INITIAL_FORMS": "0",
        }
    )
    client.post(url, data)
    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_balance) == (LoanStatus.ACTIVE, D("500.00"))


def test_the_checker_tells_a_loan_status_from_another_models(tmp_path):
    # given a module that writes a lead's status and a loan's status
    module = tmp_path / "m.py"
    module.write_text(
        "def f(lead, loan):\n"
        "    lead.status = 'won'\n"
        "    lead.save(update_fields=['status'])\n"
        "    Lead.objects.filter(pk=1).update(status='obsolete')\n"
        "    loan.status = 'paid_off'\n"
        "    Loan.objects.filter(pk=1).update(status='active')\n"
    )
    # then only the loan's are writes of the cached fact
    assert cached_fact_writes(module) == [(5, "status"), (6, "status")]
