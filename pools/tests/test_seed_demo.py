"""manage.py seed_demo: every demo property gets its pools with equipment; --scale too."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from customers.models import Property
from ektor.management.commands.seed_demo import DEMO_FILE
from operations.models import ServicePlan, Visit
from pools.models import Equipment, Pool

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_every_demo_property_gets_the_files_pools_with_equipment():
    data = json.loads(DEMO_FILE.read_text())
    output = seed()
    assert "pools: 15 created, 0 kept" in output
    assert "equipment: 32 created" in output  # a pump and a filter each, a heater per spa (2)
    assert Pool.unscoped.count() == len(data["pools"]) == 15
    for prop in Property.unscoped.all():
        pools = Pool.unscoped.filter(property=prop)
        assert pools.exists(), prop.label
        for pool in pools:
            kinds = set(Equipment.unscoped.filter(pool=pool).values_list("kind", flat=True))
            assert {"pump", "filter"} <= kinds, pool
    perry = Pool.unscoped.filter(property__label="Perry Residence").order_by("name")
    assert [(p.name, p.kind, p.surface, p.volume_gallons) for p in perry] == [
        ("Main Pool", "pool", "tile", 15000),
        ("Spa Pool", "spa", "tile", 800),
    ]
    spa = perry.get(kind="spa")
    assert sorted(spa.equipment.values_list("kind", flat=True)) == ["filter", "heater", "pump"]
    # Made through the services: each has its create event.
    assert AuditEvent.objects.filter(object_type="pool", action="create").count() == 15
    assert AuditEvent.objects.filter(object_type="equipment", action="create").count() == 32


def test_loading_twice_changes_nothing():
    seed()
    before = list(Pool.unscoped.order_by("pk").values_list("pk", "name", "updated_at"))
    output = seed()
    assert "pools: 0 created, 15 kept" in output and "equipment: 0 created" in output
    assert list(Pool.unscoped.order_by("pk").values_list("pk", "name", "updated_at")) == before
    assert Equipment.unscoped.count() == 32


def test_scale_gives_every_synthetic_property_one_or_two_pools_with_equipment():
    output = seed("--scale", "20", "--batch-size", "10")
    properties = Property.unscoped.count()
    assert f"pools: {properties}/{properties} properties" in output
    counts = [Pool.unscoped.filter(property=p).count() for p in Property.unscoped.all()]
    assert set(counts) <= {1, 2} and 2 in counts
    assert not Pool.unscoped.filter(equipment__isnull=True).exists()
    for pool in Pool.unscoped.all():
        assert 100 <= pool.volume_gallons <= 2_000_000
    before = list(Pool.unscoped.order_by("pk").values_list("pk", "property_id", "name"))
    assert "(0 pools, 0 equipment created)" in seed("--scale", "20")
    assert list(Pool.unscoped.order_by("pk").values_list("pk", "property_id", "name")) == before


def test_scale_is_deterministic_whatever_the_batches():
    def pools() -> list:
        rows = Pool.unscoped.order_by("property__customer__email", "property__label", "name")
        return list(rows.values_list("name", "volume_gallons", "surface", "sanitizer"))

    seed("--scale", "12", "--batch-size", "5")
    first = pools()
    # Their plans and visits (operations.demo) reference them: PROTECT.
    Visit.unscoped.all().delete()
    ServicePlan.unscoped.all().delete()
    Pool.unscoped.all().delete()
    seed("--scale", "12", "--batch-size", "12")
    assert pools() == first
