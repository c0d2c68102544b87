"""Rules the pool and equipment services enforce for every caller (API, admin, commands)."""

import datetime
from functools import partial

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from audit.models import AuditEvent
from core.errors import ApplicationError, Conflict, InvalidInput, NotFound
from customers import services as customers
from customers.tests.factories import PropertyFactory
from ektor.services import conflict_on_integrity
from ektor.testing import run_at_once
from pools import selectors, services
from pools.models import Equipment, Pool
from pools.tests.factories import EquipmentFactory, PoolFactory
from tenancy.tests.factories import CompanyFactory


def create(ctx, prop, **fields):
    return services.pool_create(
        ctx, property_id=prop.pk, **{"name": "Main Pool", "volume_gallons": 15000, **fields}
    )


@pytest.mark.django_db
def test_create_fills_the_defaults_and_nulls_blank_notes(ctx):
    pool = create(ctx, PropertyFactory(), access_notes=" ", notes="")
    pool.refresh_from_db()
    assert (pool.kind, pool.surface, pool.sanitizer) == ("pool", "plaster", "chlorine")
    assert pool.is_indoor is False and pool.is_active is True
    assert pool.access_notes is None and pool.notes is None
    assert pool.company == ctx.company


@pytest.mark.django_db
def test_create_and_replace_refuse_unknown_or_missing_fields(ctx):
    with pytest.raises(TypeError, match=r"unknown fields \['depth'\], missing fields \['name'"):
        services.pool_create(ctx, property_id=1, volume_gallons=100, depth=6)


@pytest.mark.django_db
def test_names_are_unique_per_property_case_insensitively_and_trimmed(ctx):
    prop = PropertyFactory()
    first = create(ctx, prop, name="Spa")
    with pytest.raises(Conflict) as refused:
        create(ctx, prop, name=" SPA ")
    assert (refused.value.message, refused.value.reason) == (
        "A pool with this name already exists at the property",
        "duplicate_pool_name",
    )
    # Another property may have a "Spa" too, and the pool keeps its own name on an update.
    create(ctx, PropertyFactory(), name="Spa")
    services.pool_update(ctx, pool=first, data={"name": "spa", "is_indoor": True})
    assert Pool.unscoped.get(pk=first.pk).name == "spa"


@pytest.mark.django_db
def test_moving_a_pool_checks_the_name_at_its_new_property(ctx):
    here, there = PropertyFactory(), PropertyFactory()
    pool = create(ctx, here, name="Spa")
    create(ctx, there, name="Spa")
    with pytest.raises(Conflict) as refused:
        services.pool_update(ctx, pool=pool, data={"property_id": there.pk})
    assert refused.value.reason == "duplicate_pool_name"
    moved = services.pool_update(ctx, pool=pool, data={"property_id": there.pk, "name": "Spa 2"})
    assert (moved.property_id, moved.property.customer_id) == (there.pk, there.customer_id)


@pytest.mark.django_db
def test_the_databases_duplicate_name_error_is_recognised(ctx):
    """The rules name the error text of this database (SQLite and MariaDB passes): a row the
    check did not see (a concurrent insert) is still a 409 duplicate_pool_name."""
    pool = PoolFactory(name="Lap Pool")
    with pytest.raises(Conflict) as refused, conflict_on_integrity(services.NAME_INTEGRITY_RULES):
        Pool.unscoped.create(
            company=pool.company, property=pool.property, name="LAP POOL", volume_gallons=900
        )
    assert refused.value.reason == "duplicate_pool_name"


