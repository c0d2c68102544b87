from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from ektor.api.files import FileView
from ektor.health import health

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("tenancy.api.urls")),
    path("", include("customers.api.urls")),
    path("", include("pools.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("operations.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("support.api.urls")),
    # The local folder's signed links (ektor/files.py); a bucket's links point to the bucket.
    re_path(r"^files/(?P<file>[^?#]+)$", FileView.as_view(), name="file"),
    path("", include("audit.api.urls")),
]


def favicon(request):
    # Resolved per request: with the manifest storage the name exists only after collectstatic.
    return HttpResponseRedirect(static("ektor/favicon.ico"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("health", health, name="health"),
    path("api/v1/", include(api_v1)),
    # The technician's day: phone pages inside the back office (before its catch-all).
    path("admin/my-day/", include("operations.pages.urls")),
    path("admin/", admin.site.urls),
]

# A refused admin page keeps the admin's navigation and says why (ektor/admin_site.py).
handler403 = "ektor.admin_site.permission_denied"

if settings.API_DOCS_ENABLED:
    urlpatterns += [
        path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
        # The split view serves Swagger UI's bootstrap as a script file (/docs?script=), so the
        # CSP needs no inline scripts.
        path("docs", SpectacularSwaggerSplitView.as_view(url_name="openapi"), name="docs"),
        path("redoc", SpectacularRedocView.as_view(url_name="openapi"), name="redoc"),
    ]
