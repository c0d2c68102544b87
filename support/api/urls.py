from ektor.api.routers import Router
from support.api.views import RequestViewSet

router = Router()
router.register("requests", RequestViewSet, basename="request")

urlpatterns = router.urls
