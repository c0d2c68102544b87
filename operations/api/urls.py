from django.urls import re_path

from ektor.api.routers import Router
from operations.api.views import LsiView
from operations.api.visits import VisitViewSet

router = Router()
router.register("visits", VisitViewSet, basename="visit")

urlpatterns = [re_path(r"^water/lsi/?$", LsiView.as_view(), name="water-lsi"), *router.urls]
