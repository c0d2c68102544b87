"""Every output declaration's fast encoder renders the same bytes as DRF renders the declaration,
field by field, for lists (`values()` rows) and for instances, in UTC and in another zone."""

import datetime
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.api.serializers import UserOut
from accounts.selectors import user_list
from accounts.tests.factories import UserFactory
from audit.api.serializers import AuditEventOut
from audit.selectors import event_list
from billing import reminders, selectors, services
from billing.aging import aging
from billing.api import serializers as billing_out
from billing.models import BillingRun, Payment
from billing.tests.conftest import make_invoice
from billing.tests.factories import CreditFactory, InvoiceFactory, credit_apply_raw
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.api import serializers as catalog_out
from catalog.tests.factories import ItemFactory
from core.context import Ctx
from customers.api import serializers as customers_out
from customers.models import Customer, Property
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor import files
from ektor.api.fields import MoneyField
from ektor.api.output import ModelOutput, Output, _money_out
from ektor.api.renderers import JSONRenderer
from operations import selectors as operations_selectors
from operations.api import plans as plans_out
from operations.api import visits as visits_out
from operations.api.photos import PhotoOut
from operations.models import Photo, Reading, Visit, VisitLine
from operations.readings import READING_LIMITS
from operations.tests.factories import PhotoFactory, ServicePlanFactory, VisitFactory
from pools import selectors as pool_selectors
from pools.api import serializers as pools_out
from pools.models import Pool
from pools.tests.factories import EquipmentFactory, PoolFactory
from support import selectors as support_selectors
from support import services as support
from support.api.serializers import RequestOut
from tenancy.api.serializers import CompanyOut, MyCompanyOut
from tenancy.models import Company
from tenancy.selectors import my_companies
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db

render = JSONRenderer().render


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@pytest.fixture
def data(ctx):
    """Rows where every field has a value and, where it may, none."""
    UserFactory(is_active=False)
    CustomerFactory(email=None, phone=None, is_active=False)
    CustomerFactory(first_name="José", last_name="Núñez")
    prop = PropertyFactory(address2="Unit 2", notes="Gate code 1234")
    PropertyFactory(address2=None, is_active=False)
    paid = make_invoice(prop=prop, total="133.80", notes="Monthly")
    services.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("133.80"), reference="CHK-1")
    partial = make_invoice(prop=prop, total="0.30", issued="2026-02-11")
    for _ in range(3):  # 0.1 three times: exact to the cent on SQLite too
        services.payment_record(ctx, invoice_id=partial.pk, amount=Decimal("0.10"), notes="Part")
    services.invoice_void(ctx, invoice=make_invoice(prop=prop, issued="2026-03-11"), reason="Typo")
    InvoiceFactory(property=prop, due_date=None, notes="")  # a draft: no number, no due date
    unpaid = make_invoice(prop=prop, total="20.00", issued="2026-04-12")  # sent, nothing paid
    _invoice_with_lines(ctx, prop)
    _credits(prop, unpaid)
    first = Payment.unscoped.filter(invoice=partial).order_by("id").first()
    by_user = Ctx.for_user(
        UserFactory(), default_company(), request_id="req-1"
    )  # reversed_by has a value
    services.payment_reverse(by_user, payment_id=first.pk, reason="Bounced")
    # 7 days late and owing 0.10: its first reminder.
    sent = reminders.reminder_claim(
        ctx, invoice_id=partial.pk, days=7, today=datetime.date(2026, 2, 25)
    )
    assert sent is not None
    return prop


def _credits(prop, invoice):
    """A credit note against `invoice`, partly applied to it, and a manual credit (no invoice)."""
    note = CreditFactory(
        customer=prop.customer, source="credit_note", invoice=invoice, amount=Decimal("5.00")
    )
    credit_apply_raw(note, invoice, "2.50", "2026-04-20")
    CreditFactory(customer=prop.customer, amount=Decimal("1.00"))


