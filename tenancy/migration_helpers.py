"""What the apps' migrations that add `company` share: the column, and giving every row the first
company in batches by primary key (a big table is never updated in one statement holding every
row lock)."""

import django.db.models.deletion
from django.db import models

BATCH = 5000


def company_fk(null: bool) -> models.ForeignKey:
    """The `company` column as the models declare it (nullable while it is filled)."""
    return models.ForeignKey(
        null=null,
        editable=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="tenancy.company",
    )


def first_company_id(apps) -> int | None:
    companies = apps.get_model("tenancy", "Company").objects.order_by("id")
    return companies.values_list("id", flat=True).first()


def fill_company(apps, app_label: str, *model_names: str) -> None:
    company_id = first_company_id(apps)
    for name in model_names:
        model = apps.get_model(app_label, name)
        rows = model.objects.filter(company__isnull=True)
        last = rows.order_by("-pk").values_list("pk", flat=True).first()
        if last is None:
            continue
        start = rows.order_by("pk").values_list("pk", flat=True).first()
        while start <= last:
            rows.filter(pk__gte=start, pk__lt=start + BATCH).update(company_id=company_id)
            start += BATCH
