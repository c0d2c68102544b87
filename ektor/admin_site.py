from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils import timezone


class EktorAdminSite(admin.AdminSite):
    """The back office: Django's admin, branded, opening on what the office needs today."""

    site_header = "Ektor back office"
    site_title = "Ektor back office"
    index_title = "Today at the office"

    def index(self, request, extra_context=None):
        from billing.dashboard import office_summary

        context = dict(extra_context or {})
        if request.user.has_perm("billing.view_invoice"):
            context["office"] = office_summary(today=timezone.localdate())
        return super().index(request, context)


class EktorAdminConfig(AdminConfig):
    """Installed in place of django.contrib.admin so every register() lands on our site."""

    default_site = "ektor.admin_site.EktorAdminSite"
