"""Invoice lines: per-line rounding, totals from the lines, the v1 rules without them, changes
only while a draft, and the API's input and output."""

import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from billing import services
from billing.lines import line_amounts, line_tax_rate
from billing.models import InvoiceLine
from billing.tests.conftest import make_invoice
from catalog.tests.factories import ItemFactory
from core.errors import ApplicationError
from customers.tests.factories import PropertyFactory
from operations.tests.factories import ServicePlanFactory, VisitFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices"
D = Decimal


def _draft(ctx, lines, **extra):
    prop = PropertyFactory()
    return services.invoice_create(
        ctx,
        customer_id=prop.customer_id,
        property_id=prop.pk,
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        issued_date=datetime.date(2026, 12, 1),
        status="draft",
        lines=lines,
        **extra,
    )


@pytest.mark.parametrize(
    ("quantity", "price", "rate", "amount", "tax"),
    [
        ("1", "160.00", "0", "160.00", "0.00"),
        ("2.5", "4.99", "11.50", "12.48", "1.44"),  # 12.475 -> 12.48; 1.4352 -> 1.44
        ("0.333", "10.00", "11.50", "3.33", "0.38"),  # 3.33 x 0.115 = 0.38295
        ("3", "0.15", "10.00", "0.45", "0.05"),  # 0.045 rounds half up
        ("1", "-5.00", "0", "-5.00", "0.00"),
    ],
)
def test_each_line_is_rounded_half_up_on_its_own(quantity, price, rate, amount, tax):
    assert line_amounts(D(quantity), D(price), D(rate)) == (D(amount), D(tax))


def test_taxable_items_take_the_company_rate_services_only_when_it_taxes_them():
    rate = D("11.50")
    assert line_tax_rate(kind="part", taxable=True, company_rate=rate, tax_services=False) == rate
    assert line_tax_rate(kind="part", taxable=False, company_rate=rate, tax_services=True) == 0
    assert line_tax_rate(kind="plan", taxable=True, company_rate=rate, tax_services=False) == 0
    assert line_tax_rate(kind="plan", taxable=True, company_rate=rate, tax_services=True) == rate
    assert line_tax_rate(kind="adjustment", taxable=True, company_rate=rate, tax_services=True) == 0


def test_totals_are_the_sums_of_the_rounded_lines(ctx):
    lines = [
        {"kind": "chemical", "description": "Liquid chlorine", "quantity": D("2.5"),
         "unit_price": D("4.99"), "tax_rate": D("11.50")},
        {"kind": "chemical", "description": "Liquid chlorine", "quantity": D("2.5"),
         "unit_price": D("4.99"), "tax_rate": D("11.50")},
    ]  # fmt: skip
    invoice = _draft(ctx, lines)
    # Rounded per line: 2 x 12.48 and 2 x 1.44, not round(24.95) and round(2.869).
    assert (invoice.subtotal, invoice.tax, invoice.total) == (D("24.96"), D("2.88"), D("27.84"))
    assert [line.amount for line in invoice.lines.all()] == [D("12.48"), D("12.48")]


def test_a_line_of_an_item_takes_its_name_price_kind_and_the_company_rate(ctx):
    company = ctx.company
    company.tax_rate = D("11.50")
    company.save()
    item = ItemFactory(name="Pump seal", kind="part", price=D("35.00"), taxable=True)
    invoice = _draft(ctx, [{"item_id": item.pk, "quantity": D("2")}])
    line = invoice.lines.get()
    assert (line.kind, line.description, line.unit_price) == ("part", "Pump seal", D("35.00"))
    assert (line.tax_rate, line.amount, line.tax) == (D("11.50"), D("70.00"), D("8.05"))
    assert invoice.total == D("78.05")


def test_given_totals_that_disagree_with_the_lines_are_refused(ctx):
    line = {"kind": "labor", "description": "Repair", "unit_price": D("80.00")}
    with pytest.raises(ApplicationError) as refused:
        _draft(ctx, [line], subtotal=D("80.00"), tax=D("0.00"), total=D("90.00"))
    assert refused.value.status == 422
    assert [(e.field, e.msg) for e in refused.value.fields] == [
        ("total", "total must be the sum of the invoice's lines (80.00)")
    ]
    assert _draft(ctx, [line], subtotal=D("80.00"), total=D("80.00")).total == D("80.00")


def test_a_bad_line_is_refused_at_its_place(ctx):
    with pytest.raises(ApplicationError) as refused:
        _draft(
            ctx,
            [
                {"kind": "labor", "description": "Repair", "unit_price": D("80.00")},
                {"kind": "part", "description": "Seal", "unit_price": D("-1.00")},
            ],
        )
    assert [(e.field, e.msg) for e in refused.value.fields] == [
        ("lines.1.unit_price", "Only an adjustment line may take money off")
    ]
    with pytest.raises(ApplicationError) as refused:
        _draft(ctx, [{"kind": "part", "item_id": 999999, "unit_price": D("1.00")}])
    assert (refused.value.status, refused.value.reason) == (404, "item_not_found")


def test_without_lines_the_v1_rules_stand(ctx):
    invoice = make_invoice(total="100.00")
    assert (invoice.subtotal, invoice.total, invoice.lines.count()) == (D("100.00"), D("100.00"), 0)


