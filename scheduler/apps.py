from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduler"
    verbose_name = _("Terminplaner")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import receivers  # noqa: F401  (connects the privacy-change announcement)
        from .compiled_query import register_text_array

        connection_created.connect(register_text_array, dispatch_uid="scheduler.text_array")
