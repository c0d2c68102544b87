"""Thin viewsets: selectors read, services write, serializers shape."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from customers import selectors, services
from customers.api.filters import CustomerFilter, PropertyFilter
from customers.api.serializers import CustomerIn, CustomerOut, PropertyIn, PropertyOut
from ektor.api.views import ApiViewSet, ListMixin, RetrieveMixin


class ResourceViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """List, retrieve, create, replace (PUT), update (PATCH) and delete through a resource's
    selector and services. `instance_kwarg` is the services' keyword for the row."""

    input_serializer: type
    instance_kwarg: str

    def get_queryset(self):
        return self.select(self.ctx)

    def create(self, request):
        obj = self.create_service(self.ctx, **self.validated(self.input_serializer))
        return self.output(obj, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        data = self.validated(self.input_serializer)
        obj = self.replace_service(self.ctx, **{self.instance_kwarg: self.get_object()}, **data)
        return self.output(obj)

    def partial_update(self, request, pk=None):
        data = self.validated(self.input_serializer, partial=True)
        obj = self.update_service(self.ctx, **{self.instance_kwarg: self.get_object()}, data=data)
        return self.output(obj)

    def destroy(self, request, pk=None):
        self.delete_service(self.ctx, **{self.instance_kwarg: self.get_object()})
        return Response(status=status.HTTP_204_NO_CONTENT)


def resource_schema(in_serializer, out_serializer):
    """OpenAPI documentation of the six operations of one resource (ektor.api.schema adds
    the summaries and the errors)."""
    write = {"request": in_serializer, "responses": out_serializer}
    return extend_schema_view(
        list=extend_schema(responses=out_serializer(many=True)),
        retrieve=extend_schema(responses=out_serializer),
        create=extend_schema(request=in_serializer, responses={201: out_serializer}),
        update=extend_schema(**write),
        partial_update=extend_schema(**write),
        destroy=extend_schema(responses={204: OpenApiResponse(description="Deleted")}),
    )


def resource_reasons(create: dict, change: dict | None = None) -> dict:
    """`error_reasons` of a resource: `create`'s reasons hold for every write, `change`'s for
    replace and update only; a delete is refused while the row is still referenced."""
    change = {**create, **(change or {})}
    return {
        "create": create,
        "update": change,
        "partial_update": {**change, 400: ("no_fields_to_update",)},
        "destroy": {409: ("protected_by_references",)},
    }


@resource_schema(CustomerIn, CustomerOut)
class CustomerViewSet(ResourceViewSet):
    lookup_url_kwarg = "customer_id"
    error_reasons = resource_reasons({409: ("duplicate_email",)})
    serializer_class = CustomerOut
    input_serializer = CustomerIn
    filterset_class = CustomerFilter
    instance_kwarg = "customer"
    select = staticmethod(selectors.customer_list)
    create_service = staticmethod(services.customer_create)
    replace_service = staticmethod(services.customer_replace)
    update_service = staticmethod(services.customer_update)
    delete_service = staticmethod(services.customer_delete)


@resource_schema(PropertyIn, PropertyOut)
class PropertyViewSet(ResourceViewSet):
    lookup_url_kwarg = "property_id"
    error_reasons = resource_reasons(
        {404: ("customer_not_found",)}, change={409: ("property_has_invoices",)}
    )
    serializer_class = PropertyOut
    input_serializer = PropertyIn
    filterset_class = PropertyFilter
    instance_kwarg = "prop"
    select = staticmethod(selectors.property_list)
    create_service = staticmethod(services.property_create)
    replace_service = staticmethod(services.property_replace)
    update_service = staticmethod(services.property_update)
    delete_service = staticmethod(services.property_delete)
