"""CSV import of customers and properties: one module checks the file for the admin page and
for `manage.py import_customers`; a file with any bad row imports nothing."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from customers import csv_import
from customers.models import Customer, Property
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor import csv_input

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
HEADER = "first_name,last_name,email,phone,property_label,address1,address2,city,state,postal_code"
GOOD = f"""{HEADER}
Ana,Rivera,ana@example.com,787-555-0101,Casa Playa,12 Calle Sol,,Isabela,PR,00662
Ana,Rivera,ana@example.com,787-555-0101,Finca,Carr. 2 km 3,Apt 4,Moca,PR,00676
Luis,Ortiz,LUIS@example.com,,Residence,1 Palm Dr,,Aguada,PR,
"""
BAD = f"""{HEADER}
Ana,Rivera,ana@example.com,,Casa Playa,12 Calle Sol,,Isabela,PR,00662
,Ortiz,luis-at-example.com,,Residence,1 Palm Dr,,,,
Ana,Rivera,ana@example.com,,Casa Playa,9 Other St,,,,
Too,Few,columns
"""


def test_plan_of_a_good_file(ctx):
    plan = csv_import.plan(ctx, GOOD)
    assert plan.ok and plan.errors == []
    assert [row.line for row in plan.rows] == [2, 3, 4]
    assert plan.new_customer_count == 2


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(ctx):
    plan, result = csv_import.import_text(ctx, BAD)
    assert result is None
    assert plan.error_lines() == [
        "line 3: first_name is required",
        "line 3: email 'luis-at-example.com' is not a valid email address",
        "line 4: property 'Casa Playa' repeats line 2",
        "line 5: 3 columns where the header has 10",
    ]
    assert not Customer.unscoped.exists() and not Property.unscoped.exists()


def test_import_creates_customers_and_properties_through_the_services(ctx):
    _, result = csv_import.import_text(ctx, GOOD)
    assert (result.customers_created, result.properties_created) == (2, 3)
    ana = Customer.unscoped.get(email="ana@example.com")
    assert sorted(ana.properties.values_list("label", flat=True)) == ["Casa Playa", "Finca"]
    finca = ana.properties.get(label="Finca")
    assert (finca.address2, finca.city, finca.is_active) == ("Apt 4", "Moca", True)
    luis = Customer.unscoped.get(email="LUIS@example.com")
    # Blank optional values are stored as NULL, as the services do for the API.
    assert luis.phone is None and luis.properties.get().postal_code is None


def test_an_existing_customer_is_found_by_email_case_insensitively(ctx):
    existing = CustomerFactory(email="Ana@Example.com", first_name="Ana", last_name="Rivera")
    PropertyFactory(customer=existing, label="Casa Playa")
    plan = csv_import.plan(ctx, GOOD)
    # Casa Playa exists already for Ana, at another address: the whole file is refused.
    assert plan.error_lines() == [
        "line 2: Ana Rivera already has a property labelled 'Casa Playa' that differs from this row"
    ]
    text = GOOD.replace("Casa Playa", "Casa Nueva")
    plan, result = csv_import.import_text(ctx, text)
    assert result is not None and result.customers_created == 1
    assert existing.properties.count() == 3


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "The file is empty"),
        (HEADER + "\n", "The file has a header but no rows"),
        ("first_name,last_name\nA,B\n", "line 1: the header must name the columns"),
        (
            GOOD.replace("Luis,Ortiz,LUIS", "Luisa,Ortiz,ana"),
            "line 4: ana@example.com is named differently on line 2",
        ),
        (GOOD.replace("Finca", "F" * 81), "line 3: property_label is longer than 80 characters"),
    ],
)
def test_file_level_and_cross_row_errors(ctx, text, error):
    plan = csv_import.plan(ctx, text)
    assert not plan.ok
    assert any(line.startswith(error) for line in plan.error_lines()), plan.error_lines()


def test_decode_refuses_non_utf8_and_drops_a_bom():
    with pytest.raises(ValueError, match="not UTF-8"):
        csv_input.decode("Peña".encode("latin-1"))
    assert csv_input.decode("\ufeffabc".encode()) == "abc"


# --- the command ----------------------------------------------------------------------------


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_command_imports_and_says_what_it_did(tmp_path):
    out = StringIO()
    call_command("import_customers", str(write(tmp_path, GOOD)), stdout=out)
    assert "Imported 2 new customers and 3 properties from" in out.getvalue()
    assert Property.unscoped.count() == 3


def test_command_dry_run_writes_nothing(tmp_path):
    out = StringIO()
    call_command("import_customers", str(write(tmp_path, GOOD)), "--dry-run", stdout=out)
    assert "is valid (3 properties for 2 new customers); nothing was written" in out.getvalue()
    assert not Customer.unscoped.exists()


def test_command_lists_bad_rows_and_fails(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError, match="4 problems in"):
        call_command("import_customers", str(write(tmp_path, BAD)), stderr=err)
    assert "line 3: first_name is required" in err.getvalue()
    assert not Customer.unscoped.exists()


def test_command_missing_file_fails(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_customers", str(tmp_path / "nope.csv"))


def test_command_exit_status_on_a_bad_file(tmp_path):
    """A real process: the operator's shell sees a non-zero status and the reasons."""
    path = write(tmp_path, BAD)
    env = {"PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null", "DEBUG": "true"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    for args in (["migrate", "-v", "0"], ["import_customers", str(path)]):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert "line 5: 3 columns where the header has 10" in result.stderr
    assert "nothing was imported" in result.stderr


# --- the admin page -------------------------------------------------------------------------

IMPORT = "/admin/customers/customer/import/"


def upload(client, text: str):
    return client.post(IMPORT, {"file": SimpleUploadedFile("c.csv", text.encode())})


def test_admin_import_previews_then_imports_on_confirm(admin_web):
    assert (
        'href="/admin/customers/customer/import/"'
        in admin_web.get("/admin/customers/customer/").content.decode()
    )
    preview = upload(admin_web, GOOD)
    content = preview.content.decode()
    assert 'id="import-preview"' in content and "Casa Playa" in content
    assert "3 properties for 2 new customers" in content
    assert not Customer.unscoped.exists()  # nothing until confirmed
    csv_text = preview.context["confirm_form"].initial["csv_text"]
    done = admin_web.post(IMPORT, {"csv_text": csv_text}, follow=True)
    assert "Imported 2 new customers and 3 properties." in done.content.decode()
    assert Property.unscoped.count() == 3


def test_admin_import_lists_bad_rows_and_offers_no_confirm(admin_web):
    content = upload(admin_web, BAD).content.decode()
    assert "nothing was imported" in content
    assert "line 3: first_name is required" in content
    assert 'id="import-confirm"' not in content
    # A forged confirmation of a bad file is checked again and refused.
    again = admin_web.post(IMPORT, {"csv_text": BAD})
    assert "line 3: first_name is required" in again.content.decode()
    assert not Customer.unscoped.exists()


def test_admin_import_refuses_non_utf8(admin_web):
    response = admin_web.post(
        IMPORT, {"file": SimpleUploadedFile("c.csv", "Peña".encode("latin-1"))}
    )
    assert "not UTF-8" in response.content.decode()


def test_staff_cannot_import(staff_user):
    client = Client()
    client.force_login(staff_user)
    refused = client.get(IMPORT)
    assert refused.status_code == 403
    assert "Your role (staff) cannot import customers and properties." in refused.content.decode()
    assert client.post(IMPORT, {"csv_text": GOOD}).status_code == 403
    assert "/import/" not in client.get("/admin/customers/customer/").content.decode()
    assert not Customer.unscoped.exists()


def test_a_row_the_csv_module_cannot_read_is_a_line_error_not_a_crash(ctx):
    huge = "x" * 140_000  # over the csv module's field size limit
    plan, result = csv_import.import_text(
        ctx, f"{HEADER}\nAna,Rivera,a@example.com,,{huge},1 St,,,,\n"
    )
    assert result is None
    assert plan.error_lines()[0].startswith("line 2: unreadable CSV: field larger than")
    assert not Customer.unscoped.exists()


def test_the_largest_accepted_file_can_be_posted_back_at_confirm():
    from django.conf import settings

    # The confirm step sends the file as a multipart field; Django refuses bodies over this.
    assert csv_input.MAX_BYTES + 64 * 1024 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_a_too_short_label_or_address_is_a_line_error(ctx):
    plan = csv_import.plan(ctx, f"{HEADER}\nAna,Rivera,a@example.com,,P,St,,,,\n")
    assert plan.error_lines() == [
        "line 2: property_label: Ensure this field has at least 2 characters.",
        "line 2: address1: Ensure this field has at least 3 characters.",
    ]


# --- what an office's spreadsheet gives -------------------------------------------------------


def test_the_template_downloads_and_imports_as_it_is(ctx, admin_web, staff_web):
    page = admin_web.get(IMPORT).content.decode()
    assert 'href="/admin/customers/customer/import/template.csv"' in page
    response = admin_web.get(f"{IMPORT}template.csv")
    assert response["Content-Type"] == "text/csv"
    assert 'filename="customers-template.csv"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.splitlines()[0] == HEADER
    plan, result = csv_import.import_text(ctx, text)
    assert plan.errors == [] and (result.customers_created, result.properties_created) == (1, 1)
    assert staff_web.get(f"{IMPORT}template.csv").status_code == 403


def test_optional_columns_may_be_left_out(ctx):
    header = "email,first_name,last_name,property_label,address1"
    text = f"{header}\nana@example.com,Ana,Rivera,Casa,1 Sol\n"
    plan, result = csv_import.import_text(ctx, text)
    assert plan.errors == [] and result.properties_created == 1
    prop = Property.unscoped.get()
    assert (prop.city, prop.customer.phone) == (None, None)
    missing = csv_import.plan(ctx, "first_name,last_name,email,property_label\nA,B,a@b.co,C\n")
    assert missing.error_lines()[0].endswith("; missing: address1")


def test_semicolon_separated_files_from_spreadsheets_are_read(ctx):
    text = GOOD.replace(",", ";").replace("Carr. 2 km 3", "Carr. 2, km 3")
    plan, result = csv_import.import_text(ctx, text)
    assert plan.errors == [] and result.properties_created == 3
    assert Property.unscoped.filter(address1="Carr. 2, km 3").exists()


def test_every_row_is_in_the_preview_with_its_status(ctx, admin_web):
    existing = CustomerFactory(email="luis@example.com", first_name="Luis", last_name="Ortiz")
    content = upload(admin_web, BAD + GOOD.split("\n", 1)[1]).content.decode()
    plan = csv_import.plan(ctx, BAD + GOOD.split("\n", 1)[1])
    assert [row.line for row in plan.rows] == [2, 3, 4, 5, 6, 7, 8]  # none vanish
    statuses = [row.status for row in plan.rows]
    assert statuses[0] == "new customer"
    assert statuses[1] == (
        "first_name is required; email 'luis-at-example.com' is not a valid email address"
    )
    assert statuses[3] == "3 columns where the header has 10"
    assert statuses[6] == "new property for Luis Ortiz"
    # Lines 6 and 7 are Ana's again: a label repeated, and her phone spelled otherwise.
    assert statuses[5] == "ana@example.com is named differently on line 2"
    assert content.count('class="import-error"') == 5
    assert "Luis Ortiz" in content and f"#{existing.pk}" not in content
    assert 'id="import-confirm"' not in content


def test_reimporting_identical_rows_skips_them_as_unchanged(ctx, admin_web, tmp_path):
    csv_import.import_text(ctx, GOOD)
    plan, result = csv_import.import_text(ctx, GOOD)
    assert plan.errors == [] and [row.status for row in plan.rows] == [
        "unchanged (already a property of Ana Rivera)",
        "unchanged (already a property of Ana Rivera)",
        "unchanged (already a property of Luis Ortiz)",
    ]
    assert (result.customers_created, result.properties_created, result.unchanged) == (0, 0, 3)
    assert Property.unscoped.count() == 3
    grown = GOOD + "Luis,Ortiz,LUIS@example.com,,Shop,2 Palm Dr,,Aguada,PR,\n"
    preview = upload(admin_web, grown).content.decode()
    assert "1 property for 0 new customers, 3 unchanged rows skipped" in preview
    out = StringIO()
    call_command("import_customers", str(write(tmp_path, grown)), stdout=out)
    assert "Imported 0 new customers and 1 property, 3 unchanged rows skipped" in out.getvalue()
    assert Property.unscoped.count() == 4
