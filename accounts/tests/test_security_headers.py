"""Security headers on the admin and the docs, and CORS only for configured origins."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"
# What settings.py gives with DEBUG off (ektor/tests checks those defaults in a fresh process);
# pinned here so the test also holds when a developer's .env turns DEBUG on.
PRODUCTION = override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)


@PRODUCTION
@pytest.mark.parametrize("path", ["/admin/login/", "/docs", "/redoc"])
def test_security_headers_on_admin_and_docs_pages(path):
    response = Client().get(path, secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert csp == settings.CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


@PRODUCTION
def test_admin_cookies_are_secure_and_http_only(admin_user):
    client = Client()
    login = client.get("/admin/login/", secure=True)
    assert login.cookies["csrftoken"]["secure"] is True
    response = client.post(
        "/admin/login/",
        {"username": "boss", "password": "Correct-Horse-42", "next": "/admin/"},
        secure=True,
    )
    assert response.status_code == 302
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"] is True and session_cookie["httponly"] is True


def preflight(origin: str):
    return Client().options(
        "/api/v1/auth/token",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )


@override_settings(CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_cors_answers_a_configured_origin():
    response = preflight(ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    simple = Client().get("/health", HTTP_ORIGIN=ORIGIN)
    assert simple["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-Id" in simple["Access-Control-Expose-Headers"]


@override_settings(CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_cors_ignores_other_origins_and_the_admin():
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example.net")
    admin = Client().get("/admin/login/", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in admin


def test_cors_answers_nobody_by_default():
    assert settings.CORS_ALLOWED_ORIGINS == []
    assert "Access-Control-Allow-Origin" not in preflight(ORIGIN)
