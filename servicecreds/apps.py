from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicecredsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "servicecreds"
    verbose_name = _("Filialverwaltung")

    def ready(self) -> None:
        from . import decision_cache

        decision_cache.connect()  # a change to what the access rule reads invalidates its cached inputs
