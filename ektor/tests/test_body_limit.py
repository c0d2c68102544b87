"""API request bodies over API_MAX_BODY_BYTES are refused (413) before anything reads them."""

import io

import pytest
from django.test import Client, override_settings

from ektor.tests.test_errors import assert_envelope

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class Unreadable(io.RawIOBase):
    """A request stream that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readinto = read


def post_declaring(client, path: str, length: int, content_type: str, **extra):
    return client.generic(
        "POST",
        path,
        b"",
        content_type=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


@pytest.mark.parametrize("size", [3 * MB, 10 * MB, 50 * MB])
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "text/plain",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/api/v1/auth/token"])
def test_an_anonymous_large_body_is_refused_unread(path, content_type, size):
    response = post_declaring(Client(), path, size, content_type)
    body = assert_envelope(response, 413)
    assert body["message"] == f"Request body too large: at most {MB} bytes"
    assert body["details"]["reason"] == "request_too_large"
    assert body["details"]["max_bytes"] == MB


def test_a_signed_in_callers_large_body_is_refused_too(admin_client_api):
    response = post_declaring(admin_client_api, "/api/v1/customers", 2 * MB, "application/json")
    assert assert_envelope(response, 413)["details"]["reason"] == "request_too_large"


@override_settings(API_MAX_BODY_BYTES=100)
def test_the_limit_is_a_setting_and_a_body_within_it_is_read(anon_client):
    padding = "x" * 40
    small = anon_client.post(
        "/api/v1/auth/refresh", {"refresh_token": padding}, format="json"
    )  # 58 bytes
    assert small.json()["details"]["reason"] == "invalid_token"
    large = anon_client.post("/api/v1/auth/refresh", {"refresh_token": padding * 3}, format="json")
    assert assert_envelope(large, 413)["message"] == "Request body too large: at most 100 bytes"


def test_a_body_without_content_length_is_refused_not_ignored():
    response = Client().generic(
        "POST",
        "/api/v1/auth/token",
        b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Unreadable()},
    )
    body = assert_envelope(response, 411)
    assert body["message"] == "A request body needs a Content-Length header"
    assert body["details"]["reason"] == "length_required"
