from django.urls import path, re_path

from . import views

urlpatterns = [
    path(".well-known/caldav", views.well_known),
    path(".well-known/caldav/", views.well_known),
    re_path(r"^(?P<path>caldav(?:/.*)?)$", views.dav),
    re_path(r"^(?P<path>principals(?:/.*)?)$", views.dav),
    path("", views.dav),  # iOS probes PROPFIND / when the configured path fails
]
