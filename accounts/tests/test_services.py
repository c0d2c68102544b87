"""Account services on their own: the rules the API, the admin and the commands share."""

import pytest
from django.db import IntegrityError

from accounts.models import AuthSession, Role, User
from accounts.services import (
    USER_UNIQUE_RULES,
    password_set,
    session_refresh,
    session_start,
    sessions_end_all,
    user_create,
    user_update,
)
from accounts.tests.factories import UserFactory
from core.errors import ApplicationError, Conflict, InvalidInput
from ektor.services import conflict_on_integrity
from ektor.testing import run_at_once
from tenancy.models import Membership


@pytest.mark.django_db
def test_user_update_refuses_fields_it_does_not_manage(ctx, staff_user):
    with pytest.raises(ValueError, match="password"):
        user_update(ctx, user=staff_user, data={"password": "x"})


@pytest.mark.django_db
def test_duplicate_caught_by_the_constraint_is_a_409_with_the_reason(staff_user):
    # What a registration racing another one meets: the check passed, the insert collides.
    for kwargs, reason in (
        ({"username": "CLERK", "email": "other@example.com"}, "username_taken"),
        ({"username": "other", "email": "CLERK@example.com"}, "email_taken"),
    ):
        with pytest.raises(Conflict) as excinfo, conflict_on_integrity(USER_UNIQUE_RULES):
            User.objects.create(**kwargs)
        assert excinfo.value.reason == reason


@pytest.mark.django_db
def test_sessions_end_all_keeps_the_given_session(ctx, staff_user):
    for _ in range(3):
        session_start(ctx, user=staff_user)
    keep = AuthSession.objects.first()
    assert sessions_end_all(ctx, user=staff_user, reason="password_changed", keep=keep) == 2
    assert list(AuthSession.objects.open()) == [keep]


@pytest.mark.django_db
def test_password_set_writes_only_the_password_and_ends_the_sessions(ctx, staff_user):
    for _ in range(2):
        session_start(ctx, user=staff_user)
    stale = User.objects.get(pk=staff_user.pk)
    User.objects.filter(pk=staff_user.pk).update(email="new@example.com")
    assert password_set(ctx, user=stale, password="Float-Line-4471") == 2
    stored = User.objects.get(pk=staff_user.pk)
    assert stored.check_password("Float-Line-4471")
    assert stored.email == "new@example.com"  # not put back by the stale object
    assert not AuthSession.objects.open().exists()
    assert password_set(ctx, user=stored, password=None) == 0
    stored.refresh_from_db()
    assert not stored.has_usable_password()


@pytest.mark.django_db
def test_refresh_of_an_ended_session_is_refused(ctx, staff_user):
    tokens = session_start(ctx, user=staff_user)
    sessions_end_all(ctx, user=staff_user)
    with pytest.raises(ApplicationError) as excinfo:
        session_refresh(ctx, refresh_token=tokens["refresh_token"])
    assert (excinfo.value.status, excinfo.value.reason) == (401, "session_ended")


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(ctx):
    first = UserFactory(role=Role.ADMIN, company__is_owner=True)
    second = UserFactory(role=Role.ADMIN, company__is_owner=True)
    results = run_at_once(
        lambda: user_update(ctx, user=first, data={"role": Role.STAFF}),
        lambda: user_update(ctx, user=second, data={"is_active": False}),
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1, results
    assert isinstance(refused[0], Conflict) and refused[0].reason == "last_owner"
    owners = Membership.unscoped.filter(is_owner=True, role=Role.ADMIN, user__is_active=True)
    assert owners.count() == 1


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_of_one_name_give_one_user_and_one_409(ctx):
    results = run_at_once(
        *[
            (
                lambda n=n: user_create(
                    ctx, username="Twin", email=f"twin{n}@example.com", password="Ladder-Rung-88"
                )
            )
            for n in range(4)
        ]
    )
    created = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(created) == 1, results
    assert all(isinstance(r, Conflict) and r.reason == "username_taken" for r in refused), refused
    assert not any(isinstance(r, IntegrityError) for r in results)
    assert User.objects.filter(username__iexact="twin").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"email": "not-an-email"},
            [("email", "Input should be a valid email address")],
        ),
        (
            {"username": "x y", "role": "root"},
            [
                (
                    "username",
                    "Enter a valid username. This value may contain only letters, numbers, "
                    "and @/./+/-/_ characters.",
                ),
                ("role", "Role must be one of admin, staff, technician, not 'root'"),
            ],
        ),
    ],
)
def test_user_create_checks_every_input_whoever_calls(ctx, fields, errors):
    data = {"username": "poolie", "email": "poolie@example.com", "password": "Skimmer-Basket-61"}
    with pytest.raises(InvalidInput) as excinfo:
        user_create(ctx, **data | fields)
    assert [(error.field, error.msg) for error in excinfo.value.fields] == errors
    assert not User.objects.exists()


@pytest.mark.django_db
def test_user_update_checks_the_email_too(ctx, staff_user):
    with pytest.raises(InvalidInput) as excinfo:
        user_update(ctx, user=staff_user, data={"email": "nope"})
    assert excinfo.value.fields[0].msg == "Input should be a valid email address"