def _invoice_with_lines(ctx, prop):
    """A draft with a line naming an item, a visit and a plan, and one naming none."""
    visit = VisitFactory(plan__pool__property=prop)
    services.invoice_create(
        ctx,
        customer_id=prop.customer_id,
        property_id=prop.pk,
        period_start=datetime.date(2026, 5, 1),
        period_end=datetime.date(2026, 5, 31),
        issued_date=datetime.date(2026, 6, 1),
        status="draft",
        lines=[
            {
                "kind": "chemical",
                "item_id": ItemFactory().pk,
                "visit_id": visit.pk,
                "plan_id": visit.plan_id,
                "quantity": Decimal("2.5"),
                "unit_price": Decimal("4.99"),
                "tax_rate": Decimal("11.50"),
            },
            {"kind": "adjustment", "description": "Goodwill", "unit_price": Decimal("-1.00")},
        ],
    )


def _billing_runs(ctx, prop):
    """A run that billed a plan and skipped a visit, and one that failed."""
    plan = ServicePlanFactory(pool__property=prop, rate_type="per_visit")
    VisitFactory(plan=plan, scheduled_date=datetime.date(2026, 5, 6))
    completed = VisitFactory(plan=plan, scheduled_date=datetime.date(2026, 5, 13))
    type(completed).unscoped.filter(pk=completed.pk).update(
        status="completed", completed_at=datetime.datetime(2026, 5, 13, 15, tzinfo=datetime.UTC)
    )
    services.billing_run(
        ctx, period=datetime.date(2026, 5, 1), issued_date=datetime.date(2026, 6, 1)
    )
    BillingRun.objects.create(
        company=ctx.company,
        period=datetime.date(2026, 4, 1),
        issued_date=datetime.date(2026, 6, 1),
        status="failed",
        error="The database went away",
        finished_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC),
    )
    return selectors.billing_run_list(ctx)


def _invoice_rows(ctx, queryset):
    rows = list(queryset.values(*billing_out.InvoiceOut.columns()))
    selectors.invoice_lines_attach(ctx, rows)
    selectors.invoice_reminders_attach(ctx, rows)
    return rows


def _my_companies(ctx):
    owner = UserFactory(role="admin", company__is_owner=True)
    return my_companies(Ctx.for_user(owner, ctx.company))


def _statement(ctx, prop):
    return selectors.customer_statement(
        ctx,
        customer_id=prop.customer_id,
        from_date=datetime.date(2026, 1, 1),
        to_date=datetime.date(2026, 12, 31),
    )


def _aging(ctx, prop):
    make_invoice(prop=prop, total="12.34", issued="2026-02-01", due_date=None)
    return aging(ctx, as_of=datetime.date(2026, 6, 30))


def _pools(ctx, prop):
    """A pool and equipment with every field given, and ones with the optional ones empty."""
    pool = PoolFactory(property=prop, access_notes="Gate 12", notes="Dog", is_indoor=True)
    PoolFactory(property=prop, kind="spa", volume_gallons=800, is_active=False)
    EquipmentFactory(pool=pool, installed_on=datetime.date(2024, 5, 1), notes="New seal")
    EquipmentFactory(pool=pool, kind="filter", make=None, model=None, serial_number=None)


def _requests(ctx, prop):
    """A closed claim with every field set, and an open request with none of the optional ones."""
    claim = support.request_create(
        ctx,
        kind="claim",
        channel="phone",
        customer_id=prop.customer_id,
        property_id=prop.pk,
        invoice_id=prop.invoices.order_by("id").first().pk,
        subject="Billed twice",
        description="The March visit is on two invoices",
    )
    support.request_assign(ctx, request=claim, assignee_id=UserFactory().pk)
    support.request_answer(ctx, request=claim, response="We voided the second one.")
    support.request_close(ctx, request=claim)
    support.request_create(
        ctx, kind="petition", channel="web", customer_id=prop.customer_id, subject="Saturdays?"
    )
    return support_selectors.request_list(ctx)


def _stock(ctx):
    """Items with and without a cost, and movements with and without a visit, a cost and a
    user (the visit's id stands for one of issue 17's visits)."""
    chlorine = ItemFactory(cost=Decimal("3.10"), description="12.5%", category="Sanitizer")
    ItemFactory(kind="service", track_stock=False, cost=None)
    by_user = Ctx.for_user(UserFactory(), ctx.company)
    catalog_services.stock_movement_create(
        by_user,
        item_id=chlorine.pk,
        kind="receipt",
        quantity=Decimal("10.5"),
        note="PO 7",
        unit_cost=Decimal("3.05"),
    )
    catalog_services.stock_use(ctx, item=chlorine, quantity=Decimal("0.25"), visit_id=7)
    return catalog_selectors.movement_list(ctx)