def test_lines_are_replaced_only_while_a_draft_and_the_change_is_in_its_event(ctx):
    invoice = _draft(ctx, [{"kind": "labor", "description": "Repair", "unit_price": D("80.00")}])
    services.invoice_update(
        ctx,
        invoice=invoice,
        data={"lines": [{"kind": "labor", "description": "Repair", "unit_price": D("95.00")}]},
    )
    invoice.refresh_from_db()
    assert (invoice.subtotal, invoice.total) == (D("95.00"), D("95.00"))
    assert list(invoice.lines.values_list("unit_price", flat=True)) == [D("95.00")]
    event = AuditEvent.objects.filter(object_type="invoice", action="update").latest("id")
    old, new = event.changes["lines"]
    assert (old[0]["amount"], new[0]["amount"]) == ("80.00", "95.00")
    assert event.changes["total"] == ["80.00", "95.00"]

    with pytest.raises(ApplicationError) as refused:  # totals follow the lines
        services.invoice_update(ctx, invoice=invoice, data={"total": D("10.00")})
    assert refused.value.status == 422

    sent = services.invoice_send(ctx, invoice=invoice)
    with pytest.raises(ApplicationError) as refused:
        services.invoice_update(ctx, invoice=sent, data={"lines": []})
    assert (refused.value.status, refused.value.reason) == (409, "invoice_not_draft")
    assert InvoiceLine.objects.of(ctx).filter(invoice=invoice).count() == 1


def test_api_creates_with_lines_and_shows_them_in_detail_and_list(admin_client_api):
    prop = PropertyFactory()
    plan = ServicePlanFactory(pool__property=prop)
    visit = VisitFactory(plan=plan)
    body = {
        "customer_id": prop.customer_id,
        "property_id": prop.pk,
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "issued_date": "2026-12-01",
        "status": "draft",
        "lines": [
            {"kind": "plan", "description": "Weekly service, November 2026",
             "plan_id": plan.pk, "unit_price": "160.00"},
            {"kind": "chemical", "description": "Liquid chlorine", "visit_id": visit.pk,
             "quantity": "2.5", "unit_price": "4.99", "tax_rate": "11.50"},
        ],
    }  # fmt: skip
    response = admin_client_api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["subtotal"], created["tax"], created["total"]) == ("172.48", "1.44", "173.92")
    first, second = created["lines"]
    assert set(first) == {
        "line_id", "kind", "description", "item_id", "visit_id", "plan_id", "quantity",
        "unit_price", "tax_rate", "amount", "tax",
    }  # fmt: skip
    assert (first["plan_id"], first["quantity"], first["amount"]) == (plan.pk, "1.000", "160.00")
    assert (second["visit_id"], second["amount"], second["tax"]) == (visit.pk, "12.48", "1.44")
    detail = admin_client_api.get(f"{URL}/{created['invoice_id']}").json()
    assert detail["lines"] == created["lines"]
    listed = admin_client_api.get(URL).json()
    assert listed[0]["lines"] == created["lines"]


def test_api_patch_replaces_lines_of_a_draft_and_409_once_sent(admin_client_api, ctx):
    invoice = _draft(ctx, [{"kind": "labor", "description": "Repair", "unit_price": D("80.00")}])
    response = admin_client_api.patch(
        f"{URL}/{invoice.pk}",
        {"lines": [{"kind": "adjustment", "description": "Goodwill", "unit_price": "-5.00"},
                   {"kind": "labor", "description": "Repair", "unit_price": "80.00"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["total"] == "75.00"
    assert [line["amount"] for line in response.json()["lines"]] == ["-5.00", "80.00"]
    services.invoice_send(ctx, invoice=invoice)
    response = admin_client_api.patch(f"{URL}/{invoice.pk}", {"lines": []}, format="json")
    assert response.status_code == 409
    assert response.json()["details"]["reason"] == "invoice_not_draft"


def test_api_bad_lines_are_422_at_their_place(admin_client_api, ctx):
    invoice = _draft(ctx, [{"kind": "labor", "description": "Repair", "unit_price": D("80.00")}])
    response = admin_client_api.patch(
        f"{URL}/{invoice.pk}",
        {"lines": [{"kind": "labor", "description": "Repair", "unit_price": "1.00"},
                   {"kind": "bogus", "quantity": "0", "unit_price": "1.001"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["details"]["errors"]}
    assert locs == {
        ("body", "lines", 1, "kind"),
        ("body", "lines", 1, "quantity"),
        ("body", "lines", 1, "unit_price"),
    }
    response = admin_client_api.patch(
        f"{URL}/{invoice.pk}",
        {"lines": [{"kind": "part", "description": "Seal", "unit_price": "-1.00"}]},
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"] == [
        {
            "loc": ["body", "lines", 0, "unit_price"],
            "msg": "Only an adjustment line may take money off",
            "type": "value_error",
        }
    ]


def test_amounts_past_what_money_holds_are_refused_not_a_crash(ctx, admin_client_api):
    huge = {"kind": "labor", "description": "x", "quantity": "999999999.999"}
    with pytest.raises(ApplicationError) as refused:
        _draft(ctx, [{**huge, "unit_price": D("9999999999.99")}])
    assert [e.field for e in refused.value.fields] == ["lines.0.quantity"]
    # Each line fits, their sum does not.
    with pytest.raises(ApplicationError) as refused:
        _draft(ctx, [{**huge, "quantity": D(1), "unit_price": D("9000000000.00")}] * 2)
    assert [e.field for e in refused.value.fields] == ["lines"]
    response = admin_client_api.post(
        "/api/v1/invoices",
        {
            "customer_id": PropertyFactory().customer_id,
            "lines": [{**huge, "unit_price": "9999999999.99"}],
        },
        format="json",
    )
    assert response.status_code == 422, response.content
