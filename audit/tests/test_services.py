"""Recording events: inside the service's transaction, with the actor and request id of ctx,
and field diffs as the API writes values."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from accounts.tests.factories import UserFactory
from audit.changes import diff, snapshot
from audit.models import AuditEvent
from audit.selectors import event_list
from audit.services import record, record_change, recorded_in_bulk, recording_delete
from billing.tests.conftest import make_invoice
from core.context import Ctx
from core.errors import Conflict
from customers import services as customer_services
from customers.models import Customer
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_an_event_is_recorded_only_inside_a_transaction():
    # (Other tests run inside the test's own transaction, so this one runs without.)
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        record(Ctx.system(), "create", ("customer", 1))
    assert not AuditEvent.objects.exists()


def test_actor_and_request_id_come_from_ctx():
    boss = UserFactory(username="boss")
    with transaction.atomic():
        by_user = record(Ctx.for_user(boss, request_id="req-1"), "update", ("customer", 7))
        by_command = record(Ctx.for_command("import_customers"), "create", ("customer", 7))
        as_user = record(Ctx.for_command("changepassword", boss), "set_password", boss)
        by_system = record(Ctx.system(), "delete", ("customer", 7))
    rows = {
        e.pk: (e.actor_user_id, e.actor, e.request_id) for e in AuditEvent.objects.order_by("pk")
    }
    assert rows == {
        by_user.pk: (boss.pk, "boss", "req-1"),
        by_command.pk: (None, "command:import_customers", ""),
        as_user.pk: (boss.pk, "command:changepassword", ""),
        by_system.pk: (None, "system", ""),
    }
    assert (as_user.object_type, as_user.object_id) == ("user", boss.pk)


def test_an_event_records_the_company_ctx_acts_for_and_each_company_reads_its_own(ctx):
    other = CompanyFactory()
    boss = UserFactory(username="boss")  # a member of the test company
    with transaction.atomic():
        here = record(Ctx.for_user(boss, ctx.company), "update", ("customer", 7))
        there = record(Ctx.system(other), "create", ("customer", 8))
        nowhere = record(Ctx.for_command("clearsessions"), "sign_out", boss)
    assert dict(AuditEvent.objects.values_list("pk", "company_id")) == {
        here.pk: ctx.company.pk,
        there.pk: other.pk,
        nowhere.pk: None,
    }
    assert [e.pk for e in event_list(ctx)] == [here.pk]
    assert [e.pk for e in event_list(Ctx.system(other))] == [there.pk]
    # Without a company nothing is read, not even the events of no company.
    assert not event_list(Ctx.for_command("clearsessions")).exists()


def test_values_are_written_as_the_api_writes_them():
    invoice = make_invoice(total="30.5")
    values = snapshot(invoice)
    assert values["total"] == "30.50"
    assert values["issued_date"] == "2026-01-11"
    assert values["sent_at"].endswith("Z") and "T" in values["sent_at"]
    assert values["customer_id"] == invoice.customer_id
    assert "id" not in values and "created_at" not in values and "updated_at" not in values
    # A negative zero (typed into an admin form or a CSV file) is stored as 0, and shown so.
    invoice.total = Decimal("-0")
    assert snapshot(invoice)["total"] == "0.00"


def test_a_users_password_is_never_in_an_event():
    user = UserFactory()
    assert "password" not in snapshot(user)
    assert "last_login" not in snapshot(user)


def test_diff_lists_what_changed_with_old_null_on_create_and_new_null_on_delete():
    assert diff({"a": 1, "b": "x"}, {"a": 2, "b": "x"}) == {"a": [1, 2]}
    assert diff(None, {"a": 1, "b": None}) == {"a": [None, 1]}
    assert diff({"a": 1}, None) == {"a": [1, None]}


def test_an_update_diffs_against_the_row_as_it_was_read(ctx):
    customer = customer_services.customer_create(
        ctx, first_name="Ana", last_name="Rivera", email="ana@example.com"
    )
    stored = Customer.objects.of(ctx).get(pk=customer.pk)
    # As the admin's form does: the new values are set on the instance before the service runs.
    stored.first_name = "Anita"
    customer_services.customer_replace(
        ctx, customer=stored, first_name="Anita", last_name="Rivera", email="ana@example.com"
    )
    create, update = AuditEvent.objects.order_by("pk")
    assert create.action == "create"
    assert create.changes == {
        "company_id": [None, ctx.company.pk],
        "first_name": [None, "Ana"],
        "last_name": [None, "Rivera"],
        "email": [None, "ana@example.com"],
        "is_active": [None, True],
    }
    assert (update.action, update.changes) == ("update", {"first_name": ["Ana", "Anita"]})


def test_an_update_that_changes_nothing_records_nothing(ctx):
    customer = customer_services.customer_create(ctx, first_name="Ana", last_name="Rivera")
    customer_services.customer_update(ctx, customer=customer, data={"first_name": "Ana"})
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["create"]


def test_two_changes_of_one_instance_record_each_its_own_diff(ctx):
    customer = customer_services.customer_create(ctx, first_name="Ana", last_name="Rivera")
    customer_services.customer_update(ctx, customer=customer, data={"first_name": "Eva"})
    customer_services.customer_update(ctx, customer=customer, data={"last_name": "Soto"})
    changes = list(AuditEvent.objects.order_by("pk").values_list("changes", flat=True))[1:]
    assert changes == [{"first_name": ["Ana", "Eva"]}, {"last_name": ["Rivera", "Soto"]}]


def test_a_refused_write_leaves_no_event(ctx):
    customer_services.customer_create(ctx, first_name="Ana", last_name="R", email="a@example.com")
    with pytest.raises(Conflict):
        customer_services.customer_create(
            ctx, first_name="Eva", last_name="S", email="A@example.com"
        )
    assert AuditEvent.objects.count() == 1


def test_a_refused_delete_records_nothing_and_a_delete_keeps_the_last_values(ctx):
    invoice = make_invoice()
    customer = Customer.objects.of(ctx).get(pk=invoice.customer_id)
    with pytest.raises(Conflict):
        customer_services.customer_delete(ctx, customer=customer)
    assert not AuditEvent.objects.filter(action="delete").exists()
    other = customer_services.customer_create(ctx, first_name="Eva", last_name="Soto")
    pk = other.pk
    customer_services.customer_delete(ctx, customer=other)
    event = AuditEvent.objects.get(action="delete")
    assert (event.object_type, event.object_id) == ("customer", pk)
    assert event.changes == {
        "company_id": [ctx.company.pk, None],
        "first_name": ["Eva", None],
        "last_name": ["Soto", None],
        "is_active": [True, None],
    }


def test_recording_delete_records_after_the_block_only(ctx):
    customer = customer_services.customer_create(ctx, first_name="Ana", last_name="Rivera")
    with pytest.raises(ValueError), transaction.atomic(), recording_delete(ctx, customer):
        raise ValueError("refused")
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_events_of_a_bulk_are_inserted_together_at_its_end(ctx, django_assert_num_queries):
    customers = [Customer(company=ctx.company, first_name=f"C{n}", last_name="X") for n in range(3)]
    Customer.objects.bulk_create(customers)
    # One INSERT of the three events.
    with transaction.atomic(), django_assert_num_queries(1), recorded_in_bulk(ctx):
        for customer in customers:
            record_change(ctx, "create", customer)
    assert AuditEvent.objects.filter(object_type="customer").count() == 3


def test_a_bulk_that_fails_writes_no_event(ctx):
    with pytest.raises(ValueError), transaction.atomic(), recorded_in_bulk(ctx):
        record(ctx, "create", ("customer", 1))
        raise ValueError("refused")
    assert not AuditEvent.objects.exists()


def test_a_command_ctx_has_a_request_id_of_its_own():
    from core.context import command_ctx
    from customers.management.commands.import_customers import Command

    first, second = command_ctx(Command()), command_ctx(Command())
    assert first.request_id.startswith("command-")
    assert first.request_id != second.request_id


def test_money_keeps_its_decimals_whatever_the_python_value(ctx):
    invoice = make_invoice(total="30.00")
    invoice.total = Decimal("31")
    assert snapshot(invoice)["total"] == "31.00"
    invoice.issued_date = datetime.date(2026, 2, 1)
    assert snapshot(invoice)["issued_date"] == "2026-02-01"


def test_object_types_name_one_model_each():
    """An event names its row's model by its name alone (`invoice`), so no two of the
    project's audited models may share one."""
    from django.apps import apps

    from audit.models import Audited

    names = [m._meta.model_name for m in apps.get_models() if issubclass(m, Audited)]
    assert len(names) == len(set(names))
    assert {"customer", "property", "invoice", "payment", "user"} <= set(names)


