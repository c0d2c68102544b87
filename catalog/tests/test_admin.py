"""The catalog's back office: item pages through the services, the low-stock filter, the CSV
import and export, the stock ledger (added to through the service only), the low-stock report
command and the dashboard's panel."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from catalog.models import Item, StockMovement
from catalog.tests.factories import ItemFactory, stocked
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

ITEMS = "/admin/catalog/item/"
MOVEMENTS = "/admin/catalog/stockmovement/"


def item_form(**overrides) -> dict:
    data = {
        "sku": "CHL-1",
        "name": "Liquid chlorine",
        "kind": "chemical",
        "category": "Sanitizer",
        "description": "",
        "unit": "gal",
        "price": "6.50",
        "cost": "",
        "taxable": "on",
        "track_stock": "on",
        "reorder_level": "4",
        "is_active": "on",
    }
    return data | overrides


def test_admin_creates_and_changes_items_through_the_services(admin_web, ctx):
    response = admin_web.post(f"{ITEMS}add/", item_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    item = Item.objects.of(ctx).get()
    assert (item.sku, item.unit, item.reorder_level) == ("CHL-1", "gal", Decimal("4"))
    response = admin_web.post(f"{ITEMS}{item.pk}/change/", item_form(price="7.00"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.price == Decimal("7.00")
    # The service's rules show beside the fields.
    ItemFactory(sku="TAKEN")
    refused = admin_web.post(f"{ITEMS}add/", item_form(sku="taken", kind="service"))
    errors = refused.context["adminform"].form.errors
    assert errors["sku"] == ["An item with this SKU already exists"]
    assert errors["track_stock"] == ["A service does not track stock."]


def test_the_admin_delete_is_soft(admin_web, ctx):
    item = stocked(ctx, 2)
    response = admin_web.post(f"{ITEMS}{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    row = Item.objects.of(ctx).get(pk=item.pk)
    assert row.deleted_at is not None
    assert admin_web.get(ITEMS).context["cl"].result_count == 0
    assert StockMovement.objects.of(ctx).filter(item=row).count() == 1


def test_filters_and_search(admin_web, ctx):
    low = stocked(ctx, 1, sku="LOW", name="Low chlorine", reorder_level=Decimal("2"))
    stocked(ctx, 9, sku="OK", name="Plenty", reorder_level=Decimal("2"), kind="chemical")
    ItemFactory(sku="OFF", is_active=False, track_stock=False)
    listed = admin_web.get(ITEMS, {"low_stock": "yes"}).context["cl"].result_list
    assert [i.pk for i in listed] == [low.pk]
    assert admin_web.get(ITEMS, {"low_stock": "no"}).context["cl"].result_count == 2
    assert admin_web.get(ITEMS, {"kind__exact": "chemical"}).context["cl"].result_count == 1
    assert admin_web.get(ITEMS, {"is_active__exact": "0"}).context["cl"].result_count == 1
    assert admin_web.get(ITEMS, {"q": "low chlor"}).context["cl"].result_count == 1


def export(web, ids) -> list[dict]:
    response = web.post(ITEMS, {"action": "export_csv", "_selected_action": ids})
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def upload(web, text: str):
    file = SimpleUploadedFile("items.csv", text.encode(), content_type="text/csv")
    return web.post(f"{ITEMS}import/", {"file": file})


def test_csv_export_reads_back_through_the_import(admin_web, ctx):
    item = stocked(ctx, 5, sku="CHL-1", price=Decimal("6.50"), category="Sanitizer")
    rows = export(admin_web, [item.pk])
    assert rows[0]["sku"] == "CHL-1" and rows[0]["stock_quantity"] == "5.000"
    assert rows[0]["price"] == "6.50" and rows[0]["category"] == "Sanitizer"
    # Changed in a spreadsheet: a new price, a new row; stock in the file is ignored.
    rows[0]["price"], rows[0]["stock_quantity"] = "7.25", "999"
    new = dict(rows[0], item_id="", sku="TAB-3", name="Trichlor tabs", price="89.00")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows([rows[0], new])
    response = upload(admin_web, out.getvalue())
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Imported 1 new and 1 changed items."]
    item.refresh_from_db()
    assert (item.price, item.stock_quantity) == (Decimal("7.25"), Decimal("5"))
    assert Item.objects.of(ctx).get(sku="TAB-3").stock_quantity == 0


def test_a_bad_row_imports_nothing_and_names_the_line(admin_web, ctx):
    text = (
        "sku,name,kind,price\n"
        "A-1,Good,part,1.00\n"
        "B-1,Bad kind,food,1.00\n"
        "C-1,,part,1.00\n"
        "a-1,Duplicate in the file,part,2.00\n"
        "D-1,Service,service,abc\n"
    )
    response = upload(admin_web, text)
    assert response.status_code == 200
    assert response.context["errors"] == [
        "Line 3: kind: 'food' is not one of service, chemical, part, product",
        "Line 4: name is required",
        "Line 6: price: 'abc' is not a number",
    ]
    assert not Item.objects.of(ctx).exists()
    header = upload(admin_web, "sku,name,colour\n")
    assert header.context["errors"] == [
        "Header: unknown columns: colour; missing columns: kind, price"
    ]


def test_an_error_names_the_files_own_line_past_blank_lines_and_multiline_fields(admin_web):
    text = 'sku,name,kind,price\nA-1,"Two\nlines",part,1\n\nB-1,Bad,food,1\n'
    assert upload(admin_web, text).context["errors"] == [
        "Line 5: kind: 'food' is not one of service, chemical, part, product"
    ]


def test_a_field_over_the_csv_limit_imports_nothing_and_names_the_line(admin_web, ctx):
    huge = "x" * (csv.field_size_limit() + 1)
    response = upload(admin_web, f'sku,name,kind,price\nA-1,Good,part,1.00\nB-1,"{huge}",part,1\n')
    assert response.status_code == 200
    assert response.context["errors"] == [
        f"Line 3: unreadable CSV: field larger than field limit ({csv.field_size_limit()})"
    ]
    assert not Item.objects.of(ctx).exists()
    header = upload(admin_web, f'sku,"{huge}"\n')
    assert header.context["errors"][0].startswith("Header: unreadable CSV: field larger")


def test_a_file_over_the_limit_or_not_utf8_is_refused_beside_the_form(admin_web, ctx):
    over = "sku,name,kind,price\n" + "A-1,Good,part,1.00\n" * (2 * 1024 * 1024 // 19 + 1)
    for text, message in (
        (over.encode(), "The file is larger than 2 MB"),
        ("sku,name\nA-1,Peña\n".encode("latin-1"), "The file is not UTF-8 text (byte 16)"),
    ):
        file = SimpleUploadedFile("items.csv", text, content_type="text/csv")
        response = admin_web.post(f"{ITEMS}import/", {"file": file})
        assert response.status_code == 200
        assert response.context["upload_form"].errors["file"][0].startswith(message)
    assert not Item.objects.of(ctx).exists()


def test_staff_cannot_import(staff_web):
    assert staff_web.get(f"{ITEMS}import/").status_code == 403
    assert staff_web.get(f"{ITEMS}import/template.csv").status_code == 403


def test_a_movement_is_added_through_the_service_and_never_changed(admin_web, ctx):
    item = stocked(ctx, 2, sku="PMP")
    form = {"item": item.pk, "kind": "adjustment", "quantity": "-3", "unit_cost": "", "note": ""}
    refused = admin_web.post(f"{MOVEMENTS}add/", form, follow=True)
    assert "Not enough stock of PMP: 2.000 available, 3.000 needed" in refused.content.decode()
    response = admin_web.post(f"{MOVEMENTS}add/", form | {"quantity": "-2", "note": "Broken"})
    assert response.status_code == 302
    movement = StockMovement.objects.of(ctx).order_by("-id").first()
    assert (movement.kind, movement.quantity, movement.stock_after) == (
        "adjustment",
        Decimal("-2"),
        Decimal("0"),
    )
    assert (
        admin_web.get(f"{MOVEMENTS}{movement.pk}/change/").context["has_change_permission"] is False
    )
    assert admin_web.post(f"{MOVEMENTS}{movement.pk}/delete/", {"post": "yes"}).status_code == 403
    bad = admin_web.post(f"{MOVEMENTS}add/", form | {"kind": "receipt", "quantity": "0"})
    assert bad.context["adminform"].form.errors["quantity"] == [
        "A receipt adds stock: the quantity must be positive."
    ]


def test_the_dashboard_shows_the_low_stock_items(staff_web, ctx):
    low = stocked(ctx, 1, sku="LOW", name="Low chlorine", reorder_level=Decimal("2"))
    stocked(ctx, 9, reorder_level=Decimal("2"))
    response = staff_web.get("/admin/")
    panel = response.context["low_stock"]
    assert (panel.count, panel.emptiest) == (1, [low])
    content = response.content.decode()
    assert f'href="{ITEMS}?low_stock=yes"' in content
    assert "Low stock: 1 item at or below the reorder level" in content


def test_stock_report_command(ctx, capsys):
    stocked(ctx, 1, sku="LOW", name="Low chlorine", reorder_level=Decimal("2"), unit="gal")
    stocked(ctx, 0, sku="OUT", name="Pump seal")
    stocked(ctx, 9, sku="OK", reorder_level=Decimal("2"))
    call_command("stock_report", "--company", ctx.company.slug)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{ctx.company.name}: 2 items at or below the reorder level"
    assert lines[1].split() == ["OUT", "Pump", "seal", "0.000", "each", "(reorder", "at", "0.000)"]
    assert lines[2].split()[:4] == ["LOW", "Low", "chlorine", "1.000"]
    call_command("stock_report", "--company", ctx.company.slug, "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:2] == ["item_id", "sku"] and [r[1] for r in rows[1:]] == ["OUT", "LOW"]
    other = CompanyFactory(slug="other", name="Other Pools")
    call_command("stock_report", "--company", other.slug)
    assert capsys.readouterr().out == "Other Pools: no item is at or below its reorder level.\n"