def _visits(ctx, prop):
    """A completed visit with every part (a reading with every value, a stocked line on a pool,
    a service line, a photo), a skipped one and a cancelled work order."""
    from operations import visits
    from operations.tests.factories import VisitFactory

    tech = UserFactory(role="technician")
    done = VisitFactory(plan__technician=tech, title="Weekly")
    pool = done.plan.pool
    chlorine = catalog_services.item_create(
        ctx, sku="CHL", name="Chlorine", kind="chemical", price=Decimal("4.50"), track_stock=True
    )
    catalog_services.stock_movement_create(
        ctx, item_id=chlorine.pk, kind="receipt", quantity=Decimal(10)
    )
    labour = ItemFactory(kind="service", track_stock=False)
    values = dict.fromkeys(READING_LIMITS, Decimal("40"))
    visits.visit_complete(
        ctx,
        visit=done,
        readings=[{"pool_id": pool.pk, **values, "ph": Decimal("7.9")}],
        lines=[
            {"item_id": chlorine.pk, "quantity": Decimal("1.5"), "pool_id": pool.pk},
            {"item_id": labour.pk, "quantity": Decimal(1)},
        ],
        checklist=[{"task": "brush", "done": True}],
        customer_notes="Clean",
        office_notes="Seal",
    )
    Photo.objects.create(
        company=done.company,
        visit=done,
        caption="Before",
        file_name="a.jpg",
        content_type="image/jpeg",
        width=1,
        height=1,
        size=1,
    )
    Photo.objects.create(
        company=done.company,
        visit=done,
        file_name="b.jpg",
        content_type="image/jpeg",
        width=1,
        height=1,
        size=1,
    )
    skipped = VisitFactory()
    visits.visit_skip(ctx, visit=skipped, reason="dog", note="Big dog")
    order = visits.visit_create(ctx, property_id=prop.pk, scheduled_date=datetime.date(2026, 3, 4))
    visits.visit_cancel(ctx, visit=order, reason="Moved")
    return done


def _visit_rows(ctx, prop, model):
    _visits(ctx, prop)
    return model.objects.of(ctx).order_by("id")


def _visit_objects(ctx, prop):
    from operations import selectors as operations_selectors

    _visits(ctx, prop)
    return operations_selectors.visit_details(ctx, operations_selectors.visit_list(ctx))


def _plans(ctx, prop):
    """A plan with every field given, and one with the optional ones empty."""
    tech = UserFactory(role="technician")
    pool = PoolFactory(property=prop)
    ServicePlanFactory(
        pool=pool,
        technician=tech,
        end_date=datetime.date(2099, 12, 31),
        status="paused",
        paused_until=datetime.date(2099, 1, 31),
        route_position=3,
        notes="Gate code 4321",
    )
    ServicePlanFactory(pool=pool)
    return operations_selectors.plan_list(ctx)


def _route(ctx, prop):
    """A technician's day: a route visit (its plan's pool) and a work order (the property's
    pools), at a property with every address field and one with the optional ones empty. The
    selector's rows, and the same visits as models with their `route_pools` (what DRF renders)."""
    tech = UserFactory(role="technician")
    day = datetime.date(2026, 1, 7)
    pool = PoolFactory(property=prop, access_notes="Side gate")
    VisitFactory(plan=ServicePlanFactory(pool=pool, technician=tech), scheduled_date=day)
    bare = PropertyFactory(address2=None, city=None, state=None, postal_code=None)
    PoolFactory(property=bare, access_notes=None)
    VisitFactory(
        plan=None,
        kind="work_order",
        company=ctx.company,
        property=bare,
        customer=bare.customer,
        technician=tech,
        scheduled_date=day,
        route_position=2,
        status="in_progress",
    )
    rows = operations_selectors.route_list(
        Ctx.for_user(tech, ctx.company, role="technician"),
        day=day,
        columns=plans_out.RouteStopOut.columns(),
        pool_columns=plans_out.RoutePoolOut.columns(),
    )
    visits = (
        Visit.objects.of(ctx)
        .select_related("customer", "property")
        .in_bulk([row["id"] for row in rows])
    )
    pools = Pool.objects.of(ctx).in_bulk(
        [pool["id"] for row in rows for pool in row["route_pools"]]
    )
    objects = [visits[row["id"]] for row in rows]
    for visit, row in zip(objects, rows, strict=True):
        visit.route_pools = [pools[pool["id"]] for pool in row["route_pools"]]
    return rows, objects


