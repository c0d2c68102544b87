"""The ctx plumbing: every service and selector takes it first, and the API, the admin and the
commands build it once and pass it on."""

import importlib
import importlib.util
import inspect
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver

from accounts.models import Role
from accounts.tests.factories import UserFactory
from billing import services
from billing.tests.conftest import make_invoice
from core.context import ActorKind, Ctx, command_ctx
from ektor.admin_tools import OfficeAdmin
from ektor.api.views import ApiView
from ektor.ctx import request_ctx
from ektor.registry import service_modules
from tenancy.tests.factories import default_company

ROOMS = ("services", "selectors")


def _project_modules():
    """Each project app's services and selectors modules (found, not listed)."""
    for config in apps.get_app_configs():
        # The project package's services.py holds helpers the apps' services share.
        if not config.path.startswith(str(settings.BASE_DIR)) or config.name == "ektor":
            continue
        selectors = f"{config.name}.selectors"
        names = service_modules(config)
        if importlib.util.find_spec(selectors) is not None:
            names.append(selectors)
        for name in names:
            yield importlib.import_module(name)


def _public_functions(module):
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ == module.__name__ and not name.startswith("_"):
            yield name, function


def test_every_service_and_selector_takes_ctx_first():
    modules = list(_project_modules())
    assert {m.__name__ for m in modules} >= {
        f"{app}.{room}" for app in ("accounts", "customers", "billing") for room in ROOMS
    }
    missing = []
    for module in modules:
        for name, function in _public_functions(module):
            params = list(inspect.signature(function).parameters.values())
            first = params[0] if params else None
            if not (
                first is not None
                and first.name == "ctx"
                and first.kind in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD)
                and first.annotation in (Ctx, "Ctx")
            ):
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"take `ctx: Ctx` as the first parameter: {missing}"


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route, pattern.callback


def test_every_api_view_uses_the_api_base():
    api = [
        (route, view) for route, view in _routes(get_resolver().url_patterns) if "api/v1/" in route
    ]
    assert len(api) > 10
    not_based = [route for route, view in api if not issubclass(view.cls, ApiView)]
    assert not not_based, f"API views must derive from ektor.api.views.ApiView: {not_based}"


def test_every_model_admin_uses_the_office_base():
    plain = [
        type(a).__name__ for a in admin.site._registry.values() if not isinstance(a, OfficeAdmin)
    ]
    assert not plain


def test_actor_labels(db):
    boss = UserFactory(username="boss")
    assert Ctx.for_user(boss).actor_label == "user:boss"
    assert Ctx.for_command("seed_demo").actor_label == "command:seed_demo"
    assert (
        Ctx.for_command("changepassword", boss).actor_label == "command:changepassword (user:boss)"
    )
    assert Ctx.system().actor_label == "system"
    assert Ctx.anonymous().actor_label == "anonymous"
    assert Ctx.system().company is None


def test_a_command_is_named_by_its_module():
    from billing.management.commands.statement import Command

    ctx = command_ctx(Command())
    assert (ctx.kind, ctx.command, ctx.user) == (ActorKind.COMMAND, "statement", None)


def test_request_ctx_is_built_once_and_without_a_query(db, django_assert_num_queries):
    boss = UserFactory(username="boss")
    request = RequestFactory().get("/")
    request.user = boss
    with django_assert_num_queries(0):
        ctx = request_ctx(request)
        assert request_ctx(request) is ctx
    assert (ctx.kind, ctx.user) == (ActorKind.USER, boss)


def test_request_ctx_of_a_caller_not_signed_in():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert request_ctx(request) == Ctx.anonymous()


@pytest.mark.django_db
def test_the_api_reverses_a_payment_as_the_signed_in_user(admin_user, admin_client_api, ctx):
    invoice = make_invoice()
    payment = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"))
    response = admin_client_api.post(
        f"/api/v1/payments/{payment.pk}/reverse", {"reason": "Bounced"}, format="json"
    )
    assert response.status_code == 200, response.content
    payment.refresh_from_db()
    assert payment.reversed_by == admin_user


@pytest.mark.django_db
def test_the_admin_reverses_a_payment_as_the_signed_in_user(admin_user, admin_web, ctx):
    invoice = make_invoice()
    payment = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"))
    response = admin_web.post(
        f"/admin/billing/payment/{payment.pk}/reverse/", {"reason": "Bounced"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.reversed_by == admin_user


@pytest.mark.django_db
def test_a_system_or_command_reversal_names_no_user(ctx):
    invoice = make_invoice()
    payment = services.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("10.00"))
    reversed_ = services.payment_reverse(ctx, payment_id=payment.pk, reason="Bounced")
    assert reversed_.reversed_by is None
    assert reversed_.reversal_reason == "Bounced"


def test_admin_forms_get_the_requests_ctx(db):
    from billing.admin import InvoiceAdmin
    from billing.models import Invoice

    boss = UserFactory(username="boss", role=Role.ADMIN)
    request = RequestFactory().get("/")
    request.user = boss
    request.company = default_company()  # as tenancy.middleware sets it
    model_admin = InvoiceAdmin(Invoice, admin.site)
    form_class = model_admin.get_form(request)
    assert form_class.ctx is request_ctx(request)
    assert form_class.ctx.user == boss
    assert form_class.ctx.company == default_company()
