from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from audit.models import Audited
from tenancy.models import Company
from tenancy.scoping import TenantManager, UnscopedManager

# Stock counts in thousandths (a chemical's gallons, a part's units).
STOCK_DIGITS = {"max_digits": 12, "decimal_places": 3}
STOCK_MAX = Decimal("999999999.999")  # the most STOCK_DIGITS hold
MONEY_DIGITS = {"max_digits": 12, "decimal_places": 2}


class ItemKind(models.TextChoices):
    SERVICE = "service"
    CHEMICAL = "chemical"
    PART = "part"
    PRODUCT = "product"


class ItemUnit(models.TextChoices):
    EACH = "each"
    HOUR = "hour"
    VISIT = "visit"
    GAL = "gal"
    QT = "qt"
    FL_OZ = "fl_oz"
    LB = "lb"
    OZ = "oz"
    BAG = "bag"
    TAB = "tab"


class Item(Audited):
    """A service, chemical, part or product the company sells or uses. Deleting one is soft
    (`deleted_at`): visits, invoice lines and stock movements keep pointing at it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    category = models.CharField(max_length=60, blank=True, default="")
    description = models.TextField(blank=True, default="")
    unit = models.CharField(max_length=10, choices=ItemUnit.choices, default=ItemUnit.EACH)
    price = models.DecimalField(**MONEY_DIGITS)
    cost = models.DecimalField(**MONEY_DIGITS, null=True, blank=True)
    taxable = models.BooleanField(default=True)
    track_stock = models.BooleanField(default=False)
    # Changed only by catalog.services' stock movements, under the item's row lock.
    stock_quantity = models.DecimalField(**STOCK_DIGITS, default=0, editable=False)
    reorder_level = models.DecimalField(**STOCK_DIGITS, default=0)
    is_active = models.BooleanField(default=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # True while the item is not deleted, NULL once it is: only there for the unique
    # (company, sku, live) constraints, so a deleted item's SKU may be used again. MariaDB has
    # no partial unique index (UNIQUE ... WHERE deleted_at IS NULL), but every database lets
    # any number of rows share a NULL in a unique key (as billing's Payment.counted).
    live = models.BooleanField(null=True, default=True, db_default=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Follows deleted_at; the event of a delete says it already.
    audit_exclude = ("live",)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Case-insensitive on MySQL/MariaDB through the column's collation (they cannot
            # index Lower(sku)); the Lower() one makes SQLite and MySQL 8 agree.
            models.UniqueConstraint(
                fields=["company", "sku", "live"], name="catalog_item_sku_unique"
            ),
            models.UniqueConstraint(
                models.F("company"),
                Lower("sku"),
                models.F("live"),
                name="catalog_item_sku_ci_unique",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True, live=True)
                | Q(deleted_at__isnull=False, live=None),
                name="catalog_item_live_follows_deleted",
            ),
            models.CheckConstraint(
                condition=Q(stock_quantity__gte=0), name="catalog_item_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0)
                & (Q(cost__isnull=True) | Q(cost__gte=0))
                & Q(reorder_level__gte=0),
                name="catalog_item_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ItemKind.SERVICE, track_stock=True),
                name="catalog_item_service_tracks_no_stock",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ItemKind.values), name="catalog_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(unit__in=ItemUnit.values), name="catalog_item_unit_valid"
            ),
            models.CheckConstraint(
                condition=~Q(sku="") & ~Q(name=""), name="catalog_item_sku_name_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="catalog_item_newest"),
            models.Index(fields=["company", "name"], name="catalog_item_name"),
            models.Index(fields=["company", "category"], name="catalog_item_category"),
            models.Index(fields=["company", "kind"], name="catalog_item_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


def low_stock_q() -> Q:
    """Items that track stock and have no more than their reorder level."""
    return Q(track_stock=True, stock_quantity__lte=F("reorder_level"))


def in_stock_q() -> Q:
    """Items that can be used now: in stock, or not counted in stock at all (services)."""
    return Q(track_stock=False) | Q(stock_quantity__gt=0)


class MovementKind(models.TextChoices):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RETURN = "return"
    USAGE = "usage"


class StockMovement(Audited):
    """One change of an item's stock: the ledger the item's `stock_quantity` is the sum of.
    Rows are never changed or deleted."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", editable=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    # Signed: receipts and returns add, usage removes, an adjustment does either.
    quantity = models.DecimalField(**STOCK_DIGITS)
    stock_after = models.DecimalField(**STOCK_DIGITS)
    unit_cost = models.DecimalField(**MONEY_DIGITS, null=True, blank=True)
    # The visit whose completion used the stock. Visits arrive with issue 17 (the operations
    # app, above this one); until then the id is a plain indexed column, which that app's
    # migration turns into its foreign key without moving data (the column keeps its name).
    visit_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    unscoped = UnscopedManager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_after__gte=0), name="catalog_movement_stock_after_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[MovementKind.RECEIPT, MovementKind.RETURN], quantity__gt=0)
                | Q(kind=MovementKind.USAGE, quantity__lt=0)
                | (Q(kind=MovementKind.ADJUSTMENT) & ~Q(quantity=0)),
                name="catalog_movement_quantity_sign",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                name="catalog_movement_unit_cost_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-id"], name="catalog_movement_newest"),
            models.Index(fields=["item", "-id"], name="catalog_movement_item"),
            models.Index(fields=["company", "created_at"], name="catalog_movement_created"),
            models.Index(fields=["visit_id"], name="catalog_movement_visit"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.item_id}"