def _route_objects(ctx, prop, part):
    return [part(visit) for visit in _route(ctx, prop)[1]]


def _photos(ctx, prop):
    """A photo with a pool, a caption and a thumbnail, and one with none of them."""
    visit = VisitFactory(plan=ServicePlanFactory(pool=PoolFactory(property=prop)))
    PhotoFactory(visit=visit, pool=visit.plan.pool, caption="Skimmer", thumbnail_name="t.jpg")
    PhotoFactory(visit=visit)
    return operations_selectors.photo_list(ctx, visit=visit)


# Each declaration: the queryset its API list reads (None: not listed) and the objects it
# renders (a detail, a write's answer).
CASES = {
    UserOut: lambda ctx, prop: (user_list(ctx), None),
    CompanyOut: lambda ctx, prop: (Company.objects.filter(pk=ctx.company.pk), None),
    MyCompanyOut: lambda ctx, prop: (_my_companies(ctx), None),
    customers_out.CustomerOut: lambda ctx, prop: (Customer.unscoped.order_by("-id"), None),
    customers_out.PropertyOut: lambda ctx, prop: (Property.unscoped.order_by("-id"), None),
    billing_out.InvoiceOut: lambda ctx, prop: (
        _invoice_rows(ctx, selectors.invoice_list(ctx)),
        list(selectors.invoice_detail_queryset(ctx)),
    ),
    billing_out.InvoiceLineOut: lambda ctx, prop: (
        None,
        [line for invoice in selectors.invoice_detail_queryset(ctx) for line in invoice.line_list],
    ),
    billing_out.InvoiceReminderOut: lambda ctx, prop: (
        None,
        [r for i in selectors.invoice_detail_queryset(ctx) for r in i.reminder_list],
    ),
    billing_out.PaymentOut: lambda ctx, prop: (selectors.payment_queryset(ctx), None),
    billing_out.BillingRunOut: lambda ctx, prop: (_billing_runs(ctx, prop), None),
    billing_out.BillingRunResultOut: lambda ctx, prop: (
        None,
        [services.billing_run(ctx, period=datetime.date(2026, 5, 1), dry_run=True)],
    ),
    billing_out.CreditOut: lambda ctx, prop: (selectors.credit_list(ctx), None),
    billing_out.CustomerBalanceOut: lambda ctx, prop: (
        None,
        [selectors.customer_balance(ctx, customer_id=prop.customer_id)],
    ),
    billing_out.StatementOut: lambda ctx, prop: (None, [_statement(ctx, prop)]),
    billing_out.AgingOut: lambda ctx, prop: (None, [_aging(ctx, prop)]),
    billing_out.AgingTotalsOut: lambda ctx, prop: (None, [_aging(ctx, prop).totals]),
    billing_out.AgingCustomerOut: lambda ctx, prop: (None, _aging(ctx, prop).customers),
    billing_out.StatementItemOut: lambda ctx, prop: (None, _statement(ctx, prop).items),
    billing_out.StatementPaymentOut: lambda ctx, prop: (None, _statement(ctx, prop).payments),
    billing_out.StatementCreditOut: lambda ctx, prop: (None, _statement(ctx, prop).credits),
    billing_out.StatementApplicationOut: lambda ctx, prop: (
        None,
        _statement(ctx, prop).credit_applications,
    ),
    AuditEventOut: lambda ctx, prop: (event_list(ctx), None),
    pools_out.PoolOut: lambda ctx, prop: (
        _pools(ctx, prop) or pool_selectors.pool_list(ctx),
        None,
    ),
    pools_out.EquipmentOut: lambda ctx, prop: (
        _pools(ctx, prop) or pool_selectors.equipment_list(ctx),
        None,
    ),
    RequestOut: lambda ctx, prop: (_requests(ctx, prop), None),
    catalog_out.ItemOut: lambda ctx, prop: (_stock(ctx) and catalog_selectors.item_list(ctx), None),
    catalog_out.StockMovementOut: lambda ctx, prop: (_stock(ctx), None),
    # A visit's list renders objects (the page's visits with their parts prefetched).
    visits_out.VisitOut: lambda ctx, prop: (None, _visit_objects(ctx, prop)),
    visits_out.ReadingOut: lambda ctx, prop: (_visit_rows(ctx, prop, Reading), None),
    visits_out.VisitLineOut: lambda ctx, prop: (_visit_rows(ctx, prop, VisitLine), None),
    visits_out.VisitPhotoOut: lambda ctx, prop: (_visit_rows(ctx, prop, Photo), None),
    plans_out.PlanOut: lambda ctx, prop: (_plans(ctx, prop), None),
    # The route's rows come from its selector (a list of rows, not a queryset).
    plans_out.RouteStopOut: lambda ctx, prop: _route(ctx, prop),
    plans_out.RouteCustomerOut: lambda ctx, prop: (
        None,
        _route_objects(ctx, prop, lambda visit: visit.customer),
    ),
    plans_out.RoutePropertyOut: lambda ctx, prop: (
        None,
        _route_objects(ctx, prop, lambda visit: visit.property),
    ),
    plans_out.RoutePoolOut: lambda ctx, prop: (
        None,
        [pool for visit in _route(ctx, prop)[1] for pool in visit.route_pools],
    ),
    PhotoOut: lambda ctx, prop: (_photos(ctx, prop), None),
}


