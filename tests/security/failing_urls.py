"""Test-only URLs: views that fail the way a database outage or a bug does."""

from django.db import InterfaceError, OperationalError
from django.urls import include, path


def locked(request):
    raise OperationalError("database is locked")


def gone(request):
    raise InterfaceError("connection already closed")


def bug(request):
    raise RuntimeError(f"boom with {request.META.get('HTTP_AUTHORIZATION', '')}")


urlpatterns = [
    path("fail/locked/", locked),
    path("fail/gone/", gone),
    path("fail/bug/", bug),
    path("", include("config.urls")),
]
handler500 = "config.middleware.server_error"
