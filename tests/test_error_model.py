"""One error model: core's ApplicationError, the reason enums, and how each layer renders it."""

import ast
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import get_resolver

import accounts.error_codes
import billing.error_codes
import catalog.error_codes
import customers.error_codes
import ektor.api.errors
import ektor.files
import operations.error_codes
import pools.error_codes
import support.error_codes
import tenancy.error_codes
from billing import services
from billing.tests.factories import InvoiceFactory
from core.errors import (
    ApplicationError,
    Conflict,
    CoreErrorCode,
    FieldError,
    InvalidInput,
    ReasonCode,
    reason_code,
)

ROOT = Path(__file__).resolve().parent.parent
ENUMS = (
    CoreErrorCode,
    tenancy.error_codes.TenancyErrorCode,
    accounts.error_codes.AccountErrorCode,
    customers.error_codes.CustomerErrorCode,
    pools.error_codes.PoolErrorCode,
    catalog.error_codes.CatalogErrorCode,
    operations.error_codes.OperationsErrorCode,
    billing.error_codes.BillingErrorCode,
    support.error_codes.SupportErrorCode,
    ektor.api.errors.ApiErrorCode,
    ektor.files.FileErrorCode,
)


def documented_reasons() -> set[str]:
    text = (ROOT / "docs" / "api.md").read_text()
    table = text.split("## Reasons (`details.reason`)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if re.match(r"\| \d{3} \|", line)]
    return {reason for row in rows for reason in re.findall(r"`(\w+)`", row.split("|")[2])}


def declared_reasons() -> set[str]:
    assert set(ReasonCode.__subclasses__()) == set(ENUMS), "a new enum belongs in ENUMS"
    return {member.value for enum in ENUMS for member in enum}


def test_every_documented_reason_is_an_enum_member_and_back():
    documented, declared = documented_reasons(), declared_reasons()
    assert documented - declared == set()
    # The table names the `<resource>_not_found` family by three examples and "...".
    undocumented = {r for r in declared - documented if not r.endswith("_not_found")}
    assert undocumented == set()


def test_no_reason_is_declared_twice():
    values = [member.value for enum in ENUMS for member in enum]
    assert len(values) == len(set(values))


def test_a_reason_must_be_an_enum_member():
    with pytest.raises(TypeError, match="ReasonCode member"):
        ApplicationError("Nope", reason="invoice_void")  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        reason_code("spaceship_not_found")
    found = reason_code("invoice_not_found")
    assert found is billing.error_codes.BillingErrorCode.INVOICE_NOT_FOUND


def test_no_raise_site_passes_a_reason_as_a_plain_string():
    """`reason="..."` to an error class would dodge the enums (mypy says so too; this covers
    the modules outside mypy's scope)."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if not (name.endswith("Error") or name in ("Conflict", "NotFound")):
                continue
            for keyword in node.keywords:
                if keyword.arg == "reason" and isinstance(keyword.value, ast.Constant):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_error_reasons_table_names_declared_reasons():
    declared, seen = declared_reasons(), set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
            elif cls := getattr(pattern.callback, "cls", None):
                for statuses in getattr(cls, "error_reasons", {}).values():
                    for reasons in statuses.values():
                        seen.update(reasons)

    walk(get_resolver().url_patterns)
    assert "invoice_already_void" in seen
    assert seen - declared == set()


def test_core_runs_on_the_standard_library_alone():
    """No DRF nor Django at run time (the apps are the import-linter contract's); Django's
    types may be named for mypy under TYPE_CHECKING."""
    for path in (ROOT / "core").glob("*.py"):
        tree = ast.parse(path.read_text())
        type_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for stmt in node.body
            for inner in ast.walk(stmt)
        }
        modules = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in type_only
            for alias in (node.names if isinstance(node, ast.Import) else [None])
        }
        top = {module.split(".")[0] for module in modules}
        assert top <= {"collections", "dataclasses", "decimal", "enum", "typing", "uuid"}, (
            path,
            top,
        )


def test_field_errors_render_as_body_fields():
    exc = InvalidInput([FieldError("paid_date", "Not yet", "date_future")])
    assert ektor.api.errors.application_details(exc) == {
        "errors": [{"loc": ["body", "paid_date"], "msg": "Not yet", "type": "date_future"}]
    }
    conflict = Conflict(
        "Still used", reason=CoreErrorCode.PROTECTED_BY_REFERENCES, extra={"references": {"x": 1}}
    )
    details = ektor.api.errors.application_details(conflict)
    assert list(details.items()) == [
        ("reason", "protected_by_references"),
        ("references", {"x": 1}),
    ]


@pytest.mark.django_db
def test_a_services_field_error_reaches_the_client_under_body(admin_client_api):
    invoice = InvoiceFactory(total=Decimal("100.00"))
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    response = admin_client_api.post(
        "/api/v1/payments",
        {"invoice_id": invoice.pk, "amount": "10.00", "paid_date": tomorrow.isoformat()},
        format="json",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert (body["code"], body["message"]) == ("REQUEST_VALIDATION_ERROR", "Invalid request")
    assert set(body["details"]) == {"request_id", "errors"}
    [error] = body["details"]["errors"]
    assert (error["loc"], error["type"]) == (["body", "paid_date"], "value_error")
    assert error["msg"].startswith(f"paid_date {tomorrow} is after today")


@pytest.mark.django_db
def test_invoice_void_means_one_thing(ctx, admin_client_api):
    """Voiding twice is `invoice_already_void` (409); paying a void invoice stays the v1
    contract's `invoice_void` (400)."""
    invoice = InvoiceFactory()
    voided = services.invoice_void(ctx, invoice=invoice, reason="Billed twice")
    again = admin_client_api.post(
        f"/api/v1/invoices/{invoice.pk}/void", {"reason": "again"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["details"]["reason"] == "invoice_already_void"
    assert again.json()["message"] == f"Invoice {voided.number} is already void"
    paid = admin_client_api.post(
        "/api/v1/payments", {"invoice_id": invoice.pk, "amount": "1.00"}, format="json"
    )
    assert paid.status_code == 400
    assert paid.json()["details"]["reason"] == "invoice_void"


@pytest.mark.django_db
def test_the_openapi_document_names_the_renamed_reason(client):
    doc = client.get("/openapi.json").json()
    void = doc["paths"]["/api/v1/invoices/{invoice_id}/void"]["post"]["responses"]["409"]
    assert "`invoice_already_void`" in void["description"]
    assert "`invoice_void`" not in void["description"]
