"""The visits' rules: the office's work orders, a stop's transitions, the whole-stop completion
(readings with their chemistry, lines with stock, checklist, notes; all or nothing), skip,
cancel, the technician's own visits only, and an admin's correction of a completed visit."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from catalog.models import Item, StockMovement
from catalog.tests.factories import ItemFactory, stocked
from core.context import Ctx
from core.errors import ApplicationError, InvalidInput
from customers.tests.factories import PropertyFactory
from operations import visits
from operations.models import Reading, Visit, VisitLine
from operations.tests.factories import VisitFactory
from pools.tests.factories import PoolFactory
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

# Before every date VisitFactory's sequence gives (from 2026-01-07 on): a visit moved to DAY
# always changes its date, whatever other modules' tests made before.
DAY = datetime.date(2025, 3, 4)


def refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def fields_of(error: ApplicationError) -> dict[str, str]:
    return {e.field: e.msg for e in error.fields}


def events(obj) -> list[tuple[str, dict]]:
    rows = AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=obj.pk)
    return [(e.action, e.changes) for e in rows.order_by("pk")]


def as_technician(ctx: Ctx, user) -> Ctx:
    return Ctx.for_user(user, company=ctx.company, role=Role.TECHNICIAN)


@pytest.fixture
def visit(technician_user):
    return VisitFactory(plan__technician=technician_user)


@pytest.fixture
def pool(visit):
    return visit.plan.pool


# --- work orders --------------------------------------------------------------------------


def test_a_work_order_is_made_for_the_propertys_customer(ctx, technician_user):
    prop = PropertyFactory()
    visit = visits.visit_create(
        ctx,
        property_id=prop.pk,
        scheduled_date=DAY,
        technician_id=technician_user.pk,
        title="  Green to clean ",
        office_notes="",
    )
    assert (visit.kind, visit.customer_id, visit.plan_id, visit.status) == (
        "work_order",
        prop.customer_id,
        None,
        "scheduled",
    )
    assert (visit.title, visit.office_notes) == ("Green to clean", None)
    [(action, changes)] = events(visit)
    assert action == "create" and changes["property_id"] == [None, prop.pk]


def test_a_visits_technician_is_an_active_technician_of_the_company(ctx, staff_user):
    prop = PropertyFactory()
    inactive = UserFactory(role=Role.TECHNICIAN, is_active=False)
    elsewhere = UserFactory(role=Role.TECHNICIAN, company=CompanyFactory(slug="other"))
    for user in (staff_user, inactive, elsewhere):
        error = refused(
            lambda u=user: visits.visit_create(
                ctx, property_id=prop.pk, scheduled_date=DAY, technician_id=u.pk
            )
        )
        assert error.status == 422
        assert fields_of(error) == {"technician_id": "Not an active technician of the company"}
    assert not Visit.unscoped.exists()


def test_a_work_order_at_another_companys_property_is_a_missing_property(ctx):
    other = PropertyFactory(customer__company=CompanyFactory(slug="other"))
    error = refused(lambda: visits.visit_create(ctx, property_id=other.pk, scheduled_date=DAY))
    assert (error.status, error.message, error.reason) == (
        404,
        "Property not found",
        "property_not_found",
    )


# --- update -------------------------------------------------------------------------------


def test_a_scheduled_visit_changes_and_its_event_has_the_changes(ctx, visit, technician_user):
    updated = visits.visit_update(ctx, visit=visit, data={"scheduled_date": DAY, "title": " x "})
    assert (updated.scheduled_date, updated.title) == (DAY, "x")
    [(action, changes)] = events(visit)
    assert action == "update"
    assert changes["scheduled_date"][1] == "2025-03-04" and changes["title"] == [None, "x"]


def test_a_work_orders_property_moves_with_its_customer(ctx):
    visit = visits.visit_create(ctx, property_id=PropertyFactory().pk, scheduled_date=DAY)
    prop = PropertyFactory()
    visits.visit_update(ctx, visit=visit, data={"property_id": prop.pk})
    visit.refresh_from_db()
    assert (visit.property_id, visit.customer_id) == (prop.pk, prop.customer_id)


def test_a_plans_visit_stays_at_its_property_and_once_a_date(ctx, visit):
    error = refused(
        lambda: visits.visit_update(ctx, visit=visit, data={"property_id": PropertyFactory().pk})
    )
    assert fields_of(error) == {
        "property_id": "A plan's visit is at its pool's property: change the plan instead"
    }
    other = VisitFactory(plan=visit.plan)
    error = refused(
        lambda: visits.visit_update(ctx, visit=visit, data={"scheduled_date": other.scheduled_date})
    )
    assert (error.status, error.reason) == (409, "duplicate_plan_visit")


def test_only_a_scheduled_visit_is_updated(ctx, visit):
    visits.visit_start(ctx, visit=visit)
    error = refused(lambda: visits.visit_update(ctx, visit=visit, data={"title": "x"}))
    assert (error.status, error.reason) == (409, "invalid_transition")
    assert (
        error.message == f"Visit {visit.pk} is in_progress: it cannot update (only from scheduled)"
    )
    visits.visit_complete(ctx, visit=visit)
    error = refused(lambda: visits.visit_update(ctx, visit=visit, data={"title": "x"}))
    assert (error.status, error.reason) == (409, "visit_completed")


def test_an_update_changes_only_what_may_change(ctx, visit):
    error = refused(lambda: visits.visit_update(ctx, visit=visit, data={"status": "completed"}))
    assert fields_of(error) == {"status": "This field cannot be changed here"}
    error = refused(lambda: visits.visit_update(ctx, visit=visit, data={}))
    assert error.reason == "no_fields_to_update"


# --- transitions --------------------------------------------------------------------------


def test_start_then_skip_and_each_is_an_event(ctx, visit):
    visits.visit_start(ctx, visit=visit)
    visits.visit_skip(ctx, visit=visit, reason="dog", note=" Big dog ")
    visit.refresh_from_db()
    assert (visit.status, visit.skip_reason, visit.skip_note) == ("skipped", "dog", "Big dog")
    assert visit.started_at is not None
    assert [(a, c["status"]) for a, c in events(visit)] == [
        ("start", ["scheduled", "in_progress"]),
        ("skip", ["in_progress", "skipped"]),
    ]
    error = refused(lambda: visits.visit_start(ctx, visit=visit))
    assert (error.status, error.reason, error.extra) == (
        409,
        "invalid_transition",
        {"from": "skipped", "to": "in_progress"},
    )


def test_a_skip_has_a_known_reason(ctx, visit):
    error = refused(lambda: visits.visit_skip(ctx, visit=visit, reason="tired"))
    assert fields_of(error) == {
        "reason": "Reason must be one of gate_locked, dog, weather, customer_request, no_access, "
        "other"
    }


def test_cancel_needs_a_reason_and_ends_the_visit(ctx, visit):
    error = refused(lambda: visits.visit_cancel(ctx, visit=visit, reason=" "))
    assert fields_of(error) == {"reason": "A reason is required"}
    visits.visit_cancel(ctx, visit=visit, reason="Customer moved")
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == ("cancelled", "Customer moved")
    assert events(visit)[-1][0] == "cancel"
    error = refused(lambda: visits.visit_complete(ctx, visit=visit))
    assert error.reason == "invalid_transition"


def test_the_guard_says_why_without_acting(ctx, visit):
    assert visits.can_visit_transition(ctx, visit=visit, action="start") is None
    cancelled = visits.visit_cancel(ctx, visit=visit, reason="Rain")
    assert visits.can_visit_transition(ctx, visit=cancelled, action="start").reason == (
        "invalid_transition"
    )


def test_a_technician_acts_only_on_their_own_visits(ctx, visit, technician_user):
    me = as_technician(ctx, technician_user)
    visits.visit_start(me, visit=visit)
    theirs = VisitFactory(plan__technician=UserFactory(role=Role.TECHNICIAN))
    for action in (
        lambda: visits.visit_start(me, visit=theirs),
        lambda: visits.visit_complete(me, visit=theirs),
        lambda: visits.visit_skip(me, visit=theirs, reason="dog"),
    ):
        error = refused(action)
        assert (error.status, error.message) == (404, "Visit not found")
    theirs.refresh_from_db()
    assert theirs.status == "scheduled"


# --- completion ---------------------------------------------------------------------------


def reading(pool, **values) -> dict:
    base = {
        "pool_id": pool.pk,
        "free_chlorine": Decimal("0.5"),
        "combined_chlorine": Decimal("0.2"),
        "ph": Decimal("7.6"),
        "total_alkalinity": Decimal(100),
        "calcium_hardness": Decimal(200),
        "cyanuric_acid": Decimal(90),
        "temperature_f": Decimal(76),
        "tds": Decimal(800),
    }
    return {**base, **values}


def test_a_completion_records_the_whole_stop(ctx, visit, pool, technician_user):
    me = as_technician(ctx, technician_user)
    chlorine = stocked(ctx, 100, kind="chemical", name="Liquid chlorine", price=Decimal("4.50"))
    service = ItemFactory(kind="service", track_stock=False, name="Filter clean", price=30)
    done = visits.visit_complete(
        me,
        visit=visit,
        readings=[reading(pool)],
        lines=[
            {"item_id": chlorine.pk, "quantity": Decimal("2.5"), "pool_id": pool.pk},
            {"item_id": service.pk, "quantity": Decimal(1)},
        ],
        checklist=[{"task": " brush ", "done": True}, {"task": "skim", "done": False}],
        customer_notes="Filter cleaned.",
        office_notes="Pump seal weeping.",
    )
    visit.refresh_from_db()
    assert done.status == visit.status == "completed"
    assert visit.completed_at is not None and visit.started_at is not None
    assert visit.checklist == [{"task": "brush", "done": True}, {"task": "skim", "done": False}]
    assert (visit.customer_notes, visit.office_notes) == ("Filter cleaned.", "Pump seal weeping.")

    [stored] = visit.readings.all()
    # The contract's second check: CYA 90 at pH 7.6 leaves 70.30 ppm carbonate, LSI -0.14.
    assert stored.lsi == Decimal("-0.14")
    # FC 0.5 is below 7.5% of CYA 90 (6.75); CYA above 30..50.
    assert stored.flags == ["fc_low", "cya_high"]
    assert stored.suggestions == [
        {
            "chemical": "liquid_chlorine_12_5",
            "amount": "96.0",
            "unit": "fl_oz",
            "reason": "Free chlorine 0.5 ppm is below 6.75 ppm: raise it to 6.75 ppm",
        }
    ]
    lines = list(visit.lines.order_by("pk"))
    assert [(x.description, x.quantity, x.unit_price, x.pool_id) for x in lines] == [
        ("Liquid chlorine", Decimal("2.500"), Decimal("4.50"), pool.pk),
        ("Filter clean", Decimal("1.000"), Decimal("30.00"), None),
    ]
    movement = lines[0].movement
    assert (movement.kind, movement.quantity, movement.visit_id) == (
        "usage",
        Decimal("-2.500"),
        visit.pk,
    )
    assert lines[1].movement is None
    assert Item.objects.of(ctx).get(pk=chlorine.pk).stock_quantity == Decimal("97.500")
    # The completion, then the report's email to the customer (the company sends reports).
    [(action, changes), (sent, to)] = events(visit)
    assert action == "complete" and changes["status"] == ["scheduled", "completed"]
    assert (sent, to) == ("send", {"report_sent_to": [None, visit.customer.email]})
    assert [a for a, _ in events(stored)] == ["create"]
    assert [a for line in lines for a, _ in events(line)] == ["create", "create"]
    assert events(stored)[0][1]["lsi"] == [None, "-0.14"]


def test_a_lines_price_is_the_items_that_day(ctx, visit):
    item = ItemFactory(kind="service", track_stock=False, price=Decimal("30.00"))
    visits.visit_complete(ctx, visit=visit, lines=[{"item_id": item.pk, "quantity": Decimal(1)}])
    item.price = Decimal("45.00")
    item.save()
    assert visit.lines.get().unit_price == Decimal("30.00")


def test_ranges_follow_the_pools_surface_and_sanitizer(ctx, technician_user):
    visit = VisitFactory(plan__pool__surface="vinyl", plan__pool__sanitizer="salt")
    pool = visit.plan.pool
    visits.visit_complete(
        ctx,
        visit=visit,
        readings=[
            {"pool_id": pool.pk, "calcium_hardness": Decimal(300), "cyanuric_acid": Decimal(40)}
        ],
    )
    # CH 300 is fine on plaster but high on vinyl; CYA 40 is fine in chlorine pools, low in salt.
    assert visit.readings.get().flags == ["ch_high", "cya_low"]


def test_a_reading_is_of_one_of_the_visits_pools_once(ctx, visit, pool):
    spa = PoolFactory(property=visit.property, kind="spa")
    elsewhere = PoolFactory()
    error = refused(
        lambda: visits.visit_complete(
            ctx,
            visit=visit,
            readings=[
                {"pool_id": pool.pk},
                {"pool_id": elsewhere.pk},
                {"pool_id": pool.pk},
                {"pool_id": spa.pk, "ph": Decimal("14.5"), "temperature_f": Decimal(20)},
                {"ph": Decimal(7)},
            ],
        )
    )
    assert error.status == 422
    assert fields_of(error) == {
        "readings.1.pool_id": f"Pool {elsewhere.pk} is not a pool of this visit's property",
        "readings.2.pool_id": f"Pool {pool.pk} has another reading in this visit",
        "readings.3.ph": "Ensure this value is between 0 and 14.",
        "readings.3.temperature_f": "Ensure this value is between 32 and 130.",
        "readings.4.pool_id": "This field is required.",
    }
    visit.refresh_from_db()
    assert visit.status == "scheduled" and not Reading.unscoped.exists()


def test_physical_ranges_are_the_contracts(ctx, visit, pool):
    limits = {
        "ph": 14,
        "free_chlorine": 50,
        "total_alkalinity": 1000,
        "calcium_hardness": 5000,
        "cyanuric_acid": 500,
        "salt": 10000,
        "temperature_f": 130,
        "tds": 20000,
    }
    over = {name: Decimal(high) + 1 for name, high in limits.items()}
    error = refused(
        lambda: visits.visit_complete(ctx, visit=visit, readings=[{"pool_id": pool.pk, **over}])
    )
    assert set(fields_of(error)) == {f"readings.0.{name}" for name in limits}
    visits.visit_complete(
        ctx,
        visit=visit,
        readings=[{"pool_id": pool.pk, **{n: Decimal(h) for n, h in limits.items()}}],
    )
    assert visit.readings.get().ph == Decimal(14)


def test_lines_are_catalog_items_of_the_company_not_deleted(ctx, visit, pool):
    deleted = ItemFactory(track_stock=False, kind="service")
    from catalog import services as catalog

    catalog.item_delete(ctx, item=deleted)
    foreign = ItemFactory(company=CompanyFactory(slug="other"))
    good = ItemFactory(kind="service", track_stock=False)
    error = refused(
        lambda: visits.visit_complete(
            ctx,
            visit=visit,
            lines=[
                {"item_id": deleted.pk, "quantity": Decimal(1)},
                {"item_id": foreign.pk, "quantity": Decimal(1)},
                {"item_id": good.pk, "quantity": Decimal(0)},
                {"item_id": good.pk, "quantity": Decimal("1.0005")},
                {"item_id": good.pk, "quantity": Decimal(1), "pool_id": PoolFactory().pk},
            ],
        )
    )
    quantity = "A positive quantity with at most 3 decimal places"
    assert fields_of(error) == {
        "lines.0.item_id": f"Item {deleted.pk} is not in the catalog",
        "lines.1.item_id": f"Item {foreign.pk} is not in the catalog",
        "lines.2.quantity": quantity,
        "lines.3.quantity": quantity,
        "lines.4.pool_id": f"Pool {PoolFactory._meta.model.unscoped.latest('pk').pk} is not a "
        "pool of this visit's property",
    }


def test_a_checklist_is_tasks_done_or_not(ctx, visit):
    error = refused(
        lambda: visits.visit_complete(
            ctx,
            visit=visit,
            checklist=[
                {"task": "", "done": True},
                {"task": "brush", "done": "yes"},
                {"task": "brush", "done": True},
                {"task": "skim"},
            ],
        )
    )
    assert fields_of(error) == {
        "checklist.0.task": "A task is text of 1 to 100 characters",
        "checklist.1.done": "Must be true or false",
        "checklist.2.task": "This task is listed twice",
        "checklist.3": "Each entry is {task, done}",
    }


def test_insufficient_stock_refuses_the_whole_completion(ctx, visit, pool):
    plenty = stocked(ctx, 10, kind="chemical")
    scarce = stocked(ctx, 1, kind="part")
    before = StockMovement.unscoped.count()
    error = refused(
        lambda: visits.visit_complete(
            ctx,
            visit=visit,
            readings=[reading(pool)],
            lines=[
                {"item_id": plenty.pk, "quantity": Decimal(2)},
                {"item_id": scarce.pk, "quantity": Decimal(3)},
            ],
        )
    )
    assert (error.status, error.reason, error.extra) == (
        409,
        "insufficient_stock",
        {"item_id": scarce.pk, "available": "1.000"},
    )
    visit.refresh_from_db()
    assert visit.status == "scheduled" and visit.completed_at is None
    assert not Reading.unscoped.exists() and not VisitLine.unscoped.exists()
    assert StockMovement.unscoped.count() == before
    assert Item.objects.of(ctx).get(pk=plenty.pk).stock_quantity == Decimal("10.000")
    assert events(visit) == []


def test_a_completed_visit_is_not_completed_again(ctx, visit):
    visits.visit_complete(ctx, visit=visit)
    error = refused(lambda: visits.visit_complete(ctx, visit=visit))
    assert (error.status, error.reason) == (409, "visit_completed")
    assert error.message == (
        f"Visit {visit.pk} is completed: only an admin's correction in the back office changes it"
    )
    for action in (
        lambda: visits.visit_skip(ctx, visit=visit, reason="dog"),
        lambda: visits.visit_cancel(ctx, visit=visit, reason="x"),
        lambda: visits.visit_start(ctx, visit=visit),
    ):
        assert refused(action).reason == "visit_completed"


# --- correction ---------------------------------------------------------------------------


def test_an_admins_correction_recomputes_and_is_in_the_trail(ctx, visit, pool, admin_user):
    spa = PoolFactory(property=visit.property, kind="spa")
    visits.visit_complete(
        ctx,
        visit=visit,
        readings=[reading(pool), reading(spa)],
        checklist=[{"task": "brush", "done": False}],
        office_notes="Pump seal weeping.",
    )
    [first, second] = visit.readings.order_by("pk")
    office = Ctx.for_user(admin_user, company=ctx.company, role=Role.ADMIN)
    visits.visit_correct(
        office,
        visit=visit,
        data={
            "office_notes": "Pump seal replaced.",
            "checklist": [{"task": "brush", "done": True}],
            "readings": [reading(pool, free_chlorine=Decimal(7), cyanuric_acid=Decimal(40))],
        },
    )
    visit.refresh_from_db()
    first.refresh_from_db()
    assert visit.office_notes == "Pump seal replaced."
    assert visit.checklist == [{"task": "brush", "done": True}]
    assert first.free_chlorine == Decimal(7) and first.flags == []
    assert first.suggestions == []
    assert not Reading.objects.of(ctx).filter(pk=second.pk).exists()
    action, changes = events(visit)[-1]
    assert action == "correct"
    assert changes["office_notes"] == ["Pump seal weeping.", "Pump seal replaced."]
    assert changes["checklist"] == [
        [{"task": "brush", "done": False}],
        [{"task": "brush", "done": True}],
    ]
    action, changes = events(first)[-1]
    assert action == "correct"
    assert changes["free_chlorine"] == ["0.50", "7.00"]
    assert changes["flags"] == [["fc_low", "cya_high"], []]
    assert events(second)[-1][0] == "delete"
    actors = AuditEvent.objects.filter(action="correct").values_list("actor", flat=True)
    assert set(actors) == {"boss"}


def test_only_a_completed_visit_is_corrected(ctx, visit):
    error = refused(lambda: visits.visit_correct(ctx, visit=visit, data={"office_notes": "x"}))
    assert (error.status, error.reason) == (409, "invalid_transition")
    visits.visit_complete(ctx, visit=visit)
    error = refused(lambda: visits.visit_correct(ctx, visit=visit, data={"status": "scheduled"}))
    assert fields_of(error) == {"status": "This field cannot be changed here"}


def test_the_report_goes_to_the_customer_only_when_the_company_says_so(ctx, visit):
    """Company.visit_report_email: on, a completion queues the report's email (its `send`
    event names the address); off, or a customer without an address, nothing is sent."""
    company = ctx.company
    company.visit_report_email = False
    company.save(update_fields=["visit_report_email"])
    visits.visit_complete(ctx, visit=visit)
    assert [action for action, _ in events(visit)] == ["complete"]

    company.visit_report_email = True
    company.save(update_fields=["visit_report_email"])
    other = VisitFactory(plan__pool__property__customer__email=None)
    visits.visit_complete(ctx, visit=other)
    assert [action for action, _ in events(other)] == ["complete"]


def test_a_technician_cannot_cancel_even_their_own_visit(ctx, visit, technician_user):
    with pytest.raises(ApplicationError) as refused:
        visits.visit_cancel(as_technician(ctx, technician_user), visit=visit, reason="Rain")
    assert (refused.value.status, refused.value.reason) == (403, "office_only")
    visit.refresh_from_db()
    assert visit.status == "scheduled"


def test_a_checklist_that_is_no_list_and_notes_too_long_are_422(ctx, visit):
    with pytest.raises(InvalidInput) as refused:
        visits.visit_complete(ctx, visit=visit, checklist=5, customer_notes="x" * 10001)
    fields = {error.field for error in refused.value.fields}
    assert fields == {"checklist", "customer_notes"}
    with pytest.raises(InvalidInput):
        visits.visit_skip(ctx, visit=visit, reason="dog", note="x" * 10001)
    visit.refresh_from_db()
    assert visit.status == "scheduled"
