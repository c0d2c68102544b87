"""Two companies with the same shape of data; a user of company A walks every API route and
every admin page: nothing of company B is ever returned, counted or accepted.

The suite enumerates the URL resolver's API routes (as the role matrix does) and the admin
site's registered models itself: a new route or ModelAdmin without a case here fails
`test_every_api_route_has_a_tenancy_case` / `test_every_admin_has_a_tenancy_case`.
"""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts
from accounts.models import User
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from billing import credits
from billing import services as billing
from billing.models import BillingRun, Credit, Invoice, Payment
from catalog import services as catalog
from catalog.models import Item, StockMovement
from conftest import client_for, web_client_for
from core.context import Ctx
from customers import services as customers
from customers.models import Customer, Property
from ektor.files import file_save, file_url
from operations import visits
from operations.models import Photo, Reading, ServicePlan, Visit, VisitStatus
from operations.tests.factories import ServicePlanFactory, VisitFactory
from operations.tests.images import image_bytes
from pools import services as pools
from pools.models import Equipment, Pool
from support import services as support
from support.models import CustomerRequest
from tenancy.models import Company
from tenancy.scoping import company_today
from tenancy.tests.factories import CompanyFactory, default_company
from tests.test_role_matrix import api_routes, normalise

pytestmark = pytest.mark.django_db

API = "/api/v1"
# Every text of company B's rows carries this marker: a response that shows it leaks.
MARK = "Bravo"


@dataclass
class Shape:
    company: Company
    customer: Customer
    prop: Property
    invoice: Invoice
    draft: Invoice
    payment: Payment
    member: object
    pool: Pool
    equipment: Equipment
    request: CustomerRequest


def build(company: Company, name: str) -> Shape:
    ctx = Ctx.system(company)
    customer = customers.customer_create(
        ctx, first_name=name, last_name=f"{name}son", email=f"{name.lower()}@example.com"
    )
    prop = customers.property_create(
        ctx, customer_id=customer.pk, label=f"{name} Villa", address1=f"1 {name} Street"
    )
    invoice_fields = {
        "customer_id": customer.pk,
        "property_id": prop.pk,
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 1, 31),
        "issued_date": datetime.date(2026, 1, 31),
        "due_date": datetime.date(2026, 2, 14),
        "subtotal": Decimal("100.00"),
        "tax": Decimal("0.00"),
        "total": Decimal("100.00"),
        "notes": f"{name} pool",
    }
    invoice = billing.invoice_create(ctx, **invoice_fields)
    draft = billing.invoice_create(ctx, **invoice_fields, status="draft")
    payment = billing.payment_record(
        ctx, invoice_id=invoice.pk, amount=Decimal("10.00"), reference=f"{name}-1"
    )
    member = UserFactory(username=f"{name.lower()}_clerk", company=company)
    pool = pools.pool_create(ctx, property_id=prop.pk, name=f"{name} Spa", volume_gallons=900)
    equipment = pools.equipment_create(ctx, pool_id=pool.pk, kind="pump", make=f"{name} Pumps")
    request = support.request_create(
        ctx, kind="complaint", channel="phone", customer_id=customer.pk, subject=f"{name} pump"
    )
    return Shape(company, customer, prop, invoice, draft, payment, member, pool, equipment, request)


@pytest.fixture
def two(admin_user):
    a = build(default_company(), "Alpha")
    b = build(CompanyFactory(slug="bravo", name=f"{MARK} Pools"), MARK)
    return a, b


def clean(response) -> str:
    body = response.content.decode()
    assert MARK not in body and "bravo" not in body, body[:2000]
    return body


# --- the API ---------------------------------------------------------------------------------


def listed(client, path: str, **query) -> list:
    response = client.get(path, query)
    assert response.status_code == 200, response.content
    clean(response)
    assert response["X-Total-Count"] == str(len(response.json()))
    return response.json()


def missing(response, reason: str) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["details"]["reason"] == reason


def case_customers(client, a, b):
    assert [c["customer_id"] for c in listed(client, f"{API}/customers")] == [a.customer.pk]
    assert listed(client, f"{API}/customers", q=MARK) == []
    body = {"first_name": "New", "last_name": "One", "email": b.customer.email}
    # B's customer email is free in A: uniqueness is per company.
    assert client.post(f"{API}/customers", body, format="json").status_code == 201


def case_customer(client, a, b):
    path = f"{API}/customers/{b.customer.pk}"
    missing(client.get(path), "customer_not_found")
    missing(client.patch(path, {"phone": "1"}, format="json"), "customer_not_found")
    body = {"first_name": "X", "last_name": "Y"}
    missing(client.put(path, body, format="json"), "customer_not_found")
    missing(client.delete(path), "customer_not_found")
    assert Customer.unscoped.get(pk=b.customer.pk).phone is None


def case_properties(client, a, b):
    assert [p["property_id"] for p in listed(client, f"{API}/properties")] == [a.prop.pk]
    assert listed(client, f"{API}/properties", customer_id=b.customer.pk) == []
    assert listed(client, f"{API}/properties", q=MARK) == []
    body = {"customer_id": b.customer.pk, "label": "Stolen", "address1": "2 Main St"}
    missing(client.post(f"{API}/properties", body, format="json"), "customer_not_found")


def case_property(client, a, b):
    path = f"{API}/properties/{b.prop.pk}"
    missing(client.get(path), "property_not_found")
    missing(client.patch(path, {"label": "Mine"}, format="json"), "property_not_found")
    missing(client.delete(path), "property_not_found")
    # A's property cannot move to B's customer.
    moved = client.patch(
        f"{API}/properties/{a.prop.pk}", {"customer_id": b.customer.pk}, format="json"
    )
    missing(moved, "customer_not_found")


