"""Our own servicer on every database, and only one (issue 8 item 2).

A fresh database gets our own servicer, named from the settings OWN_SERVICER_CODE and OWN_SERVICER_NAME (renamed in
admin afterwards), so that a loan file with only the required columns imports: a blank `servicer` means ours.
Migration 0011 then lets only one servicer be marked as our own. This one makes the data fit that rule first, and
never fails on what it finds (docs/deployment.md, "Upgrades"):

- one servicer marked as our own: kept as it is;
- several: the one that services the most loans stays marked (the lowest id on a tie), the others are unmarked,
  and each is named on the migration's output;
- none: the servicer whose code is OWN_SERVICER_CODE is marked, if there is one; otherwise our own servicer is
  created.
"""

from django.conf import settings
from django.db import migrations
from django.db.models import Count


def _say(text: str) -> None:
    print(f"\n  loanregister.0010_own_servicer: {text}", end="")


def own_servicer(apps, schema_editor):
    Servicer = apps.get_model("loanregister", "Servicer")
    marked = list(Servicer.objects.filter(is_own=True).annotate(loan_count=Count("loans")).order_by("-loan_count", "pk"))
    if len(marked) > 1:
        kept, others = marked[0], marked[1:]
        Servicer.objects.filter(pk__in=[servicer.pk for servicer in others]).update(is_own=False)
        _say(f"only one servicer can be our own: kept {kept.code} ({kept.name}; loans: {kept.loan_count})")
        for servicer in others:
            _say(
                f"{servicer.code} ({servicer.name}; loans: {servicer.loan_count}) is no longer marked as our own; "
                "its loans need a servicer code in loan files, and no payment notices are made for them"
            )
        return
    if marked:
        return
    code = (settings.OWN_SERVICER_CODE or "OWN").strip()
    name = (settings.OWN_SERVICER_NAME or "Egen administration").strip()
    if len(code) > 20 or len(name) > 200:
        raise ValueError("OWN_SERVICER_CODE is at most 20 characters and OWN_SERVICER_NAME at most 200")
    existing = Servicer.objects.filter(code=code).first()
    if existing is not None:
        existing.is_own = True
        existing.save(update_fields=["is_own"])
        _say(f"{existing.code} ({existing.name}) is now marked as our own servicer")
    else:
        Servicer.objects.create(code=code, name=name, is_own=True, active=True)


class Migration(migrations.Migration):

    dependencies = [
        ("loanregister", "0009_shared_records_to_common"),
    ]

    operations = [
        migrations.RunPython(own_servicer, migrations.RunPython.noop, elidable=False),
    ]
