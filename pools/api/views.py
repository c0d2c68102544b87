"""Thin viewsets: selectors read, services write, serializers shape."""

from customers.api.views import ResourceViewSet, resource_reasons, resource_schema
from pools import selectors, services
from pools.api.filters import EquipmentFilter, PoolFilter
from pools.api.serializers import EquipmentIn, EquipmentOut, PoolIn, PoolOut


@resource_schema(PoolIn, PoolOut)
class PoolViewSet(ResourceViewSet):
    lookup_url_kwarg = "pool_id"
    error_reasons = resource_reasons({404: ("property_not_found",), 409: ("duplicate_pool_name",)})
    serializer_class = PoolOut
    input_serializer = PoolIn
    filterset_class = PoolFilter
    instance_kwarg = "pool"
    select = staticmethod(selectors.pool_list)
    create_service = staticmethod(services.pool_create)
    replace_service = staticmethod(services.pool_replace)
    update_service = staticmethod(services.pool_update)
    delete_service = staticmethod(services.pool_delete)


@resource_schema(EquipmentIn, EquipmentOut)
class EquipmentViewSet(ResourceViewSet):
    lookup_url_kwarg = "equipment_id"
    error_reasons = resource_reasons({404: ("pool_not_found",)})
    serializer_class = EquipmentOut
    input_serializer = EquipmentIn
    filterset_class = EquipmentFilter
    instance_kwarg = "equipment"
    select = staticmethod(selectors.equipment_list)
    create_service = staticmethod(services.equipment_create)
    replace_service = staticmethod(services.equipment_replace)
    update_service = staticmethod(services.equipment_update)
    delete_service = staticmethod(services.equipment_delete)
