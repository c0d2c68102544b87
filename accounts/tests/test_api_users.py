"""User management at /users: admins only; the role decides the group; one admin must remain."""

import pytest

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from conftest import client_for
from ektor.tests.test_errors import assert_envelope
from tenancy.models import Membership

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users"


def groups(user_id: int) -> list[str]:
    return list(User.objects.get(pk=user_id).groups.values_list("name", flat=True))


def test_list_is_newest_first_with_paging_headers(admin_user, admin_client_api):
    made = UserFactory.create_batch(3)
    response = admin_client_api.get(USERS, {"limit": 2})
    assert response.status_code == 200
    assert [u["id"] for u in response.json()] == [made[2].pk, made[1].pk]
    assert response["X-Total-Count"] == "4"
    assert 'rel="next"' in response["Link"]
    assert response.json()[0] == {
        "id": made[2].pk,
        "username": made[2].username,
        "email": made[2].email,
        "role": "staff",
        "is_owner": False,
        "is_active": True,
    }


@pytest.mark.parametrize("size", [1, 30])
def test_list_runs_a_fixed_number_of_queries(admin_client_api, django_assert_num_queries, size):
    UserFactory.create_batch(size)
    # session+user (the role's permissions are cached in process memory), count, page.
    with django_assert_num_queries(3):
        assert admin_client_api.get(USERS).status_code == 200


def test_create_with_role_admin(admin_client_api):
    response = admin_client_api.post(
        USERS,
        {
            "username": "second_boss",
            "email": "second@example.com",
            "password": "Skimmer-Net-310",
            "role": "admin",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["username"], body["role"], body["is_active"]) == ("second_boss", "admin", True)
    assert groups(body["id"]) == ["admin"]
    assert User.objects.get(pk=body["id"]).has_perm("accounts.change_user")


def test_create_rejects_an_unknown_role(admin_client_api):
    response = admin_client_api.post(
        USERS,
        {
            "username": "x_user",
            "email": "x@example.com",
            "password": "Skimmer-Net-310",
            "role": "root",
        },
        format="json",
    )
    body = assert_envelope(response, 422)
    assert body["details"]["errors"][0]["loc"] == ["body", "role"]


def test_get_one_and_404_and_422(admin_client_api, staff_user):
    response = admin_client_api.get(f"{USERS}/{staff_user.pk}")
    assert response.status_code == 200
    assert response.json()["username"] == "clerk"
    missing = assert_envelope(admin_client_api.get(f"{USERS}/999999"), 404)
    assert (missing["message"], missing["details"]["reason"]) == (
        "User not found",
        "user_not_found",
    )
    bad = assert_envelope(admin_client_api.get(f"{USERS}/abc"), 422)
    assert bad["details"]["errors"][0]["loc"] == ["path", "user_id"]


def test_patch_role_changes_the_membership_of_the_company(admin_client_api, staff_user):
    response = admin_client_api.patch(f"{USERS}/{staff_user.pk}", {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert Membership.unscoped.get(user=staff_user).role == "admin"
    # The promoted user's existing token now carries admin rights (permissions are live).
    assert client_for(staff_user).get(USERS).status_code == 200


def test_patch_email_and_is_active(admin_client_api, staff_user):
    response = admin_client_api.patch(
        f"{USERS}/{staff_user.pk}", {"email": "New@Example.COM", "is_active": 0}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email"] == "New@example.com"
    assert response.json()["is_active"] is False


def test_patch_email_taken_by_another_user_is_409(admin_client_api, admin_user, staff_user):
    response = admin_client_api.patch(
        f"{USERS}/{staff_user.pk}", {"email": "BOSS@example.com"}, format="json"
    )
    assert assert_envelope(response, 409)["details"]["reason"] == "email_taken"
    # Changing only the case of one's own email is not a conflict.
    response = admin_client_api.patch(
        f"{USERS}/{staff_user.pk}", {"email": "CLERK@example.com"}, format="json"
    )
    assert response.status_code == 200


def test_patch_nothing_is_400(admin_client_api, staff_user):
    response = admin_client_api.patch(f"{USERS}/{staff_user.pk}", {}, format="json")
    assert assert_envelope(response, 400)["details"]["reason"] == "no_fields_to_update"


@pytest.mark.parametrize("change", [{"role": "staff"}, {"is_active": False}, {"is_owner": False}])
def test_last_active_owner_cannot_be_demoted_or_deactivated(admin_client_api, admin_user, change):
    # An inactive owner and an admin who owns nothing do not count.
    UserFactory(role=Role.ADMIN, is_active=False, company__is_owner=True)
    UserFactory(role=Role.ADMIN)
    response = admin_client_api.patch(f"{USERS}/{admin_user.pk}", change, format="json")
    body = assert_envelope(response, 409)
    assert body["message"] == (
        "The last active owner cannot be demoted, deactivated or lose ownership"
    )
    assert body["details"]["reason"] == "last_owner"
    admin_user.refresh_from_db()
    membership = Membership.unscoped.get(user=admin_user)
    assert (membership.role, membership.is_owner, admin_user.is_active) == ("admin", True, True)


def test_only_an_owner_makes_an_owner(admin_client_api, staff_user):
    admin = UserFactory(role=Role.ADMIN)
    response = client_for(admin).patch(
        f"{USERS}/{staff_user.pk}", {"role": "admin", "is_owner": True}, format="json"
    )
    body = assert_envelope(response, 403)
    assert body["details"]["reason"] == "owner_only"
    assert body["message"] == "Only an owner of the company may change who owns it"
    response = admin_client_api.patch(
        f"{USERS}/{staff_user.pk}", {"role": "admin", "is_owner": True}, format="json"
    )
    assert (response.status_code, response.json()["is_owner"]) == (200, True)
    assert response.json()["role"] == "admin"


def test_an_admin_added_through_the_api_to_a_company_without_an_owner_owns_nothing():
    """Only an operator's command makes an owner of an ownerless company's new admin (its
    first, on a new installation): through the API an admin who is not an owner cannot make
    one, not even by adding an admin there."""
    admin = UserFactory(role=Role.ADMIN)  # the test company has no owner
    response = client_for(admin).post(
        USERS,
        {
            "username": "deputy",
            "email": "deputy@example.com",
            "password": "Skimmer-Basket-61",
            "role": "admin",
        },
        format="json",
    )
    assert (response.status_code, response.json()["is_owner"]) == (201, False)
    assert not Membership.unscoped.filter(is_owner=True).exists()


def test_an_owner_may_step_down_when_another_remains(admin_client_api, admin_user):
    UserFactory(role=Role.ADMIN, company__is_owner=True)
    response = admin_client_api.patch(f"{USERS}/{admin_user.pk}", {"role": "staff"}, format="json")
    assert response.status_code == 200
    assert response.json()["is_owner"] is False
    assert Membership.unscoped.get(user=admin_user).role == "staff"
    # The demoted admin's own token lost the rights at once.
    assert admin_client_api.get(USERS).status_code == 403


def test_put_and_delete_are_not_offered(admin_client_api, staff_user):
    assert assert_envelope(admin_client_api.delete(f"{USERS}/{staff_user.pk}"), 405)
    assert assert_envelope(admin_client_api.put(f"{USERS}/{staff_user.pk}", {}), 405)