def case_pools(client, a, b):
    assert [p["pool_id"] for p in listed(client, f"{API}/pools")] == [a.pool.pk]
    for query in ({"property_id": b.prop.pk}, {"customer_id": b.customer.pk}, {"q": MARK}):
        assert listed(client, f"{API}/pools", **query) == []
    # B's property is a missing one: no pool of A's can be put there.
    body = {"property_id": b.prop.pk, "name": "Stolen", "volume_gallons": 900}
    missing(client.post(f"{API}/pools", body, format="json"), "property_not_found")
    # B's pool name is free at A's property: uniqueness is per property.
    body = {"property_id": a.prop.pk, "name": b.pool.name, "volume_gallons": 900}
    assert client.post(f"{API}/pools", body, format="json").status_code == 201


def case_pool(client, a, b):
    path = f"{API}/pools/{b.pool.pk}"
    missing(client.get(path), "pool_not_found")
    missing(client.patch(path, {"name": "Mine"}, format="json"), "pool_not_found")
    body = {"property_id": a.prop.pk, "name": "Mine", "volume_gallons": 900}
    missing(client.put(path, body, format="json"), "pool_not_found")
    missing(client.delete(path), "pool_not_found")
    # A's pool cannot move to B's property.
    moved = client.patch(f"{API}/pools/{a.pool.pk}", {"property_id": b.prop.pk}, format="json")
    missing(moved, "property_not_found")
    assert Pool.unscoped.get(pk=b.pool.pk).name == b.pool.name


def case_equipment_list(client, a, b):
    assert [e["equipment_id"] for e in listed(client, f"{API}/equipment")] == [a.equipment.pk]
    assert listed(client, f"{API}/equipment", pool_id=b.pool.pk) == []
    body = {"pool_id": b.pool.pk, "kind": "filter"}
    missing(client.post(f"{API}/equipment", body, format="json"), "pool_not_found")


def case_equipment(client, a, b):
    path = f"{API}/equipment/{b.equipment.pk}"
    missing(client.get(path), "equipment_not_found")
    missing(client.patch(path, {"notes": "x"}, format="json"), "equipment_not_found")
    missing(client.delete(path), "equipment_not_found")
    moved = {"pool_id": b.pool.pk}
    missing(
        client.patch(f"{API}/equipment/{a.equipment.pk}", moved, format="json"), "pool_not_found"
    )
    assert Equipment.unscoped.get(pk=b.equipment.pk).notes is None


def case_invoices(client, a, b):
    ids = {i["invoice_id"] for i in listed(client, f"{API}/invoices")}
    assert ids == {a.invoice.pk, a.draft.pk}
    for query in ({"customer_id": b.customer.pk}, {"property_id": b.prop.pk}):
        assert listed(client, f"{API}/invoices", **query) == []
    assert len(listed(client, f"{API}/invoices", status="sent")) == 1
    body = {
        "customer_id": b.customer.pk,
        "property_id": b.prop.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "issued_date": "2026-01-31",
        "subtotal": "5.00",
        "tax": "0.00",
        "total": "5.00",
    }
    missing(client.post(f"{API}/invoices", body, format="json"), "customer_not_found")
    body["customer_id"] = a.customer.pk
    missing(client.post(f"{API}/invoices", body, format="json"), "property_not_found")
    # Numbers start again in each company: both companies' first invoice is number 1.
    assert a.invoice.number == b.invoice.number == "INV-2026-000001"


def case_invoice(client, a, b):
    path = f"{API}/invoices/{b.draft.pk}"
    missing(client.get(path), "invoice_not_found")
    missing(client.patch(path, {"notes": "x"}, format="json"), "invoice_not_found")
    # A's draft cannot be pointed at B's customer and property.
    moved = {"customer_id": b.customer.pk, "property_id": b.prop.pk}
    missing(
        client.patch(f"{API}/invoices/{a.draft.pk}", moved, format="json"), "customer_not_found"
    )


def case_invoice_send(client, a, b):
    missing(client.post(f"{API}/invoices/{b.draft.pk}/send"), "invoice_not_found")
    assert Invoice.unscoped.get(pk=b.draft.pk).status == "draft"


def case_invoice_void(client, a, b):
    response = client.post(f"{API}/invoices/{b.draft.pk}/void", {"reason": "x"}, format="json")
    missing(response, "invoice_not_found")


def _credit_of(shape: Shape) -> Credit:
    return credits.credit_create(
        Ctx.system(shape.company),
        customer_id=shape.customer.pk,
        amount=Decimal("20.00"),
        reason=f"{shape.customer.first_name} goodwill",
    )


def case_credits(client, a, b):
    mine, _ = _credit_of(a), _credit_of(b)
    assert [c["credit_id"] for c in listed(client, f"{API}/credits")] == [mine.pk]
    assert listed(client, f"{API}/credits", customer_id=b.customer.pk) == []
    body = {"customer_id": b.customer.pk, "amount": "5.00", "reason": "x"}
    missing(client.post(f"{API}/credits", body, format="json"), "customer_not_found")
    body = {**body, "customer_id": a.customer.pk, "invoice_id": b.invoice.pk}
    missing(client.post(f"{API}/credits", body, format="json"), "invoice_not_found")
    assert Credit.unscoped.filter(company=b.company).count() == 1


def case_credit(client, a, b):
    missing(client.get(f"{API}/credits/{_credit_of(b).pk}"), "credit_not_found")


def case_credit_apply(client, a, b):
    mine, theirs = _credit_of(a), _credit_of(b)
    body = {"invoice_id": a.invoice.pk, "amount": "5.00"}
    missing(
        client.post(f"{API}/credits/{theirs.pk}/apply", body, format="json"), "credit_not_found"
    )
    body = {"invoice_id": b.invoice.pk, "amount": "5.00"}
    missing(client.post(f"{API}/credits/{mine.pk}/apply", body, format="json"), "invoice_not_found")
    assert Invoice.unscoped.get(pk=b.invoice.pk).amount_credited == Decimal("0.00")


