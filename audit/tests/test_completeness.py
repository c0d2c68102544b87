"""Every public function of every app's services module either records its audit event (a case
below runs it and checks the event) or is listed as recording none, with the reason. A new
service that is in neither table fails the first test; one that writes without recording fails
its case."""

import datetime
import importlib
import importlib.util
import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings

from accounts import services as accounts
from accounts.models import AuthSession, Role
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from billing import credits, reminders
from billing import services as billing
from billing.tests.conftest import make_invoice
from catalog import services as catalog
from catalog.tests.factories import ItemFactory, stocked
from core.context import Ctx
from core.errors import ApplicationError
from customers import services as customers
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor.registry import service_modules
from operations import photos, plans, reports, visits
from operations.scheduling import visits_schedule
from operations.tests.factories import ServicePlanFactory, VisitFactory
from operations.tests.images import image_bytes
from pools import services as pools
from pools.tests.factories import EquipmentFactory, PoolFactory
from support import services as support
from support.tests.factories import answered_request, make_request
from tenancy import services as tenancy
from tenancy.models import Membership
from tenancy.tests.factories import default_company

# The recorder itself, and the helpers the apps' services share (they take no ctx).
NOT_BUSINESS_SERVICES = ("audit", "ektor")


def service_functions() -> set[str]:
    names = set()
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)):
            continue
        if config.name in NOT_BUSINESS_SERVICES:
            continue
        for module_name in service_modules(config):
            if importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if function.__module__ == module_name and not name.startswith("_"):
                    names.add(f"{module_name}.{name}")
    return names


# Services that write no business row, or write one only through another service listed below.
NO_EVENT = {
    "customers.services.customer_email_check": "a check; reads",
    "customers.services.customer_kept_reason": "a check; reads",
    "customers.services.property_customer_check": "a check; locks and reads",
    "customers.services.property_text_errors": "a check; reads nothing",
    "billing.services.receivables_add": "bookkeeping: the running figures (ReceivablesByDueDate)",
    "billing.services.receivables_fix": "bookkeeping: the running figures (ReceivablesByDueDate)",
    "billing.services.invoice_email_recipient": "a read: where a sent invoice's email goes",
    "billing.services.invoice_numbers_reserve": "bookkeeping: the invoice number counter",
    "billing.services.can_invoice_create": "a check; reads",
    "billing.services.can_invoice_update": "a check; locks and reads",
    "billing.services.can_invoice_send": "a check; reads",
    "billing.services.can_invoice_void": "a check; reads",
    "billing.services.invoice_lock": "a lock for a decision; writes nothing",
    "billing.services.can_payments_record": "a check; locks and reads",
    "billing.services.invoice_amount_paid": "reads",
    "billing.credits.credits_lock_open": "a lock for a billing run's applications; writes nothing",
    "billing.reminders.reminders_due": "reads: the reminders due today",
    "support.services.request_due_date": "reads the company's deadlines",
    "support.services.request_email_recipient": "a read: where a request's answer goes",
    "support.services.can_request_transition": "a check; reads",
    "accounts.services.user_sync_role_group": (
        "bookkeeping: the group and staff flag follow the role; user_create and user_update, "
        "which call it, record the user's change"
    ),
    "accounts.services.user_check_update": "a check; locks and reads",
    "accounts.services.user_authenticate": "reads (session_start records the sign-in)",
    "accounts.services.admin_session_rekey": (
        "bookkeeping: Django gave the browser's session a new key"
    ),
    "accounts.services.sessions_clear_expired": (
        "bookkeeping: purges expired and long-ended sign-in sessions"
    ),
    "tenancy.services.membership_check_change": "a check; locks and reads",
    "pools.services.pool_field_errors": "a check; reads nothing",
    "pools.services.pool_name_check": "a check; reads",
    "pools.services.pool_property_get": "a read: the pool's property in the company",
    "catalog.services.item_sku_check": "a check; reads",
    "catalog.services.item_field_errors": "a check; reads nothing",
    "catalog.services.movement_quantity_errors": "a check; reads nothing",
    "operations.visits.can_visit_transition": "a check; reads nothing",
    "operations.visits.technician_check": "a check; reads",
    "operations.visits.reading_errors": "a check; reads nothing",
    "operations.visits.checklist_errors": "a check; reads nothing",
    "operations.plans.plan_field_errors": "a check; reads nothing",
    "operations.plans.plan_technician_check": "a check; reads",
    "operations.plans.can_plan_transition": "a check; reads nothing",
    "operations.scheduling.schedule_range_errors": "a check; reads nothing",
    "operations.photos.can_photo_add": "a check; reads",
    "operations.photos.photo_thumbnail_content": "reads the stored thumbnail (or makes one)",
    "operations.reports.visit_report": "reads: the report's content",
    "operations.reports.visit_report_page": "reads: the report's page",
    "operations.reports.visit_report_recipient": "a read: where a visit's report goes",
}


