"""The one-time set-up link's pages (U5), outside "Mein Konto": the token is the authorisation."""

from django.urls import path

from . import setup_views

urlpatterns = [
    path("<str:token>/", setup_views.start, name="setup-start"),
    path("<str:token>/password/", setup_views.set_password, name="setup-password"),
    path("<str:token>/profile/", setup_views.profile, name="setup-profile"),
    path("<str:token>/test/", setup_views.test, name="setup-test"),
]
