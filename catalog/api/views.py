"""Thin viewsets: selectors read, services write, serializers shape. Item lists and single
items are answered from the shared cache (catalog/cache.py), which every write retires: it
keeps their rendered JSON, so a hit renders nothing again."""

from drf_spectacular.utils import extend_schema
from rest_framework import status

from catalog import selectors, services
from catalog.api.filters import ItemFilter, StockMovementFilter
from catalog.api.serializers import ItemIn, ItemOut, StockMovementIn, StockMovementOut
from catalog.cache import cached
from catalog.models import Item
from core.context import Ctx
from customers.api.views import ResourceViewSet, resource_reasons, resource_schema
from ektor.api.filters import ASCII_INT
from ektor.api.renderers import json_bytes, rendered_response
from ektor.api.views import ApiViewSet, ListMixin, RetrieveMixin
from ektor.db.prepared import PreparedPage, PreparedSearch


def _unfiltered_items(*, company_id: int):
    """The list's rows when nothing filters them: the company's items, as `item_list` reads
    them for any caller of the company."""
    return selectors.item_list(Ctx.system(company=company_id)).values(*ItemOut.columns())


def _found_items(*, company_id: int, q: str):
    """The list's rows when only `q` filters them, as ItemFilter's search finds them."""
    ctx = Ctx.system(company=company_id)
    return selectors.item_search(ctx, selectors.item_list(ctx), q).values(*ItemOut.columns())


@resource_schema(ItemIn, ItemOut)
class ItemViewSet(ResourceViewSet):
    lookup_url_kwarg = "item_id"
    error_reasons = {
        **resource_reasons({409: ("duplicate_sku",)}),
        "destroy": {},
    }
    serializer_class = ItemOut
    # The permission check reads the model only: a cached answer builds no queryset.
    permission_model = Item
    # A first request (or one after a write) reads the page without building its queryset.
    unfiltered_page = PreparedPage(_unfiltered_items, company_id=int)
    # A search (`q` alone): its count and page compiled once per number of words.
    search_page = PreparedSearch(_found_items, company_id=int)
    input_serializer = ItemIn
    filterset_class = ItemFilter
    instance_kwarg = "item"
    select = staticmethod(selectors.item_list)
    create_service = staticmethod(services.item_create)
    replace_service = staticmethod(services.item_replace)
    update_service = staticmethod(services.item_update)
    delete_service = staticmethod(services.item_delete)

    def list(self, request):
        paginator = self.paginator
        paginator.read_params(request)
        query = sorted((k, v) for k, values in request.query_params.lists() for v in values)

        def page() -> tuple[bytes, int]:
            return json_bytes(self.list_rows(request)), paginator.count

        body, paginator.count = cached(self.ctx, f"list:{query}", page)
        return rendered_response(body, paginator.get_headers())

    def retrieve(self, request, pk=None):
        if not ASCII_INT.match(str(pk)):
            return super().retrieve(request, pk)  # the 422 of a malformed id
        return rendered_response(
            cached(
                self.ctx, f"item:{int(pk)}", lambda: json_bytes(ItemOut.encode(self.get_object()))
            )
        )


class StockMovementViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    lookup_url_kwarg = "movement_id"
    error_reasons = {
        "create": {
            404: ("item_not_found",),
            409: ("insufficient_stock", "stock_not_tracked"),
        },
    }
    serializer_class = StockMovementOut
    filterset_class = StockMovementFilter

    def get_queryset(self):
        return selectors.movement_list(self.ctx)

    @extend_schema(request=StockMovementIn, responses={201: StockMovementOut})
    def create(self, request):
        movement = services.stock_movement_create(self.ctx, **self.validated(StockMovementIn))
        return self.output(movement, status=status.HTTP_201_CREATED)