@dataclass
class Case:
    # Makes the rows the call needs (through the services or factories; their own events
    # are not counted) and returns the call, run with the case's ctx.
    prepare: Callable[[], Callable[[Ctx], Any]]
    events: set[tuple[str, str]]  # (object_type, action) the call must record, exactly


def _system() -> Ctx:
    return Ctx.system(default_company())


def _customer():
    return customers.customer_create(_system(), first_name="Ana", last_name="Rivera")


def _property():
    return customers.property_create(
        _system(), customer_id=_customer().pk, label="Casa Playa", address1="12 Calle Sol"
    )


def _membership():
    return Membership.unscoped.select_related("user").get(
        user=UserFactory(), company=default_company()
    )


def _invoice_fields():
    prop = PropertyFactory()
    day = datetime.date(2026, 1, 11)
    return {
        "customer_id": prop.customer_id,
        "property_id": prop.pk,
        "period_start": day - datetime.timedelta(days=6),
        "period_end": day,
        "issued_date": day,
        "subtotal": Decimal("100.00"),
        "tax": Decimal("0.00"),
        "total": Decimal("100.00"),
    }


_NOV = datetime.date(2026, 11, 1)


def _month_to_bill():
    """A plan to bill in November (its run makes the run's row and one invoice)."""
    ServicePlanFactory(start_date=datetime.date(2026, 10, 1))


def _paid_payment():
    invoice = make_invoice(total="40.00")
    return billing.payment_record(_system(), invoice_id=invoice.pk, amount=Decimal("40.00"))


def _open_credit(amount="30.00"):
    invoice = make_invoice(total="40.00")
    credit = credits.credit_create(
        _system(), customer_id=invoice.customer_id, amount=Decimal(amount), reason="Goodwill"
    )
    return invoice, credit


def _overpaid():
    invoice = make_invoice(total="40.00")
    return billing.payment_record(
        _system(), invoice_id=invoice.pk, amount=Decimal("50.00"), overpayment="credit"
    )


def _overpayment_take_back(ctx, payment):
    credit = credits.overpayment_take_back(ctx, payment=payment, reason="Bounced")
    assert credit is not None and credit.voided_at is not None


def _credits_auto_apply(ctx, prepared):
    invoice, _ = prepared
    applied = credits.credits_auto_apply(
        ctx,
        invoice_ids=[invoice.pk],
        open_credits=credits.credits_lock_open(ctx, customer_ids=[invoice.customer_id]),
    )
    assert [application.amount for application in applied] == [Decimal("30.00")]


def _session(user=None):
    user = user or UserFactory()
    accounts.session_start(_system(), user=user)
    return AuthSession.objects.filter(user=user).latest("created_at")


