"""The answer to a request reaches the customer through a real SMTP server, sent by the task
worker as the request's company."""

import pytest

from customers.tests.factories import CustomerFactory
from ektor.testing import run_tasks
from support import services
from support.tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_the_customer_gets_the_answer_by_email(
    settings, company, ctx, smtp_server, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "office@bluelagoon.example"
    company.name, company.email = "Blue Lagoon Pools", "care@bluelagoon.example"
    company.save(update_fields=["name", "email"])
    customer = CustomerFactory(first_name="Ana", last_name="O'Neil", email="ana@example.com")
    request = make_request(customer=customer, subject="The <heater> trips")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_answer(ctx, request=request, response="We replaced the breaker.\nCall us.")
    run_tasks()
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == f"Your complaint {request.number}: our answer (Blue Lagoon Pools)"
    assert message["From"] == "Blue Lagoon Pools <office@bluelagoon.example>"
    assert message["Reply-To"] == "care@bluelagoon.example"
    assert message["To"] == "ana@example.com"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    for line in (
        "Dear Ana O'Neil,",
        f"Here is our answer to your complaint {request.number} of ",
        '"The <heater> trips".',
        "We replaced the breaker.\nCall us.",
        f"quote {request.number}.",
    ):
        assert line in text, line
    html = message.get_body(("html",)).get_content()
    assert "The &lt;heater&gt; trips" in html and "Dear Ana O&#x27;Neil," in html
