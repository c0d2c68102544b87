from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import defaults

from ektor.ctx import request_ctx

# The business first, in the order of the day's work; the rest (accounts) after, by name.
APP_ORDER = (
    "customers",
    "pools",
    "catalog",
    "operations",
    "billing",
    "support",
    "accounts",
    "audit",
)
# What the last word of a model admin's URL name asks to do.
URL_ACTIONS = {"add": "add", "change": "change", "delete": "delete"}


class EktorAdminSite(admin.AdminSite):
    """The back office: Django's admin, branded, opening on what the office needs today."""

    site_header = "Ektor back office"
    site_title = "Ektor back office"
    index_title = "Today at the office"
    # The back office is the whole site: Django's "View site" link led to a 404.
    site_url = None

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        rank = {label: n for n, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: rank.get(app["app_label"], len(rank)))

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

    def each_context(self, request):
        context = super().each_context(request)
        # The header's company switcher (tenancy.middleware read the memberships already).
        context["current_company"] = getattr(request, "company", None)
        context["companies"] = [m.company for m in getattr(request, "memberships", [])]
        return context

    def get_urls(self):
        return [
            path("company/", self.admin_view(self.company_switch), name="company_switch"),
            *super().get_urls(),
        ]

    def company_switch(self, request: HttpRequest) -> HttpResponse:
        """Work in another of one's companies (kept in the browser's session)."""
        from tenancy.middleware import company_choose

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        raw = request.POST.get("company", "")
        chosen = (
            company_choose(request_ctx(request), request, company_id=int(raw))
            if raw.isascii() and raw.isdigit()
            else None
        )
        if chosen is None:
            messages.error(request, "You are not a member of that company.")
        else:
            messages.success(request, f"You are now working in {chosen.company.name}.")
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))

    def index(self, request, extra_context=None):
        from billing.dashboard import (
            aging_chart,
            billed_and_collected,
            months_chart,
            office_summary,
        )

        context = dict(extra_context or {})
        if request.user.has_perm("billing.view_invoice"):
            context["office"] = office_summary(request_ctx(request), today=timezone.localdate())
            months = billed_and_collected(request_ctx(request), today=timezone.localdate())
            context["months_chart"] = months_chart(months)
            context["aging_chart"] = aging_chart(request_ctx(request), today=timezone.localdate())
        if request.user.has_perm("support.view_customerrequest"):
            from support.selectors import request_counts

            context["requests"] = request_counts(request_ctx(request))
        if request.user.has_perm("catalog.view_item"):
            from catalog.selectors import item_low_stock_summary

            context["low_stock"] = item_low_stock_summary(request_ctx(request))
        if request.user.has_perm("operations.view_visit"):
            from operations.dashboard import visit_summary
            from tenancy.scoping import company_today

            ctx = request_ctx(request)
            context["visits"] = visit_summary(ctx, today=company_today(ctx))
        return super().index(request, context)


class EktorAdminConfig(AdminConfig):
    """Installed in place of django.contrib.admin so every register() lands on our site."""

    default_site = "ektor.admin_site.EktorAdminSite"


def denial_reason(request: HttpRequest, exception: Exception | None) -> str:
    """Why a signed-in user was refused an admin page, in the words of their role."""
    if exception is not None and str(exception):
        return str(exception)
    role = getattr(request.user, "role", "") or "none"
    match = request.resolver_match
    model_admin = getattr(match.func, "model_admin", None) if match else None
    if model_admin is None:
        return f"Your role ({role}) does not allow this page."
    things = model_admin.model._meta.verbose_name_plural
    action = URL_ACTIONS.get(match.url_name.rsplit("_", 1)[-1])
    if action and model_admin.has_view_permission(request):
        return f"Your role ({role}) can view but not {action} {things}."
    return f"Your role ({role}) cannot see {things}."


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 of the back office keeps its header and navigation and says why; elsewhere
    (the API answers its own errors) Django's plain page."""
    admin_path = reverse("admin:index")
    if not request.path.startswith(admin_path) or not request.user.is_active:
        return defaults.permission_denied(request, exception)
    context = {
        **admin.site.each_context(request),
        "title": "403 Forbidden",
        "reason": denial_reason(request, exception),
    }
    return TemplateResponse(request, "admin/403.html", context, status=403).render()
