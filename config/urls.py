"""URL map: admin, "Mein Konto", the REST API, and the CalDAV endpoint (which also answers `/`)."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from servicecreds.login import ThrottledAdminAuthenticationForm

from . import views

admin.site.site_header = _("Terminsync – Verwaltung")
admin.site.site_title = _("Terminsync")
admin.site.index_title = _("Filialverwaltung und Terminplaner")
admin.site.login_form = ThrottledAdminAuthenticationForm  # the login throttle (servicecreds/login.py)

urlpatterns = [
    path("admin/planner/", include("scheduler.planner.urls")),  # the planner (issue 11), inside the admin
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("servicecreds.urls")),
    path("api/", include("scheduler.api.urls")),
    path("setup/", include("servicecreds.setup_urls")),  # the one-time phone set-up link (U5)
    path("", views.start, name="start"),  # GET/HEAD: start page; PROPFIND / etc.: the CalDAV endpoint
    path("", include("caldav_endpoint.urls")),  # /.well-known/caldav, /caldav/, /principals/, PROPFIND /
]

handler500 = "config.middleware.server_error"  # a database outage is a 503, also outside views
