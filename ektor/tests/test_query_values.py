"""Query and path values are judged the same way on every list: never a 500, never ignored."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
ARABIC_INDIC_ONE = "%D9%A1"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/invoices?customer_id={HUGE}",
        f"/api/v1/invoices?property_id={HUGE}",
        f"/api/v1/properties?customer_id={HUGE}",
        f"/api/v1/payments?invoice_id={HUGE}",
        "/api/v1/invoices?customer_id=",
        "/api/v1/invoices?status=",
        "/api/v1/invoices?overdue=",
        "/api/v1/invoices?from_date=",
        "/api/v1/payments?invoice_id=",
        "/api/v1/properties?customer_id=",
        f"/api/v1/invoices?customer_id={ARABIC_INDIC_ONE}",
        f"/api/v1/customers?limit={ARABIC_INDIC_ONE}",
        "/api/v1/customers?offset=1_0",
        "/api/v1/customers?limit=+5",
    ],
)
def test_bad_query_values_are_422(staff_client_api, url):
    response = staff_client_api.get(url)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "REQUEST_VALIDATION_ERROR"
    assert body["details"]["errors"][0]["loc"][0] == "query"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/customers/{ARABIC_INDIC_ONE}",
        "/api/v1/invoices/1_0",
        # Beyond a 64-bit id: no row has it, and a compiled query could not bind it on SQLite.
        f"/api/v1/invoices/{HUGE}",
        f"/api/v1/visits/{HUGE}",
        f"/api/v1/reports/customers/{HUGE}/statement?from=2026-01-01&to=2026-01-31",
    ],
)
def test_non_ascii_path_ids_are_422(staff_client_api, path):
    response = staff_client_api.get(path)
    assert response.status_code == 422, response.content
    assert response.json()["details"]["errors"][0]["loc"][0] == "path"


def test_huge_body_id_is_422(admin_client_api):
    response = admin_client_api.post(
        "/api/v1/payments", {"invoice_id": int(HUGE), "amount": "1.00"}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["loc"] == ["body", "invoice_id"]


def test_offset_is_bounded_like_ids(staff_client_api):
    response = staff_client_api.get(f"/api/v1/customers?offset={10**30}")
    assert response.status_code == 422, response.content
    error = response.json()["details"]["errors"][0]
    assert error["loc"] == ["query", "offset"]
    assert error["msg"] == f"Input should be an integer of at least 0 and at most {2**63 - 1}"
    assert staff_client_api.get(f"/api/v1/customers?offset={2**63 - 1}").json() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-02-30", "2026-02-30 is not a valid date"),
        ("2026-00-10", "2026-00-10 is not a valid date"),
        ("2026-2-3", "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
        # Arabic-Indic digits: Python's date parsing would read them.
        (
            "%D9%A2%D9%A0%D9%A2%D9%A6-01-01",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
    ],
)
def test_a_date_in_the_query_string_is_judged_as_in_a_body(staff_client_api, value, message):
    for url, name in [
        (f"/api/v1/invoices?from_date={value}", "from_date"),
        (f"/api/v1/reports/customers/1/statement?from={value}&to=2026-12-31", "from"),
    ]:
        response = staff_client_api.get(url)
        assert response.status_code == 422, response.content
        errors = response.json()["details"]["errors"]
        assert {"loc": ["query", name], "msg": message, "type": "invalid"} in errors
