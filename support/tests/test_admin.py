"""The office's queue: pending requests by deadline with the overdue first, its filters and
actions, the request page's saves through the services, the report, the dashboard and the
customer's page."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import web_client_for
from customers.tests.factories import CustomerFactory
from support import services
from support.models import CustomerRequest
from support.tests.factories import answered_request, closed_request, make_request

pytestmark = pytest.mark.django_db

QUEUE = "/admin/support/customerrequest/"


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [obj.number for obj in response.context["cl"].result_list]


def test_the_queue_shows_the_overdue_first_then_by_deadline(admin_web):
    done = answered_request(received_at=ago(90))
    fresh = make_request(kind="service_request")
    late = make_request(kind="petition", received_at=ago(60))
    later = make_request(kind="complaint", received_at=ago(40))
    soon = make_request(kind="petition")
    assert listed(admin_web.get(QUEUE)) == [
        late.number,
        later.number,
        fresh.number,
        soon.number,
        done.number,
    ]
    page = admin_web.get(QUEUE).content.decode()
    assert page.count('class="overdue"') == 2
    assert listed(admin_web.get(QUEUE, {"overdue": "yes"})) == [late.number, later.number]
    assert listed(admin_web.get(QUEUE, {"kind__exact": "petition"})) == [late.number, soon.number]
    assert listed(admin_web.get(QUEUE, {"status__exact": "answered"})) == [done.number]


def test_the_assignee_filter(admin_web, admin_user, ctx):
    mine = make_request()
    services.request_assign(ctx, request=mine, assignee_id=admin_user.pk)
    nobodys = make_request()
    assert listed(admin_web.get(QUEUE, {"assignee": str(admin_user.pk)})) == [mine.number]
    assert listed(admin_web.get(QUEUE, {"assignee": "none"})) == [nobodys.number]


@pytest.mark.parametrize("value", ["abc", "99999999999999999999"])
def test_an_assignee_that_is_no_id_is_a_bad_filter(admin_web, value):
    # The last is past BIGINT: the database driver could not bind it (a 500 on SQLite).
    response = admin_web.get(QUEUE, {"assignee": value})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?e=1"


@pytest.mark.parametrize("count", [1, 15])
def test_the_queue_runs_a_fixed_number_of_queries(admin_web, django_assert_max_num_queries, count):
    for _ in range(count):
        make_request()
    admin_web.get(QUEUE)
    with django_assert_max_num_queries(14):
        response = admin_web.get(QUEUE)
    assert len(listed(response)) == count


def test_staff_log_a_request_and_cannot_handle_it(staff_web, staff_user):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    form = staff_web.get(f"{QUEUE}add/")
    assert form.status_code == 200
    now = timezone.localtime()
    response = staff_web.post(
        f"{QUEUE}add/",
        {
            "kind": "complaint",
            "channel": "phone",
            "customer": customer.pk,
            "subject": "Nobody came on Tuesday",
            "description": "Called at 9am",
            "received_at_0": now.strftime("%Y-%m-%d"),
            "received_at_1": now.strftime("%H:%M:%S"),
        },
        follow=True,
    )
    assert response.status_code == 200, response.content[:1000]
    request = CustomerRequest.unscoped.get()
    assert request.number.startswith(f"REQ-{now.year}-")
    assert (request.status, request.channel, request.customer_id) == ("open", "phone", customer.pk)
    # Staff see it but cannot assign, answer or close it.
    page = staff_web.get(f"{QUEUE}{request.pk}/change/")
    assert page.status_code == 200 and 'name="response"' not in page.content.decode()
    refused = staff_web.post(QUEUE, {"action": "close_selected", "_selected_action": [request.pk]})
    assert CustomerRequest.unscoped.get().status == "open"
    assert refused.status_code in (200, 302)


def change_form(request, **changes) -> dict:
    data = {
        "kind": request.kind,
        "channel": request.channel,
        "customer": request.customer_id,
        "property": request.property_id or "",
        "invoice": request.invoice_id or "",
        "subject": request.subject,
        "description": request.description,
        "assignee": request.assignee_id or "",
        "response": request.response or "",
    }
    return {**data, **changes}


def test_the_admin_assigns_and_answers_from_the_request_page(
    admin_web, admin_user, django_capture_on_commit_callbacks
):
    request = make_request()
    url = f"{QUEUE}{request.pk}/change/"
    response = admin_web.post(url, change_form(request, assignee=admin_user.pk), follow=True)
    assert response.status_code == 200
    request.refresh_from_db()
    assert (request.status, request.assignee_id) == ("in_progress", admin_user.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_web.post(url, change_form(request, response="We come Monday"), follow=True)
    request.refresh_from_db()
    assert (request.status, request.response) == ("answered", "We come Monday")
    assert f"The answer is emailed to {request.customer.email}." in response.content.decode()
    assert DBTaskResult.objects.filter(task_path="support.tasks.send_request_answer").count() == 1


def test_an_answer_to_an_answered_request_is_refused_on_the_form(admin_web):
    request = answered_request()
    url = f"{QUEUE}{request.pk}/change/"
    response = admin_web.post(url, change_form(request, response="Another answer"))
    assert response.status_code == 200
    assert (
        f"Request {request.number} is answered: it cannot answer from answered to answered"
        in response.content.decode()
    )
    request.refresh_from_db()
    assert request.response == "We replaced the pump's bearing."


def test_close_and_reopen_actions_report_each_refusal(admin_web):
    answered, pending, closed = answered_request(), make_request(), closed_request()
    response = admin_web.post(
        QUEUE,
        {"action": "close_selected", "_selected_action": [answered.pk, pending.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Closed 1 customer request." in text
    assert f"{pending.number}: Request {pending.number} is open: it cannot close" in text
    response = admin_web.post(
        QUEUE, {"action": "reopen_selected", "_selected_action": [closed.pk]}, follow=True
    )
    assert "Reopened 1 customer request." in response.content.decode()
    statuses = dict(CustomerRequest.unscoped.values_list("pk", "status"))
    assert statuses == {answered.pk: "closed", pending.pk: "open", closed.pk: "open"}


def test_assign_to_me(admin_web, admin_user):
    request = make_request()
    admin_web.post(QUEUE, {"action": "assign_to_me", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert (request.status, request.assignee_id) == ("in_progress", admin_user.pk)


def test_the_response_time_report_page(admin_web, staff_web):
    answered_request(kind="complaint")
    page = admin_web.get(f"{QUEUE}report/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Response times" in text and "complaint" in text
    assert staff_web.get(f"{QUEUE}report/").status_code == 200


def test_the_dashboard_counts_open_and_overdue_requests(admin_web):
    make_request(received_at=ago(60))
    make_request()
    answered_request(received_at=ago(60))
    counts = admin_web.get("/admin/").context["requests"]
    assert (counts.pending, counts.overdue) == (2, 1)
    technician = UserFactory(role=Role.TECHNICIAN)
    assert "requests" not in (web_client_for(technician).get("/admin/").context or {})


def test_the_customers_page_lists_their_pending_requests(admin_web):
    customer = CustomerFactory()
    late = make_request(customer=customer, subject="Green water", received_at=ago(60))
    answered_request(customer=customer, subject="Old question")
    page = admin_web.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert "Requests (1 open)" in page
    assert f"{late.number}: Green water (due" in page
    assert "Old question" not in page
    assert listed(admin_web.get(QUEUE, {"customer__id__exact": customer.pk})) == [
        late.number,
        CustomerRequest.unscoped.exclude(pk=late.pk).get().number,
    ]
