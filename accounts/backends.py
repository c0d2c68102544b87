"""Permissions from the role's group, kept in process memory: no query per request.

The role is the user's membership's role in the company they act for: the API's
authentication and the admin's middleware set it on the user for the request
(tenancy.membership.act_as). The permissions are then exactly that role group's, whatever the
user's own groups and direct permissions say, so a user who is admin in one company and
technician in another is exactly that in each. This backend reads each group's permission set
once and keeps it for ROLE_PERMISSIONS_TTL seconds. A user not acting in a company (a shell, a
test without a request) gets ModelBackend's exact lookup.

Propagation: a change to a group's permissions clears this process's copy at once (and again
when the change commits); other server processes pick it up within the TTL.
"""

import threading
import time

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.roles import group_name
from tenancy.membership import COMPANY_ROLE

ROLE_PERMISSIONS_TTL = 30.0

_lock = threading.Lock()
_cache: dict[str, tuple[float, frozenset[str]]] = {}


def role_permissions(role: str) -> frozenset[str]:
    """ "app_label.codename" of every permission of the role's group (cached)."""
    name = group_name(role)
    now = time.monotonic()
    hit = _cache.get(name)
    if hit is not None and hit[0] > now:
        return hit[1]
    rows = Permission.objects.filter(group__name=name).values_list(
        "content_type__app_label", "codename"
    )
    perms = frozenset(f"{app_label}.{codename}" for app_label, codename in rows)
    with _lock:
        _cache[name] = (now + ROLE_PERMISSIONS_TTL, perms)
    return perms


def role_permissions_clear() -> None:
    with _lock:
        _cache.clear()


@receiver(m2m_changed, sender=Group.permissions.through)
@receiver(post_save, sender=Group)
@receiver(post_delete, sender=Group)
def _group_changed(**kwargs) -> None:
    role_permissions_clear()
    # A request served before the commit may have re-read the old set: clear again after it.
    transaction.on_commit(role_permissions_clear)


class RolePermissionBackend(ModelBackend):
    """ModelBackend (password sign-in unchanged) whose permissions come from the role group."""

    def get_user_permissions(self, user_obj, obj=None):
        if hasattr(user_obj, COMPANY_ROLE):
            return set()
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None):
        if hasattr(user_obj, COMPANY_ROLE):
            return set(self.get_all_permissions(user_obj, obj))
        return super().get_group_permissions(user_obj, obj)

    def get_all_permissions(self, user_obj, obj=None):
        if not hasattr(user_obj, COMPANY_ROLE):
            return super().get_all_permissions(user_obj, obj)
        role = getattr(user_obj, COMPANY_ROLE)
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None or not role:
            return frozenset()
        # The frozenset itself is shared by every user of the role; nobody mutates it.
        return role_permissions(role)
