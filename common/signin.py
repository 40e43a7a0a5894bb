"""One log line per sign-in attempt (OWASP ASVS 7.1: access decisions logged, without secrets): who, from where,
and whether it succeeded. django-axes counts the failures and locks out; its own chatter is turned off."""

import logging

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("loanregister.signin")


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR", "-") if request is not None else "-"


@receiver(user_logged_in, dispatch_uid="common.signin.logged_in")
def _logged_in(sender, request, user, **kwargs) -> None:
    logger.info("sign-in ok: user=%s ip=%s", user.get_username(), _client(request))


@receiver(user_login_failed, dispatch_uid="common.signin.failed")
def _failed(sender, credentials, request=None, **kwargs) -> None:
    # the username only: never the password (Django already masks it in `credentials`)
    logger.warning("sign-in failed: user=%s ip=%s", credentials.get("username", "-"), _client(request))


@receiver(user_logged_out, dispatch_uid="common.signin.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        logger.info("sign-out: user=%s ip=%s", user.get_username(), _client(request))


@receiver(user_locked_out, dispatch_uid="common.signin.locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    logger.warning("sign-in locked out: user=%s ip=%s", username, ip_address)
