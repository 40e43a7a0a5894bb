"""Underwriting checks (LPO-2): pass and fail at each limit of a product's standards, with the figures shown."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from origination.underwriting import checks_pass, underwriting_checks

PRODUCT = SimpleNamespace(
    min_amount=Decimal("100000"),
    max_amount=Decimal("1000000"),
    min_term_months=60,
    max_term_months=360,
    max_loan_to_value=Decimal("80"),
    max_debt_to_income=Decimal("4"),
    min_credit_score=600,
)
GOOD = dict(
    requested_amount=Decimal("800000"),
    term_months=360,
    property_valuation=Decimal("1000000"),
    credit_score=600,
    yearly_income=Decimal("250000"),
    debts=Decimal("200000"),
)


def _check(code: str, **changes):
    checks = {c.code: c for c in underwriting_checks(product=PRODUCT, **{**GOOD, **changes})}
    return checks[code]


def test_lpo2_an_application_exactly_at_every_limit_passes_every_check():
    checks = underwriting_checks(product=PRODUCT, **GOOD)
    assert [c.code for c in checks] == [
        "amount_min",
        "amount_max",
        "term_min",
        "term_max",
        "loan_to_value",
        "debt_to_income",
        "credit_score",
    ]
    assert all(c.passed for c in checks) and checks_pass([c.as_dict() for c in checks])
    # the figures are shown with the limits
    ltv = checks[4]
    assert (ltv.figure, ltv.limit) == ("80.00", "80.00")
    assert (checks[5].figure, checks[5].limit) == ("4.00", "4.00")


@pytest.mark.parametrize(
    "code,at_limit,past_limit",
    [
        ("amount_min", {"requested_amount": Decimal("100000.00")}, {"requested_amount": Decimal("99999.99")}),
        (
            "amount_max",
            {"requested_amount": Decimal("1000000.00"), "property_valuation": Decimal("2000000")},
            {"requested_amount": Decimal("1000000.01"), "property_valuation": Decimal("2000000")},
        ),
        ("term_min", {"term_months": 60}, {"term_months": 59}),
        ("term_max", {"term_months": 360}, {"term_months": 361}),
        (
            "loan_to_value",
            {"property_valuation": Decimal("1000000")},
            {"property_valuation": Decimal("999999.99")},
        ),
        ("debt_to_income", {"debts": Decimal("200000")}, {"debts": Decimal("200000.01")}),
        ("credit_score", {"credit_score": 600}, {"credit_score": 599}),
    ],
)
def test_lpo2_each_limit_passes_at_the_limit_and_fails_a_step_past_it(code, at_limit, past_limit):
    assert _check(code, **at_limit).passed is True
    assert _check(code, **past_limit).passed is False


@pytest.mark.parametrize(
    "code,missing",
    [
        ("loan_to_value", {"property_valuation": None}),
        ("debt_to_income", {"yearly_income": Decimal("0")}),
        ("credit_score", {"credit_score": None}),
    ],
)
def test_lpo2_a_missing_figure_fails_its_check(code, missing):
    check = _check(code, **missing)
    assert check.passed is False and check.figure == ""


def test_lpo2_a_standard_the_product_does_not_set_is_not_checked():
    product = SimpleNamespace(
        **{**vars(PRODUCT), "max_loan_to_value": None, "max_debt_to_income": None, "min_credit_score": None}
    )
    codes = [c.code for c in underwriting_checks(product=product, **{**GOOD, "credit_score": None})]
    assert codes == ["amount_min", "amount_max", "term_min", "term_max"]
    assert not checks_pass([])
