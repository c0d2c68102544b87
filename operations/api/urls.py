from django.urls import re_path

from ektor.api.routers import Router
from operations.api.photos import PhotoViewSet
from operations.api.reports import VisitReportSendView, VisitReportView
from operations.api.views import LsiView

router = Router()
router.register(r"visits/(?P<visit_id>[^/.]+)/photos", PhotoViewSet, basename="visit-photo")

urlpatterns = [
    re_path(r"^water/lsi/?$", LsiView.as_view(), name="water-lsi"),
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
