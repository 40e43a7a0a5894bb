"""Collections (issue 11; COL-1 to COL-6, REC-1, REC-2): one module per concern, docs/collections.md.

- `delinquency`: days past due, amount past due and bucket of every loan from the ledger, set-based; keeps the
  loan's `days_past_due` / `in_collections` in step.
- `ladder`: the reminder ladder's reference data and the rendering of its templates.
- `reminders`: the nightly `run_collection_reminders` (record + outbox in one transaction), delivery from the
  outbox, `export_reminders`.
- `hardship`: assessments and hardship plans (COL-4), their billing and their end.
- `queue`: the collector's queue: cases, assignment, contacts, promises to pay, next actions.
- `escalation`: a loan past the last step becomes a legal case, respecting recourse (COL-5, REC-1, REC-2).
- `exports`: `export_delinquency` and `export_reminders` (logged, neutralized).
- `demo`: the demo book's arrears (`seed_demo`, through `common.hooks.add_demo_seeder`).
"""
