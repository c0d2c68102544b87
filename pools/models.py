from django.db import models
from django.db.models.functions import Lower

from audit.models import Audited
from customers.models import Property
from tenancy.models import Company
from tenancy.scoping import TenantManager, UnscopedManager


class PoolKind(models.TextChoices):
    POOL = "pool", "Pool"
    SPA = "spa", "Spa"
    FOUNTAIN = "fountain", "Fountain"
    OTHER = "other", "Other"


class Surface(models.TextChoices):
    PLASTER = "plaster", "Plaster"
    PEBBLE = "pebble", "Pebble"
    QUARTZ = "quartz", "Quartz"
    VINYL = "vinyl", "Vinyl"
    FIBERGLASS = "fiberglass", "Fiberglass"
    TILE = "tile", "Tile"
    OTHER = "other", "Other"


class Sanitizer(models.TextChoices):
    CHLORINE = "chlorine", "Chlorine"
    SALT = "salt", "Salt"
    BROMINE = "bromine", "Bromine"
    MINERAL = "mineral", "Mineral"
    OTHER = "other", "Other"


class EquipmentKind(models.TextChoices):
    PUMP = "pump", "Pump"
    FILTER = "filter", "Filter"
    HEATER = "heater", "Heater"
    SALT_CELL = "salt_cell", "Salt cell"
    CHLORINATOR = "chlorinator", "Chlorinator"
    AUTOMATION = "automation", "Automation"
    CLEANER = "cleaner", "Cleaner"
    LIGHT = "light", "Light"
    OTHER = "other", "Other"


# The contract's range of a pool's volume (a spa of 100 gallons to a lagoon of two million).
MIN_VOLUME_GALLONS = 100
MAX_VOLUME_GALLONS = 2_000_000
POOL_NAME_MAX_LENGTH = 60


def _one_of(field: str, choices: type[models.TextChoices]) -> models.Q:
    return models.Q(**{f"{field}__in": choices.values})


class Pool(Audited):
    """A body of water at a property: what visits service and readings measure."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    # PROTECT: a property with pools is kept (a pool carries its equipment and, later, its
    # visits and readings); its pools are deleted or moved first.
    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="pools")
    name = models.CharField(max_length=POOL_NAME_MAX_LENGTH)
    kind = models.CharField(max_length=20, choices=PoolKind.choices, default=PoolKind.POOL)
    volume_gallons = models.PositiveIntegerField()
    surface = models.CharField(max_length=20, choices=Surface.choices, default=Surface.PLASTER)
    sanitizer = models.CharField(
        max_length=20, choices=Sanitizer.choices, default=Sanitizer.CHLORINE
    )
    is_indoor = models.BooleanField(default=False)
    access_notes = models.TextField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    # An inactive pool is kept with its history (visits, plans) but gets no new work.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # As customers' email: the plain index is the one MariaDB enforces (its collation
            # compares case-insensitively; it has no expression indexes), the Lower() one
            # makes SQLite and MySQL 8 agree.
            models.UniqueConstraint(
                fields=["property", "name"], name="pools_pool_property_name_unique"
            ),
            models.UniqueConstraint(
                models.F("property"), Lower("name"), name="pools_pool_name_ci_unique"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="pools_pool_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(
                    volume_gallons__gte=MIN_VOLUME_GALLONS, volume_gallons__lte=MAX_VOLUME_GALLONS
                ),
                name="pools_pool_volume_range",
            ),
            models.CheckConstraint(condition=_one_of("kind", PoolKind), name="pools_pool_kind"),
            models.CheckConstraint(
                condition=_one_of("surface", Surface), name="pools_pool_surface"
            ),
            models.CheckConstraint(
                condition=_one_of("sanitizer", Sanitizer), name="pools_pool_sanitizer"
            ),
        ]
        indexes = [
            # The company's newest first (the API's list), as customers_customer_newest.
            models.Index(fields=["company", "-id"], name="pools_pool_newest"),
            models.Index(fields=["name"], name="pools_pool_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Equipment(Audited):
    """A pump, filter, heater ... of a pool; deleted with its pool."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="equipment")
    kind = models.CharField(max_length=20, choices=EquipmentKind.choices)
    make = models.CharField(max_length=60, null=True, blank=True)
    model = models.CharField(max_length=60, null=True, blank=True)
    serial_number = models.CharField(max_length=60, null=True, blank=True)
    installed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "equipment"
        constraints = [
            models.CheckConstraint(
                condition=_one_of("kind", EquipmentKind), name="pools_equipment_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="pools_equipment_newest"),
            models.Index(fields=["serial_number"], name="pools_equipment_serial"),
        ]

    def __str__(self) -> str:
        label = " ".join(part for part in (self.make, self.model) if part)
        return f"{self.get_kind_display()} {label}".strip()