@pytest.mark.django_db
def test_a_property_of_another_company_is_a_missing_one(ctx):
    other = PropertyFactory(customer__company=CompanyFactory())
    for prop_id in (other.pk, 999999):
        with pytest.raises(NotFound) as refused:
            services.pool_create(ctx, property_id=prop_id, name="Main", volume_gallons=15000)
        assert (refused.value.message, refused.value.reason) == (
            "Property not found",
            "property_not_found",
        )
    assert not Pool.unscoped.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "This field may not be blank."),
        ({"name": "N" * 61}, "name", "Ensure this field has no more than 60 characters."),
        ({"volume_gallons": 99}, "volume_gallons", "Ensure this value is between 100 and 2000000."),
        ({"volume_gallons": 2_000_001}, "volume_gallons", "Ensure this value is between 100"),
        ({"kind": "pond"}, "kind", "'pond' is not a valid choice: one of pool, spa, fountain"),
        ({"surface": "gunite"}, "surface", "'gunite' is not a valid choice: one of plaster"),
        ({"sanitizer": "ozone"}, "sanitizer", "'ozone' is not a valid choice: one of chlorine"),
    ],
)
def test_values_out_of_the_contract_are_refused_for_every_caller(ctx, fields, field, message):
    with pytest.raises(InvalidInput) as refused:
        create(ctx, PropertyFactory(), **fields)
    (error,) = refused.value.fields
    assert error.field == field and error.msg.startswith(message)
    assert not Pool.unscoped.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("volume_gallons", 50), ("kind", "pond"), ("surface", "gunite"), ("name", "")],
)
def test_the_database_holds_the_ranges_and_choices_too(column, value):
    """What a write around the services (a bulk insert, a shell) would store is refused by the
    table's CHECK constraints."""
    pool = PoolFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Pool.unscoped.filter(pk=pool.pk).update(**{column: value})


@pytest.mark.django_db
def test_update_with_nothing_is_refused(ctx):
    with pytest.raises(ApplicationError) as refused:
        services.pool_update(ctx, pool=PoolFactory(), data={})
    assert (refused.value.status, refused.value.reason) == (400, "no_fields_to_update")
    with pytest.raises(ApplicationError) as refused:
        services.equipment_update(ctx, equipment=EquipmentFactory(), data={})
    assert refused.value.reason == "no_fields_to_update"


@pytest.mark.django_db
def test_replace_returns_optional_fields_to_their_defaults(ctx):
    pool = PoolFactory(kind="spa", is_indoor=True, notes="Old", is_active=False)
    services.pool_replace(
        ctx, pool=pool, property_id=pool.property_id, name="Spa", volume_gallons=800
    )
    pool.refresh_from_db()
    assert (pool.kind, pool.is_indoor, pool.notes, pool.is_active) == ("pool", False, None, True)


@pytest.mark.django_db
def test_a_property_with_pools_is_kept(ctx):
    """The pool protects its property, through the same protected delete as every row."""
    pool = PoolFactory()
    with pytest.raises(Conflict) as refused:
        customers.property_delete(ctx, prop=pool.property)
    assert refused.value.message == "Property cannot be deleted: it is still referenced by 1 pool"
    assert refused.value.reason == "protected_by_references"
    assert refused.value.extra == {"references": {"pools": 1}}


@pytest.mark.django_db
def test_deleting_a_pool_deletes_its_equipment_with_their_events(ctx):
    pool = PoolFactory()
    items = EquipmentFactory.create_batch(2, pool=pool)
    kept, pool_id = EquipmentFactory(), pool.pk
    services.pool_delete(ctx, pool=pool)
    assert not Pool.unscoped.filter(pk=pool_id).exists()
    assert list(Equipment.unscoped.all()) == [kept]
    deleted = AuditEvent.objects.filter(action="delete")
    assert set(deleted.values_list("object_type", "object_id")) == {
        ("pool", pool_id),
        *(("equipment", item.pk) for item in items),
    }
    event = deleted.get(object_type="equipment", object_id=items[0].pk)
    assert event.changes["serial_number"] == [items[0].serial_number, None]


