from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from loanregister.models import UserPreference
from loanregister.roles import ADMIN, ROLE_LABELS

DEMO_PASSWORD = "demo-register-2026"
# The office each loan production role's demo user works at (their staff profile), when the demo book has it:
# the LPO roles at an LPO without branch capacity, the branch lender at a branch, the underwriter at the home office.
DEMO_STAFF_OFFICES = {
    "lpo-processor": "LPO-HER",
    "lpo-manager": "LPO-HER",
    "branch-lender": "BR-AAR",
    "home-office-underwriter": "HO",
}


def demo_staff_profiles_assign() -> int:
    """Give the demo users of DEMO_STAFF_OFFICES a staff profile at their office when both exist and they have
    none (create_demo_users runs before the demo book on a fresh `make run`; the book's seeders call this too)."""
    from loanregister.models import Office, StaffProfile

    offices = {office.code: office for office in Office.objects.filter(code__in=DEMO_STAFF_OFFICES.values())}
    made = 0
    for user in User.objects.filter(username__in=DEMO_STAFF_OFFICES, staff_profile__isnull=True):
        office = offices.get(DEMO_STAFF_OFFICES[user.username])
        if office is not None:
            StaffProfile.objects.create(user=user, office=office)
            made += 1
    return made


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
            demo_staff_profiles_assign()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: user 'demo', password '{DEMO_PASSWORD}' (admin). "
                f"One user per role too, same password: "
                + ", ".join(r.replace("_", "-") for r in ROLE_LABELS if r != ADMIN)
            )
        )
