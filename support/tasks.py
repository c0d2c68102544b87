"""Support's background tasks: the answer's email to the customer (ektor/email.py)."""

from typing import Any

from core.context import Ctx
from ektor.email import send_templated
from ektor.tasks import background_task
from ektor.text import day
from support.selectors import request_get
from tenancy.selectors import company_get


@background_task()
def send_request_answer(company_id: int, request_id: int) -> dict[str, Any]:
    """The office's answer to the customer who made the request (text and HTML), sent as the
    request's company. The answer is read when the task runs: the one the customer has now."""
    ctx = Ctx.system(company_get(Ctx.system(), company_id=company_id))
    request = request_get(ctx, request_id=request_id)
    customer = request.customer
    if not customer.email or request.response is None:  # removed since it was answered
        return {"request": request.number, "sent_to": None}
    send_templated(
        ctx,
        template="request_answered",
        to=[customer.email],
        context={
            "request": request,
            "customer_name": customer.full_name,
            "kind": request.get_kind_display().lower(),
            "received": day(request.received_at),
        },
    )
    return {"request": request.number, "sent_to": customer.email}
