"""Permissions from the role's group, kept in process memory: no query per API request.

The role decides the group (accounts.services.user_sync_role_group) and users have no direct
permissions (the admin offers neither), so a user's permissions are normally their role
group's. Django's ModelBackend reads them with two queries on every request; this backend
reads each group's permission set once and keeps it for ROLE_PERMISSIONS_TTL seconds.

It does so only for a user known to be in that one group and to have no direct permissions:
the API's session query (accounts.authentication.open_session_get) checks that in the same
query and sets ROLE_GROUP_ONLY on the user. Any other user (the admin site's, a user
given another group or a direct permission by hand) gets ModelBackend's exact lookup.

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

ROLE_PERMISSIONS_TTL = 30.0
ROLE_GROUP_ONLY = "role_group_only"

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
        if getattr(user_obj, ROLE_GROUP_ONLY, False):
            return set()
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser or not getattr(user_obj, ROLE_GROUP_ONLY, False):
            return super().get_group_permissions(user_obj, obj)
        return set(role_permissions(user_obj.role))

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser or not getattr(user_obj, ROLE_GROUP_ONLY, False):
            return super().get_all_permissions(user_obj, obj)
        # The frozenset itself is shared by every user of the role; nobody mutates it.
        return role_permissions(user_obj.role)