def case_customer_balance(client, a, b):
    missing(client.get(f"{API}/customers/{b.customer.pk}/balance"), "customer_not_found")
    response = client.get(f"{API}/customers/{a.customer.pk}/balance")
    assert response.json()["balance_due"] == "90.00"


def _billing_run_of(shape: Shape):
    """A run of January billing the shape's plan (its pool's monthly service)."""
    ServicePlanFactory(pool=shape.pool, company=shape.company, rate=Decimal("150.00"))
    return billing.billing_run(Ctx.system(shape.company), period=datetime.date(2026, 1, 1))


def case_billing_runs(client, a, b):
    _billing_run_of(b)
    assert listed(client, f"{API}/billing-runs") == []
    # A's run bills A's plans only: B's plan and property stay unbilled.
    response = client.post(f"{API}/billing-runs", {"period": "2026-01"}, format="json")
    assert response.status_code == 201, response.content
    clean(response)
    assert response.json()["invoices_created"] == 0
    assert Invoice.unscoped.filter(property=b.prop, billing_run__isnull=False).count() == 1


def case_billing_run(client, a, b):
    run = _billing_run_of(b)
    missing(client.get(f"{API}/billing-runs/{run.run_id}"), "billingrun_not_found")


def case_payments(client, a, b):
    assert [p["payment_id"] for p in listed(client, f"{API}/payments")] == [a.payment.pk]
    assert listed(client, f"{API}/payments", invoice_id=b.invoice.pk) == []
    body = {"invoice_id": b.invoice.pk, "amount": "1.00"}
    missing(client.post(f"{API}/payments", body, format="json"), "invoice_not_found")
    assert Payment.unscoped.filter(invoice=b.invoice).count() == 1


def case_payment(client, a, b):
    missing(client.get(f"{API}/payments/{b.payment.pk}"), "payment_not_found")


def case_payment_reverse(client, a, b):
    path = f"{API}/payments/{b.payment.pk}/reverse"
    missing(client.post(path, {"reason": "x"}, format="json"), "payment_not_found")
    assert Payment.unscoped.get(pk=b.payment.pk).reversed_at is None


def case_statement(client, a, b):
    query = "?from=2026-01-01&to=2026-12-31"
    base = f"{API}/reports/customers"
    missing(client.get(f"{base}/{b.customer.pk}/statement{query}"), "customer_not_found")
    mine = client.get(f"{base}/{a.customer.pk}/statement{query}")
    assert clean(mine) and mine.json()["total"] == "200.00"  # the invoice and the draft


def case_aging(client, a, b):
    # A's sent invoice (100.00, 10.00 paid) alone: B's equal one is not counted.
    response = client.get(f"{API}/reports/aging")
    clean(response)  # B's customer's name carries the marker
    body = response.json()
    assert [c["customer_id"] for c in body["customers"]] == [a.customer.pk]
    assert body["total"] == "90.00"


def case_requests(client, a, b):
    assert [r["request_id"] for r in listed(client, f"{API}/requests")] == [a.request.pk]
    for query in ({"customer_id": b.customer.pk}, {"assignee_id": b.member.pk}):
        assert listed(client, f"{API}/requests", **query) == []
    assert listed(client, f"{API}/requests", overdue="false") != []
    body = {"kind": "claim", "customer_id": b.customer.pk, "subject": "Stolen"}
    missing(client.post(f"{API}/requests", body, format="json"), "customer_not_found")
    body = {**body, "customer_id": a.customer.pk, "invoice_id": b.invoice.pk}
    missing(client.post(f"{API}/requests", body, format="json"), "invoice_not_found")
    body = {**body, "invoice_id": None, "property_id": b.prop.pk}
    missing(client.post(f"{API}/requests", body, format="json"), "property_not_found")
    # Numbers start again in each company.
    assert a.request.number == b.request.number


def case_request(client, a, b):
    path = f"{API}/requests/{b.request.pk}"
    missing(client.get(path), "customerrequest_not_found")
    missing(client.patch(path, {"subject": "Mine"}, format="json"), "customerrequest_not_found")
    # A's request cannot be moved to B's customer.
    moved = {"customer_id": b.customer.pk}
    missing(
        client.patch(f"{API}/requests/{a.request.pk}", moved, format="json"), "customer_not_found"
    )


def case_request_assign(client, a, b):
    path = f"{API}/requests/{b.request.pk}/assign"
    body = {"assignee_id": a.member.pk}
    missing(client.post(path, body, format="json"), "customerrequest_not_found")
    # B's clerk is not a member of A: not someone A's request can go to.
    body = {"assignee_id": b.member.pk}
    mine = f"{API}/requests/{a.request.pk}/assign"
    missing(client.post(mine, body, format="json"), "user_not_found")


def case_request_action(client, a, b):
    for action, body in (("answer", {"response": "x"}), ("close", None), ("reopen", None)):
        path = f"{API}/requests/{b.request.pk}/{action}"
        missing(client.post(path, body, format="json"), "customerrequest_not_found")
    assert CustomerRequest.unscoped.get(pk=b.request.pk).status == "open"


def stock_of(shape: Shape, name: str) -> StockMovement:
    """An item of the company (the same SKU in both) with a receipt."""
    ctx = Ctx.system(shape.company)
    item = catalog.item_create(
        ctx,
        sku="CHL-1",
        name=f"{name} chlorine",
        kind="chemical",
        price=Decimal("6.50"),
        track_stock=True,
    )
    return catalog.stock_movement_create(ctx, item_id=item.pk, kind="receipt", quantity=Decimal(4))


