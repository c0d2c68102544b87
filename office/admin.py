"""Cross-app links in the admin, added onto the apps' admins through the hooks they expose
(the admin's autodiscovery imports this module)."""

import datetime

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from billing.admin import statement_url
from billing.history import HistoryEntry, service_history
from billing.selectors import customer_balance
from core.context import Ctx
from customers.admin import CustomerAdmin, PropertyAdmin
from customers.models import Customer, Property
from ektor.ctx import request_ctx
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
        (
            statement_url(
                customer.pk,
                datetime.date(this_year, 1, 1),
                datetime.date(this_year, 12, 31),
                pdf=True,
            ),
            f"Statement {this_year} (PDF)",
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


def _history_section(
    request: HttpRequest, entries: list[HistoryEntry], *, all_url: str, show_property: bool
) -> str:
    """The history as a section of the page; what billed each visit only for those who may
    see invoices."""
    return render_to_string(
        "admin/billing/service_history.html",
        {
            "entries": [
                {
                    "date": day(entry.visit.scheduled_date),
                    "property": entry.visit.property.label,
                    "url": reverse("admin:operations_visit_change", args=[entry.visit.pk]),
                    "title": entry.visit.title or entry.visit.get_kind_display(),
                    "technician": entry.visit.technician or "-",
                    "status": entry.visit.get_status_display(),
                    "done": entry.done,
                    "billed": [
                        {
                            "invoice": line.invoice,
                            "url": reverse("admin:billing_invoice_change", args=[line.invoice_id]),
                            "description": line.description,
                            "amount": money(line.amount),
                        }
                        for line in entry.billed
                    ],
                }
                for entry in entries
            ],
            "all_url": all_url,
            "show_property": show_property,
            "show_billing": request.user.has_perm("billing.view_invoice"),
        },
    )


def property_service_history(request: HttpRequest, prop: Property) -> str:
    """A property's last visits with the invoice lines that billed them."""
    entries = service_history(request_ctx(request), property_id=prop.pk)
    all_url = (
        reverse("admin:operations_visit_changelist") + f"?date=all&property__id__exact={prop.pk}"
    )
    return _history_section(request, entries, all_url=all_url, show_property=False)


def customer_service_history(request: HttpRequest, customer: Customer) -> str:
    """A customer's last visits, at any of their properties, with what billed them."""
    entries = service_history(request_ctx(request), customer_id=customer.pk)
    all_url = (
        reverse("admin:operations_visit_changelist")
        + f"?date=all&customer__id__exact={customer.pk}"
    )
    return _history_section(request, entries, all_url=all_url, show_property=True)


PropertyAdmin.page_sections.append(property_service_history)
CustomerAdmin.page_sections.append(customer_service_history)
