"""The servicing pages, one module per area: ledger (the servicing home, payments, reversals, payoff statements),
notices (schedules and payment notice letters), escrow, documents, recovery and transfers. Their forms are in
`servicing/forms.py`, their URLs in `servicing/urls.py`."""
