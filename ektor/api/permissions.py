"""API permissions come from Django's model permissions, so the API and the admin agree."""

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """view for reads; add/change/delete for writes (POST actions count as change).

    A view without a queryset, or whose queryset the check should not build (a cached answer
    needs none), names its model in `permission_model`: the model is all the check reads.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def _queryset(self, view):
        scoped = getattr(view, "scoped_queryset", None)
        if scoped is not None:
            return scoped()
        return super()._queryset(view)

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action_perms = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if action_perms is not None:
            return request.user.has_perms(action_perms)
        model = getattr(view, "permission_model", None)
        if model is not None:
            return request.user.has_perms(self.get_required_permissions(request.method, model))
        return super().has_permission(request, view)