def test_every_output_declaration_has_a_case():
    assert set(_subclasses(Output)) - {ModelOutput} == set(CASES)


def _assert_same(out, encoded: list[dict], drf: list[dict]):
    assert [list(row) for row in encoded] == [list(row) for row in drf]
    for name in out().fields:
        mine = [render(row[name]) for row in encoded]
        assert mine == [render(row[name]) for row in drf], f"{out.__name__}.{name}"
        assert any(value != b"null" for value in mine), f"no value of {out.__name__}.{name}"
    assert render(encoded) == render(drf)


@pytest.mark.parametrize("zone", ["UTC", "America/Puerto_Rico"])
@pytest.mark.parametrize("out", list(CASES), ids=lambda out: out.__name__)
def test_the_encoder_renders_what_drf_renders(ctx, data, out, zone, monkeypatch):
    # Signed links (PhotoOut) carry their expiry: one instant for every rendering.
    now = time.time()
    monkeypatch.setattr(files, "time", SimpleNamespace(time=lambda: now))
    queryset, objects = CASES[out](ctx, data)
    with timezone.override(zone):
        objects = list(queryset) if objects is None else objects
        drf = out(objects, many=True).data
        if isinstance(queryset, list):  # rows with what a list attaches (invoice lines)
            _assert_same(out, out.encode_rows(queryset), drf)
        elif queryset is not None:
            _assert_same(out, out.encode_rows(queryset.values(*out.columns())), drf)
        _assert_same(out, out.encode_many(objects), drf)
        assert out.encode(objects[0]) == out(objects[0]).data


def test_computed_fields_match_the_database(ctx):
    """InvoiceOut's balance_due is computed from the row: a void invoice owes nothing."""
    void = make_invoice(total="50.00")
    services.invoice_void(ctx, invoice=void, reason="Typo")
    rows = billing_out.InvoiceOut.encode_rows(_invoice_rows(ctx, selectors.invoice_list(ctx)))
    assert rows[0]["balance_due"] == "0.00"
    assert "balance_due" not in billing_out.InvoiceOut.columns()


@pytest.mark.parametrize(
    "value",
    [
        Decimal("12345.67"),
        Decimal("-0.05"),
        Decimal("0.00"),
        Decimal("-0.00"),
        Decimal("7"),
        Decimal("7.5"),
        Decimal("1.005"),
        Decimal("1.2E+3"),
        Decimal("120E-2"),
        12.25,
        0.1 + 0.2,
        100,
        None,
    ],
)
def test_money_as_drf_renders_it(value):
    # The encoder takes an amount's own str when it has two places, else formats it.
    drf = None if value is None else MoneyField(min_value=None).to_representation(value)
    assert _money_out(value) == drf