def case_items(client, a, b):
    mine, theirs = stock_of(a, "Alpha").item, stock_of(b, MARK).item
    assert [i["item_id"] for i in listed(client, f"{API}/items")] == [mine.pk]
    assert listed(client, f"{API}/items", q=MARK) == []
    assert len(listed(client, f"{API}/items", low_stock="false")) == 1
    # The SKU is taken in A now, by A's item, not by B's.
    body = {"sku": "CHL-2", "name": "New", "kind": "part", "price": "1.00"}
    assert client.post(f"{API}/items", body, format="json").status_code == 201
    assert Item.unscoped.filter(company=b.company).count() == 1
    assert theirs.sku == mine.sku


def case_item(client, a, b):
    theirs = stock_of(b, MARK).item
    path = f"{API}/items/{theirs.pk}"
    missing(client.get(path), "item_not_found")
    missing(client.patch(path, {"price": "1.00"}, format="json"), "item_not_found")
    body = {"sku": "X", "name": "Y", "kind": "part", "price": "1.00"}
    missing(client.put(path, body, format="json"), "item_not_found")
    missing(client.delete(path), "item_not_found")
    assert Item.unscoped.get(pk=theirs.pk).deleted_at is None


def case_stock_movements(client, a, b):
    mine, theirs = stock_of(a, "Alpha"), stock_of(b, MARK)
    movements = listed(client, f"{API}/stock-movements")
    assert [m["movement_id"] for m in movements] == [mine.pk]
    assert listed(client, f"{API}/stock-movements", item_id=theirs.item_id) == []
    body = {"item_id": theirs.item_id, "kind": "receipt", "quantity": "1"}
    missing(client.post(f"{API}/stock-movements", body, format="json"), "item_not_found")
    assert Item.unscoped.get(pk=theirs.item_id).stock_quantity == 4


def case_stock_movement(client, a, b):
    theirs = stock_of(b, MARK)
    missing(client.get(f"{API}/stock-movements/{theirs.pk}"), "stockmovement_not_found")


def visit_of(shape: Shape, name: str) -> Visit:
    """A work order at the company's property (its pool is the property's)."""
    return visits.visit_create(
        Ctx.system(shape.company),
        property_id=shape.prop.pk,
        scheduled_date=datetime.date(2026, 3, 4),
        title=f"{name} repair",
    )


def case_visits(client, a, b):
    mine, theirs = visit_of(a, "Alpha"), visit_of(b, MARK)
    assert [v["visit_id"] for v in listed(client, f"{API}/visits")] == [mine.pk]
    assert listed(client, f"{API}/visits", customer_id=b.customer.pk) == []
    body = {"property_id": b.prop.pk, "scheduled_date": "2026-03-05"}
    missing(client.post(f"{API}/visits", body, format="json"), "property_not_found")
    assert Visit.unscoped.filter(pk=theirs.pk, company=b.company).exists()


def case_visit(client, a, b):
    theirs = visit_of(b, MARK)
    path = f"{API}/visits/{theirs.pk}"
    missing(client.get(path), "visit_not_found")
    missing(client.patch(path, {"title": "Mine"}, format="json"), "visit_not_found")
    # A's visit cannot be moved to B's property.
    mine = f"{API}/visits/{visit_of(a, 'Alpha').pk}"
    missing(client.patch(mine, {"property_id": b.prop.pk}, format="json"), "property_not_found")


def case_visit_action(client, a, b):
    theirs = visit_of(b, MARK)
    for action, body in (
        ("start", None),
        ("complete", {}),
        ("skip", {"reason": "dog"}),
        ("cancel", {"reason": "x"}),
    ):
        path = f"{API}/visits/{theirs.pk}/{action}"
        missing(client.post(path, body, format="json"), "visit_not_found")
    assert Visit.unscoped.get(pk=theirs.pk).status == "scheduled"
    # A's completion cannot read B's pool nor use B's item.
    item = stock_of(b, MARK).item_id
    body = {
        "readings": [{"pool_id": b.pool.pk, "ph": 7.5}],
        "lines": [{"item_id": item, "quantity": "1"}],
    }
    response = client.post(f"{API}/visits/{visit_of(a, 'Alpha').pk}/complete", body, format="json")
    assert response.status_code == 422, response.content
    assert [e["loc"] for e in response.json()["details"]["errors"]] == [
        ["body", "readings", 0, "pool_id"],
        ["body", "lines", 0, "item_id"],
    ]
    assert Item.unscoped.get(pk=item).stock_quantity == 4


def case_users(client, a, b):
    users = listed(client, f"{API}/users")
    assert b.member.pk not in {u["id"] for u in users}
    assert a.member.pk in {u["id"] for u in users}


def case_user(client, a, b):
    missing(client.get(f"{API}/users/{b.member.pk}"), "user_not_found")
    missing(
        client.patch(f"{API}/users/{b.member.pk}", {"role": "admin"}, format="json"),
        "user_not_found",
    )


def case_companies(client, a, b):
    companies = listed(client, f"{API}/companies")
    assert [(c["slug"], c["is_current"]) for c in companies] == [(a.company.slug, True)]


def case_company(client, a, b):
    assert (
        clean(client.get(f"{API}/company"))
        and client.get(f"{API}/company").json()["slug"] == a.company.slug
    )


def case_memberships(client, a, b):
    # Adding B's clerk to A makes them a member of A (their B membership is untouched).
    body = {"user": b.member.username, "role": "staff"}
    assert client.post(f"{API}/memberships", body, format="json").status_code == 201
    again = client.post(f"{API}/memberships", body, format="json")
    assert again.json()["details"]["reason"] == "already_a_member"


def case_switch(client, a, b):
    refused = client.post(f"{API}/auth/switch", {"company": b.company.slug}, format="json")
    assert refused.status_code == 403
    assert refused.json()["details"]["reason"] == "not_a_member"


