"""The loan book's pages, one module per group: `home` (the home page and the health check), `register` (the
maturity register and its export), `loans` (the loan page), `leads` (leads and the radar's dry run) and `language`
(the language switch). The URLconfs use the names exported here."""

from .campaigns import (
    campaign_contact_view,
    campaign_detail,
    campaign_export_view,
    campaign_freeze_view,
    campaign_new,
    campaign_sent_view,
    campaigns_list,
    contact_governor_edit,
)
from .home import health, home
from .language import language_set
from .leads import (
    lead_contact_add,
    lead_detail,
    lead_reassign_one,
    lead_status_change,
    leads_download,
    leads_list,
    leads_reassign_filtered,
    radar_preview,
)
from .loans import loan_by_id, loan_detail
from .register import register_export, register_list

__all__ = [
    "campaign_contact_view",
    "campaign_detail",
    "campaign_export_view",
    "campaign_freeze_view",
    "campaign_new",
    "campaign_sent_view",
    "campaigns_list",
    "contact_governor_edit",
    "health",
    "home",
    "language_set",
    "lead_contact_add",
    "lead_detail",
    "lead_reassign_one",
    "lead_status_change",
    "leads_download",
    "leads_list",
    "leads_reassign_filtered",
    "radar_preview",
    "loan_by_id",
    "loan_detail",
    "register_export",
    "register_list",
]
