"""The shape of /openapi.json that generated clients rely on (ektor/api/schema.py)."""

import json

import pytest
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def doc(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return json.loads(Client().get("/openapi.json").content)


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def by_id(doc, operation_id):
    return next(op for _, _, op in operations(doc) if op["operationId"] == operation_id)


def schema(doc, name):
    return doc["components"]["schemas"][name]


def test_paths_are_canonical_and_both_forms_are_served(doc):
    for path in doc["paths"]:
        assert not path.endswith("/"), path
        concrete = path.replace("{session_id}", "0" * 32)
        concrete = "".join(c for c in concrete if c not in "{}").replace("_id", "")
        for form in (concrete, concrete + "/"):
            try:
                resolve(form.replace("customer/", "customers/"))
            except Resolver404:
                pytest.fail(f"{form} is not served")


def test_operation_ids_are_short_and_tags_name_the_resource(doc):
    ids = {op["operationId"]: (op["tags"], method) for _, method, op in operations(doc)}
    assert len(ids) == sum(1 for _ in operations(doc))
    assert ids["invoices_list"] == (["invoices"], "get")
    assert ids["invoices_send"] == (["invoices"], "post")
    assert ids["customers_update"] == (["customers"], "patch")
    assert ids["customers_replace"] == (["customers"], "put")
    assert ids["auth_token"] == (["auth"], "post")
    assert ids["reports_customers_statement"] == (["reports"], "get")
    assert {tag for tags, _ in ids.values() for tag in tags} == {tag["name"] for tag in doc["tags"]}
    assert all(op.get("summary") for _, _, op in operations(doc))
    assert by_id(doc, "customers_list")["summary"] == "List customers, newest first"


def test_request_bodies_are_json_only_but_the_photo_upload(doc):
    bodies = {
        op["operationId"]: op["requestBody"] for _, _, op in operations(doc) if "requestBody" in op
    }
    upload = bodies.pop("visits_photos_create")
    assert len(bodies) >= 15
    assert all(list(body["content"]) == ["application/json"] for body in bodies.values())
    (form,) = upload["content"].values()
    assert list(upload["content"]) == ["multipart/form-data"]
    assert schema(doc, form["schema"]["$ref"].rsplit("/", 1)[-1]) == {
        "type": "object",
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": (
                    "A JPEG, PNG or WebP image of at most 15 MB (checked by decoding it)"
                ),
            },
            "caption": {"type": "string", "nullable": True, "maxLength": 200},
            "pool_id": {
                "type": "integer",
                "maximum": 9223372036854775807,
                "minimum": 1,
                "format": "int64",
                "nullable": True,
                "description": "One of the pools at the visit's property",
            },
        },
        "required": ["file"],
    }
    refused = by_id(doc, "visits_photos_create")["responses"]
    assert refused["415"]["description"] == (
        "Unsupported media type: send `multipart/form-data`. "
        "`details.reason`: `unsupported_media_type`"
    )
    assert "`photo_too_large`" in refused["413"]["description"]
    assert "`request_too_large`" in refused["413"]["description"]


def test_the_report_is_an_html_page(doc):
    page = by_id(doc, "visits_report")["responses"]["200"]
    assert list(page["content"]) == ["text/html"]
    assert by_id(doc, "visits_report_send")["responses"]["202"]


