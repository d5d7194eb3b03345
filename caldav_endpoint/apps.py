from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaldavEndpointConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "caldav_endpoint"
    verbose_name = _("CalDAV")
