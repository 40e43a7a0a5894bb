"""Giving the role groups back their permissions after a transactional test's flush removed them."""


def restore_role_groups(role_permissions: dict[str, list[tuple[str, str]]]) -> None:
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for name, perms in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=name)
        match = Q(pk__in=[])
        for app_label, codename in perms:
            match |= Q(content_type__app_label=app_label, codename=codename)
        found = list(Permission.objects.filter(match))
        assert len(found) == len(perms), f"{name}: permissions missing after the flush"
        group.permissions.set(found)
