from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse
from django.utils import timezone


class EktorAdminSite(admin.AdminSite):
    """The back office: Django's admin, branded, opening on what the office needs today."""

    site_header = "Ektor back office"
    site_title = "Ektor back office"
    index_title = "Today at the office"

    @property
    def login_form(self):
        # Imported when used: this module loads before the apps (INSTALLED_APPS names it).
        from accounts.admin import SignInForm

        return SignInForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        retry_after = getattr(request, "sign_in_retry_after", None)
        if retry_after is not None:  # SignInForm refused the attempt
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response

    def password_change(self, request, extra_context=None):
        # Django's view with our form: changing one's password also ends one's other sessions.
        from accounts.admin import OwnPasswordChangeView

        request.current_app = self.name
        return OwnPasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)

    def index(self, request, extra_context=None):
        from billing.dashboard import office_summary

        context = dict(extra_context or {})
        if request.user.has_perm("billing.view_invoice"):
            context["office"] = office_summary(today=timezone.localdate())
        return super().index(request, context)


class EktorAdminConfig(AdminConfig):
    """Installed in place of django.contrib.admin so every register() lands on our site."""

    default_site = "ektor.admin_site.EktorAdminSite"
