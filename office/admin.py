"""Cross-app links in the admin, added onto the apps' admins through the hooks they expose
(the admin's autodiscovery imports this module)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from billing.admin import statement_url
from billing.selectors import customer_balance
from core.context import Ctx
from customers.admin import CustomerAdmin, PropertyAdmin
from customers.models import Customer
from ektor.text import day, money
from operations.admin import PlanInline
from pools.admin import PoolAdmin, PoolInline
from support.selectors import request_pending_of_customer


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


def customer_balance_links(customer: Customer) -> list[tuple[str, str]]:
    """What the customer owes on their open invoices, their unapplied credits, and the net."""
    # The hook hands over the customer only: read for its company (one query).
    balance = customer_balance(Ctx.system(customer.company_id), customer_id=customer.pk)
    invoices = reverse("admin:billing_invoice_changelist")
    open_credits = reverse("admin:billing_credit_changelist")
    return [
        (
            f"{invoices}?customer__id__exact={customer.pk}&status__exact=sent",
            f"Open invoices: {balance.open_invoices}, {money(balance.balance_due)} due",
        ),
        (
            f"{open_credits}?customer__id__exact={customer.pk}&open=yes",
            f"Credits: {money(balance.unapplied_credit)} unapplied",
        ),
        (
            f"{open_credits}?customer__id__exact={customer.pk}",
            f"Net balance: {money(balance.net_balance)}",
        ),
    ]


CustomerAdmin.shortcut_links.append(customer_balance_links)

# A property's pools, on its page (saved through pools' services by the inline's formset).
PropertyAdmin.inlines.append(PoolInline)


def customer_request_links(customer: Customer) -> list[tuple[str, str]]:
    """The customer's requests: every one, and each still waiting for an answer by deadline."""
    queue = reverse("admin:support_customerrequest_changelist")
    # The hook hands over the customer only, read for the office's company: its requests are
    # its related rows (the system reads them; no company to look up again).
    pending = request_pending_of_customer(Ctx.system(), customer=customer)
    return [
        (f"{queue}?customer__id__exact={customer.pk}", f"Requests ({len(pending)} open)"),
        *(
            (
                reverse("admin:support_customerrequest_change", args=[request.pk]),
                f"{request.number}: {request.subject} (due {day(request.due_date)})",
            )
            for request in pending
        ),
    ]


CustomerAdmin.shortcut_links.append(customer_request_links)


# A pool's service plans, on its page (each opens on its own page, saved by the plan services).
PoolAdmin.inlines.append(PlanInline)


def customer_operation_links(customer: Customer) -> list[tuple[str, str]]:
    """The customer's service plans and visits (every day's)."""
    return [
        (
            reverse("admin:operations_serviceplan_changelist")
            + f"?pool__property__customer__id__exact={customer.pk}",
            "Service plans",
        ),
        (
            reverse("admin:operations_visit_changelist")
            + f"?date=all&customer__id__exact={customer.pk}",
            "Visits",
        ),
    ]


CustomerAdmin.shortcut_links.append(customer_operation_links)
