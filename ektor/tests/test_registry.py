"""Registries read from the apps' AppConfigs: a new app plugs in without editing ektor/."""

import io

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from accounts.models import User
from accounts.roles import role_apps
from billing.models import Invoice, Payment
from customers.models import Customer, Property
from ektor.db.counts import is_counted
from ektor.registry import declared

WITH_PLUGIN = [*settings.INSTALLED_APPS, "ektor.tests.plugin.apps.PluginConfig"]


def test_the_apps_declare_what_is_counted_and_who_gets_defaults():
    assert all(is_counted(model) for model in (Invoice, Payment, Customer, Property))
    assert not is_counted(User)
    assert role_apps() == {
        "auth": ("admin",),
        "accounts": ("admin",),
        "tenancy": ("admin",),
        # The background tasks' results (ektor.apps.TaskResultsConfig), read-only in the admin.
        "django_tasks_database": ("admin",),
        "customers": ("admin", "staff", "technician"),
        "pools": ("admin", "staff", "technician"),
        "catalog": ("admin", "staff", "technician"),
        "operations": ("admin", "staff", "technician"),
        "billing": ("admin", "staff"),
        # Staff also log requests (its role_extra: accounts/tests/test_roles.py).
        "support": ("admin", "staff"),
        "audit": ("admin",),
    }


def test_operations_declares_what_is_on_a_technicians_route():
    from tenancy.scoping import route_scopes

    assert sorted(route_scopes()) == [
        "customers.Customer",
        "customers.Property",
        "pools.Equipment",
        "pools.Pool",
    ]


@override_settings(INSTALLED_APPS=WITH_PLUGIN)
def test_a_new_app_plugs_in_by_declaring_on_its_app_config():
    assert role_apps()["plugin"] == ("admin",)
    # In INSTALLED_APPS order: an app's demo builds on the rows of the apps before it.
    assert [path for _, path in declared("demo_module")] == [
        "customers.demo",
        "pools.demo",
        "catalog.demo",
        "operations.demo",
        "billing.demo",
        "ektor.tests.plugin.demo",
    ]


@pytest.mark.django_db
@override_settings(INSTALLED_APPS=WITH_PLUGIN)
def test_seed_demo_runs_the_new_apps_demo_after_the_others():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "plugin demo: 7 customers before me" in out.getvalue()
    assert Customer.unscoped.count() == 7


@override_settings(
    INSTALLED_APPS=[*settings.INSTALLED_APPS, "ektor.tests.plugin.apps.UnknownRoleConfig"]
)
def test_an_unknown_role_in_role_defaults_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured, match=r"plugin: role_defaults .* \['gardener'\]"):
        role_apps()
