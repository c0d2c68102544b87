"""Under MariaDB's row locks: request numbers stay gap-free under concurrent creates, and
transitions of one request run one after the other."""

from collections import Counter

import pytest

from billing.models import Invoice
from billing.tests.conftest import make_invoice
from core.context import Ctx
from core.errors import ApplicationError
from customers.tests.factories import CustomerFactory
from ektor.testing import run_at_once
from support import services
from support.models import CustomerRequest
from support.tests.factories import answered_request

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def test_concurrent_first_requests_of_a_year_get_consecutive_numbers(ctx):
    customers = [CustomerFactory() for _ in range(8)]
    results = run_at_once(
        *[
            lambda c=c: services.request_create(
                ctx, kind="complaint", channel="phone", customer_id=c.pk, subject="Noisy pump"
            )
            for c in customers
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(CustomerRequest.unscoped.values_list("number", flat=True))
    year = results[0].received_at.year
    assert numbers == [f"REQ-{year}-{n:06d}" for n in range(1, 9)]


def test_two_closes_of_one_request_close_it_once(company):
    request = answered_request()
    results = run_at_once(
        *[lambda: services.request_close(Ctx.system(company), request=request)] * 2
    )
    outcomes = Counter(
        str(r.reason) if isinstance(r, ApplicationError) else type(r).__name__ for r in results
    )
    assert outcomes == {"CustomerRequest": 1, "invalid_transition": 1}


@pytest.mark.parametrize("attempt", range(10))
def test_a_claim_closed_while_another_is_opened_leaves_the_invoice_disputed(company, attempt):
    """Each sync counts the open claims under the invoice's lock, so the one that runs last
    sees the other's claim committed (or its close), whichever order the two take."""
    invoice = make_invoice()
    ctx = Ctx.system(company)
    first = answered_request(customer=invoice.customer, kind="claim", invoice_id=invoice.pk)
    assert Invoice.objects.of(ctx).get(pk=invoice.pk).disputed
    results = run_at_once(
        lambda: services.request_close(Ctx.system(company), request=first),
        lambda: services.request_create(
            Ctx.system(company),
            kind="claim",
            channel="email",
            customer_id=invoice.customer_id,
            invoice_id=invoice.pk,
            subject="Billed twice",
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Invoice.objects.of(ctx).get(pk=invoice.pk).disputed
