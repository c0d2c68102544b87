from django.urls import re_path

from tenancy.api import views

urlpatterns = [
    re_path(r"^companies/?$", views.CompaniesView.as_view({"get": "list"})),
    re_path(
        r"^company/?$",
        views.CompanyView.as_view({"get": "retrieve", "patch": "partial_update"}),
    ),
]
