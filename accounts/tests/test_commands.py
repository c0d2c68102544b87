"""Operator commands: clear output, idempotent where promised, non-zero exit on failure."""

import io
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.management.commands import changepassword as django_changepassword
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import AuthSession, Role, User
from accounts.services import session_end, session_start
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import token_session_id
from ektor.testing import run_manage
from ektor.tests.test_errors import assert_envelope
from tenancy.models import Membership

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = {
    "BOOTSTRAP_ADMIN_USERNAME": "owner",
    "BOOTSTRAP_ADMIN_EMAIL": "owner@example.com",
    "BOOTSTRAP_ADMIN_PASSWORD": "Deep-End-Ladder-5",
}


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# --- bootstrap_admin ------------------------------------------------------------------------


@override_settings(**BOOTSTRAP)
def test_bootstrap_admin_creates_the_admin_once():
    assert run("bootstrap_admin") == "bootstrap_admin: created admin 'owner'.\n"
    user = User.objects.get(username="owner")
    assert (user.role, user.is_active, user.email) == (Role.ADMIN, True, "owner@example.com")
    assert list(user.groups.values_list("name", flat=True)) == ["admin"]
    assert user.check_password("Deep-End-Ladder-5")
    assert "an active admin already exists; nothing to do" in run("bootstrap_admin")
    assert User.objects.count() == 1


def test_bootstrap_admin_without_variables_says_how_to_make_one():
    out = run("bootstrap_admin")
    assert "nothing created" in out and "createsuperuser" in out
    assert not User.objects.exists()


@override_settings(**{**BOOTSTRAP, "BOOTSTRAP_ADMIN_PASSWORD": "owner123"})
def test_bootstrap_admin_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too similar to the username"):
        run("bootstrap_admin")
    assert not User.objects.exists()


@override_settings(**BOOTSTRAP)
def test_bootstrap_admin_refuses_when_the_user_exists_as_staff():
    UserFactory(username="Owner", role=Role.STAFF)
    with pytest.raises(CommandError, match="exists but is not an active admin"):
        run("bootstrap_admin")


@override_settings(**BOOTSTRAP)
def test_bootstrap_admin_refuses_a_taken_email():
    UserFactory(username="someone", email="OWNER@example.com")
    with pytest.raises(CommandError, match=r"Email is already registered \(email_taken\)"):
        run("bootstrap_admin")


# --- create_user --------------------------------------------------------------------------


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text("Skimmer-Basket-61\n")
    return str(path)


def test_create_user_with_role(password_file):
    out = run(
        "create_user", "Tech1", email="tech1@example.com", role="admin", password_file=password_file
    )
    user = User.objects.get(username="Tech1")
    assert out == f"create_user: created admin 'Tech1' <tech1@example.com> with id {user.pk}.\n"
    assert user.check_password("Skimmer-Basket-61")
    assert list(user.groups.values_list("name", flat=True)) == ["admin"]


