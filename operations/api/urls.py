from django.urls import re_path

from ektor.api.routers import Router
from operations.api.photos import PhotoViewSet
from operations.api.plans import PlanViewSet, RouteView, ScheduleView
from operations.api.reports import VisitReportSendView, VisitReportView
from operations.api.views import LsiView
from operations.api.visits import VisitViewSet

router = Router()
router.register("visits", VisitViewSet, basename="visit")
router.register("service-plans", PlanViewSet, basename="service-plan")
router.register(r"visits/(?P<visit_id>[^/.]+)/photos", PhotoViewSet, basename="visit-photo")

urlpatterns = [
    re_path(r"^water/lsi/?$", LsiView.as_view(), name="water-lsi"),
    re_path(r"^schedule/?$", ScheduleView.as_view(), name="schedule"),
    re_path(r"^route/?$", RouteView.as_view(), name="route"),
    *router.urls,
    re_path(
        r"^visits/(?P<visit_id>[^/.]+)/report/?$", VisitReportView.as_view(), name="visit-report"
    ),
    re_path(
        r"^visits/(?P<visit_id>[^/.]+)/report/send/?$",
        VisitReportSendView.as_view(),
        name="visit-report-send",
    ),
]
