from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django's model permissions, reads included: GET needs ``view_<model>``, like the admin."""

    perms_map = {**DjangoModelPermissions.perms_map,
                 "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"],
                 "OPTIONS": ["%(app_label)s.view_%(model_name)s"]}
