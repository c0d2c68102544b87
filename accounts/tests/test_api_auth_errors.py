"""Bad credentials, bad tokens and bad bodies: each the documented status, in the envelope."""

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import authentication
from accounts.models import AuthSession
from accounts.services import session_start
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from ektor.tests.test_errors import assert_envelope

pytestmark = pytest.mark.django_db

API = "/api/v1"


def token_request(body, **kwargs):
    return APIClient().post(f"{API}/auth/token", body, format="json", **kwargs)


def me_with(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(f"{API}/auth/me")


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def tokens(ctx, staff_user):
    return session_start(ctx, user=staff_user)


# --- credentials ----------------------------------------------------------------------------


def test_wrong_password_and_unknown_user_get_the_same_401(staff_user):
    wrong = assert_envelope(token_request({"username": "clerk", "password": "nope-nope"}), 401)
    unknown = assert_envelope(token_request({"username": "ghost", "password": "nope-nope"}), 401)
    for body in (wrong, unknown):
        assert body["message"] == "Incorrect username or password"
        assert body["details"]["reason"] == "invalid_credentials"
    assert not AuthSession.objects.exists()


def test_inactive_user_cannot_sign_in():
    UserFactory(username="gone", is_active=False)
    response = token_request({"username": "gone", "password": DEFAULT_PASSWORD})
    body = assert_envelope(response, 403)
    assert body["message"] == "User account is inactive"
    assert body["details"]["reason"] == "user_inactive"
    # Without the right password nobody learns the account exists.
    response = token_request({"username": "gone", "password": "wrong-one"})
    assert assert_envelope(response, 401)["details"]["reason"] == "invalid_credentials"


def test_username_that_looks_like_anothers_email_signs_in_as_the_username():
    owner = UserFactory(username="sam@example.com", email="sam.owner@example.com")
    UserFactory(username="samuel", email="sam@example.com", password="Other-Secret-77")
    response = token_request({"username": "sam@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert claims(response.json()["access_token"])["sub"] == str(owner.pk)


@pytest.mark.parametrize(
    ("body", "missing"),
    [({}, {"username", "password"}), ({"username": "clerk"}, {"password"})],
)
def test_missing_fields_are_422(staff_user, body, missing):
    result = assert_envelope(token_request(body), 422)
    errors = result["details"]["errors"]
    assert {e["loc"][-1] for e in errors} == missing
    assert all(e["loc"][0] == "body" and e["msg"] == "This field is required." for e in errors)


def test_wrong_types_and_unknown_grant_type_are_422(staff_user):
    body = assert_envelope(token_request({"username": 42, "password": True}), 422)
    assert {e["loc"][-1] for e in body["details"]["errors"]} == {"username", "password"}
    response = APIClient().post(
        f"{API}/auth/token",
        {"grant_type": "client_credentials", "username": "clerk", "password": DEFAULT_PASSWORD},
    )
    body = assert_envelope(response, 422)
    assert body["details"]["errors"][0]["loc"] == ["body", "grant_type"]


def test_malformed_json_body_is_400():
    response = APIClient().post(
        f"{API}/auth/token", '{"username": ', content_type="application/json"
    )
    assert assert_envelope(response, 400)["details"]["reason"] == "malformed_body"


def test_a_stale_authorization_header_does_not_block_signing_in(staff_user):
    response = token_request(
        {"username": "clerk", "password": DEFAULT_PASSWORD}, HTTP_AUTHORIZATION="Bearer junk"
    )
    assert response.status_code == 200


# --- access tokens -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer not.a.jwt", "Bearer ✓", "Bearer \xe2\x9c\x93"]
)
def test_malformed_authorization_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    body = assert_envelope(client.get(f"{API}/auth/me"), 401)
    assert body["details"]["reason"] == "invalid_token"
    assert client.get(f"{API}/auth/me")["WWW-Authenticate"] == 'Bearer realm="api"'


def test_no_token_is_401():
    body = assert_envelope(APIClient().get(f"{API}/auth/me"), 401)
    assert body["details"]["reason"] == "not_authenticated"


def test_expired_access_token_is_401(tokens):
    payload = claims(tokens["access_token"])
    payload["exp"] = int((timezone.now() - timedelta(seconds=5)).timestamp())
    expired = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    body = assert_envelope(me_with(expired), 401)
    assert body["message"] == "Invalid or expired token"
    assert body["details"]["reason"] == "invalid_token"


def test_a_token_verified_before_still_expires(tokens):
    """The process keeps the tokens it verified (accounts.authentication
    verified_access_token); the expiry is checked again on every use."""
    payload = claims(tokens["access_token"])
    payload["exp"] = int(time.time()) + 2
    short = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert me_with(short).status_code == 200
    assert short in authentication._verified
    time.sleep(max(0.0, payload["exp"] - time.time()) + 0.1)
    body = assert_envelope(me_with(short), 401)
    assert body["details"]["reason"] == "invalid_token"


def test_a_verified_token_of_an_ended_session_is_401(tokens):
    assert me_with(tokens["access_token"]).status_code == 200
    AuthSession.objects.update(ended_at=timezone.now())
    body = assert_envelope(me_with(tokens["access_token"]), 401)
    assert body["details"]["reason"] == "session_ended"


def test_the_session_read_is_the_sessions_user_company_and_role(tokens, staff_user):
    stored = AuthSession.objects.get(user=staff_user)
    found = authentication.open_session_get(stored.pk, timezone.now())
    assert found is not None and found.user == staff_user and found.company == stored.company
    assert (found.role, found.is_owner) == ("staff", False)
    session = found.session
    assert (session.pk, session.user_id, session.company_id, session.last_used_at) == (
        stored.pk,
        staff_user.pk,
        stored.company_id,
        stored.last_used_at,
    )
    # Its other columns load when read (no view reads them).
    assert session.get_deferred_fields() and session.expires_at == stored.expires_at
    staff_user.memberships.all().delete()
    assert authentication.open_session_get(stored.pk, timezone.now()).role is None
    AuthSession.objects.update(ended_at=timezone.now())
    assert authentication.open_session_get(stored.pk, timezone.now()) is None


def test_tampered_token_is_401(tokens, admin_user):
    # Claim to be the admin, keeping the original signature.
    header, _payload, signature = tokens["access_token"].split(".")
    forged = claims(tokens["access_token"]) | {"sub": str(admin_user.pk)}
    body = assert_envelope(me_with(f"{header}.{b64(forged)}.{signature}"), 401)
    assert body["details"]["reason"] == "invalid_token"


def test_token_signed_with_another_key_is_401(tokens):
    payload = claims(tokens["access_token"])  # a live session and the right user
    other = jwt.encode(payload, "some-other-key-" + "x" * 40, algorithm="HS256")
    assert assert_envelope(me_with(other), 401)["details"]["reason"] == "invalid_token"


def test_alg_none_token_is_401(tokens):
    payload = claims(tokens["access_token"])
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."
    assert assert_envelope(me_with(unsigned), 401)["details"]["reason"] == "invalid_token"


def test_token_naming_another_users_session_is_401(ctx, tokens, admin_user):
    admin_tokens = session_start(ctx, user=admin_user)
    payload = claims(tokens["access_token"]) | {"sid": claims(admin_tokens["access_token"])["sid"]}
    forged = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    assert assert_envelope(me_with(forged), 401)["details"]["reason"] == "session_ended"


def test_refresh_token_is_not_an_access_token_and_vice_versa(tokens):
    assert assert_envelope(me_with(tokens["refresh_token"]), 401)["details"]["reason"] == (
        "invalid_token"
    )
    response = APIClient().post(
        f"{API}/auth/refresh", {"refresh_token": tokens["access_token"]}, format="json"
    )
    body = assert_envelope(response, 401)
    assert body["message"] == "Invalid or expired refresh token"


def test_session_past_its_expiry_is_refused(tokens, staff_user):
    AuthSession.objects.filter(user=staff_user).update(expires_at=timezone.now())
    assert assert_envelope(me_with(tokens["access_token"]), 401)["details"]["reason"] == (
        "session_ended"
    )


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": 7}])
def test_refresh_bad_body_is_422(body):
    result = assert_envelope(APIClient().post(f"{API}/auth/refresh", body, format="json"), 422)
    assert result["details"]["errors"][0]["loc"] == ["body", "refresh_token"]


# --- registration input ---------------------------------------------------------------------


@override_settings(REGISTRATION_OPEN=True)
@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("short1!", ["This password is too short. It must contain at least 8 characters."]),
        ("password", ["This password is too common."]),
        ("83726150", ["This password is entirely numeric."]),
        ("poolboy77", ["The password is too similar to the username."]),
    ],
)
def test_weak_password_is_422_with_the_validator_messages(password, messages):
    response = APIClient().post(
        f"{API}/auth/register",
        {"username": "poolboy77", "email": "pb@example.com", "password": password},
        format="json",
    )
    body = assert_envelope(response, 422)
    assert [e["msg"] for e in body["details"]["errors"]] == messages
    assert {tuple(e["loc"]) for e in body["details"]["errors"]} == {("body", "password")}


@override_settings(REGISTRATION_OPEN=True)
@pytest.mark.parametrize(
    ("username", "email", "reason"),
    [
        ("CLERK", "new@example.com", "username_taken"),
        ("newbie", "Clerk@EXAMPLE.com", "email_taken"),
    ],
)
def test_duplicate_username_or_email_is_409_case_insensitively(staff_user, username, email, reason):
    response = APIClient().post(
        f"{API}/auth/register",
        {"username": username, "email": email, "password": "Chlorine-Tab-93"},
        format="json",
    )
    assert assert_envelope(response, 409)["details"]["reason"] == reason


@override_settings(REGISTRATION_OPEN=True)
@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "ab"), ("username", "x" * 51), ("username", "has space"), ("email", "nope")],
)
def test_bad_username_or_email_is_422(field, value):
    body = {"username": "fine_name", "email": "fine@example.com", "password": "Chlorine-Tab-93"}
    response = APIClient().post(f"{API}/auth/register", body | {field: value}, format="json")
    result = assert_envelope(response, 422)
    assert result["details"]["errors"][0]["loc"] == ["body", field]
    if field == "email":  # the services' rule, which create_user and the admin obey too
        assert result["details"]["errors"][0]["msg"] == "Input should be a valid email address"
