"""The reasons the catalog's rules give (`details.reason`)."""

from core.errors import ReasonCode


class CatalogErrorCode(ReasonCode):
    ITEM_NOT_FOUND = "item_not_found"
    STOCK_MOVEMENT_NOT_FOUND = "stockmovement_not_found"
    DUPLICATE_SKU = "duplicate_sku"
    INSUFFICIENT_STOCK = "insufficient_stock"
    STOCK_NOT_TRACKED = "stock_not_tracked"
