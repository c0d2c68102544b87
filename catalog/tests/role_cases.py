"""Role matrix entries for /items and /stock-movements: everyone of the company reads the
catalog and its stock (technicians use its chemicals and parts); only admins write."""

from catalog.tests.factories import ItemFactory
from core.context import Ctx
from ektor.testing import RoleCase
from tenancy.tests.factories import default_company

ITEMS = "/api/v1/items"
MOVEMENTS = "/api/v1/stock-movements"


def item_path() -> str:
    return f"{ITEMS}/{ItemFactory().pk}"


def item_body() -> dict:
    return {"sku": "CHL-1", "name": "Liquid chlorine", "kind": "chemical", "price": "6.50"}


def movement_body() -> dict:
    return {"item_id": ItemFactory().pk, "kind": "receipt", "quantity": "12"}


def movement_path() -> str:
    from catalog import services

    movement = services.stock_movement_create(
        Ctx.system(default_company()), item_id=ItemFactory().pk, kind="receipt", quantity=1
    )
    return f"{MOVEMENTS}/{movement.pk}"


CASES = [
    RoleCase("GET", "api/v1/items", lambda: ITEMS, staff_allowed=True),
    RoleCase("POST", "api/v1/items", lambda: ITEMS, item_body, admin_status=201),
    RoleCase("GET", "api/v1/items/<pk>", item_path, staff_allowed=True),
    RoleCase("PUT", "api/v1/items/<pk>", item_path, item_body),
    RoleCase("PATCH", "api/v1/items/<pk>", item_path, lambda: {"price": "7.00"}),
    RoleCase("DELETE", "api/v1/items/<pk>", item_path, admin_status=204),
    RoleCase("GET", "api/v1/stock-movements", lambda: MOVEMENTS, staff_allowed=True),
    RoleCase("POST", "api/v1/stock-movements", lambda: MOVEMENTS, movement_body, admin_status=201),
    RoleCase("GET", "api/v1/stock-movements/<pk>", movement_path, staff_allowed=True),
]
