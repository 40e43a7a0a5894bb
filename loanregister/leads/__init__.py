"""Leads for loan officers (REG-2): the nightly maturity radar that finds them, the work on them, the nightly
digest that tells each officer of theirs, and their export.

| module | what |
| --- | --- |
| `radar.py` | the nightly radar, set-based (`maturity_radar_run`, `maturity_radar_apply`), and its dry run (`maturity_radar_preview`) |
| `work.py` | the writes people make: status, contacts (the contact log), reassignment; and who may |
| `pages.py` | reads for the pages: "My leads", a lead's page, the loan page's leads |
| `digest.py` | the nightly digest e-mail per officer, once a night |
| `export.py` | `export_leads`: CSV or XLSX, logged |

What a loan officer and a sales manager do with leads is in docs/leads.md.
"""
