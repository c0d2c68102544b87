"""The trail in the back office: admin saves record events with the signed-in user, an object's
page shows its events as its History, and nobody can add, change or delete an event."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from audit.tests.factories import make_event
from billing.tests.conftest import make_invoice
from core.context import Ctx
from customers import services as customer_services
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from customers.tests.test_admin import CUSTOMERS, customer_form
from ektor.admin_tools import OfficeAdmin

pytestmark = pytest.mark.django_db
EVENTS = "/admin/audit/auditevent/"


def test_an_admin_save_records_the_signed_in_user_and_the_diff(admin_web, admin_user):
    customer = CustomerFactory(first_name="Old", last_name="Colon", email=None, phone=None)
    response = admin_web.post(f"{CUSTOMERS}{customer.pk}/change/", customer_form(first_name="New"))
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="customer")
    assert (event.actor_user_id, event.actor, event.action) == (admin_user.pk, "boss", "update")
    assert event.changes == {"first_name": ["Old", "New"]}
    assert event.request_id  # the request's X-Request-Id


def test_an_admin_action_records_each_rows_state_change(admin_web, admin_user):
    invoice = make_invoice(status="draft")
    response = admin_web.post(
        "/admin/billing/invoice/",
        {"action": "send_selected", "_selected_action": [invoice.pk]},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="invoice", action="send")
    assert event.actor == "boss"
    assert event.changes["status"] == ["draft", "sent"]


def test_the_objects_history_page_shows_its_events_newest_first(admin_web, ctx):
    customer = customer_services.customer_create(ctx, first_name="Ana", last_name="Rivera")
    by_clerk = Ctx.for_user(UserFactory(username="clerk2"), ctx.company, request_id="req-77")
    customer_services.customer_update(by_clerk, customer=customer, data={"first_name": "Anita"})
    other = customer_services.customer_create(ctx, first_name="Eva", last_name="Soto")
    response = admin_web.get(f"{CUSTOMERS}{customer.pk}/history/")
    assert response.status_code == 200
    events = list(response.context["action_list"])
    assert [(e.actor, e.action) for e in events] == [("clerk2", "update"), ("system", "create")]
    page = response.content.decode()
    assert "<b>first_name</b>: Ana &rarr; Anita" in page
    assert "req-77" in page
    assert str(other.pk) not in [str(e.object_id) for e in events]
    assert "2 events" in page


def test_every_business_admin_shows_the_audit_history(admin_web, ctx):
    invoice = make_invoice()
    response = admin_web.get(f"/admin/billing/invoice/{invoice.pk}/history/")
    assert [e.action for e in response.context["action_list"]] == ["create"]
    # One base for all: every registered ModelAdmin is an OfficeAdmin, whose history it is.
    assert all(isinstance(a, OfficeAdmin) for a in admin.site._registry.values())
    assert all(
        type(a).history_view is OfficeAdmin.history_view for a in admin.site._registry.values()
    )


def test_history_of_a_missing_object_redirects(admin_web):
    response = admin_web.get(f"{CUSTOMERS}999999/history/")
    assert response.status_code == 302


def test_the_history_is_for_those_who_may_read_the_trail(staff_web, admin_web):
    customer = CustomerFactory()
    change = f"{CUSTOMERS}{customer.pk}/change/"
    assert 'class="historylink"' in admin_web.get(change).content.decode()
    page = staff_web.get(change)
    assert page.status_code == 200
    assert 'class="historylink"' not in page.content.decode()
    assert staff_web.get(f"{CUSTOMERS}{customer.pk}/history/").status_code == 403
    assert staff_web.get(EVENTS).status_code == 403


def test_the_trail_is_read_only_for_everyone_superusers_included(admin_web, admin_user):
    event = make_event(changes={"first_name": [None, "Ana"]})
    assert admin_web.get(EVENTS).status_code == 200
    assert admin_web.get(f"{EVENTS}{event.pk}/change/").status_code == 200  # a view page
    assert admin_web.get(f"{EVENTS}add/").status_code == 403
    assert admin_web.post(f"{EVENTS}{event.pk}/change/", {"action": "x"}).status_code == 403
    assert admin_web.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser = User.objects.create(username="root", email="root@example.com", is_staff=True)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)  # as by hand in the database
    superuser.refresh_from_db()
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)
    event.refresh_from_db()
    assert event.action == "create"


def test_a_command_records_as_command_name_with_a_run_id(tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text(
        "first_name,last_name,email,property_label,address1\n"
        "Ana,Rivera,ana@example.com,Casa Playa,12 Calle Sol\n"
        "Ana,Rivera,ana@example.com,Casa Luna,14 Calle Luna\n",
        encoding="utf-8",
    )
    call_command("import_customers", str(path))
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.object_type, e.action) for e in events] == [
        ("customer", "create"),
        ("property", "create"),
        ("property", "create"),
    ]
    assert {(e.actor, e.actor_user_id) for e in events} == {("command:import_customers", None)}
    assert len({e.request_id for e in events}) == 1
    assert events[0].request_id.startswith("command-")
    customer = Customer.unscoped.get()
    assert events[1].changes["customer_id"] == [None, customer.pk]


def test_a_csv_import_inserts_its_events_together(ctx):
    from customers import csv_import

    rows = "".join(f"C{n},X,c{n}@example.com,Home,{n} Main St\n" for n in range(30))
    header = "first_name,last_name,email,property_label,address1\n"
    plan = csv_import.plan(ctx, header + rows)
    with CaptureQueriesContext(connection) as queries:
        csv_import.run(ctx, plan)
    table = AuditEvent._meta.db_table
    # An executemany is logged once, as "<rows> times: <its SQL>".
    inserts = [
        sql
        for sql in (q["sql"] for q in queries.captured_queries)
        if "INSERT INTO" in sql.split("(", 1)[0] and table in sql.split("(", 1)[0]
    ]
    # 60 events (a customer and a property per row) in one executemany (MySQL's driver sends
    # them as one multi-row INSERT)
    assert len(inserts) == 1
    assert inserts[0].startswith("60 times: INSERT INTO")
    assert AuditEvent.objects.filter(action="create").count() == 60


def test_seed_demo_records_the_demo_rows_under_the_command(capsys):
    call_command("seed_demo")
    actors = set(AuditEvent.objects.values_list("actor", flat=True))
    assert actors == {"command:seed_demo"}
    kinds = set(AuditEvent.objects.values_list("object_type", "action"))
    assert {("customer", "create"), ("property", "create"), ("invoice", "create")} <= kinds
    assert Customer.unscoped.count() == AuditEvent.objects.filter(object_type="customer").count()


def test_deleting_a_user_in_the_admin_goes_through_the_service(admin_web, admin_user):
    clerk = UserFactory(username="clerk9")
    pk = clerk.pk
    response = admin_web.post(f"/admin/accounts/user/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="user", action="delete")
    assert (event.object_id, event.actor) == (pk, "boss")
    assert event.changes["username"] == ["clerk9", None]
    assert "password" not in event.changes


def test_the_last_active_owner_cannot_be_deleted(admin_user, ctx):
    from accounts.services import user_delete
    from core.errors import Conflict

    with pytest.raises(Conflict, match="The last active owner cannot be demoted, deactivated"):
        user_delete(ctx, user=admin_user)
    assert User.objects.filter(pk=admin_user.pk).exists()
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_createsuperuser_records_the_new_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Long-enough-pass-42")
    call_command(
        "createsuperuser", "--noinput", username="root", email="root@example.com", verbosity=0
    )
    root = User.objects.get(username="root")
    event = AuditEvent.objects.get(object_type="user", object_id=root.pk)
    assert (event.action, event.actor, event.actor_user_id) == (
        "create",
        "command:createsuperuser",
        None,
    )
    assert event.changes["role"] == [None, "admin"]
    # An admin of the first company, its owner (it had none), and that is in the trail too.
    joined = AuditEvent.objects.get(object_type="membership")
    assert (joined.actor, joined.changes["user_id"], joined.changes["is_owner"]) == (
        "command:createsuperuser",
        [None, root.pk],
        [None, True],
    )
