"""Users and sign-in sessions in the admin; every save goes through accounts.services."""

import copy
import math

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import forms as admin_forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.views import PasswordChangeView
from django.db import transaction

from accounts import selectors
from accounts.admin_sessions import current_admin_session
from accounts.models import AuthSession, User
from accounts.services import (
    USER_UPDATABLE_FIELDS,
    admin_session_rekey,
    password_set,
    sessions_end,
    user_check_update,
    user_create,
    user_delete,
    user_update,
)
from accounts.throttling import sign_in_refusal
from core.context import Ctx
from core.errors import ApplicationError
from ektor.admin_tools import CtxForm, OfficeAdmin
from ektor.ctx import request_ctx
from ektor.text import plural


class SignInForm(admin_forms.AdminAuthenticationForm):
    """The admin's sign-in: the limits of auth/token, in the same budget, checked before the
    password is."""

    def clean(self):
        wait = sign_in_refusal(self.request)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            self.request.sign_in_retry_after = seconds
            raise forms.ValidationError(
                f"Too many sign-in attempts; try again in {seconds} seconds.",
                code="rate_limited",
            )
        return super().clean()


def _changes(form: forms.ModelForm) -> dict:
    return {
        name: form.cleaned_data[name]
        for name in form.changed_data
        if name in USER_UPDATABLE_FIELDS and name in form.cleaned_data
    }


class UserChangeForm(CtxForm, auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The role shown and changed is the membership's in the current company.
        role = getattr(self.instance, "company_role", None)
        if role is not None:
            self.initial["role"] = self.instance.role = role

    def clean(self):
        cleaned = super().clean()
        changes = _changes(self)
        if changes and not self.errors:
            # self.instance still holds the stored values here (the form fills it in later).
            try:
                user_check_update(self.ctx, user=self.instance, data=changes)
            except ApplicationError as exc:
                if not exc.fields:
                    raise forms.ValidationError(exc.message, code=exc.reason) from None
                for error in exc.fields:
                    self.add_error(error.field, error.msg)
        return cleaned


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")


class _PasswordSavedByService(CtxForm):
    """Django's password forms validate; accounts.services.password_set saves, so the user's
    API sign-in sessions end as with every other password change."""

    new_password_field = "password1"  # noqa: S105 (a field name)
    keep: AuthSession | None = None  # the session asking, which stays open

    def save(self, commit=True):
        if not commit:
            return super().save(commit=False)
        # "Password-based authentication: disabled" (AdminPasswordChangeForm) -> no password.
        usable = self.cleaned_data.get("set_usable_password", True)
        password_set(
            self.ctx,
            user=self.user,
            password=self.cleaned_data[self.new_password_field] if usable else None,
            keep=self.keep,
        )
        return self.user


class PasswordSetForm(_PasswordSavedByService, auth_forms.AdminPasswordChangeForm):
    """An admin sets another user's password (the user list's "Reset password" page)."""


class OwnPasswordChangeForm(_PasswordSavedByService, admin_forms.AdminPasswordChangeForm):
    """The admin's "Change password" page: the user's other sign-ins (API and admin) end; the
    browser's own admin session is kept (Django keeps its cookie session too)."""

    new_password_field = "new_password1"  # noqa: S105 (a field name)

    def __init__(self, user, *args, ctx: Ctx, keep: AuthSession | None = None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.ctx, self.keep = ctx, keep


class OwnPasswordChangeView(PasswordChangeView):
    form_class = OwnPasswordChangeForm

    def get_form_kwargs(self):
        self.keep = current_admin_session(self.request)
        return {**super().get_form_kwargs(), "ctx": request_ctx(self.request), "keep": self.keep}

    def form_valid(self, form):
        response = super().form_valid(form)  # Django gives the browser's session a new key
        if self.keep is not None:
            new_key = self.request.session.session_key
            admin_session_rekey(
                request_ctx(self.request), session=self.keep, browser_session_key=new_key
            )
        return response


@admin.register(User)
class UserAdmin(OfficeAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordSetForm
    # The role decides groups and permissions, so those are not edited by hand.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("role", "is_active")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "role", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "email", "role_here", "is_active", "last_sign_in")
    list_filter = ("memberships__role", "is_active")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    filter_horizontal = ()

    @admin.display(description="Role", ordering="company_role")
    def role_here(self, user: User) -> str:
        owner = " (owner)" if getattr(user, "is_owner", False) else ""
        return f"{user.company_role}{owner}"

    @admin.display(description="Last sign-in", ordering="last_login")
    def last_sign_in(self, user: User):
        return user.last_login  # set by every API sign-in (session_start) and admin login

    def get_queryset(self, request):
        return selectors.user_list(request_ctx(request))

    def user_change_password(self, request, id, form_url=""):
        # Django's view makes the form without the request: hand it a form class bound to
        # this request's ctx, on a copy of this admin (the admin itself is shared by threads).
        bound = copy.copy(self)
        bound.change_password_form = type(
            self.change_password_form.__name__,
            (self.change_password_form,),
            {"ctx": request_ctx(request)},
        )
        return DjangoUserAdmin.user_change_password(bound, request, id, form_url)

    def save_model(self, request, obj, form, change):
        ctx = request_ctx(request)
        if change:
            changes = _changes(form)
            if changes:
                user_update(ctx, user=obj, data=changes)
            return
        created = user_create(
            ctx,
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            role=form.cleaned_data["role"],
        )
        # The admin goes on with `obj` (log entry, redirect): make it the row just created.
        obj.pk = created.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        user_delete(request_ctx(request), user=obj)

    def delete_queryset(self, request, queryset):
        # All or nothing, as the customers' bulk delete: one refusal keeps every user.
        ctx = request_ctx(request)
        with transaction.atomic():
            for user in queryset:
                user_delete(ctx, user=user)


@admin.register(AuthSession)
class AuthSessionAdmin(OfficeAdmin):
    """Sign-in sessions: visible and revocable, never edited or deleted by hand."""

    list_display = (
        "user",
        "kind",
        "ip_address",
        "user_agent",
        "created_at",
        "last_used_at",
        "expires_at",
        "ended_at",
        "end_reason",
    )
    list_filter = ("kind", ("ended_at", admin.EmptyFieldListFilter), "end_reason")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "ip_address")
    fields = (
        "user",
        "kind",
        "user_agent",
        "ip_address",
        "created_at",
        "last_used_at",
        "expires_at",
        "ended_at",
        "end_reason",
    )
    readonly_fields = fields
    actions = ["end_sessions"]

    def get_queryset(self, request):
        return selectors.session_list_admin(request_ctx(request))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The bulk action needs the model-level permission; one row is only ever viewed.
        return obj is None and super().has_change_permission(request)

    @admin.action(description="End selected sessions", permissions=["change"])
    def end_sessions(self, request, queryset):
        ended = sessions_end(request_ctx(request), sessions=queryset, reason="revoked_by_admin")
        self.message_user(request, f"Ended {plural(ended, 'session')}.", messages.SUCCESS)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(OfficeAdmin, DjangoGroupAdmin):
    """The role groups: an admin may grant the staff group more permissions here (staff have
    no view permission on groups, as the API has no groups either). The groups are the roles,
    so none is added or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
