"""Admin pages for pools: the pools inline on the property page and the Pool page with its
equipment inline save through the services; their choices are the company's."""

import pytest

from audit.models import AuditEvent
from customers.tests.factories import CustomerFactory, PropertyFactory
from pools.models import Equipment, Pool
from pools.tests.factories import EquipmentFactory, PoolFactory
from tenancy.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

PROPERTIES = "/admin/customers/property/"
POOLS = "/admin/pools/pool/"


def management(prefix: str, total: int, initial: int = 0) -> dict:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial)}


def property_form(prop, rows: list[dict], initial: int = 0) -> dict:
    """A complete POST of the property change form with `rows` in its pools inline."""
    data = {"customer": prop.customer_id, "label": prop.label, "address1": prop.address1}
    data |= {"is_active": "on", **management("pools", len(rows), initial)}
    for n, row in enumerate(rows):
        data |= {f"pools-{n}-{name}": value for name, value in row.items()}
    return data


def pool_row(**overrides) -> dict:
    row = {"name": "Main Pool", "kind": "pool", "volume_gallons": "15000", "surface": "plaster"}
    return row | {"sanitizer": "chlorine", "is_active": "on"} | overrides


def pool_form(prop, rows: list[dict] = (), initial: int = 0, **overrides) -> dict:
    """A complete POST of the Pool page with `rows` in its equipment inline."""
    data = {"property": prop.pk, **pool_row(), **management("equipment", len(rows), initial)}
    for n, row in enumerate(rows):
        data |= {f"equipment-{n}-{name}": value for name, value in row.items()}
    return data | overrides


def events(object_type: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=object_type)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the pools inline on the property page --------------------------------------------------


def test_the_property_page_shows_its_pools_inline(admin_web):
    pool = PoolFactory(name="Lap Pool")
    content = admin_web.get(f"{PROPERTIES}{pool.property_id}/change/").content.decode()
    assert 'name="pools-TOTAL_FORMS" value="1"' in content
    assert 'value="Lap Pool"' in content and 'name="pools-0-volume_gallons"' in content


