"""Sign in a benchmark admin and choose the rows the benchmark requests touch.

Prints one JSON line: token, session id, the statement customer and period, the file of
invoice ids open for payments, and the table sizes.
"""

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektor.settings")
django.setup()

from django.db.models import Count  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import session_start  # noqa: E402
from billing.models import Invoice, InvoiceStatus, Payment  # noqa: E402
from core.context import Ctx  # noqa: E402
from customers.models import Customer, Property  # noqa: E402
from tenancy.models import Company, Membership  # noqa: E402

FROM, TO = "2025-01-01", "2026-12-31"


def main(workdir: Path) -> None:
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench",
        email="bench@example.com",
        password=None,  # signs in through session_start only
        role=Role.ADMIN,
    )
    # The data set's company (seed_demo makes the first one): the bench admin acts for it.
    company = Company.objects.order_by("id").first()
    Membership.objects.get_or_create(
        user=user, company=company, defaults={"role": Role.ADMIN, "is_owner": False}
    )
    tokens = session_start(Ctx.system(), user=user, user_agent="bench", ip_address="127.0.0.1")
    session = user.auth_sessions.order_by("-created_at").first()
    # The statement customer: one with a typical number of invoices in the period.
    customer = (
        Customer.objects.annotate(n=Count("invoices")).filter(n__gte=20).order_by("n", "id").first()
    ) or Customer.objects.annotate(n=Count("invoices")).order_by("-n").first()
    open_ids = list(
        Invoice.objects.filter(status=InvoiceStatus.SENT)
        .order_by("-id")
        .values_list("id", flat=True)[:20000]
    )
    ids_file = workdir / "payment_invoice_ids.txt"
    ids_file.write_text("\n".join(map(str, open_ids)) + "\n")
    print(
        json.dumps(
            {
                "token": tokens["access_token"],
                "session": str(session.pk),
                "customer_id": customer.pk,
                "statement_items": customer.invoices.filter(issued_date__range=(FROM, TO)).count(),
                "from": FROM,
                "to": TO,
                "ids_file": str(ids_file),
                "counts": {
                    "customers": Customer.objects.count(),
                    "properties": Property.objects.count(),
                    "invoices": Invoice.objects.count(),
                    "payments": Payment.objects.count(),
                },
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
