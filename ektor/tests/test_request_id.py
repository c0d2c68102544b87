import json
import logging
import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_request_id_on_success_is_a_uuid4(anon_client):
    response = anon_client.get("/health")
    assert response.status_code == 200
    assert uuid.UUID(response["X-Request-Id"]).version == 4


def test_valid_incoming_request_id_is_echoed_on_success_and_error(anon_client):
    ok = anon_client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert ok["X-Request-Id"] == "abc-123"
    missing = anon_client.get("/api/v1/nowhere", HTTP_X_REQUEST_ID="abc-456")
    assert missing.status_code == 404
    assert missing["X-Request-Id"] == "abc-456"
    assert missing.json()["details"]["request_id"] == "abc-456"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "<script>", "a\tb"])
def test_invalid_incoming_request_id_is_replaced(anon_client, bad):
    response = anon_client.get("/health", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-Id"] != bad
    assert uuid.UUID(response["X-Request-Id"]).version == 4


def test_admin_pages_carry_request_id(anon_client):
    response = anon_client.get("/admin/login/")
    assert response.status_code == 200
    assert response["X-Request-Id"]


def test_one_json_log_line_per_request(staff_client_api, staff_user, caplog):
    with caplog.at_level(logging.INFO, logger="ektor.request"):
        staff_client_api.get("/api/v1/nowhere", HTTP_X_REQUEST_ID="log-1")
    records = [r for r in caplog.records if r.name == "ektor.request"]
    assert len(records) == 1
    record = records[0]
    assert (record.request_id, record.method, record.path, record.status) == (
        "log-1",
        "GET",
        "/api/v1/nowhere",
        404,
    )
    assert isinstance(record.duration_ms, float)
    from ektor.logging import JsonFormatter, RequestContextFilter

    RequestContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "log-1"
    assert line["status"] == 404
    assert {"user_id", "method", "path", "duration_ms"} <= set(line)


def test_the_log_line_names_the_user_and_the_company(staff_client_api, staff_user, caplog):
    with caplog.at_level(logging.INFO, logger="ektor.request"):
        staff_client_api.get("/api/v1/customers")
    (record,) = [r for r in caplog.records if r.name == "ektor.request"]
    assert (record.status, record.user_id, record.company) == (200, staff_user.pk, "main")


def test_admin_permission_refusal_is_not_logged_as_a_crash(client, staff_user, caplog):
    client.force_login(staff_user)
    with caplog.at_level(logging.INFO):
        response = client.get("/admin/customers/customer/add/")
    assert response.status_code == 403
    assert not [r for r in caplog.records if r.getMessage() == "unhandled error"]
    request_lines = [r for r in caplog.records if r.name == "ektor.request"]
    assert [r.status for r in request_lines] == [403]
