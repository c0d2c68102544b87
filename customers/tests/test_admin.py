"""Admin pages for customers and properties: staff see them read-only, admins edit them
through the services, and deleting a referenced customer is refused readably."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages

from billing.tests.factories import InvoiceFactory
from core.errors import Conflict, CoreErrorCode
from customers.admin import CustomerAdmin
from customers.models import Customer, Property
from customers.tests.factories import CustomerFactory, PropertyFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/admin/customers/customer/"
PROPERTIES = "/admin/customers/property/"


def customer_form(**overrides) -> dict:
    """A complete POST of the customer change form, with an empty property inline."""
    data = {
        "first_name": "Nilda",
        "last_name": "Colon",
        "email": "",
        "phone": "",
        "is_active": "on",
        "properties-TOTAL_FORMS": "0",
        "properties-INITIAL_FORMS": "0",
        "properties-MIN_NUM_FORMS": "0",
        "properties-MAX_NUM_FORMS": "1000",
    }
    return data | overrides


# --- changelists ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 40])
@pytest.mark.parametrize("who", ["staff_web", "admin_web"])
def test_customer_changelist_query_count_is_fixed(
    request, who, rows, django_assert_max_num_queries
):
    client = request.getfixturevalue(who)
    for customer in CustomerFactory.create_batch(rows):
        PropertyFactory.create_batch(2, customer=customer)
    client.get(CUSTOMERS)  # the first load caches the table's count
    # session, user, permissions (user + groups), counts, the page with its annotation.
    with django_assert_max_num_queries(7):
        response = client.get(CUSTOMERS)
    assert response.status_code == 200
    rows_shown = response.context["cl"].result_list
    assert len(rows_shown) == rows
    assert {customer.property_count for customer in rows_shown} == {2}


@pytest.mark.parametrize("rows", [3, 40])
@pytest.mark.parametrize("who", ["staff_web", "admin_web"])
def test_property_changelist_query_count_is_fixed(
    request, who, rows, django_assert_max_num_queries
):
    client = request.getfixturevalue(who)
    PropertyFactory.create_batch(rows)
    client.get(PROPERTIES)  # the first load caches the table's count
    # The list filters (city, state, active) read their choices: a fixed number of queries.
    with django_assert_max_num_queries(9):
        response = client.get(PROPERTIES)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


def test_customer_changelist_shows_the_office_columns(staff_web):
    customer = CustomerFactory(first_name="Martha", last_name="Perez", phone="787-555-0101")
    PropertyFactory.create_batch(2, customer=customer)
    content = staff_web.get(CUSTOMERS).content.decode()
    assert "Martha Perez" in content and "787-555-0101" in content
    assert '<td class="field-property_count">2</td>' in content


@pytest.mark.parametrize(
    ("q", "found"), [("perez", True), ("martha@", True), ("555-0101", True), ("nobody", False)]
)
def test_customer_search(staff_web, q, found):
    CustomerFactory(
        first_name="Martha", last_name="Perez", email="martha@eps.com", phone="787-555-0101"
    )
    response = staff_web.get(CUSTOMERS, {"q": q})
    assert len(response.context["cl"].result_list) == (1 if found else 0)


def test_property_search_and_filters(staff_web):
    PropertyFactory(label="Beach House", city="Isabela", is_active=False)
    PropertyFactory(label="Residence", city="Moca")
    found = staff_web.get(PROPERTIES, {"q": "beach"}).context["cl"].result_list
    assert [p.label for p in found] == ["Beach House"]
    by_city = staff_web.get(PROPERTIES, {"city": "Moca"}).context["cl"].result_list
    assert [p.label for p in by_city] == ["Residence"]
    inactive = staff_web.get(PROPERTIES, {"is_active__exact": "0"}).context["cl"].result_list
    assert [p.label for p in inactive] == ["Beach House"]


# --- add and change pages ------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"{CUSTOMERS}add/", f"{PROPERTIES}add/"])
def test_add_pages_load_for_admin_and_are_forbidden_to_staff(admin_web, staff_web, url):
    response = admin_web.get(url)
    assert response.status_code == 200
    assert 'name="_save"' in response.content.decode()
    assert staff_web.get(url).status_code == 403


def test_customer_change_page_is_editable_for_admin(admin_web, django_assert_max_num_queries):
    customer = CustomerFactory()
    PropertyFactory.create_batch(3, customer=customer)
    # + the customer's open requests and balance (office/admin.py's links to them) and visits
    # (its service history, none here).
    with django_assert_max_num_queries(9):
        response = admin_web.get(f"{CUSTOMERS}{customer.pk}/change/")
    content = response.content.decode()
    assert 'name="_save"' in content and 'name="first_name"' in content
    assert 'name="properties-TOTAL_FORMS" value="3"' in content


def test_customer_change_page_is_read_only_for_staff(staff_web, django_assert_max_num_queries):
    customer = CustomerFactory()
    PropertyFactory.create_batch(3, customer=customer, city="Aguadilla")
    # + the customer's open requests and balance (office/admin.py's links to them) and visits
    # (its service history, none here).
    with django_assert_max_num_queries(9):
        response = staff_web.get(f"{CUSTOMERS}{customer.pk}/change/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in content and 'name="first_name"' not in content
    assert customer.first_name in content and content.count("Aguadilla") == 3


def test_property_change_page_is_editable_for_admin(admin_web, django_assert_max_num_queries):
    prop = PropertyFactory()
    # + the property's pools (the inline office/admin.py adds) and visits (its service history,
    # none here).
    with django_assert_max_num_queries(8):
        response = admin_web.get(f"{PROPERTIES}{prop.pk}/change/")
    content = response.content.decode()
    assert 'name="_save"' in content and "admin-autocomplete" in content


def test_property_change_page_is_read_only_for_staff(staff_web, django_assert_max_num_queries):
    prop = PropertyFactory()
    with django_assert_max_num_queries(8):
        response = staff_web.get(f"{PROPERTIES}{prop.pk}/change/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in content and 'name="label"' not in content
    assert prop.label in content and str(prop.customer) in content


def test_staff_cannot_post_a_change(staff_web):
    customer = CustomerFactory(first_name="Kept")
    response = staff_web.post(f"{CUSTOMERS}{customer.pk}/change/", customer_form())
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.first_name == "Kept"


# --- saving through the services -----------------------------------------------------------


def test_admin_adds_a_customer_with_a_property(admin_web):
    data = customer_form(
        **{
            "properties-TOTAL_FORMS": "1",
            "properties-0-label": "Casa Playa",
            "properties-0-address1": "12 Calle Sol",
            "properties-0-city": "",
            "properties-0-is_active": "on",
        }
    )
    response = admin_web.post(f"{CUSTOMERS}add/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    customer = Customer.unscoped.get()
    assert customer.email is None and customer.phone is None
    prop = customer.properties.get()
    assert (prop.label, prop.city, prop.is_active) == ("Casa Playa", None, True)


def test_admin_changes_a_property_in_the_customer_pages_inline(admin_web):
    """An existing row's hidden id chooses among the customer's properties (the inline's scoped
    rows), not every company's (ektor.admin_tools.ScopedInlineFormSet)."""
    prop = PropertyFactory(label="Old label")
    data = customer_form(
        first_name=prop.customer.first_name,
        last_name=prop.customer.last_name,
        **{
            "properties-TOTAL_FORMS": "1",
            "properties-INITIAL_FORMS": "1",
            "properties-0-id": str(prop.pk),
            "properties-0-label": "New label",
            "properties-0-address1": prop.address1,
        },
    )
    response = admin_web.post(f"{CUSTOMERS}{prop.customer_id}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    prop.refresh_from_db()
    assert prop.label == "New label"


def test_admin_changes_a_customer(admin_web):
    customer = CustomerFactory(first_name="Old")
    data = customer_form(first_name="New", email="new@example.com")
    response = admin_web.post(f"{CUSTOMERS}{customer.pk}/change/", data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.email) == ("New", "new@example.com")


def test_duplicate_email_shows_beside_the_field(admin_web):
    CustomerFactory(email="taken@example.com")
    response = admin_web.post(f"{CUSTOMERS}add/", customer_form(email="TAKEN@example.com"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A customer with this email already exists"
    ]
    assert Customer.unscoped.count() == 1


def test_moving_a_property_with_invoices_is_refused_on_the_form(admin_web):
    prop = InvoiceFactory().property
    other = CustomerFactory()
    data = {"customer": other.pk, "label": prop.label, "address1": prop.address1}
    response = admin_web.post(f"{PROPERTIES}{prop.pk}/change/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"] == [
        "Property has invoices and cannot move to another customer"
    ]
    prop.refresh_from_db()
    assert prop.customer_id != other.pk


def test_admin_adds_a_property(admin_web):
    customer = CustomerFactory()
    data = {"customer": customer.pk, "label": "Villa", "address1": "1 Main St", "state": ""}
    # The page's pools inline (office/admin.py), with no rows.
    data |= {"pools-TOTAL_FORMS": "0", "pools-INITIAL_FORMS": "0"}
    response = admin_web.post(f"{PROPERTIES}add/", data)
    assert response.status_code == 302
    prop = Property.unscoped.get()
    assert prop.customer == customer and prop.state is None and prop.is_active is False


def test_customer_autocomplete_finds_by_name(admin_web):
    CustomerFactory(first_name="Martha", last_name="Perez")
    response = admin_web.get(
        "/admin/autocomplete/",
        {
            "term": "perez",
            "app_label": "customers",
            "model_name": "property",
            "field_name": "customer",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == ["Martha Perez"]


# --- deleting ------------------------------------------------------------------------------


def test_deleting_a_referenced_customer_is_refused_readably(admin_web):
    prop = PropertyFactory(label="Martha Residence")
    url = f"{CUSTOMERS}{prop.customer_id}/delete/"
    for response in (admin_web.get(url), admin_web.post(url, {"post": "yes"})):
        assert response.status_code == 200
        content = response.content.decode()
        assert "would require deleting the following protected related objects" in content
        assert "Martha Residence" in content
    assert Customer.unscoped.filter(pk=prop.customer_id).exists()


def test_bulk_deleting_referenced_customers_is_refused_readably(admin_web):
    prop = PropertyFactory(label="Martha Residence")
    free = CustomerFactory()
    data = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": [prop.customer_id, free.pk],
    }
    response = admin_web.post(CUSTOMERS, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "would require deleting the following protected related objects" in content
    assert "Martha Residence" in content
    assert Customer.unscoped.count() == 2


def test_deleting_an_unreferenced_customer_goes_through(admin_web):
    customer = CustomerFactory()
    response = admin_web.post(f"{CUSTOMERS}{customer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.unscoped.exists()
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("was deleted successfully" in m for m in messages)


def test_bulk_delete_through_the_service_is_all_or_nothing(rf, admin_user):
    """What the bulk action runs when a reference appears after its confirmation page."""
    referenced = PropertyFactory().customer
    free = CustomerFactory()
    request = rf.post(CUSTOMERS)
    request.user = admin_user
    model_admin = CustomerAdmin(Customer, admin.site)
    with pytest.raises(Conflict) as refused:
        model_admin.delete_queryset(request, Customer.unscoped.order_by("id"))
    assert refused.value.reason == "protected_by_references"
    assert str(refused.value).startswith("Customer cannot be deleted: it is still referenced by")
    assert set(Customer.unscoped.values_list("pk", flat=True)) == {referenced.pk, free.pk}


def test_a_refusal_after_the_confirmation_page_becomes_an_error_message(rf, admin_user):
    """The admin base turns a service's refusal into messages.error and a redirect, not a 500."""
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = rf.post(f"{CUSTOMERS}1/delete/")
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = CustomerAdmin(Customer, admin.site)
    response = model_admin._refuse(
        request,
        Conflict("Customer cannot be deleted", reason=CoreErrorCode.PROTECTED_BY_REFERENCES),
    )
    assert response.status_code == 302 and response["Location"] == f"{CUSTOMERS}1/delete/"
    assert [(m.level_tag, str(m)) for m in request._messages] == [
        ("error", "Customer cannot be deleted")
    ]


# --- customers with invoices are kept, and deactivated instead ------------------------------


def test_deleting_a_customer_with_invoices_says_they_are_kept_and_offers_deactivation(admin_web):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    InvoiceFactory(property=PropertyFactory(customer=customer))
    url = f"{CUSTOMERS}{customer.pk}/delete/"
    for response in (admin_web.get(url), admin_web.post(url, {"post": "yes"})):
        content = response.content.decode()
        assert response.status_code == 200
        assert "Customers with invoices are kept" in content
        assert "Ana Rivera has invoices, and customers with invoices are kept" in content
        assert "permission" not in content
        assert 'value="deactivate_selected"' in content and "Deactivate 1 customer" in content
    assert Customer.unscoped.filter(pk=customer.pk).exists()
    done = admin_web.post(
        CUSTOMERS, {"action": "deactivate_selected", "_selected_action": [customer.pk]}, follow=True
    )
    assert "Deactivated 1 customer." in [str(m) for m in done.context["messages"]]
    customer.refresh_from_db()
    assert customer.is_active is False


def test_bulk_delete_with_a_billed_customer_keeps_them_all(admin_web):
    billed = InvoiceFactory().customer
    free = CustomerFactory()
    data = {"action": "delete_selected", "post": "yes", "_selected_action": [billed.pk, free.pk]}
    content = admin_web.post(CUSTOMERS, data).content.decode()
    assert f"{billed} has invoices" in content and str(free) not in content.split("<ul")[-1]
    assert Customer.unscoped.count() == 2
    # A selection without invoices still gets Django's confirmation, then is deleted.
    plain = {"action": "delete_selected", "_selected_action": [free.pk]}
    assert "Are you sure" in admin_web.post(CUSTOMERS, plain).content.decode()
    admin_web.post(CUSTOMERS, {**plain, "post": "yes"})
    assert not Customer.unscoped.filter(pk=free.pk).exists()


def test_staff_get_no_deletion_page_for_a_kept_customer(staff_web):
    customer = InvoiceFactory().customer
    assert staff_web.get(f"{CUSTOMERS}{customer.pk}/delete/").status_code == 403


def test_inactive_customers_are_listed_with_an_active_filter(staff_web):
    CustomerFactory(first_name="Gone", is_active=False)
    CustomerFactory(first_name="Here")
    everyone = staff_web.get(CUSTOMERS).context["cl"].result_list
    assert {c.first_name for c in everyone} == {"Gone", "Here"}
    active = staff_web.get(CUSTOMERS, {"is_active__exact": "1"}).context["cl"].result_list
    assert [c.first_name for c in active] == ["Here"]


def autocomplete(client, model_name: str, field_name: str, term: str = "", **extra) -> list[str]:
    app_label = "billing" if model_name == "invoice" else "customers"
    params = {"term": term, "app_label": app_label, "model_name": model_name}
    response = client.get("/admin/autocomplete/", {**params, "field_name": field_name, **extra})
    assert response.status_code == 200, response.content
    return [r["text"] for r in response.json()["results"]]


def test_inactive_customers_are_not_offered_by_the_pickers(admin_web):
    CustomerFactory(first_name="Martha", last_name="Perez", is_active=False)
    CustomerFactory(first_name="Mario", last_name="Perez")
    assert autocomplete(admin_web, "invoice", "customer", "perez") == ["Mario Perez"]
    assert autocomplete(admin_web, "property", "customer", "perez") == ["Mario Perez"]
    # The list itself keeps them.
    assert len(admin_web.get(CUSTOMERS, {"q": "perez"}).context["cl"].result_list) == 2


def test_the_property_picker_follows_the_chosen_customer(admin_web):
    mine = PropertyFactory(label="Casa Ana")
    PropertyFactory(label="Casa Luis")
    both = autocomplete(admin_web, "invoice", "property", "casa")
    assert sorted(both) == ["Casa Ana", "Casa Luis"]
    assert autocomplete(
        admin_web, "invoice", "property", "casa", customer=str(mine.customer_id)
    ) == ["Casa Ana"]
    # A customer that is not an id is ignored, never a 500.
    for junk in ("x", "\u0665", "9" * 40):  # \u0665: an Arabic-Indic digit five
        assert len(autocomplete(admin_web, "invoice", "property", "casa", customer=junk)) <= 2


def test_customer_search_finds_a_property_address_once(staff_web):
    customer = CustomerFactory(first_name="Ana", last_name="Rivera")
    PropertyFactory(customer=customer, address1="12 Calle Sol", city="Isabela")
    PropertyFactory(customer=customer, address1="14 Calle Sol", city="Isabela")
    PropertyFactory(address1="1 Main St")
    found = staff_web.get(CUSTOMERS, {"q": "calle sol"}).context["cl"].result_list
    assert [c.pk for c in found] == [customer.pk]
    assert [
        c.pk for c in staff_web.get(CUSTOMERS, {"q": "ana isabela"}).context["cl"].result_list
    ] == [customer.pk]


def test_the_property_inline_shows_every_field(admin_web):
    customer = CustomerFactory()
    PropertyFactory(customer=customer)
    content = admin_web.get(f"{CUSTOMERS}{customer.pk}/change/").content.decode()
    for name in ("label", "address1", "address2", "city", "state", "postal_code", "notes"):
        assert f'name="properties-0-{name}"' in content, name
    assert 'name="properties-0-is_active"' in content
