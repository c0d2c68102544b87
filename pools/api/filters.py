"""Query filters: every value is validated (a bad one is a 422 with loc ["query", name])."""

from ektor.api.filters import IdFilter, SearchFilter, StrictFilterSet
from pools import selectors
from pools.models import Equipment, Pool


class PoolFilter(StrictFilterSet):
    q = SearchFilter(
        selectors.pool_search, help_text="Words to find in the name or the property's address"
    )
    property_id = IdFilter(field_name="property_id", help_text="Only this property's pools")
    customer_id = IdFilter(
        field_name="property__customer_id", help_text="Only the pools of this customer's properties"
    )

    class Meta:
        model = Pool
        fields = ["q", "property_id", "customer_id"]


class EquipmentFilter(StrictFilterSet):
    pool_id = IdFilter(field_name="pool_id", help_text="Only this pool's equipment")

    class Meta:
        model = Equipment
        fields = ["pool_id"]