def _reused_refresh():
    user = UserFactory()
    first = accounts.session_start(_system(), user=user)["refresh_token"]
    accounts.session_refresh(_system(), refresh_token=first)  # rotates it away

    def call(ctx):
        # A rotated-away token means two parties hold it: the session ends, the caller gets 401.
        with pytest.raises(ApplicationError):
            accounts.session_refresh(ctx, refresh_token=first)

    return call


def _visit_with_stock():
    visit = VisitFactory()
    item = stocked(_system(), 10, kind="chemical")
    return {
        "visit": visit,
        "readings": [{"pool_id": visit.plan.pool_id, "ph": Decimal("7.5")}],
        "lines": [{"item_id": item.pk, "quantity": Decimal(1)}],
    }


def _completed_visit():
    visit = VisitFactory()
    readings = [{"pool_id": visit.plan.pool_id, "ph": Decimal("7.9")}]
    return visits.visit_complete(_system(), visit=visit, readings=readings)


def _prepared(value_maker, call):
    def prepare():
        value = value_maker()
        return lambda ctx: call(ctx, value)

    return prepare


def _plan(**fields):
    return ServicePlanFactory(**fields)


def _paused_plan():
    plan = _plan()
    plans.plan_pause(_system(), plan=plan)
    return plan


def _stale_plan():
    # Its end date is past, yet it is still active: the refresh ends it.
    return _plan(start_date=datetime.date(2025, 1, 6), end_date=datetime.date(2025, 6, 30))


def _photo(ctx, visit):
    content = image_bytes()
    return photos.photo_add(ctx, visit=visit, upload=io.BytesIO(content), size=len(content))


def _reported_visit():
    customer = CustomerFactory(email="ana@example.com")
    pool = PoolFactory(property=PropertyFactory(customer=customer))
    return VisitFactory(plan=ServicePlanFactory(pool=pool))


