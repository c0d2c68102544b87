from audit.api.views import AuditEventViewSet
from ektor.api.routers import Router

router = Router()
router.register("audit-events", AuditEventViewSet, basename="auditevent")

urlpatterns = router.urls
