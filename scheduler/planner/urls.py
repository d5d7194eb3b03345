"""/admin/planner/…: the page, the feed and the writes; every view behind the admin's login."""

from django.contrib import admin
from django.urls import path

from . import actions, views

app_name = "planner"
guard = admin.site.admin_view

urlpatterns = [
    path("", guard(views.page), name="page"),
    path("feed/", guard(views.feed), name="feed"),
    path("appointments/", guard(actions.create), name="create"),
    path("appointments/<int:pk>/move/", guard(actions.move), name="move"),
    path("appointments/<int:pk>/delete/", guard(actions.delete), name="delete"),
    path("appointments/<int:pk>/versions/", guard(views.versions), name="versions"),
    path("appointments/<int:pk>/versions/<int:version_id>/restore/", guard(actions.restore_version),
         name="restore_version"),
]