CASES: dict[str, Case] = {
    "operations.visits.visit_create": Case(
        _prepared(
            PropertyFactory,
            lambda ctx, p: visits.visit_create(
                ctx, property_id=p.pk, scheduled_date=datetime.date(2026, 3, 4)
            ),
        ),
        {("visit", "create")},
    ),
    "operations.visits.visit_update": Case(
        _prepared(
            VisitFactory, lambda ctx, v: visits.visit_update(ctx, visit=v, data={"title": "x"})
        ),
        {("visit", "update")},
    ),
    "operations.visits.visit_start": Case(
        _prepared(VisitFactory, lambda ctx, v: visits.visit_start(ctx, visit=v)),
        {("visit", "start")},
    ),
    "operations.visits.visit_complete": Case(
        _prepared(_visit_with_stock, lambda ctx, made: visits.visit_complete(ctx, **made)),
        # The readings, the lines and the stock they took, each in the trail, and the report's
        # email to the customer.
        {
            ("visit", "complete"),
            ("visit", "send"),
            ("reading", "create"),
            ("visitline", "create"),
            ("stockmovement", "create"),
        },
    ),
    "operations.visits.visit_skip": Case(
        _prepared(VisitFactory, lambda ctx, v: visits.visit_skip(ctx, visit=v, reason="dog")),
        {("visit", "skip")},
    ),
    "operations.visits.visit_cancel": Case(
        _prepared(VisitFactory, lambda ctx, v: visits.visit_cancel(ctx, visit=v, reason="Rain")),
        {("visit", "cancel")},
    ),
    "operations.visits.visit_correct": Case(
        _prepared(
            _completed_visit,
            lambda ctx, v: visits.visit_correct(
                ctx,
                visit=v,
                data={"office_notes": "Seal replaced", "readings": [{"pool_id": v.plan.pool_id}]},
            ),
        ),
        {("visit", "correct"), ("reading", "correct")},
    ),
    "operations.plans.plan_create": Case(
        lambda: (
            lambda ctx: plans.plan_create(
                ctx,
                pool_id=PoolFactory().pk,
                weekday=2,
                start_date=datetime.date(2026, 1, 5),
                rate=Decimal("160.00"),
            )
        ),
        {("serviceplan", "create")},
    ),
    "operations.plans.plan_update": Case(
        _prepared(_plan, lambda ctx, p: plans.plan_update(ctx, plan=p, data={"weekday": 4})),
        {("serviceplan", "update")},
    ),
    "operations.plans.plan_pause": Case(
        _prepared(_plan, lambda ctx, p: plans.plan_pause(ctx, plan=p)),
        {("serviceplan", "pause")},
    ),
    "operations.plans.plan_resume": Case(
        _prepared(_paused_plan, lambda ctx, p: plans.plan_resume(ctx, plan=p)),
        {("serviceplan", "resume")},
    ),
    "operations.plans.plan_end": Case(
        _prepared(
            _plan, lambda ctx, p: plans.plan_end(ctx, plan=p, end_date=datetime.date(2026, 3, 1))
        ),
        {("serviceplan", "end")},
    ),
    "operations.plans.plans_status_refresh": Case(
        _prepared(_stale_plan, lambda ctx, p: plans.plans_status_refresh(ctx)),
        {("serviceplan", "update")},
    ),
    "operations.scheduling.visits_schedule": Case(
        _prepared(
            _plan,
            lambda ctx, p: visits_schedule(
                ctx, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 1, 31)
            ),
        ),
        {("visit", "create")},
    ),
    "customers.services.customer_create": Case(
        lambda: lambda ctx: customers.customer_create(ctx, first_name="Eva", last_name="Soto"),
        {("customer", "create")},
    ),
    "customers.services.customer_replace": Case(
        _prepared(
            _customer,
            lambda ctx, c: customers.customer_replace(
                ctx, customer=c, first_name="Eva", last_name="Soto"
            ),
        ),
        {("customer", "update")},
    ),
    "customers.services.customer_update": Case(
        _prepared(
            _customer,
            lambda ctx, c: customers.customer_update(ctx, customer=c, data={"phone": "555"}),
        ),
        {("customer", "update")},
    ),
    "customers.services.customers_deactivate": Case(
        _prepared(_customer, lambda ctx, c: customers.customers_deactivate(ctx, customers=[c])),
        {("customer", "update")},
    ),
    "customers.services.customer_delete": Case(
        _prepared(_customer, lambda ctx, c: customers.customer_delete(ctx, customer=c)),
        {("customer", "delete")},
    ),
    "customers.services.property_create": Case(
        _prepared(
            _customer,
            lambda ctx, c: customers.property_create(
                ctx, customer_id=c.pk, label="Casa", address1="12 Calle Sol"
            ),
        ),
        {("property", "create")},
    ),
    "customers.services.property_replace": Case(
        _prepared(
            _property,
            lambda ctx, p: customers.property_replace(
                ctx, prop=p, customer_id=p.customer_id, label="Casa Luna", address1="1 Main St"
            ),
        ),
        {("property", "update")},
    ),
    "customers.services.property_update": Case(
        _prepared(
            _property,
            lambda ctx, p: customers.property_update(ctx, prop=p, data={"city": "Aguada"}),
        ),
        {("property", "update")},
    ),
    "customers.services.property_delete": Case(
        _prepared(_property, lambda ctx, p: customers.property_delete(ctx, prop=p)),
        {("property", "delete")},
    ),
    "pools.services.pool_create": Case(
        _prepared(
            PropertyFactory,
            lambda ctx, p: pools.pool_create(
                ctx, property_id=p.pk, name="Main Pool", volume_gallons=15000
            ),
        ),
        {("pool", "create")},
    ),
    "pools.services.pool_replace": Case(
        _prepared(
            PoolFactory,
            lambda ctx, p: pools.pool_replace(
                ctx, pool=p, property_id=p.property_id, name="Spa", volume_gallons=800
            ),
        ),
        {("pool", "update")},
    ),
    "pools.services.pool_update": Case(
        _prepared(PoolFactory, lambda ctx, p: pools.pool_update(ctx, pool=p, data={"notes": "x"})),
        {("pool", "update")},
    ),
    "pools.services.pool_delete": Case(
        _prepared(lambda: EquipmentFactory().pool, lambda ctx, p: pools.pool_delete(ctx, pool=p)),
        # Its equipment goes with it, each in the trail.
        {("pool", "delete"), ("equipment", "delete")},
    ),
    "pools.services.equipment_create": Case(
        _prepared(
            PoolFactory, lambda ctx, p: pools.equipment_create(ctx, pool_id=p.pk, kind="pump")
        ),
        {("equipment", "create")},
    ),
    "pools.services.equipment_replace": Case(
        _prepared(
            EquipmentFactory,
            lambda ctx, e: pools.equipment_replace(
                ctx, equipment=e, pool_id=e.pool_id, kind="heater"
            ),
        ),
        {("equipment", "update")},
    ),
    "pools.services.equipment_update": Case(
        _prepared(
            EquipmentFactory,
            lambda ctx, e: pools.equipment_update(ctx, equipment=e, data={"make": "Jandy"}),
        ),
        {("equipment", "update")},
    ),
    "pools.services.equipment_delete": Case(
        _prepared(EquipmentFactory, lambda ctx, e: pools.equipment_delete(ctx, equipment=e)),
        {("equipment", "delete")},
    ),
    "catalog.services.item_create": Case(
        lambda: (
            lambda ctx: catalog.item_create(
                ctx, sku="CHL-1", name="Chlorine", kind="chemical", price=Decimal("6.50")
            )
        ),
        {("item", "create")},
    ),
    "catalog.services.item_replace": Case(
        _prepared(
            ItemFactory,
            lambda ctx, i: catalog.item_replace(
                ctx, item=i, sku="P-1", name="Pump seal", kind="part", price=Decimal("24.00")
            ),
        ),
        {("item", "update")},
    ),
    "catalog.services.item_update": Case(
        _prepared(
            ItemFactory,
            lambda ctx, i: catalog.item_update(ctx, item=i, data={"price": Decimal("9.00")}),
        ),
        {("item", "update")},
    ),
    "catalog.services.item_delete": Case(
        _prepared(ItemFactory, lambda ctx, i: catalog.item_delete(ctx, item=i)),
        {("item", "delete")},
    ),
    "catalog.services.stock_movement_create": Case(
        _prepared(
            ItemFactory,
            lambda ctx, i: catalog.stock_movement_create(
                ctx, item_id=i.pk, kind="receipt", quantity=Decimal("5")
            ),
        ),
        {("stockmovement", "create")},
    ),
    "catalog.services.stock_use": Case(
        _prepared(
            lambda: stocked(_system(), 5),
            lambda ctx, i: catalog.stock_use(ctx, item=i, quantity=Decimal("2")),
        ),
        {("stockmovement", "create")},
    ),
    "catalog.services.stocks_use": Case(
        _prepared(
            lambda: [stocked(_system(), 5), stocked(_system(), 5)],
            lambda ctx, items: catalog.stocks_use(
                ctx, uses=[(item, Decimal("2")) for item in items]
            ),
        ),
        {("stockmovement", "create")},
    ),
    "billing.services.invoice_create": Case(
        _prepared(_invoice_fields, lambda ctx, f: billing.invoice_create(ctx, **f)),
        {("invoice", "create")},
    ),
    "billing.services.invoice_update": Case(
        _prepared(
            lambda: make_invoice(status="draft"),
            lambda ctx, i: billing.invoice_update(ctx, invoice=i, data={"notes": "Gate 12"}),
        ),
        {("invoice", "update")},
    ),
    "billing.services.invoice_update_notes": Case(
        _prepared(
            make_invoice, lambda ctx, i: billing.invoice_update_notes(ctx, invoice=i, notes="Hi")
        ),
        {("invoice", "update")},
    ),
    "billing.services.invoice_send": Case(
        _prepared(
            lambda: make_invoice(status="draft"),
            lambda ctx, i: billing.invoice_send(ctx, invoice=i),
        ),
        {("invoice", "send")},
    ),
    "billing.services.invoice_void": Case(
        _prepared(make_invoice, lambda ctx, i: billing.invoice_void(ctx, invoice=i, reason="Dup")),
        {("invoice", "void")},
    ),
    "billing.services.billing_run": Case(
        lambda: _month_to_bill() or (lambda ctx: billing.billing_run(ctx, period=_NOV)),
        {("billingrun", "create"), ("invoice", "create")},
    ),
    "billing.services.billing_run_queue": Case(
        lambda: lambda ctx: billing.billing_run_queue(ctx, period=_NOV),
        {("billingrun", "create")},
    ),
    "billing.services.payment_record": Case(
        _prepared(
            make_invoice,
            lambda ctx, i: billing.payment_record(ctx, invoice_id=i.pk, amount=Decimal("100.00")),
        ),
        {("payment", "create"), ("invoice", "pay")},
    ),
    "billing.services.payment_reverse": Case(
        _prepared(
            _paid_payment,
            lambda ctx, p: billing.payment_reverse(ctx, payment_id=p.pk, reason="Bounced"),
        ),
        {("payment", "reverse"), ("invoice", "reopen")},
    ),
    "billing.credits.credit_create": Case(
        _prepared(
            make_invoice,
            lambda ctx, i: credits.credit_create(
                ctx,
                customer_id=i.customer_id,
                amount=Decimal("30.00"),
                reason="Billed twice",
                invoice_id=i.pk,
            ),
        ),
        {("credit", "create"), ("creditapplication", "create"), ("credit", "apply")}
        | {("invoice", "credit")},
    ),
    "billing.credits.credit_apply": Case(
        _prepared(
            _open_credit,
            lambda ctx, ic: credits.credit_apply(
                ctx, credit_id=ic[1].pk, invoice_id=ic[0].pk, amount=Decimal("30.00")
            ),
        ),
        {("creditapplication", "create"), ("credit", "apply"), ("invoice", "credit")},
    ),
    "billing.credits.credits_auto_apply": Case(
        _prepared(_open_credit, _credits_auto_apply),
        {("creditapplication", "create"), ("credit", "apply"), ("invoice", "credit")},
    ),
    "billing.credits.credit_from_overpayment": Case(
        _prepared(
            _paid_payment,
            lambda ctx, p: credits.credit_from_overpayment(ctx, payment=p, amount=Decimal("5")),
        ),
        {("credit", "create")},
    ),
    "billing.credits.overpayment_take_back": Case(
        _prepared(_overpaid, _overpayment_take_back), {("credit", "void")}
    ),
    "billing.reminders.reminder_claim": Case(
        _prepared(
            make_invoice,  # due Jan 18, 2026: 51 days late on Mar 10, its 30-day step
            lambda ctx, i: reminders.reminder_claim(
                ctx, invoice_id=i.pk, days=30, today=datetime.date(2026, 3, 10)
            ),
        ),
        {("invoice", "remind")},
    ),
    "billing.services.invoice_dispute_set": Case(
        _prepared(
            make_invoice,
            lambda ctx, i: billing.invoice_dispute_set(ctx, invoice_id=i.pk, disputed=True),
        ),
        {("invoice", "dispute")},
    ),
    # A claim about an invoice disputes it in the same transaction: both are recorded.
    "support.services.request_create": Case(
        _prepared(
            make_invoice,
            lambda ctx, i: support.request_create(
                ctx,
                kind="claim",
                channel="phone",
                customer_id=i.customer_id,
                invoice_id=i.pk,
                subject="Billed twice",
            ),
        ),
        {("customerrequest", "create"), ("invoice", "dispute")},
    ),
    "support.services.request_update": Case(
        _prepared(
            make_request,
            lambda ctx, r: support.request_update(ctx, request=r, data={"subject": "Green"}),
        ),
        {("customerrequest", "update")},
    ),
    "support.services.request_assign": Case(
        _prepared(
            lambda: (make_request(), UserFactory()),
            lambda ctx, pair: support.request_assign(ctx, request=pair[0], assignee_id=pair[1].pk),
        ),
        {("customerrequest", "assign")},
    ),
    "support.services.request_answer": Case(
        _prepared(
            make_request,
            lambda ctx, r: support.request_answer(ctx, request=r, response="Fixed"),
        ),
        {("customerrequest", "answer")},
    ),
    "support.services.request_close": Case(
        _prepared(answered_request, lambda ctx, r: support.request_close(ctx, request=r)),
        {("customerrequest", "close")},
    ),
    "support.services.request_reopen": Case(
        _prepared(answered_request, lambda ctx, r: support.request_reopen(ctx, request=r)),
        {("customerrequest", "reopen")},
    ),
    "accounts.services.user_create": Case(
        lambda: (
            lambda ctx: accounts.user_create(
                ctx, username="newbie", email="newbie@example.com", password="A-long-pass-1234"
            )
        ),
        {("user", "create"), ("membership", "create")},
    ),
    "accounts.services.member_add": Case(
        _prepared(
            lambda: UserFactory(company=False),
            lambda ctx, u: accounts.member_add(ctx, login=u.username, role=Role.TECHNICIAN),
        ),
        {("membership", "create")},
    ),
    "accounts.services.user_update": Case(
        _prepared(
            UserFactory,
            lambda ctx, u: accounts.user_update(
                ctx, user=u, data={"first_name": "Eva", "role": Role.ADMIN}
            ),
        ),
        # The role is the membership's: its change is the membership's event.
        {("user", "update"), ("membership", "update")},
    ),
    "accounts.services.user_delete": Case(
        _prepared(UserFactory, lambda ctx, u: accounts.user_delete(ctx, user=u)),
        {("user", "delete"), ("membership", "delete")},
    ),
    "tenancy.services.company_create": Case(
        _prepared(
            lambda: UserFactory(company=False),
            lambda ctx, u: tenancy.company_create(ctx, slug="acme", name="Acme Pools", owner=u),
        ),
        {("company", "create"), ("membership", "create")},
    ),
    "tenancy.services.company_update": Case(
        lambda: lambda ctx: tenancy.company_update(ctx, data={"phone": "787-555-0100"}),
        {("company", "update")},
    ),
    "tenancy.services.membership_create": Case(
        _prepared(
            lambda: UserFactory(company=False),
            lambda ctx, u: tenancy.membership_create(ctx, user=u, role=Role.TECHNICIAN),
        ),
        {("membership", "create")},
    ),
    "tenancy.services.membership_update": Case(
        _prepared(
            _membership,
            lambda ctx, m: tenancy.membership_update(ctx, membership=m, role=Role.ADMIN),
        ),
        {("membership", "update")},
    ),
    "accounts.services.session_start": Case(
        _prepared(UserFactory, lambda ctx, u: accounts.session_start(ctx, user=u)),
        {("user", "sign_in")},
    ),
    "accounts.services.admin_session_start": Case(
        _prepared(
            UserFactory,
            lambda ctx, u: accounts.admin_session_start(ctx, user=u, browser_session_key="k" * 32),
        ),
        {("user", "sign_in")},
    ),
    "accounts.services.session_refresh": Case(_reused_refresh, {("user", "sign_out")}),
    "accounts.services.session_end": Case(
        _prepared(_session, lambda ctx, s: accounts.session_end(ctx, session=s)),
        {("user", "sign_out")},
    ),
    "accounts.services.sessions_end": Case(
        _prepared(
            _session,
            lambda ctx, s: accounts.sessions_end(ctx, sessions=AuthSession.objects.filter(pk=s.pk)),
        ),
        {("user", "sign_out")},
    ),
    "accounts.services.sessions_end_all": Case(
        _prepared(_session, lambda ctx, s: accounts.sessions_end_all(ctx, user=s.user)),
        {("user", "sign_out")},
    ),
    "accounts.services.sessions_end_after_password_change": Case(
        _prepared(
            _session,
            lambda ctx, s: accounts.sessions_end_after_password_change(ctx, user=s.user),
        ),
        {("user", "set_password"), ("user", "sign_out")},
    ),
    "operations.photos.photo_add": Case(
        lambda: lambda ctx: _photo(ctx, VisitFactory()), {("photo", "create")}
    ),
    "operations.photos.photo_delete": Case(
        _prepared(
            lambda: _photo(_system(), VisitFactory()),
            lambda ctx, p: photos.photo_delete(ctx, photo=p),
        ),
        {("photo", "delete")},
    ),
    "operations.photos.photo_thumbnail_make": Case(
        _prepared(
            lambda: _photo(_system(), VisitFactory()),
            lambda ctx, p: photos.photo_thumbnail_make(ctx, photo_id=p.pk),
        ),
        {("photo", "update")},
    ),
    "operations.reports.visit_report_queue": Case(
        _prepared(_reported_visit, lambda ctx, v: reports.visit_report_queue(ctx, visit=v)),
        {("visit", "send")},
    ),
    "operations.reports.visit_report_send": Case(
        _prepared(_reported_visit, lambda ctx, v: reports.visit_report_send(ctx, visit=v)),
        {("visit", "send")},
    ),
    "accounts.services.password_set": Case(
        _prepared(
            UserFactory, lambda ctx, u: accounts.password_set(ctx, user=u, password="New-pass-9876")
        ),
        {("user", "set_password")},
    ),
    "accounts.services.password_change": Case(
        _prepared(
            lambda: UserFactory(password="Old-pass-1234"),
            lambda ctx, u: accounts.password_change(
                ctx, user=u, current_password="Old-pass-1234", new_password="New-pass-9876"
            ),
        ),
        {("user", "set_password")},
    ),
}