def case_audit_events(client, a, b):
    assert AuditEvent.objects.filter(company=b.company).exists()
    events = listed(client, f"{API}/audit-events")
    mine = AuditEvent.objects.filter(company=a.company).values_list("pk", flat=True)
    assert {e["event_id"] for e in events} == set(mine)
    query = {"object_type": "customer", "object_id": b.customer.pk}
    assert listed(client, f"{API}/audit-events", **query) == []


def case_file(client, a, b):
    """A signed link is the credential (ektor/files.py): it serves its file to whoever holds
    it, without a session. What tenancy adds is the name: each company's files live under its
    own prefix, so the same name in two companies is two files, and A's link cannot be turned
    into B's file (the signature covers the whole name)."""
    a_name = file_save("photos/pool.txt", b"alpha", company=a.company)
    b_name = file_save("photos/pool.txt", f"{MARK} secret".encode(), company=b.company)
    assert (a_name, b_name) == (
        f"companies/{a.company.pk}/photos/pool.txt",
        f"companies/{b.company.pk}/photos/pool.txt",
    )
    link = file_url(a_name)
    assert b"".join(client.get(link).streaming_content) == b"alpha"
    forged = client.get(link.replace(f"companies/{a.company.pk}/", f"companies/{b.company.pk}/"))
    missing(forged, "file_not_found")


def photographed_visit_of(shape: Shape):
    """A visit to the shape's pool, with a photo (the file is stored under its company)."""
    from operations import photos
    from operations.tests.factories import ServicePlanFactory, VisitFactory
    from operations.tests.images import image_bytes

    visit = VisitFactory(plan=ServicePlanFactory(pool=shape.pool), customer_notes=f"{shape.pool}")
    content = image_bytes()
    photos.photo_add(
        Ctx.system(shape.company),
        visit=visit,
        upload=io.BytesIO(content),
        size=len(content),
        caption=f"{shape.pool.name} skimmer",
        pool_id=shape.pool.pk,
    )
    return visit


def case_visit_photos(client, a, b):
    mine, theirs = photographed_visit_of(a), photographed_visit_of(b)
    (photo,) = listed(client, f"{API}/visits/{mine.pk}/photos")
    assert photo["caption"] == "Alpha Spa skimmer"
    missing(client.get(f"{API}/visits/{theirs.pk}/photos"), "visit_not_found")
    upload = {"file": SimpleUploadedFile("x.jpg", b"x"), "caption": "Stolen"}
    missing(client.post(f"{API}/visits/{theirs.pk}/photos", upload), "visit_not_found")
    # B's pool is not at A's visit's property (nor in A).
    upload = {"file": SimpleUploadedFile("x.png", image_bytes("PNG")), "pool_id": b.pool.pk}
    missing(client.post(f"{API}/visits/{mine.pk}/photos", upload), "pool_not_found")
    assert Photo.unscoped.filter(company=b.company).count() == 1


def case_visit_photo(client, a, b):
    mine, theirs = photographed_visit_of(a), photographed_visit_of(b)
    their_photo = Photo.unscoped.get(visit=theirs)
    missing(client.delete(f"{API}/visits/{theirs.pk}/photos/{their_photo.pk}"), "visit_not_found")
    # B's photo through A's visit: not one of its photos.
    path = f"{API}/visits/{mine.pk}/photos/{their_photo.pk}"
    missing(client.delete(path), "photo_not_found")
    assert Photo.unscoped.filter(pk=their_photo.pk).exists()


def case_visit_report(client, a, b):
    mine, theirs = photographed_visit_of(a), photographed_visit_of(b)
    page = client.get(f"{API}/visits/{mine.pk}/report")
    assert page.status_code == 200 and "Alpha Spa skimmer" in clean(page)
    missing(client.get(f"{API}/visits/{theirs.pk}/report"), "visit_not_found")


def case_visit_report_send(client, a, b):
    theirs = photographed_visit_of(b)
    missing(client.post(f"{API}/visits/{theirs.pk}/report/send"), "visit_not_found")
    assert not AuditEvent.objects.filter(company=b.company, action="send").exists()


def case_not_tenant_data(client, a, b):
    """Sign-in, tokens, the caller's own account and sessions, the water calculator: no
    company's rows."""


PLANS = f"{API}/service-plans"


def case_plans(client, a, b):
    mine, theirs = ServicePlanFactory(pool=a.pool), ServicePlanFactory(pool=b.pool)
    assert [p["plan_id"] for p in listed(client, PLANS)] == [mine.pk]
    for query in (
        {"customer_id": b.customer.pk},
        {"property_id": b.prop.pk},
        {"pool_id": b.pool.pk},
        {"technician_id": b.member.pk},
    ):
        assert listed(client, PLANS, **query) == []
    body = {"pool_id": b.pool.pk, "weekday": 2, "start_date": "2026-01-05", "rate": "160"}
    missing(client.post(PLANS, body, format="json"), "pool_not_found")
    # B's technician is not one of A's.
    tech = UserFactory(username="bravo_tech", role="technician", company=b.company)
    body = {**body, "pool_id": a.pool.pk, "technician_id": tech.pk}
    response = client.post(PLANS, body, format="json")
    assert response.status_code == 422 and clean(response)
    assert ServicePlan.unscoped.filter(company=a.company).count() == 1
    assert ServicePlan.unscoped.get(pk=theirs.pk).pool_id == b.pool.pk


def case_plan(client, a, b):
    path = f"{PLANS}/{ServicePlanFactory(pool=b.pool).pk}"
    missing(client.get(path), "plan_not_found")
    missing(client.patch(path, {"weekday": 5}, format="json"), "plan_not_found")
    assert ServicePlan.unscoped.get(pool=b.pool).weekday == 2


def case_plan_action(client, a, b):
    theirs = ServicePlanFactory(pool=b.pool)
    for action, body in (("pause", {}), ("resume", {}), ("end", {"end_date": "2030-01-01"})):
        missing(client.post(f"{PLANS}/{theirs.pk}/{action}", body, format="json"), "plan_not_found")
    theirs.refresh_from_db()
    assert (theirs.status, theirs.end_date) == ("active", None)


