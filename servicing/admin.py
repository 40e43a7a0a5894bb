"""Servicing admin: each area registers its models in its own module, imported here."""

from . import (
    admin_escrow_recovery,  # noqa: F401
    admin_ledger,  # noqa: F401
    admin_notices,  # noqa: F401
)
