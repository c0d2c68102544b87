"""Permissions from the role group's cached set, and the exact lookup for anyone else."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers"


def test_a_role_user_costs_no_permission_query(staff_client_api):
    with CaptureQueriesContext(connection) as queries:
        assert staff_client_api.get(CUSTOMERS).status_code == 200
    assert not any("auth_permission" in q["sql"] for q in queries.captured_queries)


def test_a_change_to_the_role_group_applies_at_once(staff_client_api):
    add_customer = Permission.objects.get(codename="add_customer")
    body = {"first_name": "Ana", "last_name": "Rivera"}
    assert staff_client_api.post(CUSTOMERS, body, format="json").status_code == 403
    Group.objects.get(name=Role.STAFF).permissions.add(add_customer)
    assert staff_client_api.post(CUSTOMERS, body, format="json").status_code == 201
    Group.objects.get(name=Role.STAFF).permissions.remove(add_customer)
    assert staff_client_api.post(CUSTOMERS, body, format="json").status_code == 403


def test_the_membership_role_decides_not_the_users_own_groups_or_permissions():
    """Permissions are the role's in the company acted for: another group or a direct
    permission given to the user by hand would follow them into every company."""
    extra = UserFactory(role=Role.STAFF)
    writers, _ = Group.objects.get_or_create(name="writers")
    writers.permissions.add(Permission.objects.get(codename="add_customer"))
    extra.groups.add(writers)
    extra.user_permissions.add(Permission.objects.get(codename="add_customer"))
    body = {"first_name": "Ana", "last_name": "Rivera"}
    assert client_for(extra).post(CUSTOMERS, body, format="json").status_code == 403
    assert client_for(extra).get(CUSTOMERS).status_code == 200


def test_a_permission_granted_to_a_role_group_reaches_its_members():
    clerk = UserFactory(role=Role.STAFF)
    body = {"first_name": "Ana", "last_name": "Rivera"}
    assert client_for(clerk).post(CUSTOMERS, body, format="json").status_code == 403
    Group.objects.get(name="staff").permissions.add(Permission.objects.get(codename="add_customer"))
    assert client_for(clerk).post(CUSTOMERS, body, format="json").status_code == 201
