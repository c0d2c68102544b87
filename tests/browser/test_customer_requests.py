"""A complaint from a phone call to its close, in a real browser: staff log it, an admin
assigns and answers it, the customer gets the answer through a real SMTP server, the request
closes."""

import pytest
from selenium.webdriver.common.by import By

from accounts.tests.factories import DEFAULT_PASSWORD
from customers.tests.factories import CustomerFactory
from ektor.testing import run_tasks
from support.models import CustomerRequest
from tests.browser.test_office_flows import autocomplete, success_message

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

QUEUE = "/admin/support/customerrequest/"


def test_a_phone_complaint_is_logged_answered_emailed_and_closed(
    page, staff_user, admin_user, smtp_server
):
    customer = CustomerFactory(first_name="Marisol", last_name="Quiñones", email="mq@example.com")

    # Staff take the call and log it.
    page.sign_in(staff_user.username, DEFAULT_PASSWORD)
    page.open(f"{QUEUE}add/")
    page.wait_for(".field-customer .select2-selection")
    page.select("kind", "complaint")
    page.select("channel", "phone")
    autocomplete(page, "customer", "Marisol")
    page.fill("subject", "The technician skipped Tuesday's visit")
    page.fill("description", "Called at 9:10, the pool is turning green.")
    page.submit()
    assert "was added successfully" in success_message(page)
    request = CustomerRequest.unscoped.get()
    assert (request.status, request.channel, request.customer_id) == ("open", "phone", customer.pk)
    # In the queue, with its deadline; staff cannot handle it.
    assert request.number in page.find("#result_list").text
    assert not page.find_all("select[name=action] option[value=close_selected]")

    # An admin takes it, answers it.
    page.driver.delete_all_cookies()
    page.sign_in(admin_user.username, DEFAULT_PASSWORD)
    page.open(f"{QUEUE}{request.pk}/change/")
    page.select("assignee", str(admin_user.pk))
    page.submit("input[name=_continue]")
    assert "was changed successfully" in success_message(page)
    assert page.find(".field-status .readonly").text == "In progress"
    page.fill("response", "Sorry: we come tomorrow at 8 and Tuesday's visit is not billed.")
    page.submit("input[name=_continue]")
    assert "The answer is emailed to mq@example.com." in page.wait_for(".messagelist").text
    assert page.find(".field-status .readonly").text == "Answered"

    # The worker sends it; the customer receives it.
    run_tasks()
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "mq@example.com"
    assert message["Subject"].startswith(f"Your complaint {request.number}: our answer")
    body = message.get_body(("plain",)).get_content()
    assert "we come tomorrow at 8 and Tuesday's visit is not billed." in body

    # Closed from the queue.
    page.open(QUEUE)
    page.wait_for(f"input[name=_selected_action][value='{request.pk}']").click()
    page.select("action", "close_selected")
    page.click_through(page.find("button[name=index]"))
    assert success_message(page) == "Closed 1 customer request."
    request.refresh_from_db()
    assert request.status == "closed" and request.closed_at is not None
    row = page.find("#result_list").find_element(By.PARTIAL_LINK_TEXT, request.number)
    assert row.text == request.number
