"""The system user: the name history and records carry for work done without a person (cron, scripts, imports)."""

from django.contrib.auth import get_user_model

SYSTEM_USERNAME = "system"


def system_user():
    """The user history names for imports and jobs run without a person; it cannot log in."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        **{User.USERNAME_FIELD: SYSTEM_USERNAME}, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