def case_schedule(client, a, b):
    mine, theirs = ServicePlanFactory(pool=a.pool), ServicePlanFactory(pool=b.pool)
    body = {"from": "2026-01-01", "to": "2026-01-31"}
    response = client.post(f"{API}/schedule", body, format="json")
    assert response.json() == {"created": 4, "existing": 0}
    assert set(Visit.unscoped.values_list("plan_id", flat=True)) == {mine.pk}
    assert not Visit.unscoped.filter(plan=theirs).exists()


def case_route(client, a, b):
    tech = UserFactory(username="bravo_tech", role="technician", company=b.company)
    theirs = ServicePlanFactory(pool=b.pool, technician=tech)
    VisitFactory(plan=theirs, scheduled_date=datetime.date(2026, 1, 7))
    response = client.get(f"{API}/route", {"date": "2026-01-07", "technician_id": tech.pk})
    assert response.status_code == 422 and clean(response)
    own = UserFactory(username="alpha_tech", role="technician", company=a.company)
    response = client.get(f"{API}/route", {"date": "2026-01-07", "technician_id": own.pk})
    assert (response.status_code, response.json()) == (200, [])


API_CASES = {
    "api/v1/customers": case_customers,
    "api/v1/customers/<pk>": case_customer,
    "api/v1/customers/<pk>/balance": case_customer_balance,
    "api/v1/credits": case_credits,
    "api/v1/credits/<pk>": case_credit,
    "api/v1/credits/<pk>/apply": case_credit_apply,
    "api/v1/properties": case_properties,
    "api/v1/properties/<pk>": case_property,
    "api/v1/pools": case_pools,
    "api/v1/pools/<pk>": case_pool,
    "api/v1/equipment": case_equipment_list,
    "api/v1/equipment/<pk>": case_equipment,
    "api/v1/invoices": case_invoices,
    "api/v1/invoices/<pk>": case_invoice,
    "api/v1/invoices/<pk>/send": case_invoice_send,
    "api/v1/invoices/<pk>/void": case_invoice_void,
    "api/v1/billing-runs": case_billing_runs,
    "api/v1/billing-runs/<pk>": case_billing_run,
    "api/v1/payments": case_payments,
    "api/v1/payments/<pk>": case_payment,
    "api/v1/payments/<pk>/reverse": case_payment_reverse,
    "api/v1/reports/customers/<pk>/statement": case_statement,
    "api/v1/reports/aging": case_aging,
    "api/v1/requests": case_requests,
    "api/v1/requests/<pk>": case_request,
    "api/v1/requests/<pk>/assign": case_request_assign,
    "api/v1/requests/<pk>/answer": case_request_action,
    "api/v1/requests/<pk>/close": case_request_action,
    "api/v1/requests/<pk>/reopen": case_request_action,
    "api/v1/items": case_items,
    "api/v1/items/<pk>": case_item,
    "api/v1/stock-movements": case_stock_movements,
    "api/v1/stock-movements/<pk>": case_stock_movement,
    "api/v1/visits": case_visits,
    "api/v1/visits/<pk>": case_visit,
    **{
        f"api/v1/visits/<pk>/{action}": case_visit_action
        for action in ("start", "complete", "skip", "cancel")
    },
    "api/v1/users": case_users,
    "api/v1/users/<pk>": case_user,
    "api/v1/companies": case_companies,
    "api/v1/company": case_company,
    "api/v1/memberships": case_memberships,
    "api/v1/auth/switch": case_switch,
    "api/v1/audit-events": case_audit_events,
    "api/v1/files/<pk>": case_file,
    "api/v1/service-plans": case_plans,
    "api/v1/service-plans/<pk>": case_plan,
    "api/v1/service-plans/<pk>/pause": case_plan_action,
    "api/v1/service-plans/<pk>/resume": case_plan_action,
    "api/v1/service-plans/<pk>/end": case_plan_action,
    "api/v1/schedule": case_schedule,
    "api/v1/route": case_route,
    "api/v1/visits/<pk>/photos": case_visit_photos,
    "api/v1/visits/<pk>/photos/<pk>": case_visit_photo,
    "api/v1/visits/<pk>/report": case_visit_report,
    "api/v1/visits/<pk>/report/send": case_visit_report_send,
    **{
        f"api/v1/{route}": case_not_tenant_data
        for route in (
            "auth/register",
            "auth/token",
            "auth/refresh",
            "auth/logout",
            "auth/logout-all",
            "auth/me",
            "auth/password",
            "auth/sessions",
            "auth/sessions/<pk>",
            "water/lsi",
        )
    },
}


def test_every_api_route_has_a_tenancy_case():
    assert api_routes() == set(API_CASES)


@pytest.mark.parametrize("route", sorted(API_CASES))
def test_company_a_sees_nothing_of_company_b(route, two, admin_user):
    a, b = two
    API_CASES[normalise(route)](client_for(admin_user), a, b)


def test_an_x_tenant_id_of_another_company_is_403(two, admin_user):
    _a, b = two
    client = client_for(admin_user)
    response = client.get(f"{API}/customers", HTTP_X_TENANT_ID=b.company.slug)
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "tenant_mismatch"
    assert "'bravo' is not the company of this token ('main')" in response.json()["message"]
    assert client.get(f"{API}/customers", HTTP_X_TENANT_ID="MAIN").status_code == 200


# --- the admin -------------------------------------------------------------------------------


def admin_url(model, suffix: str = "") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def b_row(model, a, b):
    return {
        Customer: b.customer,
        Property: b.prop,
        Invoice: b.draft,
        Payment: b.payment,
        Pool: b.pool,
        CustomerRequest: b.request,
    }.get(model)


