from customers.api.views import CustomerViewSet, PropertyViewSet
from ektor.api.routers import Router

router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("properties", PropertyViewSet, basename="property")

urlpatterns = router.urls