def test_path_ids_are_named_as_errors_report_them(doc):
    names = {
        parameter["name"]
        for _, _, op in operations(doc)
        for parameter in op.get("parameters", [])
        if parameter["in"] == "path"
    }
    assert names == {
        "customer_id",
        "property_id",
        "pool_id",
        "equipment_id",
        "invoice_id",
        "payment_id",
        "credit_id",
        "plan_id",
        "item_id",
        "movement_id",
        "user_id",
        "session_id",
        "request_id",
        "visit_id",
        "photo_id",
        "run_id",
        "file",  # a stored file's name; a bad link is `file_not_found`
    }
    assert "/api/v1/invoices/{invoice_id}/send" in doc["paths"]
    send = by_id(doc, "invoices_send")["parameters"][0]
    assert send["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_lists_declare_their_paging_headers(doc):
    lists = [op for path, method, op in operations(doc) if op["operationId"].endswith("_list")]
    assert len(lists) == 17
    for op in lists:
        assert set(op["responses"]["200"]["headers"]) == {"X-Total-Count", "Link"}


def test_patch_bodies_carry_no_defaults_and_creates_declare_the_real_ones(doc):
    patched = [name for name in doc["components"]["schemas"] if name.startswith("Patched")]
    assert len(patched) == 11
    for name in patched:
        for field in schema(doc, name)["properties"].values():
            assert "default" not in field, name
    assert schema(doc, "PropertyRequest")["properties"]["is_active"]["default"] is True
    assert schema(doc, "InvoiceCreateRequest")["properties"]["status"]["default"] == "sent"
    payment = schema(doc, "PaymentRequest")["properties"]
    assert payment["method"]["default"] == "other"
    assert "today" in payment["paid_date"]["description"]


def test_statement_period_is_typed_as_dates(doc):
    parameters = by_id(doc, "reports_customers_statement")["parameters"]
    period = {p["name"]: p for p in parameters if p["in"] == "query"}
    for name in ("from", "to"):
        assert period[name]["schema"] == {"type": "string", "format": "date"}
        assert period[name]["required"] is True


def test_errors_are_declared_in_the_envelope_with_their_reasons(doc):
    assert set(schema(doc, "Error")["required"]) == {"code", "message", "details", "timestamp"}
    for path, method, op in operations(doc):
        errors = {code: r for code, r in op["responses"].items() if code >= "400"}
        assert "content" not in errors.pop("414")  # gunicorn's, not the app's
        assert all(r["content"]["application/json"]["schema"] == ERROR_REF for r in errors.values())
        if op.get("security"):
            assert {"401", "403"} <= set(errors), (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415", "422"} <= set(errors), (method, path)
        if "{" in path:
            assert {"404", "422"} <= set(errors), (method, path)
    payment = by_id(doc, "payments_create")["responses"]
    for reason in ("payment_exceeds_total", "invoice_already_paid", "duplicate_payment_reference"):
        assert f"`{reason}`" in payment["409"]["description"]
    assert "`invoice_void`" in payment["400"]["description"]
    assert "`invoice_not_found`" in payment["404"]["description"]
    assert "`invoice_not_found`" in by_id(doc, "invoices_send")["responses"]["404"]["description"]


def test_auth_endpoints_declare_429_with_retry_after(doc):
    for operation_id in ("auth_token", "auth_refresh", "auth_register"):
        response = by_id(doc, operation_id)["responses"]["429"]
        assert "Retry-After" in response["headers"]
        assert "`rate_limited`" in response["description"]
    assert "`invalid_credentials`" in by_id(doc, "auth_token")["responses"]["401"]["description"]
    assert "429" not in by_id(doc, "customers_list")["responses"]


def test_every_post_takes_the_idempotency_key_and_lists_its_answers(doc):
    posts = [(path, op) for path, method, op in operations(doc) if method == "post"]
    assert len(posts) >= 14
    for path, op in posts:
        (parameter,) = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
        assert parameter["in"] == "header" and parameter["required"] is False
        assert (parameter["schema"]["minLength"], parameter["schema"]["maxLength"]) == (1, 255)
        assert "`invalid_idempotency_key`" in op["responses"]["400"]["description"], path
        # One success, or two: a billing run's 201, its dry run's 200.
        successes = [status for status in op["responses"] if status.startswith("2")]
        assert 1 <= len(successes) <= 2, path
        for success in successes:
            assert "Idempotent-Replayed" in op["responses"][success]["headers"], path
        signed_in = path not in ("/api/v1/auth/token", "/api/v1/auth/refresh")
        in_progress = "`idempotency_key_in_progress`" in op["responses"].get("409", {}).get(
            "description", ""
        )
        reused = "`idempotency_key_reused`" in op["responses"]["422"]["description"]
        assert (in_progress, reused) == (signed_in, signed_in), path
    others = [op for _, method, op in operations(doc) if method != "post"]
    assert not any(
        p["name"] == "Idempotency-Key" for op in others for p in op.get("parameters", [])
    )
