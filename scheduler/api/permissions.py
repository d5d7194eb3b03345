"""Who may use the REST API (A2): a login with "REST-API nutzen", then Django's model permissions.

Which objects the API shows is not decided here but by the scope rule (``branches.scope``):
the views filter their querysets and the choices of their related fields with it.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission, DjangoModelPermissions

from branches.scope import USE_API


class ApiUser(BasePermission):
    """Employees log in for "Mein Konto", not for the API: it needs ``branches.use_api`` (superusers have it)."""

    message = _("Für die REST-API fehlt die Berechtigung „REST-API nutzen“.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(USE_API))


class ModelPermissions(DjangoModelPermissions):
    """Django's model permissions, reads included: GET needs ``view_<model>``, like the admin."""

    perms_map = {**DjangoModelPermissions.perms_map,
                 "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"],
                 "OPTIONS": ["%(app_label)s.view_%(model_name)s"]}


# The viewsets; the root and the schema, which show no objects, need ``ApiUser`` alone.
API_PERMISSIONS = [ApiUser, ModelPermissions]