# Models whose admin lists no company's rows: sign-in sessions are the signed-in people's,
# groups are the roles, background task results are the installation's operations data (the
# worker's queue, arguments being ids; admin-only, like the queue itself).
NOT_TENANT_ADMINS = {"accounts.authsession", "auth.group", "django_tasks_database.dbtaskresult"}


def test_every_admin_has_a_tenancy_case():
    registered = {model._meta.label_lower for model in admin.site._registry}
    covered = {"customers.customer", "customers.property", "billing.invoice", "billing.payment"}
    covered |= {"pools.pool", "support.customerrequest"}
    covered |= {"catalog.item", "catalog.stockmovement"}  # test_catalog_admin_is_company_a_only
    # test_operations_admin_is_company_a_only
    covered |= {"operations.serviceplan", "operations.visit"}
    audit = {"audit.auditevent"}  # test_the_audit_trail_admin_shows_company_a_events_only
    covered |= {"billing.billingrun"}  # test_billing_runs_admin_is_company_a_only
    covered |= {"billing.credit"}  # test_credits_admin_is_company_a_only
    assert registered == covered | {"accounts.user"} | audit | NOT_TENANT_ADMINS


@pytest.mark.parametrize(
    "model", [Customer, Property, Pool, Invoice, Payment, CustomerRequest], ids=str
)
def test_admin_pages_of_company_a_show_nothing_of_company_b(model, two, admin_user):
    a, b = two
    web = web_client_for(admin_user)
    changelist = web.get(admin_url(model))
    assert changelist.status_code == 200
    clean(changelist)
    assert changelist.context["cl"].result_count == (2 if model is Invoice else 1)
    # (The page repeats the term searched for; the result is what counts.)
    assert web.get(admin_url(model), {"q": MARK}).context["cl"].result_count == 0
    # B's row is a missing one: the change page sends back with Django's "doesn't exist".
    other = b_row(model, a, b)
    response = web.get(admin_url(model, f"{other.pk}/change/"), follow=True)
    assert "doesn\u2019t exist" in response.content.decode()
    # The export of a selection that names B's row exports A's rows only.
    if "export_csv" not in (admin.site._registry[model].actions or ()):
        return
    mine = {
        Customer: a.customer,
        Property: a.prop,
        Pool: a.pool,
        Invoice: a.draft,
        Payment: a.payment,
        CustomerRequest: a.request,
    }[model]
    export = web.post(
        admin_url(model),
        {"action": "export_csv", "_selected_action": [mine.pk, other.pk]},
    )
    assert export.status_code == 200
    assert MARK not in b"".join(export.streaming_content).decode()


def test_the_audit_trail_admin_shows_company_a_events_only(two, admin_user):
    a, b = two
    web = web_client_for(admin_user)
    changelist = web.get(admin_url(AuditEvent))
    assert changelist.status_code == 200
    clean(changelist)
    mine = AuditEvent.objects.filter(company=a.company).count()
    assert changelist.context["cl"].result_count == mine > 0
    other = AuditEvent.objects.filter(company=b.company).first()
    response = web.get(admin_url(AuditEvent, f"{other.pk}/change/"), follow=True)
    assert "doesn\u2019t exist" in response.content.decode()
    # B's row has no history page for A: it is a missing row.
    assert web.get(admin_url(Customer, f"{b.customer.pk}/history/")).status_code == 302


def test_a_shared_users_history_shows_company_a_events_only(two, admin_user):
    a, b = two
    # A's clerk joins B too; what B does to them is in B's trail, not in A's.
    shared = a.member
    accounts.member_add(Ctx.system(b.company), login=shared.username, role="staff")
    accounts.password_set(Ctx.system(b.company), user=shared, password="Bravo-pass-1234")
    accounts.user_update(Ctx.system(a.company), user=shared, data={"last_name": "Alphason"})
    history = web_client_for(admin_user).get(admin_url(User, f"{shared.pk}/history/"))
    assert history.status_code == 200
    assert [e.action for e in history.context["action_list"]] == ["update"]
    recorded = AuditEvent.objects.filter(object_type="user", object_id=shared.pk)
    assert set(recorded.values_list("company_id", "action")) == {
        (a.company.pk, "update"),
        (b.company.pk, "set_password"),
    }


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Property, "customer"),
        (Pool, "property"),
        (Invoice, "customer"),
        (Invoice, "property"),
        (CustomerRequest, "customer"),
        (ServicePlan, "pool"),
        (Visit, "property"),
    ],
)
def test_autocompletes_offer_company_a_only(model, field, two, admin_user):
    web = web_client_for(admin_user)
    query = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field,
        "term": "",
    }
    response = web.get("/admin/autocomplete/", query)
    assert response.status_code == 200
    clean(response)
    assert len(response.json()["results"]) == 1


def test_admin_users_dashboard_and_statement_are_company_a_only(two, admin_user):
    _a, b = two
    web = web_client_for(admin_user)
    users = web.get(admin_url(admin_user.__class__))
    assert b.member.username not in users.content.decode()
    index = web.get("/admin/")
    office = index.context["office"]
    # A's sent invoice (100.00, 10.00 paid) alone: B's equal one is not counted.
    assert (office.open_count, office.open_balance) == (1, Decimal("90.00"))
    assert index.context["requests"].pending == 1  # A's request alone
    report = web.get("/admin/support/customerrequest/report/")
    assert report.status_code == 200 and MARK not in report.content.decode()
    statement = web.get(
        f"/admin/billing/invoice/statement/{b.customer.pk}/",
        {"from": "2026-01-01", "to": "2026-12-31"},
    )
    assert statement.status_code == 404
    assert MARK not in statement.content.decode()
    aging = web.get("/admin/billing/invoice/aging/")
    assert aging.context["report"].total == Decimal("90.00")
    assert MARK not in web.get("/admin/billing/invoice/aging/", {"format": "csv"}).content.decode()


