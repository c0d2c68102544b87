"""A client generated from /openapi.json, untouched, runs the golden path against a live server.

The client is generated into a temp dir by openapi-python-client (requirements/dev.txt), as an
integrator would; nothing generated is kept.
"""

import importlib
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
CONFIG = (
    "post_hooks: []\nproject_name_override: ektor-client\npackage_name_override: ektor_client\n"
)


@pytest.fixture
def generated(live_server, tmp_path):
    """Import a callable that returns a module of the freshly generated `ektor_client`."""
    document = tmp_path / "openapi.json"
    with urlopen(f"{live_server.url}/openapi.json") as response:  # noqa: S310 (local server)
        document.write_bytes(response.read())
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    result = subprocess.run(
        [GENERATOR, "generate", "--path", document, "--config", config, "--meta", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"ektor_client.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [
            m for m in sys.modules if m == "ektor_client" or m.startswith("ektor_client.")
        ]:
            del sys.modules[name]


def test_every_generated_operation_module_imports(generated, tmp_path):
    modules = sorted((tmp_path / "ektor_client" / "api").glob("*/*_*.py"))
    assert len(modules) >= 35
    for module in modules:
        generated(f"api.{module.parent.name}.{module.stem}")


def test_generated_client_runs_the_golden_path(generated, live_server, admin_user):
    client = generated("client")
    models = generated("models")
    api = {
        name: generated(f"api.{name.split('_')[0]}.{name}")
        for name in (
            "auth_token",
            "customers_create",
            "properties_create",
            "properties_update",
            "invoices_create",
            "invoices_send",
            "invoices_list",
            "payments_create",
            "reports_customers_statement",
        )
    }
    anon = client.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    token = api["auth_token"].sync(
        client=anon, body=models.TokenRequest(username="boss", password=DEFAULT_PASSWORD)
    )
    assert token.token_type == "bearer"
    office = client.AuthenticatedClient(
        base_url=live_server.url, token=token.access_token, raise_on_unexpected_status=True
    )

    customer = api["customers_create"].sync(
        client=office,
        body=models.CustomerRequest(first_name="Ada", last_name="Pool", email="ada@example.com"),
    )
    home = api["properties_create"].sync(
        client=office,
        body=models.PropertyRequest(
            customer_id=customer.customer_id, label="Home", address1="1 Lagoon Way"
        ),
    )
    assert home.is_active is True
    # A PATCH sends only the fields it was given: renaming does not re-activate.
    api["properties_update"].sync(
        client=office,
        property_id=home.property_id,
        body=models.PatchedPropertyRequest(is_active=False),
    )
    renamed = api["properties_update"].sync(
        client=office,
        property_id=home.property_id,
        body=models.PatchedPropertyRequest(label="Villa"),
    )
    assert (renamed.label, renamed.is_active) == ("Villa", False)

    draft = api["invoices_create"].sync(
        client=office,
        body=models.InvoiceCreateRequest(
            customer_id=customer.customer_id,
            property_id=home.property_id,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            issued_date=date(2026, 2, 1),
            subtotal="100.00",
            tax="0.00",
            total="100.00",
            status=models.StatusEnum.DRAFT,
        ),
    )
    assert (draft.status, draft.number) == ("draft", None)
    sent = api["invoices_send"].sync(client=office, invoice_id=draft.invoice_id)
    assert sent.status == "sent" and sent.number.startswith("INV-2026-")

    payment = api["payments_create"].sync(
        client=office, body=models.PaymentRequest(invoice_id=sent.invoice_id, amount="60.00")
    )
    # The documented defaults are the server's.
    assert (payment.method, payment.paid_date) == ("other", timezone.localdate())

    refused = api["payments_create"].sync_detailed(
        client=office, body=models.PaymentRequest(invoice_id=sent.invoice_id, amount="50.00")
    )
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.details.reason == "payment_exceeds_total"
    assert refused.parsed.code == "HTTP_409"

    listed = api["invoices_list"].sync_detailed(client=office, customer_id=customer.customer_id)
    assert [invoice.invoice_id for invoice in listed.parsed] == [sent.invoice_id]
    assert listed.headers["X-Total-Count"] == "1"

    statement = api["reports_customers_statement"].sync(
        client=office,
        customer_id=customer.customer_id,
        from_=date(2026, 1, 1),
        to=date(2026, 12, 31),
    )
    assert (statement.total, statement.paid_total, statement.balance_due) == (
        "100.00",
        "60.00",
        "40.00",
    )
    assert [item.number for item in statement.items] == [sent.number]
