"""URL map: admin, "Mein Konto", the REST API, and the CalDAV endpoint (which also answers `/`)."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Terminsync – Verwaltung")
admin.site.site_title = _("Terminsync")
admin.site.index_title = _("Filialverwaltung und Terminplaner")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("servicecreds.urls")),
    path("api/", include("scheduler.api.urls")),
    path("", include("caldav_endpoint.urls")),  # /.well-known/caldav, /caldav/, /principals/, PROPFIND /
]
