from django.urls import re_path

from operations.api.views import LsiView

urlpatterns = [re_path(r"^water/lsi/?$", LsiView.as_view(), name="water-lsi")]
