"""Reference codes from docs/requirements.md, used in files, commands and the database."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PropertyCategory(models.TextChoices):
    OWNER_OCCUPIED = "owner_occupied", _("Owner-occupied homes and holiday homes")
    SOCIAL_HOUSING = "social_housing", _("Social housing")
    PRIVATE_RENTAL = "private_rental", _("Private rental properties")
    COOPERATIVE = "cooperative", _("Private cooperative housing")
    INDUSTRY = "industry", _("Industry and crafts")
    OFFICE_RETAIL = "office_retail", _("Office and retail")
    AGRICULTURE = "agriculture", _("Agriculture")
    SOCIAL_CULTURAL = "social_cultural", _("Social, cultural and educational purposes")
    OTHER = "other", _("Other")


class LoanType(models.TextChoices):
    """STAT-8."""

    ADJUSTABLE = "adjustable", _("Adjustable-rate (rate reset)")
    FIXED = "fixed", _("Fixed rate")
    CAPPED_FLOATING = "capped_floating", _("Floating rate with cap")
    INDEX_LINKED = "index_linked", _("Index-linked")


class Amortization(models.TextChoices):
    ANNUITY = "annuity", _("Annuity")
    SERIAL = "serial", _("Serial")
    BULLET = "bullet", _("Bullet")
    INTEREST_ONLY = "interest_only", _("Interest-only, then annuity")


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAID_OFF = "paid_off", _("Paid off")
    DEFAULTED = "defaulted", _("Defaulted")
    CHARGED_OFF = "charged_off", _("Charged off")
    TRANSFERRED = "transferred", _("Transferred")


class OfficeKind(models.TextChoices):
    HOME_OFFICE = "home_office", _("Home office")
    BRANCH = "branch", _("Branch")
    LPO = "lpo", _("Loan production office")


class Language(models.TextChoices):
    DANISH = "da", _("Danish")
    ENGLISH = "en", _("English")


class RegisterEventKind(models.TextChoices):
    """REG-3: the dates on which a borrower is likely to look for a new loan."""

    MATURITY = "maturity", _("Maturity")
    RATE_RESET = "rate_reset", _("Rate reset")
    INTEREST_ONLY_END = "interest_only_end", _("End of interest-only")


PAYMENTS_PER_YEAR_CHOICES = [
    (1, _("Yearly")),
    (4, _("Quarterly")),
    (12, _("Monthly")),
    (26, _("Every other week")),
]


# --- leads and the contact log (docs/requirements.md REG-2, §5) ----------------------------------------------


class LeadEvent(models.TextChoices):
    """What a lead is about: a register event the radar found (REG-3). The conversion radar adds `conversion`."""

    MATURITY = "maturity", _("Maturity")
    RATE_RESET = "rate_reset", _("Rate reset")
    INTEREST_ONLY_END = "interest_only_end", _("End of interest-only")
    # the conversion radar (issue 10 item 4a): refinancing at today's offered rate would pay off
    CONVERSION = "conversion", _("Conversion")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    OFFER_MADE = "offer_made", _("Offer made")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    NOT_INTERESTED = "not_interested", _("Not interested")
    OBSOLETE = "obsolete", _("Obsolete")


# A lead is open while someone may still work it; at most one open lead per loan and event (a partial unique index).
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.OFFER_MADE)


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")
    MEETING = "meeting", _("Meeting")


class ContactDirection(models.TextChoices):
    OUT = "out", _("Outgoing")
    IN = "in", _("Incoming")


class ContactPurpose(models.TextChoices):
    """Why we were in touch: the contact governor counts `marketing` only (leads and campaigns)."""

    MARKETING = "marketing", _("Marketing")
    SERVICING = "servicing", _("Servicing")
    COLLECTIONS = "collections", _("Collections")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached the borrower")
    NO_ANSWER = "no_answer", _("No answer")
    MESSAGE_LEFT = "message_left", _("Message left")
    SENT = "sent", _("Sent")
    WRONG_CONTACT = "wrong_contact", _("Wrong number or address")


# --- retention campaigns (issue 10 item 3) ------------------------------------------------------------------


class CampaignChannel(models.TextChoices):
    MAILING = "mailing", _("Mailing")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FROZEN = "frozen", _("Frozen")


class Suppression(models.TextChoices):
    """Why a loan the campaign's filter selected is left out of its file, in the order they are checked: a
    member gets the first that applies. `household` is not a suppression but the fold of a borrower's other loans
    into the row of the loan that leads the household."""

    DO_NOT_CONTACT = "do_not_contact", _("Do not contact")
    IN_COLLECTIONS = "in_collections", _("A loan in collections")
    NOT_ACTIVE = "not_active", _("Paid off or transferred")
    RECENT_CAMPAIGN = "recent_campaign", _("Contacted by another campaign lately")
    CONTACT_CAP = "contact_cap", _("Contact cap reached")
    HOUSEHOLD = "household", _("Same household (in another row)")