def test_a_partly_read_row_is_not_read_again_field_by_field(ctx, django_assert_num_queries):
    customer = customer_services.customer_create(ctx, first_name="Ana", last_name="Rivera")
    partial = Customer.objects.of(ctx).only("first_name").get(pk=customer.pk)
    with django_assert_num_queries(0):
        assert snapshot(partial) == {"first_name": "Ana"}


def test_deleting_a_user_records_each_memberships_deletion_in_its_companys_trail(ctx):
    from accounts.services import user_delete
    from tenancy.models import Membership, Role

    other = CompanyFactory()
    clerk = UserFactory(username="clerk5")
    Membership.unscoped.create(user=clerk, company=other, role=Role.STAFF)
    pk = clerk.pk
    user_delete(ctx, user=clerk)
    deleted = AuditEvent.objects.filter(action="delete")
    assert sorted(
        (e.object_type, e.company_id, e.changes.get("user_id")) for e in deleted
    ) == sorted(
        [
            ("membership", ctx.company.pk, [pk, None]),
            ("membership", other.pk, [pk, None]),
            ("user", ctx.company.pk, None),
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_a_user_is_deleted_in_a_transaction_of_its_own():
    from accounts.models import User
    from accounts.services import user_delete
    from tenancy.tests.factories import default_company

    clerk = UserFactory()
    user_delete(Ctx.system(default_company()), user=clerk)
    assert not User.objects.filter(pk=clerk.pk).exists()
    assert AuditEvent.objects.filter(object_type="user", action="delete").count() == 1
