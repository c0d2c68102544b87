"""Companies: signing in to one, switching, the company's settings, members and their roles
per company, the commands' --company, the tripwire, and the upgrade's migration."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from billing.tests.conftest import make_invoice
from conftest import client_for
from core.context import Ctx
from core.errors import ApplicationError
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from ektor.testing import migrate_to
from tenancy.models import Company, Membership
from tenancy.scoping import UnscopedQuery
from tenancy.tests.factories import CompanyFactory, default_company

pytestmark = pytest.mark.django_db

API = "/api/v1"


def sign_in(username: str, **extra) -> APIClient:
    client = APIClient()
    headers = {k: v for k, v in extra.items() if k.startswith("HTTP_")}
    body = {"username": username, "password": DEFAULT_PASSWORD}
    body.update({k: v for k, v in extra.items() if not k.startswith("HTTP_")})
    response = client.post(f"{API}/auth/token", body, format="json", **headers)
    client.response = response
    if response.status_code == 200:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    return client


@pytest.fixture
def acme():
    return CompanyFactory(slug="acme", name="Acme Pools")


def test_sign_in_without_a_company_uses_the_default_membership(staff_user):
    client = sign_in("clerk")
    assert client.get(f"{API}/company").json()["slug"] == default_company().slug


def test_sign_in_names_the_company_by_field_or_header(staff_user, acme):
    Membership.objects.create(user=staff_user, company=acme, role="admin")
    by_field = sign_in("clerk", company="ACME")
    assert by_field.get(f"{API}/company").json()["slug"] == "acme"
    assert by_field.get(f"{API}/auth/me").json()["role"] == "admin"
    by_header = sign_in("clerk", HTTP_X_TENANT_ID="acme")
    assert by_header.get(f"{API}/auth/me").json()["role"] == "admin"
    # The same person is staff in the first company: permissions follow the company.
    first = sign_in("clerk")
    assert first.get(f"{API}/auth/me").json()["role"] == "staff"
    body = {"first_name": "A", "last_name": "B"}
    assert first.post(f"{API}/customers", body, format="json").status_code == 403
    assert by_field.post(f"{API}/customers", body, format="json").status_code == 201


def test_not_a_member_is_403(staff_user, acme):
    refused = sign_in("clerk", company="acme").response
    assert refused.status_code == 403
    assert refused.json()["details"]["reason"] == "not_a_member"
    assert refused.json()["message"] == "You are not a member of company 'acme'"
    # A company that does not exist answers the same: nothing is learnt of other companies.
    unknown = sign_in("clerk", company="nope").response
    assert unknown.json()["details"]["reason"] == "not_a_member"


def test_a_token_stops_working_when_its_membership_is_removed(staff_user):
    client = client_for(staff_user)
    Membership.unscoped.filter(user=staff_user).delete()
    response = client.get(f"{API}/customers")
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "not_a_member"


def test_switch_gives_a_new_session_for_the_other_company(staff_user, acme):
    Membership.objects.create(user=staff_user, company=acme, role="technician")
    client = client_for(staff_user)
    response = client.post(f"{API}/auth/switch", {"company": "acme"}, format="json")
    assert response.status_code == 200
    switched = APIClient()
    switched.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    companies = switched.get(f"{API}/companies").json()
    assert [(c["slug"], c["role"], c["is_current"]) for c in companies] == [
        ("main", "staff", False),
        ("acme", "technician", True),
    ]
    # A technician of acme: no billing there, and no customers off their route.
    CustomerFactory(company=acme)
    assert switched.get(f"{API}/invoices").status_code == 403
    assert switched.get(f"{API}/customers").json() == []
    # The old token still acts for the first company.
    assert client.get(f"{API}/company").json()["slug"] == "main"


def test_company_settings_are_read_by_members_and_changed_by_owners(admin_user, staff_user):
    expected_defaults = {
        "tax_rate": "0.00",
        "tax_services": False,
        "payment_terms_days": 30,
        "currency": "USD",
        "reminder_days": [7, 30, 60],
        "request_due_days": {"petition": 15, "complaint": 15, "claim": 15, "service_request": 5},
    }
    company = client_for(staff_user).get(f"{API}/company").json()
    assert {k: company[k] for k in expected_defaults} == expected_defaults
    owner = client_for(admin_user)
    changed = owner.patch(
        f"{API}/company", {"tax_rate": "11.50", "legal_name": "Main Pools LLC"}, format="json"
    )
    assert changed.status_code == 200
    assert (changed.json()["tax_rate"], changed.json()["legal_name"]) == (
        "11.50",
        "Main Pools LLC",
    )
    # Negative zero is zero, in the answer and the trail (as every decimal the API takes).
    zero = owner.patch(f"{API}/company", {"tax_rate": "-0"}, format="json")
    assert (zero.status_code, zero.json()["tax_rate"]) == (200, "0.00")
    trail = owner.get(f"{API}/audit-events", {"object_type": "company"}).json()
    assert trail[0]["changes"]["tax_rate"] == ["11.50", "0.00"]
    assert owner.patch(f"{API}/company", {"tax_rate": True}, format="json").status_code == 422
    bad = owner.patch(f"{API}/company", {"time_zone": "Mars/Base"}, format="json")
    assert bad.status_code == 422
    assert bad.json()["details"]["errors"][0]["msg"] == "Unknown time zone 'Mars/Base'"
    not_owner = client_for(UserFactory(role="admin"))
    refused = not_owner.patch(f"{API}/company", {"phone": "1"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["details"]["reason"] == "owner_only"
    assert client_for(staff_user).patch(f"{API}/company", {"phone": "1"}, format="json").json()[
        "details"
    ]["reason"] == ("permission_denied")


def test_memberships_add_an_existing_person(admin_user, acme):
    elsewhere = UserFactory(username="diver", company=acme)
    client = client_for(admin_user)
    added = client.post(
        f"{API}/memberships", {"user": "DIVER", "role": "technician"}, format="json"
    )
    assert added.status_code == 201
    assert (added.json()["username"], added.json()["role"]) == ("diver", "technician")
    again = client.post(f"{API}/memberships", {"user": "diver"}, format="json")
    assert again.status_code == 409
    assert again.json()["details"]["reason"] == "already_a_member"
    unknown = client.post(f"{API}/memberships", {"user": "nobody"}, format="json")
    assert unknown.json()["details"]["reason"] == "user_not_found"
    assert {m.company.slug for m in elsewhere.memberships.all()} == {"main", "acme"}


def test_users_create_members_of_the_current_company_with_a_technician_role(admin_user):
    response = client_for(admin_user).post(
        f"{API}/users",
        {
            "username": "pat",
            "email": "pat@example.com",
            "password": "Pool-Net-77",
            "role": "technician",
        },
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["role"], response.json()["is_owner"]) == ("technician", False)
    assert Membership.unscoped.get(user__username="pat").company == default_company()


def test_create_company_and_the_commands_company_option(admin_user, ctx):
    out = io.StringIO()
    call_command("create_company", "Acme", "--name", "Acme Pools", "--owner", "boss", stdout=out)
    assert out.getvalue().strip() == (
        "create_company: created 'Acme Pools' (acme) owned by 'boss'."
    )
    acme = Company.objects.get(slug="acme")
    assert Membership.unscoped.get(company=acme, user=admin_user).is_owner
    with pytest.raises(CommandError, match="slug_taken"):
        call_command("create_company", "ACME", "--name", "Again", "--owner", "boss")
    make_invoice()
    # Two companies now: a command that reads one must be told which.
    with pytest.raises(CommandError) as several:
        call_command("receivables")
    assert str(several.value) == (
        "Several companies exist: name one with --company SLUG (companies: acme, main)"
    )
    call_command("receivables", "--company", "main", stdout=(out := io.StringIO()))
    assert out.getvalue().strip() == "receivables: exact"
    with pytest.raises(CommandError, match="No company has the slug 'zzz'"):
        call_command("receivables", "--company", "zzz")


def test_customer_email_is_unique_per_company(ctx, acme):
    from customers import services

    services.customer_create(ctx, first_name="A", last_name="B", email="same@example.com")
    other = Ctx.system(acme)
    services.customer_create(other, first_name="C", last_name="D", email="SAME@example.com")
    assert Customer.unscoped.filter(email__iexact="same@example.com").count() == 2


def test_invoice_numbers_start_again_in_each_company(ctx, acme):
    from customers.tests.factories import PropertyFactory

    first = make_invoice()
    second = make_invoice(prop=PropertyFactory(customer__company=acme, company=acme))
    assert first.number == second.number == "INV-2026-000001"


def test_the_tripwire_raises_on_a_query_without_the_company():
    with pytest.raises(UnscopedQuery, match="Customer queried without its company"):
        list(Customer.objects.filter(first_name="A"))
    assert list(Customer.objects.of(Ctx.system(default_company()))) == []
    assert Customer.unscoped.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_puts_existing_rows_and_users_in_the_first_company():
    """The migrations on a database with rows from before companies: one company, every row
    in it, every user a member with their role, the first active admin its owner, the
    invoice counter carried over so numbering goes on."""
    try:
        old = migrate_to(
            ("tenancy", None),
            ("accounts", "0004_admin_sessions"),
            ("customers", "0003_customer_is_active"),
            ("billing", "0007_receivables_by_due_date"),
        )
        user = old.get_model("accounts", "User")
        user.objects.create(username="gone", email="g@example.com", role="admin", is_active=False)
        boss = user.objects.create(username="boss", email="b@example.com", role="admin")
        clerk = user.objects.create(username="clerk", email="c@example.com", role="staff")
        customer = old.get_model("customers", "Customer").objects.create(
            first_name="Ana", last_name="Rivera", email="ana@example.com"
        )
        prop = old.get_model("customers", "Property").objects.create(
            customer=customer, label="Casa", address1="1 Calle Sol"
        )
        invoice = old.get_model("billing", "Invoice").objects.create(
            customer=customer,
            property=prop,
            number="INV-2026-000007",
            period_start="2026-01-01",
            period_end="2026-01-31",
            issued_date="2026-01-31",
            subtotal=Decimal("5.00"),
            total=Decimal("5.00"),
        )
        old.get_model("billing", "Payment").objects.create(
            invoice=invoice, amount=Decimal("1.00"), paid_date="2026-02-01"
        )
        old.get_model("billing", "InvoiceNumberCounter").objects.create(year=2026, last_number=7)
        migrate_to()
        company = Company.objects.get()
        assert (company.slug, company.name) == ("main", "My pool company")
        roles = {
            (m.user.username, m.role, m.is_owner)
            for m in Membership.unscoped.select_related("user")
        }
        assert roles == {
            ("gone", "admin", False),
            ("boss", "admin", True),
            ("clerk", "staff", False),
        }
        from billing.models import Invoice, InvoiceCounter, Payment
        from customers.models import Property

        for model in (Customer, Property, Invoice, Payment):
            assert set(model.unscoped.values_list("company_id", flat=True)) == {company.pk}
        counter = InvoiceCounter.unscoped.get()
        assert (counter.company_id, counter.year, counter.last_number) == (company.pk, 2026, 7)
        assert boss.pk and clerk.pk
    finally:
        migrate_to()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_gives_an_ownerless_company_its_first_active_admin_as_owner():
    """A company left without an active owner (its first admin made by `create_user`) gets
    one: its first active admin. A company with an active owner keeps its owners."""
    try:
        old = migrate_to(("tenancy", "0003_company_visit_settings"))
        user = old.get_model("accounts", "User")
        company = old.get_model("tenancy", "Company")
        membership = old.get_model("tenancy", "Membership")
        bare = company.objects.create(slug="bare", name="Bare")
        owned = company.objects.create(slug="owned", name="Owned")
        people = {
            name: user.objects.create(
                username=name, email=f"{name}@example.com", role="admin", is_active=active
            )
            for name, active in (("gone", False), ("first", True), ("next", True), ("boss", True))
        }
        for name in ("gone", "first", "next"):
            membership.objects.create(user=people[name], company=bare, role="admin")
        membership.objects.create(user=people["boss"], company=owned, role="admin", is_owner=True)
        membership.objects.create(user=people["first"], company=owned, role="admin")
        migrate_to()
        owners = Membership.unscoped.filter(is_owner=True).values_list(
            "company__slug", "user__username"
        )
        assert sorted(owners) == [("bare", "first"), ("owned", "boss")]
    finally:
        migrate_to()


def test_the_admin_switches_company_and_the_role_follows(staff_user, acme):
    from conftest import web_client_for

    Membership.objects.create(user=staff_user, company=acme, role="admin")
    CustomerFactory(first_name="Mainly", company=default_company())
    CustomerFactory(first_name="Acmeish", company=acme)
    web = web_client_for(staff_user)
    page = web.get("/admin/customers/customer/").content.decode()
    assert "Mainly" in page and "Acmeish" not in page
    assert '<div id="current-company">My pool company</div>' in page
    assert 'id="company-switcher"' in page
    # Staff in the first company: no adding there.
    assert web.get("/admin/customers/customer/add/").status_code == 403
    switched = web.post("/admin/company/", {"company": acme.pk}, follow=True)
    assert "You are now working in Acme Pools." in switched.content.decode()
    page = web.get("/admin/customers/customer/").content.decode()
    assert "Acmeish" in page and "Mainly" not in page
    # Admin in acme.
    assert web.get("/admin/customers/customer/add/").status_code == 200
    other = CompanyFactory(slug="other")
    refused = web.post("/admin/company/", {"company": other.pk}, follow=True)
    assert "You are not a member of that company." in refused.content.decode()
    assert "Acmeish" in web.get("/admin/customers/customer/").content.decode()


@pytest.mark.parametrize(
    "days",
    [[30, 7], [7, 7], [0, 7], [7, 366], [7.5], [True], list(range(1, 12)), "7,30"],
)
def test_reminder_steps_are_few_increasing_whole_days_whoever_sets_them(company, days):
    """The rule is the service's: the API's serializer checks only the shape, and a command or
    the admin reach the service alone."""
    from tenancy import services

    with pytest.raises(ApplicationError) as refused:
        services.company_update(Ctx.system(company), data={"reminder_days": days})
    assert refused.value.fields[0].msg == (
        "Reminder days are at most 10 increasing whole days from 1 to 365"
    )
    changed = services.company_update(Ctx.system(company), data={"reminder_days": [1, 365]})
    assert changed.reminder_days == [1, 365]