def test_the_first_admin_made_by_create_user_owns_the_company_and_cannot_demote_themselves(
    password_file,
):
    """A new installation's first admin from `create_user` owns the company, as one from
    `createsuperuser` or `bootstrap_admin` does: without it nobody could edit the company or
    name an owner, and that admin could demote themselves and leave it with no admin. An
    inactive admin owns nothing; the next active one does."""
    run(
        "create_user",
        "asleep",
        email="asleep@example.com",
        role="admin",
        password_file=password_file,
        inactive=True,
    )
    run(
        "create_user", "first", email="first@example.com", role="admin", password_file=password_file
    )
    run(
        "create_user",
        "second",
        email="second@example.com",
        role="admin",
        password_file=password_file,
    )
    owners = Membership.unscoped.filter(is_owner=True).values_list("user__username", flat=True)
    assert list(owners) == ["first"]

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token", {"username": "first", "password": "Skimmer-Basket-61"}, format="json"
    ).json()["access_token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    first = User.objects.get(username="first")
    response = client.patch(f"/api/v1/users/{first.pk}", {"role": "staff"}, format="json")
    assert assert_envelope(response, 409)["details"]["reason"] == "last_owner"
    assert client.get("/api/v1/company").status_code == 200
    assert (
        client.patch("/api/v1/company", {"name": "Blue Lagoon"}, format="json").status_code == 200
    )


def test_an_admin_made_by_create_user_owns_a_company_whose_only_owner_is_inactive(password_file):
    asleep = UserFactory(role=Role.ADMIN, company__is_owner=True, is_active=False)
    run(
        "create_user", "awake", email="awake@example.com", role="admin", password_file=password_file
    )
    owners = Membership.unscoped.filter(is_owner=True).values_list("user__username", flat=True)
    assert sorted(owners) == sorted([asleep.username, "awake"])


def test_create_user_defaults_to_staff_and_can_start_inactive(password_file):
    out = run(
        "create_user", "tech2", email="t2@example.com", password_file=password_file, inactive=True
    )
    assert out.endswith("(inactive).\n") and "created staff 'tech2'" in out
    assert User.objects.get(username="tech2").is_active is False


def test_create_user_reads_the_password_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Skimmer-Basket-61\n"))
    run("create_user", "tech3", email="t3@example.com", password_file="-")
    assert User.objects.get(username="tech3").check_password("Skimmer-Basket-61")


BAD_EMAIL = "create_user: Input should be a valid email address"


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        (["clerk"], {"email": "x@example.com"}, r"Username is already taken \(username_taken\)"),
        (["tech4"], {"email": "CLERK@example.com"}, r"Email is already registered"),
        (["t"], {"email": "t@example.com"}, r"Username must have 3 to 50 characters"),
        (["tech4"], {"email": "not-an-email"}, rf"^{BAD_EMAIL}$"),
        (["tech4"], {"email": ""}, rf"^{BAD_EMAIL}$"),
        (["has space"], {"email": "s@example.com"}, r"Enter a valid username"),
        (["tech4"], {"email": f"a@{'b' * 250}.com"}, r"Email must have at most 254 characters"),
    ],
)
def test_create_user_failures_are_command_errors(staff_user, password_file, args, options, message):
    with pytest.raises(CommandError, match=message):
        run("create_user", *args, password_file=password_file, **options)


def test_create_user_weak_password_lists_the_validator_messages(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("1234")
    with pytest.raises(CommandError) as excinfo:
        run("create_user", "tech5", email="t5@example.com", password_file=str(weak))
    assert str(excinfo.value) == (
        "create_user: This password is too short. It must contain at least 8 characters. "
        "This password is too common. This password is entirely numeric."
    )


def test_create_user_without_a_password_source_refuses(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    with pytest.raises(CommandError, match="no password given"):
        run("create_user", "tech6", email="t6@example.com")


def test_create_user_help_and_exit_status():
    result = run_manage("create_user", "--help", DEBUG="true")
    assert result.returncode == 0
    assert (
        "--role {admin,staff,technician}" in result.stdout
        and "--password-file PATH" in result.stdout
    )
    args = ["create_user", "x", "--email", "x@example.com", "--role", "root"]
    result = run_manage(*args, DEBUG="true")
    assert result.returncode != 0
    assert "invalid choice: 'root'" in result.stderr


def test_create_user_with_a_bad_email_prints_one_line_and_exits_1(password_file):
    args = ["create_user", "tech7", "--email", "not-an-email", "--password-file", password_file]
    result = run_manage(*args, DEBUG="true", DATABASE_URL="sqlite://:memory:")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"CommandError: {BAD_EMAIL}\n"


def test_bootstrap_admin_refuses_a_bad_email():
    bad = BOOTSTRAP | {"BOOTSTRAP_ADMIN_EMAIL": "owner-at-example"}
    with (
        override_settings(**bad),
        pytest.raises(CommandError, match="bootstrap_admin: Input should be a valid email"),
    ):
        run("bootstrap_admin")
    assert not User.objects.exists()


# --- clear_auth_sessions ------------------------------------------------------------------


def test_clear_auth_sessions_deletes_expired_and_ended_ones(ctx, staff_user):
    live = session_start(ctx, user=staff_user)
    session_start(ctx, user=staff_user)
    ended = AuthSession.objects.exclude(pk=_sid(live)).get()
    session_end(ctx, session=ended)
    expired = AuthSession.objects.get(pk=_sid(session_start(ctx, user=staff_user)))
    AuthSession.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))

    out = run("clear_auth_sessions")
    assert out == "clear_auth_sessions: deleted 2 expired or ended sessions.\n"
    assert list(AuthSession.objects.values_list("pk", flat=True)) == [_sid(live)]


