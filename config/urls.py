"""URL map. Apps that are not there yet are skipped, so the project runs while it grows."""

from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("Terminsync – Verwaltung")
admin.site.site_title = _("Terminsync")
admin.site.index_title = _("Filialverwaltung und Terminplaner")


def optional(prefix: str, module: str):
    try:
        found = find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    return [path(prefix, include(module))] if found else []


urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *optional("account/", "servicecreds.urls"),
    *optional("api/", "scheduler.api.urls"),
    *optional("", "caldav_endpoint.urls"),
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]