def test_every_service_records_an_event_or_says_why_not():
    found = service_functions()
    assert found >= {"customers.services.customer_create", "billing.services.invoice_void"}
    unlisted = found - set(CASES) - set(NO_EVENT)
    assert not unlisted, (
        f"services with neither an audit case (audit/tests/test_completeness.py CASES) nor a "
        f"reason to record nothing (NO_EVENT): {sorted(unlisted)}"
    )
    stale = (set(CASES) | set(NO_EVENT)) - found
    assert not stale, f"listed but gone: {sorted(stale)}"
    assert not set(CASES) & set(NO_EVENT)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_service_records_its_event(name):
    case = CASES[name]
    call = case.prepare()
    # An owner of the test company, acting for it: owners may do everything the cases do.
    actor = UserFactory(username="auditor", role=Role.ADMIN, company__is_owner=True)
    company = default_company()
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    call(Ctx.for_user(actor, company, role=Role.ADMIN, request_id="req-audit"))
    events = list(AuditEvent.objects.filter(pk__gt=last))
    assert {(e.object_type, e.action) for e in events} == case.events
    # A new company's events are its own (its owners read them); all others are ctx's.
    created = {e.object_id for e in events if (e.object_type, e.action) == ("company", "create")}
    assert {e.company_id for e in events} == (created or {company.pk})
    for event in events:
        # A sign-in is the signing-in user's own act (session_start's ctx is anonymous).
        assert (event.actor_user_id, event.actor, event.request_id) == (
            actor.pk,
            "auditor",
            "req-audit",
        )
        assert event.object_id > 0