@pytest.fixture
def visit_model(transactional_db):
    """A stand-in for the visits and service plans to come: a table whose rows reference a
    pool with PROTECT. No model protects a pool yet; this one exists only during the test
    (created and dropped here, unregistered afterwards)."""

    class Visit(models.Model):
        pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="test_visits")

        class Meta:
            app_label = "pools"
            db_table = "pools_test_visit"

        def __str__(self) -> str:
            return f"visit {self.pk}"

    with connection.schema_editor() as editor:
        editor.create_model(Visit)
    try:
        yield Visit
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Visit)
        del apps.all_models["pools"]["visit"]
        apps.clear_cache()


def test_a_pool_with_history_is_refused_and_keeps_everything(ctx, visit_model):
    pool = PoolFactory()
    item = EquipmentFactory(pool=pool)
    visit_model.objects.create(pool=pool)
    with pytest.raises(Conflict) as refused:
        services.pool_delete(ctx, pool=pool)
    assert refused.value.message == (
        "Pool cannot be deleted: it is still referenced by 1 visit; deactivate the pool instead"
    )
    assert refused.value.reason == "protected_by_references"
    assert refused.value.extra == {"references": {"visits": 1}}
    assert Pool.unscoped.filter(pk=pool.pk).exists()
    assert Equipment.unscoped.filter(pk=item.pk).exists()
    assert not AuditEvent.objects.filter(action="delete").exists()
    # What the refusal says to do is allowed.
    services.pool_update(ctx, pool=pool, data={"is_active": False})
    assert Pool.unscoped.get(pk=pool.pk).is_active is False


@pytest.mark.django_db
def test_equipment_belongs_to_a_pool_of_the_company(ctx):
    other = PoolFactory(property__customer__company=CompanyFactory())
    with pytest.raises(NotFound) as refused:
        services.equipment_create(ctx, pool_id=other.pk, kind="pump")
    assert (refused.value.message, refused.value.reason) == ("Pool not found", "pool_not_found")
    with pytest.raises(InvalidInput) as refused:
        services.equipment_create(ctx, pool_id=PoolFactory().pk, kind="boiler")
    assert refused.value.fields[0].field == "kind"
    assert not Equipment.unscoped.exists()


@pytest.mark.django_db
def test_equipment_create_replace_and_move(ctx):
    pool, other = PoolFactory(), PoolFactory()
    item = services.equipment_create(
        ctx, pool_id=pool.pk, kind="heater", make="Raypak", installed_on=datetime.date(2024, 5, 1)
    )
    assert (item.company, item.model, item.serial_number) == (ctx.company, None, None)
    services.equipment_replace(ctx, equipment=item, pool_id=other.pk, kind="heater", make="")
    item.refresh_from_db()
    assert (item.pool_id, item.make, item.installed_on) == (other.pk, None, None)
    services.equipment_delete(ctx, equipment=item)
    assert not Equipment.unscoped.exists()


@pytest.mark.django_db
def test_search_matches_every_word_in_the_name_or_the_address(ctx):
    spa = PoolFactory(name="Spa", property__label="Perry Residence", property__city="Moca")
    PoolFactory(name="Main Pool", property__label="Perry Residence", property__city="Moca")
    found = selectors.pool_search(ctx, selectors.pool_list(ctx), "perry SPA")
    assert list(found) == [spa]


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_name_give_one_pool_and_409s(ctx):
    """The check before the insert cannot see a concurrent insert; the unique index does,
    and its IntegrityError becomes the same 409 duplicate_pool_name."""
    prop = PropertyFactory()
    workers = 8

    def attempt(number: int) -> str:
        # Half of them in another case: the database compares names case-insensitively.
        create(ctx, prop, name="Lap Pool" if number % 2 else "LAP POOL")
        return "created"

    results = run_at_once(*[partial(attempt, n) for n in range(workers)])
    outcomes = [r.reason if isinstance(r, Conflict) else r for r in results]
    assert sorted(outcomes) == ["created"] + ["duplicate_pool_name"] * (workers - 1)
    assert Pool.unscoped.filter(property=prop).count() == 1