def test_clear_auth_sessions_can_keep_recently_ended_ones(ctx, staff_user):
    session_start(ctx, user=staff_user)
    session_end(ctx, session=AuthSession.objects.get())
    assert "deleted 0" in run("clear_auth_sessions", keep_ended_days=7)
    assert run("clear_auth_sessions") == (
        "clear_auth_sessions: deleted 1 expired or ended session.\n"
    )
    with pytest.raises(CommandError, match="cannot be negative"):
        run("clear_auth_sessions", keep_ended_days=-1)


def _sid(tokens: dict):
    return token_session_id(AccessToken(tokens["access_token"]))


# --- changepassword -----------------------------------------------------------------------

NEW_PASSWORD = "Float-Line-4471"


def type_passwords(monkeypatch, *typed: str) -> None:
    """What the operator types at the prompts, in order (Django's own tests patch getpass
    the same way)."""
    answers = iter(typed)
    monkeypatch.setattr(
        django_changepassword.getpass, "getpass", lambda prompt="Password: ": next(answers)
    )


def api_me(tokens: dict):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return client.get("/api/v1/auth/me")


def test_changepassword_is_the_accounts_command():
    assert get_commands()["changepassword"] == "accounts"


def test_changepassword_ends_the_users_api_sessions(ctx, monkeypatch, staff_user, admin_user):
    phone, laptop = session_start(ctx, user=staff_user), session_start(ctx, user=staff_user)
    someone_else = session_start(ctx, user=admin_user)
    assert api_me(phone).status_code == 200
    type_passwords(monkeypatch, NEW_PASSWORD, NEW_PASSWORD)

    out = run("changepassword", "clerk")

    assert out == (
        "Changing password for user 'clerk'\n"
        "Password changed successfully for user 'clerk'; 2 API sign-in sessions ended.\n"
    )
    staff_user.refresh_from_db()
    assert staff_user.check_password(NEW_PASSWORD)
    ended = AuthSession.objects.filter(user=staff_user)
    assert {(s.is_open, s.end_reason) for s in ended} == {(False, "password_changed")}
    for tokens in (phone, laptop):
        body = assert_envelope(api_me(tokens), 401)
        assert body["details"]["reason"] == "session_ended"
    # Only that user's sessions end.
    assert api_me(someone_else).status_code == 200


def test_changepassword_that_fails_changes_nothing(ctx, monkeypatch, staff_user):
    tokens = session_start(ctx, user=staff_user)
    with pytest.raises(CommandError, match="user 'nobody' does not exist"):
        run("changepassword", "nobody")
    # Three tries, each refused by the validators: Django's command gives up.
    type_passwords(monkeypatch, *["12345678"] * 6)
    with pytest.raises(CommandError, match="Aborting password change for user 'clerk'"):
        run("changepassword", "clerk", stderr=io.StringIO())
    staff_user.refresh_from_db()
    assert staff_user.check_password(DEFAULT_PASSWORD)
    assert api_me(tokens).status_code == 200
