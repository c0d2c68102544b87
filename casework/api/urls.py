from casework.api.views import RequestViewSet
from ektor.api.routers import Router

router = Router()
router.register("requests", RequestViewSet, basename="request")

urlpatterns = router.urls
