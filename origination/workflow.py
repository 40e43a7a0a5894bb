"""The application workflow (LPO-2 to LPO-5): its states, the transitions allowed, and who may make each.

    received → documents_pending → complete → underwriting_checked → recommended → approved → funded
                                                                                 ↘ declined
    any open state → withdrawn (by staff)  ·  any open state → expired (the nightly expiry only)

Every other move is refused (`transition_refusal` says why). The permission each transition needs is in
`TRANSITIONS`; the office rules (an LPO decides nothing without branch capacity on that date, staff act on their
own office's applications unless they work at the home office) are in origination/services.py, which enforces
both for every path: pages, admin, commands.
"""

from django.utils.translation import gettext as _

from .models import ApplicationState as S

# The workflow's order: the pipeline and its export sort by it.
STATE_ORDER = [state.value for state in S]

OPEN_STATES = (S.RECEIVED, S.DOCUMENTS_PENDING, S.COMPLETE, S.UNDERWRITING_CHECKED, S.RECOMMENDED, S.APPROVED)
CLOSED_STATES = (S.DECLINED, S.FUNDED, S.WITHDRAWN, S.EXPIRED)

TAKE = "origination.take_application"
RECOMMEND = "origination.recommend_application"
DECIDE = "origination.decide_application"
SET_TERMS = "origination.set_loan_terms"
FUND = "origination.fund_application"
SYSTEM = None  # the nightly expiry: no person makes it

# (from, to) -> the permissions the actor needs (all of them); SYSTEM: no person may make it.
TRANSITIONS: dict[tuple[str, str], tuple[str, ...] | None] = {
    (S.RECEIVED, S.DOCUMENTS_PENDING): (TAKE,),
    (S.DOCUMENTS_PENDING, S.COMPLETE): (TAKE,),
    (S.COMPLETE, S.UNDERWRITING_CHECKED): (TAKE,),
    (S.UNDERWRITING_CHECKED, S.RECOMMENDED): (RECOMMEND,),
    (S.RECOMMENDED, S.APPROVED): (DECIDE, SET_TERMS),
    (S.RECOMMENDED, S.DECLINED): (DECIDE,),
    (S.APPROVED, S.FUNDED): (FUND,),
    **{(state, S.WITHDRAWN): (TAKE,) for state in OPEN_STATES},
    **{(state, S.EXPIRED): SYSTEM for state in OPEN_STATES},
}

# Transitions that need an office that can make loans on the day (LPO-3, LPO-4).
DECISIONS = {(S.RECOMMENDED, S.APPROVED), (S.RECOMMENDED, S.DECLINED)}
# Transitions that need a reason.
REASON_REQUIRED = {(S.UNDERWRITING_CHECKED, S.RECOMMENDED), *DECISIONS} | {
    (state, S.WITHDRAWN) for state in OPEN_STATES
}


def state_label(state: str) -> str:
    return str(S(state).label) if state in S.values else state


def transition_permissions(from_state: str, to_state: str) -> tuple[str, ...] | None:
    """The permissions a person needs for the move (None: only the system makes it). KeyError: not allowed."""
    return TRANSITIONS[(from_state, to_state)]


def transition_refusal(from_state: str, to_state: str, *, user=None, system: bool = False) -> str | None:
    """Why `user` (or the system) may not move an application from `from_state` to `to_state`; None: allowed.

    Only the workflow and the permissions: the office rules are checked by the services on top of this."""
    if (from_state, to_state) not in TRANSITIONS:
        if from_state in CLOSED_STATES:
            return _("The application is %(state)s: it cannot move any more.") % {
                "state": state_label(from_state)
            }
        return _("An application cannot go from %(from)s to %(to)s.") % {
            "from": state_label(from_state),
            "to": state_label(to_state),
        }
    needed = TRANSITIONS[(from_state, to_state)]
    if needed is SYSTEM:
        if system:
            return None
        return _("Only the nightly expiry makes an application %(state)s.") % {"state": state_label(to_state)}
    if system:
        return _("The nightly job does not make this move.")
    if user is None or not user.is_authenticated:
        return _("Sign in to work on applications.")
    missing = [perm for perm in needed if not user.has_perm(perm)]
    if missing:
        if DECIDE in missing or SET_TERMS in missing:
            return _(
                "Only the home office or a branch decides applications and sets rates and terms (LPO-3): "
                "your role may not."
            )
        if RECOMMEND in missing:
            return _("Only the office's senior processor (LPO production manager) recommends an application.")
        return _("Your role may not do this with an application.")
    return None


def next_states(state: str) -> list[str]:
    """The states an application in `state` may move to, in the workflow's order (for pages and docs)."""
    return [to for (frm, to) in TRANSITIONS if frm == state]
