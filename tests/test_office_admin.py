"""The back office as a whole: the index dashboard, every changelist's query count, roles in
every model admin, CSV export and the customer's shortcuts."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import session_start
from accounts.tests.factories import UserFactory
from audit.models import AuditEvent
from billing import credits
from billing import services as billing
from billing.admin import statement_url
from billing.models import BillingRun, Invoice
from billing.tasks import send_invoice_email
from billing.tests.conftest import make_invoice
from catalog.models import StockMovement
from catalog.tests.factories import stocked
from core.context import Ctx
from customers.tests.factories import CustomerFactory, PropertyFactory
from ektor import text
from operations.tests.factories import VisitFactory
from pools.tests.factories import PoolFactory
from support.tests.factories import make_request
from tenancy.tests.factories import default_company

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=n)).isoformat()


def billing_run_row() -> BillingRun:
    """A finished run of a month, as the worker leaves it."""
    return BillingRun.objects.create(
        company=default_company(),
        period=datetime.date(2026, 1, 1),
        issued_date=datetime.date(2026, 2, 1),
        status="done",
    )


def fill(rows: int) -> None:
    """`rows` of everything the changelists list: customers with a property and its pool, an
    invoice with a payment, a user with a sign-in session, a customer request."""
    for n in range(rows):
        prop = PropertyFactory()
        PoolFactory(property=prop)
        invoice = make_invoice(prop=prop, issued=days_ago(40 + n))
        billing.payment_record(
            Ctx.system(default_company()), invoice_id=invoice.pk, amount=Decimal("10.00")
        )
        session_start(Ctx.system(), user=UserFactory())
        send_invoice_email.enqueue(invoice.company_id, invoice.pk)
        make_request(customer=prop.customer)
        stocked(Ctx.system(default_company()), 3, category=f"Category {n % 3}")
        billing_run_row()
        credits.credit_create(
            Ctx.system(default_company()),
            customer_id=prop.customer_id,
            amount=Decimal("5.00"),
            reason="Goodwill",
        )
        # Today's (the default page of visits), each of another technician.
        VisitFactory(
            plan__pool=prop.pools.get(),
            plan__technician=UserFactory(role="technician"),
            scheduled_date=timezone.localdate(),
        )


# --- the index ----------------------------------------------------------------------------


def test_index_opens_on_the_office_figures(ctx, staff_web):
    overdue = make_invoice(total="120.00", issued=days_ago(30))  # due 23 days ago
    billing.payment_record(ctx, invoice_id=overdue.pk, amount=Decimal("20.00"))
    make_invoice(total="80.00", issued=days_ago(1))  # sent, not yet due
    make_invoice(total="1234.50", status="draft", issued=days_ago(1))
    response = staff_web.get("/admin/")
    office = response.context["office"]
    assert (office.overdue_count, office.overdue_balance) == (1, Decimal("100.00"))
    assert office.open_balance == Decimal("180.00")
    assert (office.draft_count, office.draft_total) == (1, Decimal("1234.50"))
    assert (office.month_payment_count, office.month_payment_total) == (1, Decimal("20.00"))
    assert [invoice.pk for invoice in office.most_overdue] == [overdue.pk]
    content = response.content.decode()
    assert "$1,234.50" in content and "?overdue=yes" in content
    assert 'id="office-most-overdue"' in content and str(overdue) in content


@pytest.mark.parametrize("rows", [2, 25])
def test_index_query_count_is_fixed(staff_web, rows, django_assert_num_queries):
    fill(rows)
    # session, user, user and group permissions, the four office queries (running figures,
    # drafts, payments of the month, most overdue) and the most overdue invoices' customers,
    # recent actions, the open and overdue requests (one query), the low-stock panel (a count
    # and the emptiest items).
    # + today's visits by status and this week's readings out of range (operations).
    # + the last twelve months billed and collected (one grouped query each, billing.dashboard)
    # + the aging buckets as of today (billing.aging, one query).
    with django_assert_num_queries(18):
        response = staff_web.get("/admin/")
    assert len(response.context["office"].most_overdue) == min(rows, 10)


# --- changelists: the same number of queries with few and many rows ---------------------------

# session, user, the membership with its company (tenancy.middleware: the role's permissions
# are then in process memory, where the user's and group permissions took two queries), the
# count, the page = 5; plus what a list filter reads for its choices (the properties' cities and
# states, the sessions' end reasons).
CHANGELISTS = {
    "/admin/customers/customer/": 5,
    "/admin/customers/property/": 7,
    "/admin/pools/pool/": 5,  # the page joins its properties and their customers
    "/admin/billing/invoice/": 7,  # + the page's customers and properties, by id
    "/admin/billing/payment/": 7,  # + the page's invoices and their customers, by id
    "/admin/accounts/user/": 5,
    "/admin/accounts/authsession/": 6,
    "/admin/django_tasks_database/dbtaskresult/": 7,
    # Not a cached count: the trail's changelist counts it (no list filter reads the table).
    "/admin/audit/auditevent/": 5,
    # + the assignee filter's members, the page's customers by id (no assignee yet).
    "/admin/support/customerrequest/": 7,
    # Not cached counts either (deleted items are left out); + the categories of the filter.
    "/admin/catalog/item/": 6,
    "/admin/catalog/stockmovement/": 5,  # the page's items and users joined
    # + the technician filter's members; the page joins pools, properties, customers, users.
    "/admin/operations/serviceplan/": 6,
    # + the technician filter's members; the page joins properties, customers and users.
    "/admin/operations/visit/": 6,
    "/admin/billing/billingrun/": 5,
    "/admin/billing/credit/": 5,  # the page joins its customers and invoices
}
# The role groups are set by migrations; neither role has permissions on them, so only a
# superuser reaches their page.
GROUPS = "/admin/auth/group/"


@pytest.mark.parametrize("rows", [2, 30])
@pytest.mark.parametrize(("url", "queries"), CHANGELISTS.items())
def test_changelist_query_count_is_fixed(admin_web, url, queries, rows, django_assert_num_queries):
    fill(rows)
    admin_web.get(url)  # the first load stores the whole table's count in the cache
    with django_assert_num_queries(queries):
        response = admin_web.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= rows
    # No second COUNT over the whole table on a filtered page.
    assert response.context["cl"].show_full_result_count is False


def test_every_registered_model_has_a_pinned_changelist():
    urls = {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    }
    assert urls == {*CHANGELISTS, GROUPS}


@pytest.mark.parametrize("rows", [2, 30])
def test_group_changelist_is_for_admins_with_a_fixed_query_count(
    admin_web, staff_web, rows, django_assert_max_num_queries
):
    for n in range(rows):
        Group.objects.create(name=f"extra {n}")
    assert staff_web.get(GROUPS).status_code == 403
    admin_web.get(GROUPS)
    # session, user, permissions (user, group), the count, the page.
    with django_assert_max_num_queries(6):
        response = admin_web.get(GROUPS)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows + 3  # + admin, staff, technician
    # The groups are the roles: none is added or deleted in the admin.
    assert admin_web.get(GROUPS + "add/").status_code == 403
    staff_group = Group.objects.get(name="staff")
    assert admin_web.get(f"{GROUPS}{staff_group.pk}/delete/").status_code == 403
    assert admin_web.get(f"{GROUPS}{staff_group.pk}/change/").status_code == 200


def test_a_whole_table_is_counted_from_the_cache_and_a_filtered_list_exactly(admin_web):
    from billing.models import Invoice

    fill(3)
    admin_web.get("/admin/billing/invoice/")
    with CaptureQueriesContext(connection) as queries:
        whole = admin_web.get("/admin/billing/invoice/")
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    assert whole.context["cl"].result_count == Invoice.unscoped.count()
    make_invoice()  # a new row retires the cached count at once
    assert admin_web.get("/admin/billing/invoice/").context["cl"].result_count == (
        Invoice.unscoped.count()
    )
    filtered = admin_web.get("/admin/billing/invoice/?status__exact=draft")
    assert filtered.context["cl"].result_count == Invoice.unscoped.filter(status="draft").count()


# --- roles: staff read everything, only admins write ---------------------------------------


def one_of_each() -> dict:
    """A row of every model the admin registers, by changelist URL."""
    prop = PropertyFactory()
    pool = PoolFactory(property=prop)
    invoice = make_invoice(prop=prop)
    payment = billing.payment_record(
        Ctx.system(default_company()), invoice_id=invoice.pk, amount=Decimal("10.00")
    )
    user = UserFactory()
    session_start(Ctx.system(), user=user)
    background = send_invoice_email.enqueue(invoice.company_id, invoice.pk)
    visit = VisitFactory(plan__pool=pool, scheduled_date=timezone.localdate())
    return {
        "/admin/customers/customer/": prop.customer,
        "/admin/customers/property/": prop,
        "/admin/pools/pool/": pool,
        "/admin/billing/invoice/": invoice,
        "/admin/billing/payment/": payment,
        "/admin/accounts/user/": user,
        "/admin/accounts/authsession/": user.auth_sessions.get(),
        TASKS: background.db_result,
        "/admin/audit/auditevent/": AuditEvent.objects.filter(object_type="payment").get(),
        REQUESTS: make_request(customer=prop.customer),
        "/admin/catalog/item/": stocked(Ctx.system(default_company()), 2),
        "/admin/catalog/stockmovement/": StockMovement.objects.of(
            Ctx.system(default_company())
        ).get(),
        PLANS: visit.plan,
        VISITS: visit,
        "/admin/billing/billingrun/": billing_run_row(),
        "/admin/billing/credit/": credits.credit_create(
            Ctx.system(default_company()),
            customer_id=prop.customer_id,
            amount=Decimal("5.00"),
            reason="Goodwill",
        ),
    }


PLANS = "/admin/operations/serviceplan/"
VISITS = "/admin/operations/visit/"
# Staff log the customers' requests (support's role_extra); admins handle them.
REQUESTS = "/admin/support/customerrequest/"
TASKS = "/admin/django_tasks_database/dbtaskresult/"
ADMIN_ONLY = (
    "/admin/accounts/user/",
    "/admin/accounts/authsession/",
    "/admin/audit/auditevent/",
    TASKS,
)


def test_staff_read_every_model_admin_but_cannot_write(staff_web):
    rows = one_of_each()
    assert set(rows) == set(CHANGELISTS)
    for url, obj in rows.items():
        change_url = f"{url}{obj.pk}/change/"
        if url in ADMIN_ONLY:
            # As in the API: users and their sessions are the admins' business only.
            assert staff_web.get(url).status_code == 403, url
            assert staff_web.get(change_url).status_code == 403, url
        else:
            changelist = staff_web.get(url)
            assert changelist.status_code == 200, url
            assert changelist.context["has_add_permission"] is (url == REQUESTS), url
            # The export is a read; it is the only action staff are offered.
            assert actions_offered(changelist) <= {"export_csv"}, url
            change = staff_web.get(change_url)
            assert change.status_code == 200, url
            page = change.content.decode()
            assert 'name="_save"' not in page and "deletelink" not in page, url
            assert change.context["has_change_permission"] is False, url
        if url == REQUESTS:
            # The empty form comes back with its errors; nothing is saved.
            assert staff_web.get(f"{url}add/").status_code == 200
            assert staff_web.post(f"{url}add/", {}).status_code == 200
        else:
            assert staff_web.get(f"{url}add/").status_code == 403, url
            assert staff_web.post(f"{url}add/", {}).status_code == 403, url
        assert staff_web.post(change_url, {}).status_code == 403, url
        assert staff_web.get(f"{url}{obj.pk}/delete/").status_code == 403, url
        assert staff_web.post(f"{url}{obj.pk}/delete/", {"post": "yes"}).status_code == 403, url
        type(obj)._base_manager.get(pk=obj.pk)  # still there


def actions_offered(changelist) -> set[str]:
    form = changelist.context["action_form"]
    return {name for name, _ in form.fields["action"].choices} - {""} if form else set()


WRITE_ACTIONS = {
    "/admin/customers/customer/": {"deactivate_selected", "delete_selected", "export_csv"},
    "/admin/customers/property/": {"delete_selected"},
    "/admin/pools/pool/": {"delete_selected", "export_csv"},
    "/admin/billing/invoice/": {"send_selected", "void_selected", "export_csv"},
    "/admin/billing/payment/": {"export_csv", "reverse_selected"},
    "/admin/accounts/user/": {"delete_selected"},
    "/admin/accounts/authsession/": {"end_sessions"},
    TASKS: set(),  # the tasks' results are read-only, for admins too
    "/admin/audit/auditevent/": set(),  # read only: no export (a trail can be huge), no delete
    # A request is a legal record: closed, never deleted.
    REQUESTS: {"assign_to_me", "close_selected", "reopen_selected", "export_csv"},
    "/admin/catalog/item/": {"delete_selected", "export_csv"},
    "/admin/catalog/stockmovement/": {"export_csv"},  # a ledger: added to, never changed
    PLANS: {"schedule_visits", "pause_selected", "resume_selected", "export_csv"},
    VISITS: {"cancel_selected", "export_csv"},
    # A run is a record of what it billed: started from its add page (a preview first).
    "/admin/billing/billingrun/": set(),
    # A credit is made and applied through its services; never edited or deleted.
    "/admin/billing/credit/": {"export_csv"},
}


def test_admins_get_the_buttons_and_actions(admin_web):
    for url in one_of_each():
        changelist = admin_web.get(url)
        assert actions_offered(changelist) == WRITE_ACTIONS[url], url
        add_allowed = url not in ("/admin/accounts/authsession/", "/admin/audit/auditevent/", TASKS)
        assert changelist.context["has_add_permission"] is add_allowed, url
        assert admin_web.get(f"{url}add/").status_code == (200 if add_allowed else 403), url


def test_a_staff_export_goes_through_the_action(staff_web):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera", email="ana@example.com")
    response = staff_web.post(
        "/admin/customers/customer/",
        {"action": "export_csv", "_selected_action": [customer.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"


# --- CSV export -----------------------------------------------------------------------------


def export(client, url: str, ids: list[int]) -> list[dict]:
    response = client.post(url, {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_customers(admin_web):
    kept = CustomerFactory(
        first_name="Ana", last_name="Rivera", email="ana@example.com", phone=None
    )
    PropertyFactory.create_batch(2, customer=kept)
    make_invoice(prop=kept.properties.first())
    CustomerFactory(phone=None)  # not selected
    rows = export(admin_web, "/admin/customers/customer/", [kept.pk])
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["first_name"], row["email"]) == (str(kept.pk), "Ana", "ana@example.com")
    assert (row["property_count"], row["open_invoice_count"], row["phone"]) == ("2", "1", "")
    datetime.datetime.fromisoformat(row["created_at"])


def test_export_invoices_money_plain_and_dates_iso(ctx, admin_web):
    invoice = make_invoice(total="1234.50", issued="2026-01-11")
    billing.payment_record(ctx, invoice_id=invoice.pk, amount=Decimal("34.50"))
    other = make_invoice()
    rows = export(admin_web, "/admin/billing/invoice/", [invoice.pk, other.pk])
    row = next(r for r in rows if r["id"] == str(invoice.pk))
    assert row["number"] == invoice.number and row["status"] == "sent"
    assert (row["total"], row["amount_paid"], row["balance_due"]) == (
        "1234.50",
        "34.50",
        "1200.00",
    )
    assert (row["issued_date"], row["due_date"]) == ("2026-01-11", "2026-01-18")
    assert row["customer"] == invoice.customer.full_name


def test_export_payments(ctx, admin_web, django_assert_max_num_queries):
    payments = [
        billing.payment_record(
            ctx,
            invoice_id=make_invoice().pk,
            amount=Decimal("12.30"),
            paid_date=datetime.date(2026, 1, 12),
            reference=f"R{n}",
        )
        for n in range(5)
    ]
    ids = [p.pk for p in payments]
    admin_web.get("/admin/billing/payment/")  # the whole table's count is now cached
    # session, user, perms x2, the counts, the streamed rows (joined, one query).
    with django_assert_max_num_queries(8):
        rows = export(admin_web, "/admin/billing/payment/", ids)
    assert {r["id"] for r in rows} == {str(i) for i in ids}
    assert {(r["amount"], r["paid_date"], r["method"]) for r in rows} == {
        ("12.30", "2026-01-12", "other")
    }
    assert rows[0]["invoice_number"].startswith("INV-")
    assert {(r["reversed_at"], r["reversal_reason"]) for r in rows} == {("", "")}
    # A reversed payment stays in the export, marked.
    billing.payment_reverse(ctx, payment_id=ids[0], reason="Bounced")
    row = next(
        r for r in export(admin_web, "/admin/billing/payment/", ids) if r["id"] == str(ids[0])
    )
    assert row["reversal_reason"] == "Bounced"
    datetime.datetime.fromisoformat(row["reversed_at"])


# --- from a customer, one click to what is theirs ---------------------------------------------


def test_customer_page_links_to_their_lists_and_statement(ctx, staff_web):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    mine = make_invoice(prop=PropertyFactory(customer=customer), issued=days_ago(3))
    billing.payment_record(ctx, invoice_id=mine.pk, amount=Decimal("5.00"))
    theirs = make_invoice()
    billing.payment_record(ctx, invoice_id=theirs.pk, amount=Decimal("5.00"))
    page = staff_web.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    year = timezone.localdate().year
    links = {
        "properties": f"/admin/customers/property/?customer__id__exact={customer.pk}",
        "invoices": f"/admin/billing/invoice/?customer__id__exact={customer.pk}",
        "payments": f"/admin/billing/payment/?invoice__customer__id__exact={customer.pk}",
    }
    for link in links.values():
        assert f'href="{link}"' in page
    assert "Properties (1)" in page and "Invoices (1 open)" in page
    year_start, year_end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    statement = statement_url(customer.pk, year_start, year_end)
    assert statement.replace("&", "&amp;") in page
    for name, link in links.items():
        listed = staff_web.get(link).context["cl"].result_list
        assert len(listed) == 1, name
    assert staff_web.get(links["payments"]).context["cl"].result_list[0].invoice_id == mine.pk
    opened = staff_web.get(statement)
    assert opened.status_code == 200 and opened.context["statement"].items == [mine]
    pdf = statement_url(customer.pk, year_start, year_end, pdf=True)
    assert pdf.replace("&", "&amp;") in page
    assert staff_web.get(pdf)["Content-Type"] == "application/pdf"


def test_customer_changelist_counts_open_invoices(ctx, staff_web):
    customer = CustomerFactory()
    prop = PropertyFactory(customer=customer)
    make_invoice(prop=prop)
    make_invoice(prop=prop, status="draft")
    paid = make_invoice(prop=prop, total="10.00")
    billing.payment_record(ctx, invoice_id=paid.pk, amount=Decimal("10.00"))
    content = staff_web.get("/admin/customers/customer/").content.decode()
    assert '<td class="field-open_invoice_count">1</td>' in content
    assert '<td class="field-property_count">1</td>' in content


def test_money_and_dates_for_people(staff_web):
    invoice = make_invoice(total="1234.50", issued="2026-01-11")
    content = staff_web.get("/admin/billing/invoice/").content.decode()
    assert "$1,234.50" in content and "Jan 18, 2026" in content and "Jan 11, 2026" in content
    assert text.money(Decimal("-5.00")) == "-$5.00" and invoice.total == Decimal("1234.50")


def test_export_neutralises_spreadsheet_formulas(admin_web):
    evil = CustomerFactory(first_name='=HYPERLINK("http://x","y")', last_name="@SUM(A1)")
    row = export(admin_web, "/admin/customers/customer/", [evil.pk])[0]
    assert row["first_name"] == '\'=HYPERLINK("http://x","y")'
    assert row["last_name"] == "'@SUM(A1)"


# --- hand-made requests: refused readably, never a 500 ---------------------------------------


def test_a_non_id_in_an_autocomplete_field_is_a_form_error(admin_web):
    response = admin_web.post(
        "/admin/billing/invoice/add/",
        {"customer": "x", "property": "1 OR 1", "subtotal": "NaN", "total": "1e99"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "customer" in errors and "property" in errors
    assert not Invoice.unscoped.exists()


@pytest.mark.parametrize(
    ("url", "action", "selected"),
    [
        ("/admin/billing/invoice/", "export_csv", "abc"),
        ("/admin/customers/customer/", "export_csv", "1;2"),
        ("/admin/accounts/authsession/", "end_sessions", "not-a-uuid"),
        # Past BIGINT: the database driver could not bind it (a 500 on SQLite).
        ("/admin/billing/invoice/", "send_selected", "99999999999999999999"),
        ("/admin/billing/invoice/", "void_selected", "99999999999999999999"),
    ],
)
def test_an_action_on_a_selection_that_is_not_ids_is_refused(admin_web, url, action, selected):
    response = admin_web.post(url, {"action": action, "_selected_action": [selected]}, follow=True)
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert f"{selected!r} is not a valid selection" in shown


@pytest.mark.parametrize(
    "path",
    [
        "/admin/billing/invoice/statement/{}/",
        "/admin/billing/invoice/statement/{}/pdf/",
        "/admin/billing/invoice/{}/pdf/",
        "/admin/billing/payment/{}/reverse/",
        "/admin/billing/credit/{}/apply/",
    ],
)
@pytest.mark.parametrize("number", [2**63, 10**20])
def test_an_id_past_bigint_in_a_pages_path_does_not_exist(admin_web, path, number):
    # As an id that is text: no such row (Django's <int:> let the statement's query fail).
    period = {"from": "2026-01-01", "to": "2026-12-31"}
    response = admin_web.get(path.format(number), period, follow=True)
    assert response.status_code == 200
    shown = " ".join(str(message) for message in response.context["messages"])
    assert "doesn\u2019t exist" in shown


def test_pages_reached_from_a_changelist_lead_back_to_it(admin_web):
    # templates/admin/changelist_tool.html: the import page and the void action's form.
    content = admin_web.get("/admin/customers/customer/import/").content.decode()
    assert 'class="breadcrumbs"' in content
    assert 'href="/admin/customers/customer/">Customers</a>' in content


# --- the frame: what comes first, where links lead, why a page is refused ---------------------


def test_the_index_lists_the_business_before_accounts(admin_web):
    response = admin_web.get("/admin/")
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert labels == [
        "customers",
        "pools",
        "catalog",
        "operations",
        "billing",
        "support",
        "accounts",
        "audit",
        "auth",
        "django_tasks_database",
    ]
    # The navigation sidebar of every page has the same order.
    sidebar = admin_web.get("/admin/billing/invoice/").context["available_apps"]
    assert [app["app_label"] for app in sidebar] == labels


def test_no_view_site_link_to_a_missing_page(admin_web):
    content = admin_web.get("/admin/").content.decode()
    assert "View site" not in content
    assert admin_web.get("/").status_code == 404  # where it used to lead


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/admin/billing/invoice/add/", "Your role (staff) can view but not add invoices."),
        (
            "/admin/customers/customer/{pk}/delete/",
            "Your role (staff) can view but not delete customers.",
        ),
        ("/admin/accounts/user/", "Your role (staff) cannot see users."),
    ],
)
def test_a_refused_page_keeps_the_navigation_and_says_why(staff_web, url, reason):
    customer = CustomerFactory()
    response = staff_web.get(url.format(pk=customer.pk))
    assert response.status_code == 403
    content = response.content.decode()
    assert reason in content
    assert 'id="user-tools"' in content and 'id="nav-sidebar"' in content
    assert "Ektor back office" in content


def test_a_refused_post_says_why_too(staff_web):
    invoice = make_invoice()
    response = staff_web.post(f"/admin/billing/invoice/{invoice.pk}/change/", {})
    assert response.status_code == 403
    assert "Your role (staff) can view but not change invoices." in response.content.decode()
