"""Demo and volume data for customers and properties; `manage.py seed_demo` calls these."""

import random
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.context import Ctx
from customers import services
from customers.models import Customer, Property
from tenancy.scoping import company_of

CUSTOMER_FIELDS = tuple(services.CustomerFields.__annotations__)
PROPERTY_FIELDS = ("label", "address1", "address2", "city", "state", "postal_code", "notes")

# Synthetic customers are recognised by this domain, so --scale N tops up to N and reruns
# create nothing.
SCALE_DOMAIN = "scale.example.com"
FIRST_NAMES = ("Ana", "Luis", "Carmen", "Jose", "Maria", "Pedro", "Rosa", "Juan", "Elena", "Raul")
LAST_NAMES = ("Rivera", "Perez", "Ortiz", "Torres", "Ramos", "Cruz", "Diaz", "Vega", "Santos")
STREETS = ("Ocean View St", "Palm Dr", "Sunset Ave", "Coral Ln", "Hilltop Rd", "Beachfront Way")
TOWNS = (
    ("Rincon", "00677"),
    ("Aguadilla", "00603"),
    ("Isabela", "00662"),
    ("Mayaguez", "00680"),
    ("Cabo Rojo", "00623"),
    ("Moca", "00676"),
)
LABELS = ("Residence", "Beach House", "Villa", "Estate", "Home")


def load(ctx: Ctx, data: Mapping[str, Any], *, stdout) -> None:
    """Create the file's customers (key: email) and properties (key: customer email and label)
    that are missing; rows already present are left as they are."""
    created = 0
    for row in data.get("customers", []):
        if not Customer.objects.of(ctx).filter(email__iexact=row["email"]).exists():
            services.customer_create(
                ctx, **{name: row[name] for name in CUSTOMER_FIELDS if name in row}
            )
            created += 1
    stdout.write(f"customers: {created} created, {len(data.get('customers', [])) - created} kept")

    created = 0
    for row in data.get("properties", []):
        key = {"customer__email__iexact": row["customer_email"], "label": row["label"]}
        if not Property.objects.of(ctx).filter(**key).exists():
            customer = Customer.objects.of(ctx).get(email__iexact=row["customer_email"])
            fields = {name: row.get(name) for name in PROPERTY_FIELDS}
            services.property_create(ctx, customer_id=customer.pk, **fields)
            created += 1
    kept = len(data.get("properties", [])) - created
    stdout.write(f"properties: {created} created, {kept} kept")


def scale_email(index: int) -> str:
    return f"customer{index:07d}@{SCALE_DOMAIN}"


def _synthetic(ctx: Ctx, index: int) -> tuple[Customer, list[dict[str, Any]]]:
    # One generator per customer: the same index always gives the same rows, whatever the
    # batch size or how many customers already exist.
    rng = random.Random(f"ektor-scale-{index}")  # noqa: S311 (test data, not security)
    last_name = rng.choice(LAST_NAMES)
    customer = Customer(
        company=company_of(ctx),
        first_name=rng.choice(FIRST_NAMES),
        last_name=last_name,
        email=scale_email(index),
        phone=f"787-{rng.randrange(200, 999)}-{index % 10000:04d}",
    )
    properties = []
    # Every fifth customer has a second property: 1.2 on average, 12,000 for 10,000 customers.
    for number in range(2 if index % 5 == 4 else 1):
        town, postal_code = rng.choice(TOWNS)
        properties.append(
            {
                "label": f"{last_name} {rng.choice(LABELS)} {index}-{number + 1}",
                "address1": f"{rng.randrange(1, 2000)} {rng.choice(STREETS)}",
                "city": town,
                "state": "PR",
                "postal_code": postal_code,
            }
        )
    return customer, properties


def synthetic_customers(ctx: Ctx):
    """The customers `scale` generated in ctx's company (for other apps' scale loaders)."""
    return Customer.objects.of(ctx).filter(email__endswith=f"@{SCALE_DOMAIN}")


def scale(ctx: Ctx, volume) -> None:
    """Ensure customers 0..count-1 exist, each with 1-2 properties (1.2 on average), in batches."""
    done = 0
    for start in range(0, volume.count, volume.batch_size):
        indices = range(start, min(start + volume.batch_size, volume.count))
        with transaction.atomic():
            done += _scale_batch(ctx, indices)
        volume.progress("customers", indices.stop, done)


def _scale_batch(ctx: Ctx, indices: range) -> int:
    emails = [scale_email(i) for i in indices]
    customers = Customer.objects.of(ctx)
    existing = set(customers.filter(email__in=emails).values_list("email", flat=True))
    rows = [_synthetic(ctx, i) for i in indices if scale_email(i) not in existing]
    Customer.objects.bulk_create([customer for customer, _ in rows])
    # MySQL does not return the ids of a bulk insert: read them back by email.
    new_emails = [customer.email for customer, _ in rows]
    ids = dict(customers.filter(email__in=new_emails).values_list("email", "id"))
    Property.objects.bulk_create(
        Property(company_id=customer.company_id, customer_id=ids[customer.email], **fields)
        for customer, properties in rows
        for fields in properties
    )
    return len(rows)
