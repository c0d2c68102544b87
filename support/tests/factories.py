"""Requests made through the service, so each has its number, deadline and dispute."""

import datetime

from core.context import Ctx
from customers.tests.factories import CustomerFactory
from support import services
from support.models import CustomerRequest, RequestChannel, RequestKind


def make_request(
    *,
    customer=None,
    kind: str = RequestKind.COMPLAINT,
    channel: str = RequestChannel.PHONE,
    subject: str = "The pump is noisy",
    received_at: datetime.datetime | None = None,
    **extra,
) -> CustomerRequest:
    customer = customer or CustomerFactory()
    return services.request_create(
        Ctx.system(customer.company),
        kind=kind,
        channel=channel,
        customer_id=customer.pk,
        subject=subject,
        received_at=received_at,
        **extra,
    )


def answered_request(**kwargs) -> CustomerRequest:
    request = make_request(**kwargs)
    return services.request_answer(
        Ctx.system(request.company), request=request, response="We replaced the pump's bearing."
    )


def closed_request(**kwargs) -> CustomerRequest:
    request = answered_request(**kwargs)
    return services.request_close(Ctx.system(request.company), request=request)
