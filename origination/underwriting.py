"""Underwriting checks (LPO-2): an application against its product's standards, each a pass or fail with its figures.

Pure functions, no database. Each limit is inclusive (an amount equal to the maximum passes, a cent more fails):

- `amount_min` / `amount_max`: the requested amount within the product's minimum and maximum amount;
- `term_min` / `term_max`: the requested term (months) within the product's minimum and maximum term;
- `loan_to_value`: requested amount / property valuation × 100 ≤ the maximum loan-to-value (%); fails without a
  valuation; not checked when the product has no maximum;
- `debt_to_income`: (the applicants' existing debts + the requested amount) / their yearly income ≤ the maximum
  (a multiple of the income, the Danish gældsfaktor); fails without income; not checked without a maximum;
- `credit_score`: the score ≥ the minimum; fails without a score; not checked without a minimum.

The comparisons are exact (cross-multiplied); the figures shown are rounded half-up to two decimals.
"""

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

CHECK_LABELS = {
    "amount_min": _("Amount at least the product's minimum"),
    "amount_max": _("Amount at most the product's maximum"),
    "term_min": _("Term at least the product's minimum (months)"),
    "term_max": _("Term at most the product's maximum (months)"),
    "loan_to_value": _("Loan-to-value (%) at most the maximum"),
    "debt_to_income": _("Debt-to-income at most the maximum"),
    "credit_score": _("Credit score at least the minimum"),
}
_TWO = Decimal("0.01")


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    figure: str  # the application's figure ("" when it is missing)
    limit: str  # the product's limit

    def as_dict(self) -> dict:
        return asdict(self)


def _fmt(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return str(Decimal(value).quantize(_TWO, rounding=ROUND_HALF_UP))


def underwriting_checks(
    *,
    product,
    requested_amount: Decimal,
    term_months: int,
    property_valuation: Decimal | None,
    credit_score: int | None,
    yearly_income: Decimal,
    debts: Decimal,
) -> list[Check]:
    """The checks of one application against `product` (a origination.Product or any object with its fields)."""
    amount = Decimal(requested_amount)
    checks = [
        Check("amount_min", amount >= product.min_amount, _fmt(amount), _fmt(product.min_amount)),
        Check("amount_max", amount <= product.max_amount, _fmt(amount), _fmt(product.max_amount)),
        Check(
            "term_min", term_months >= product.min_term_months, str(term_months), str(product.min_term_months)
        ),
        Check(
            "term_max", term_months <= product.max_term_months, str(term_months), str(product.max_term_months)
        ),
    ]
    if product.max_loan_to_value is not None:
        if property_valuation:
            ltv = amount * 100 / Decimal(property_valuation)
            passed = amount * 100 <= Decimal(product.max_loan_to_value) * Decimal(property_valuation)
            checks.append(Check("loan_to_value", passed, _fmt(ltv), _fmt(product.max_loan_to_value)))
        else:
            checks.append(Check("loan_to_value", False, "", _fmt(product.max_loan_to_value)))
    if product.max_debt_to_income is not None:
        total = Decimal(debts) + amount
        if yearly_income and yearly_income > 0:
            passed = total <= Decimal(product.max_debt_to_income) * Decimal(yearly_income)
            checks.append(
                Check(
                    "debt_to_income",
                    passed,
                    _fmt(total / Decimal(yearly_income)),
                    _fmt(product.max_debt_to_income),
                )
            )
        else:
            checks.append(Check("debt_to_income", False, "", _fmt(product.max_debt_to_income)))
    if product.min_credit_score is not None:
        passed = credit_score is not None and credit_score >= product.min_credit_score
        checks.append(
            Check(
                "credit_score",
                passed,
                "" if credit_score is None else str(credit_score),
                str(product.min_credit_score),
            )
        )
    return checks


def checks_pass(checks: list[dict]) -> bool:
    """Whether every stored check passed (an application with no checks stored has not been checked)."""
    return bool(checks) and all(check["passed"] for check in checks)