def test_catalog_admin_is_company_a_only(two, admin_user):
    mine, theirs = stock_of(two[0], "Alpha"), stock_of(two[1], MARK)
    web = web_client_for(admin_user)
    for model, other in ((Item, theirs.item), (StockMovement, theirs)):
        changelist = web.get(admin_url(model))
        clean(changelist)
        assert changelist.context["cl"].result_count == 1
        assert web.get(admin_url(model), {"q": MARK}).context["cl"].result_count == 0
        response = web.get(admin_url(model, f"{other.pk}/change/"), follow=True)
        assert "doesn\u2019t exist" in response.content.decode()
    export = web.post(
        admin_url(Item),
        {"action": "export_csv", "_selected_action": [mine.item_id, theirs.item_id]},
    )
    assert MARK not in b"".join(export.streaming_content).decode()
    # The movement form's item picker and the dashboard's low-stock panel are A's.
    query = {"app_label": "catalog", "model_name": "stockmovement", "field_name": "item"}
    picker = web.get("/admin/autocomplete/", {**query, "term": ""})
    assert [r["id"] for r in picker.json()["results"]] == [str(mine.item_id)]
    catalog.stock_movement_create(
        Ctx.system(two[1].company), item_id=theirs.item_id, kind="adjustment", quantity=-4
    )
    assert web.get("/admin/").context["low_stock"].count == 0


def test_a_new_invoice_form_offers_company_a_customers_only(two, admin_user):
    _a, _b = two
    form = web_client_for(admin_user).get(admin_url(Invoice, "add/"))
    assert MARK not in form.content.decode()


def test_operations_admin_is_company_a_only(two, admin_user):
    a, b = two
    web = web_client_for(admin_user)

    def visit_of(shape: Shape, name: str) -> Visit:
        technician = UserFactory(username=f"{name.lower()}_tech", role="technician")
        technician.memberships.update(company=shape.company)
        today = company_today(Ctx.system(shape.company))
        return VisitFactory(
            plan__pool=shape.pool,
            plan__technician=technician,
            plan__notes=f"{name} plan",
            scheduled_date=today,
            status=VisitStatus.COMPLETED,
            completed_at=datetime.datetime.now(datetime.UTC),
            title=f"{name} stop",
        )

    mine, theirs = visit_of(a, "Alpha"), visit_of(b, MARK)
    for visit in (mine, theirs):
        Reading.unscoped.create(
            company=visit.company, visit=visit, pool=visit.plan.pool, ph="8.2", flags=["ph_high"]
        )
    for model, own, other in ((ServicePlan, mine.plan, theirs.plan), (Visit, mine, theirs)):
        changelist = web.get(admin_url(model))
        clean(changelist)
        assert changelist.context["cl"].result_count == 1
        # The technician filter offers A's technician only.
        assert "alpha_tech" in changelist.content.decode()
        assert web.get(admin_url(model), {"q": MARK}).context["cl"].result_count == 0
        response = web.get(admin_url(model, f"{other.pk}/change/"), follow=True)
        assert "doesn\u2019t exist" in response.content.decode()
        export = web.post(
            admin_url(model), {"action": "export_csv", "_selected_action": [own.pk, other.pk]}
        )
        rows = b"".join(export.streaming_content).decode().splitlines()
        assert len(rows) == 2 and rows[1].startswith(f"{own.pk},")
    # A's pool page lists A's plan; B's pool is missing.
    pool_page = web.get(admin_url(Pool, f"{a.pool.pk}/change/"))
    assert f"/serviceplan/{mine.plan.pk}/change/" in clean(pool_page)
    # The dashboard's figures are A's visit and reading alone.
    visits = web.get("/admin/").context["visits"]
    assert (visits.done, visits.out_of_range) == (1, 1)
    assert (
        web.get(admin_url(Visit), {"readings": "week", "date": "all"}).context["cl"].result_count
        == 1
    )


def test_billing_runs_admin_is_company_a_only(two, admin_user):
    a, b = two
    mine, theirs = _billing_run_of(a), _billing_run_of(b)
    web = web_client_for(admin_user)
    changelist = web.get(admin_url(BillingRun))
    assert changelist.context["cl"].result_count == 1
    clean(changelist)
    response = web.get(admin_url(BillingRun, f"{theirs.run_id}/change/"), follow=True)
    assert "doesn\u2019t exist" in response.content.decode()
    assert web.get(admin_url(BillingRun, f"{mine.run_id}/change/")).status_code == 200
    # The preview bills A's plans only.
    page = web.post(admin_url(BillingRun, "add/"), {"period": "2026-01", "preview": "1"})
    assert "0 new invoices" in clean(page)


def test_credits_admin_is_company_a_only(two, admin_user):
    a, b = two
    mine, theirs = _credit_of(a), _credit_of(b)
    web = web_client_for(admin_user)
    changelist = web.get(admin_url(Credit))
    assert changelist.context["cl"].result_count == 1
    clean(changelist)
    assert web.get(admin_url(Credit), {"q": MARK}).context["cl"].result_count == 0
    response = web.get(admin_url(Credit, f"{theirs.pk}/change/"), follow=True)
    assert "doesn\u2019t exist" in response.content.decode()
    response = web.get(admin_url(Credit, f"{theirs.pk}/apply/"), follow=True)
    assert "doesn\u2019t exist" in response.content.decode()
    # A's credit applies to A's invoices only: B's invoice is no choice.
    page = web.post(
        admin_url(Credit, f"{mine.pk}/apply/"), {"invoice": b.invoice.pk, "amount": "5.00"}
    )
    assert page.status_code == 200 and "Select a valid choice" in clean(page)
    assert Invoice.unscoped.get(pk=b.invoice.pk).amount_credited == Decimal("0.00")
