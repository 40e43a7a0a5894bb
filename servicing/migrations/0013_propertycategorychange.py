"""The property's category history with effective dates (STAT-9), and the history of the category changes the
ledger already holds (their memo postings name the new category; the note the old one, as `old -> new`)."""

import django.db.models.deletion
from django.db import migrations, models

CATEGORIES = [
    ("owner_occupied", "Owner-occupied homes and holiday homes"),
    ("social_housing", "Social housing"),
    ("private_rental", "Private rental properties"),
    ("cooperative", "Private cooperative housing"),
    ("industry", "Industry and crafts"),
    ("office_retail", "Office and retail"),
    ("agriculture", "Agriculture"),
    ("social_cultural", "Social, cultural and educational purposes"),
    ("other", "Other"),
]


def history_from_postings(apps, schema_editor):
    Posting = apps.get_model("servicing", "Posting")
    Change = apps.get_model("servicing", "PropertyCategoryChange")
    codes = {code for code, _label in CATEGORIES}
    in_force: dict[int, str] = {}
    for posting in (
        Posting.objects.filter(kind="property_category_change", loan__property__isnull=False)
        .select_related("loan")
        .order_by("effective_date", "id")
    ):
        property_id = posting.loan.property_id
        previous = in_force.get(property_id)
        if previous is None:
            old = posting.note.split(" -> ")[0].strip() if " -> " in posting.note else ""
            previous = old if old in codes else ""
        Change.objects.create(
            property_id=property_id,
            effective_date=posting.effective_date,
            category=posting.property_category,
            previous_category=previous,
            posting=posting,
        )
        in_force[property_id] = posting.property_category


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0016_loan_collections_state"),
        ("servicing", "0012_posting_admin_filter_lists"),
    ]

    operations = [
        migrations.CreateModel(
            name="PropertyCategoryChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("effective_date", models.DateField(verbose_name="effective date")),
                (
                    "category",
                    models.CharField(choices=CATEGORIES, max_length=20, verbose_name="new category"),
                ),
                (
                    "previous_category",
                    models.CharField(
                        blank=True, choices=CATEGORIES, max_length=20, verbose_name="previous category"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                (
                    "posting",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="category_change",
                        to="servicing.posting",
                        verbose_name="posting",
                    ),
                ),
                (
                    "property",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="category_changes",
                        to="loanregister.property",
                        verbose_name="property",
                    ),
                ),
            ],
            options={
                "verbose_name": "property category change",
                "verbose_name_plural": "property category changes",
                "ordering": ["property", "effective_date", "id"],
                "indexes": [
                    models.Index(fields=["property", "effective_date", "id"], name="category_change_history")
                ],
            },
        ),
        migrations.RunPython(history_from_postings, migrations.RunPython.noop),
    ]
