from ektor.api.routers import Router
from pools.api.views import EquipmentViewSet, PoolViewSet

router = Router()
router.register("pools", PoolViewSet, basename="pool")
router.register("equipment", EquipmentViewSet, basename="equipment")

urlpatterns = router.urls
