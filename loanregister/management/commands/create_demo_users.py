from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from loanregister.models import UserPreference
from loanregister.roles import ADMIN, ROLE_LABELS

DEMO_PASSWORD = "demo-register-2026"


class Command(BaseCommand):
    help = "Create one demo user per role (demo data only; refused in production) and print the logins."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo users are never created in production mode")
        with transaction.atomic():
            for role in ROLE_LABELS:
                username = "demo" if role == ADMIN else role.replace("_", "-")
                user, created = User.objects.get_or_create(
                    username=username, defaults={"first_name": str(ROLE_LABELS[role])}
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                user.is_staff = role == ADMIN
                user.is_superuser = role == ADMIN
                user.save()
                user.groups.add(Group.objects.get(name=role))
                UserPreference.objects.get_or_create(user=user)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: user 'demo', password '{DEMO_PASSWORD}' (admin). "
                f"One user per role too, same password: "
                + ", ".join(r.replace("_", "-") for r in ROLE_LABELS if r != ADMIN)
            )
        )
