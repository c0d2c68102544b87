"""The error envelope, from every layer."""

import logging
import re

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ektor.tests.urls")]

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def assert_envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details", "timestamp"}
    default_code = "REQUEST_VALIDATION_ERROR" if status == 422 else f"HTTP_{status}"
    assert body["code"] == (code or default_code)
    assert body["message"]
    assert body["details"]["request_id"] == response["X-Request-Id"]
    assert ISO_Z.match(body["timestamp"])
    return body


def test_401_without_token(anon_client):
    response = anon_client.get("/api/v1/test/echo")
    body = assert_envelope(response, 401)
    assert body["details"]["reason"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_401_with_garbage_token(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    body = assert_envelope(anon_client.get("/api/v1/test/echo"), 401)
    assert body["details"]["reason"] == "invalid_token"


def test_404_for_unknown_api_url(anon_client):
    body = assert_envelope(anon_client.get("/api/v1/no-such-thing"), 404)
    assert body["message"] == "Not Found"


def test_405_with_allow_header(staff_client_api):
    response = staff_client_api.delete("/api/v1/test/echo")
    body = assert_envelope(response, 405)
    assert "DELETE" in body["message"]
    assert "POST" in response["Allow"]


def test_415_for_unsupported_media_type(staff_client_api):
    response = staff_client_api.post("/api/v1/test/echo", data="name=x", content_type="text/plain")
    body = assert_envelope(response, 415)
    assert "text/plain" in body["message"]


def test_malformed_json_is_400(staff_client_api):
    response = staff_client_api.post(
        "/api/v1/test/echo", data='{"name": "x",', content_type="application/json"
    )
    body = assert_envelope(response, 400)
    assert body["details"]["reason"] == "malformed_body"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_literals_are_rejected(staff_client_api, literal):
    response = staff_client_api.post(
        "/api/v1/test/echo",
        data='{"name": "x", "count": 1, "amount": ' + literal + "}",
        content_type="application/json",
    )
    assert_envelope(response, 400)


def test_422_lists_each_field_error(staff_client_api):
    response = staff_client_api.post(
        "/api/v1/test/echo", {"name": 123, "count": "5", "active": "yes"}, format="json"
    )
    body = assert_envelope(response, 422, "REQUEST_VALIDATION_ERROR")
    errors = {tuple(e["loc"]): e for e in body["details"]["errors"]}
    assert set(errors) == {("body", "name"), ("body", "count"), ("body", "active")}
    assert errors[("body", "name")]["msg"] == "Input should be a valid string"
    assert errors[("body", "count")]["type"] == "invalid"


def test_422_for_missing_field(staff_client_api):
    body = assert_envelope(
        staff_client_api.post("/api/v1/test/echo", {"name": "ok"}, format="json"), 422
    )
    assert body["details"]["errors"] == [
        {"loc": ["body", "count"], "msg": "This field is required.", "type": "required"}
    ]


@pytest.mark.parametrize(
    ("amount", "ok"),
    [
        ("30.00", True),
        (30, True),
        (0.1, True),
        ("30.001", False),
        ("-1", False),
        ("NaN", False),
        ("Infinity", False),
        ("1e20", False),
        (True, False),
        ("abc", False),
    ],
)
def test_money_is_strict(staff_client_api, amount, ok):
    response = staff_client_api.post(
        "/api/v1/test/echo", {"name": "x", "count": 1, "amount": amount}, format="json"
    )
    assert response.status_code == (200 if ok else 422), response.content
    if ok:
        assert re.match(r"^\d+\.\d\d$", response.json()["amount"])


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), (1, True), (0, False)]
)
def test_boolean_accepts_true_false_and_1_0(staff_client_api, value, expected):
    response = staff_client_api.post(
        "/api/v1/test/echo", {"name": "x", "count": 1, "active": value}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["active"] is expected


def test_domain_error_carries_reason(anon_client):
    body = assert_envelope(anon_client.get("/api/v1/test/rule"), 409)
    assert body["message"] == "Invoice already paid"
    assert body["details"]["reason"] == "invoice_already_paid"


def test_500_in_drf_view_hides_traceback_and_logs_request_id(anon_client, caplog):
    with caplog.at_level(logging.ERROR, logger="ektor.errors"):
        response = anon_client.get("/api/v1/test/crash", HTTP_X_REQUEST_ID="crash-1")
    body = assert_envelope(response, 500)
    text = response.content.decode()
    assert "Traceback" not in text and "hunter2" not in text and "RuntimeError" not in text
    assert body["details"]["request_id"] == "crash-1"
    record = next(r for r in caplog.records if r.name == "ektor.errors")
    assert record.request_id == "crash-1"
    assert "hunter2" in record.exc_text or "hunter2" in str(record.exc_info[1])


def test_500_in_plain_django_view_is_enveloped(anon_client, caplog):
    anon_client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = anon_client.get("/api/v1/test/plain-crash")
    assert_envelope(response, 500)
    assert b"secret" not in response.content
