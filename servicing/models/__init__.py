"""Servicing models, one module per domain area (each owned by its own part of the code)."""

from .categories import *  # noqa: F403
from .collections import *  # noqa: F403
from .escrow import *  # noqa: F403
from .ledger import *  # noqa: F403
from .notices import *  # noqa: F403
from .recovery import *  # noqa: F403
