"""Cross-app links in the admin, added onto the apps' admins through the hooks they expose
(the admin's autodiscovery imports this module)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from billing.admin import statement_url
from customers.admin import CustomerAdmin, PropertyAdmin
from customers.models import Customer
from pools.admin import PoolInline


def customer_billing_links(customer: Customer) -> list[tuple[str, str]]:
    """A customer's invoices and payments, and their statements of this year and the last."""
    this_year = timezone.localdate().year
    return [
        (
            reverse("admin:billing_invoice_changelist") + f"?customer__id__exact={customer.pk}",
            f"Invoices ({customer.open_invoice_count} open)",
        ),
        (
            reverse("admin:billing_payment_changelist")
            + f"?invoice__customer__id__exact={customer.pk}",
            "Payments",
        ),
        *(
            (
                statement_url(customer.pk, datetime.date(year, 1, 1), datetime.date(year, 12, 31)),
                f"Statement {year}",
            )
            for year in (this_year, this_year - 1)
        ),
        (statement_url(customer.pk), "Statement for another period"),
    ]


CustomerAdmin.shortcut_links.append(customer_billing_links)

# A property's pools, on its page (saved through pools' services by the inline's formset).
PropertyAdmin.inlines.append(PoolInline)
