"""Retention campaigns (issue 10 item 3), the contact governor (4b) and the conversion radar's reference data (4a).

| module | what |
| --- | --- |
| `models.py` | the tables: `Campaign`, its frozen `CampaignMember` snapshot, `ContactGovernor`, `ConversionRule`, `OfferedRate` (imported by loanregister/models.py, so Django and migrations see them there) |
| `governor.py` | the contact governor: how many marketing contacts a borrower may still get, and the refusal |
| `services.py` | the writes: save a campaign, freeze its members (set-based, with the suppressions), record it as sent (never beyond the contact cap), log a contact with a member |
| `selectors.py` | the reads: preview, suppression counts, results |
| `export.py` | `export_campaign`: the snapshot as CSV (both dialects) or XLSX, logged |

What a retention manager does with them is in docs/campaigns.md.
"""
