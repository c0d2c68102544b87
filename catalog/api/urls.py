from catalog.api.views import ItemViewSet, StockMovementViewSet
from ektor.api.routers import Router

router = Router()
router.register("items", ItemViewSet, basename="item")
router.register("stock-movements", StockMovementViewSet, basename="stockmovement")

urlpatterns = router.urls
