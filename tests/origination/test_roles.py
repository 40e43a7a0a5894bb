"""The origination permissions of the roles after migrations (LPO-2, LPO-3, LPO-5)."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def _groups_with(codename: str) -> set[str]:
    return set(
        Group.objects.filter(
            permissions__content_type__app_label="origination", permissions__codename=codename
        ).values_list("name", flat=True)
    )


def test_lpo3_only_the_home_office_underwriter_and_the_branch_lender_decide_and_set_terms_by_default():
    for codename in ("decide_application", "set_loan_terms"):
        assert _groups_with(codename) == {"home_office_underwriter", "branch_lender"}, codename


def test_lpo2_the_lpo_manager_recommends_and_the_four_roles_take_in_and_fund():
    assert "lpo_manager" in _groups_with("recommend_application")
    assert "lpo_processor" not in _groups_with("recommend_application")
    four = {"lpo_processor", "lpo_manager", "branch_lender", "home_office_underwriter"}
    for codename in ("take_application", "fund_application", "view_application", "export_pipeline"):
        assert four <= _groups_with(codename), codename
    assert "loan_officer" not in _groups_with("view_application")
