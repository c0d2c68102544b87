from django.urls import re_path

from ektor.api.routers import Router
from operations.api.plans import PlanViewSet, RouteView, ScheduleView
from operations.api.views import LsiView
from operations.api.visits import VisitViewSet

router = Router()
router.register("visits", VisitViewSet, basename="visit")
router.register("service-plans", PlanViewSet, basename="service-plan")

urlpatterns = [
    re_path(r"^water/lsi/?$", LsiView.as_view(), name="water-lsi"),
    re_path(r"^schedule/?$", ScheduleView.as_view(), name="schedule"),
    re_path(r"^route/?$", RouteView.as_view(), name="route"),
    *router.urls,
]