def test_the_inline_adds_changes_and_deletes_pools_through_the_services(admin_web):
    prop = PropertyFactory()
    data = property_form(prop, [pool_row(), pool_row(name="Spa", kind="spa", access_notes="")])
    response = admin_web.post(f"{PROPERTIES}{prop.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    main, spa = Pool.unscoped.filter(property=prop).order_by("id")
    assert (spa.name, spa.kind, spa.access_notes, spa.company) == ("Spa", "spa", None, prop.company)
    assert events("pool") == ["create", "create"]

    rows = [
        pool_row(id=main.pk, volume_gallons="20000"),
        pool_row(id=spa.pk, name="Spa", kind="spa", DELETE="on"),
    ]
    response = admin_web.post(f"{PROPERTIES}{prop.pk}/change/", property_form(prop, rows, 2))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(Pool.unscoped.filter(property=prop).values_list("name", "volume_gallons")) == [
        ("Main Pool", 20000)
    ]
    assert events("pool") == ["create", "create", "update", "delete"]


def test_a_new_property_is_added_with_its_pools(admin_web):
    prop = PropertyFactory.build(customer=CustomerFactory())
    data = property_form(prop, [pool_row(), pool_row(name="Spa", kind="spa")])
    response = admin_web.post(f"{PROPERTIES}add/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    added = Pool.unscoped.order_by("id")
    assert [(p.name, p.property.label) for p in added] == [
        ("Main Pool", prop.label),
        ("Spa", prop.label),
    ]


def test_the_inline_shows_the_services_rules_beside_the_fields(admin_web):
    PoolFactory(name="Spa")
    prop = Pool.unscoped.get().property
    rows = [pool_row(name="SPA"), pool_row(name="Lap", volume_gallons="50")]
    response = admin_web.post(f"{PROPERTIES}{prop.pk}/change/", property_form(prop, rows))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[0]["name"] == ["A pool with this name already exists at the property"]
    assert formset.errors[1]["volume_gallons"] == ["Ensure this value is between 100 and 2000000."]
    assert Pool.unscoped.count() == 1


def test_two_new_rows_with_one_name_are_refused_whole(admin_web):
    """The form cannot see its sibling row; the service refuses the second, and the page's
    transaction keeps neither."""
    prop = PropertyFactory()
    rows = [pool_row(name="Spa"), pool_row(name="spa")]
    response = admin_web.post(
        f"{PROPERTIES}{prop.pk}/change/", property_form(prop, rows), follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["A pool with this name already exists at the property"]
    assert not Pool.unscoped.exists()


def test_the_inline_is_read_only_for_staff(staff_web):
    pool = PoolFactory(name="Lap Pool")
    content = staff_web.get(f"{PROPERTIES}{pool.property_id}/change/").content.decode()
    assert "Lap Pool" in content and 'name="pools-0-name"' not in content
    response = staff_web.post(
        f"{PROPERTIES}{pool.property_id}/change/", property_form(pool.property, [pool_row()])
    )
    assert response.status_code == 403
    assert Pool.unscoped.count() == 1


# --- the Pool page and its equipment inline -------------------------------------------------


def test_the_pool_page_adds_a_pool_with_equipment_through_the_services(admin_web):
    prop = PropertyFactory()
    rows = [{"kind": "pump", "make": "Pentair", "installed_on": "2024-05-01", "model": ""}]
    response = admin_web.post(f"{POOLS}add/", pool_form(prop, rows, sanitizer="salt"))
    assert response.status_code == 302, response.context and response.context["errors"]
    pool = Pool.unscoped.get()
    assert (pool.property, pool.sanitizer, pool.company) == (prop, "salt", prop.company)
    item = pool.equipment.get()
    assert (item.kind, item.make, item.model, item.company) == (
        "pump",
        "Pentair",
        None,
        prop.company,
    )
    assert (events("pool"), events("equipment")) == (["create"], ["create"])


def test_the_pool_page_changes_and_removes_equipment(admin_web):
    item = EquipmentFactory(make="Old")
    pool = item.pool
    rows = [{"id": item.pk, "kind": "filter", "make": "Hayward"}]
    response = admin_web.post(f"{POOLS}{pool.pk}/change/", pool_form(pool.property, rows, 1))
    assert response.status_code == 302, response.context and response.context["errors"]
    item.refresh_from_db()
    assert (item.kind, item.make, item.serial_number) == ("filter", "Hayward", None)
    rows = [{"id": item.pk, "kind": "filter", "DELETE": "on"}]
    response = admin_web.post(f"{POOLS}{pool.pk}/change/", pool_form(pool.property, rows, 1))
    assert response.status_code == 302
    assert not Equipment.unscoped.exists()
    assert events("equipment") == ["update", "delete"]


def test_a_property_of_another_company_is_not_a_choice(admin_web):
    other = PropertyFactory(customer__company=CompanyFactory())
    response = admin_web.post(f"{POOLS}add/", pool_form(other))
    assert response.status_code == 200
    assert "Select a valid choice" in response.context["adminform"].form.errors["property"][0]
    assert not Pool.unscoped.exists()


def test_the_property_autocomplete_offers_the_companys_properties(admin_web):
    PropertyFactory(label="Casa Alpha")
    PropertyFactory(label="Casa Bravo", customer__company=CompanyFactory())
    query = {"app_label": "pools", "model_name": "pool", "field_name": "property", "term": "casa"}
    results = admin_web.get("/admin/autocomplete/", query).json()["results"]
    assert [r["text"] for r in results] == ["Casa Alpha"]


def test_a_duplicate_name_on_the_pool_page_shows_beside_the_field(admin_web):
    pool = PoolFactory(name="Spa")
    response = admin_web.post(f"{POOLS}add/", pool_form(pool.property, name="spa"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "A pool with this name already exists at the property"
    ]


def test_deleting_a_pool_deletes_its_equipment_through_the_service(admin_web):
    item = EquipmentFactory()
    response = admin_web.post(f"{POOLS}{item.pool_id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Pool.unscoped.exists() and not Equipment.unscoped.exists()
    assert (events("pool"), events("equipment")) == (["delete"], ["delete"])


def test_the_pool_list_searches_the_address_and_filters(staff_web):
    PoolFactory(name="Spa", kind="spa", property__city="Moca")
    PoolFactory(name="Main Pool", property__city="Rincon")
    found = staff_web.get(POOLS, {"q": "moca"}).context["cl"].result_list
    assert [pool.name for pool in found] == ["Spa"]
    spas = staff_web.get(POOLS, {"kind__exact": "spa"}).context["cl"].result_list
    assert [pool.name for pool in spas] == ["Spa"]
    assert 'name="_save"' not in staff_web.get(f"{POOLS}{found[0].pk}/change/").content.decode()
