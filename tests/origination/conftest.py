import pytest

from . import support


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    """Applicants' documents go to a throw-away folder, never the checkout's var/."""
    settings.ORIGINATION_DOCUMENT_ROOT = tmp_path / "private-applications"


@pytest.fixture
def lpo(db, make_user):
    """Offices, a product, and the four roles: an LPO processor and manager at an LPO without branch capacity, a
    branch lender at a branch, an underwriter at the home office."""
    offices = support.offices()
    support.product()
    return {
        "offices": offices,
        "processor": support.staff(make_user, "processor", "lpo_processor", offices["LPO"]),
        "manager": support.staff(make_user, "manager", "lpo_manager", offices["LPO"]),
        "lender": support.staff(make_user, "lender", "branch_lender", offices["BR"]),
        "underwriter": support.staff(make_user, "underwriter", "home_office_underwriter", offices["HO"]),
    }


@pytest.fixture(autouse=True)
def _english():
    """The tests read the services' messages in English (the default language is Danish)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """A browser that asks for English pages, as the tests read them."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
