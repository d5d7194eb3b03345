"""The planner as the first entry of the admin's "Terminplaner" section (index page and side bar),
and the appointment list's link opening on today.

``AdminSite.get_app_list`` is wrapped the way ``branches/admin.py`` already does it; the entry is
only there for users who may open the planner.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import access

_app_list = admin.site.get_app_list


def planner_entry() -> dict:
    return {"name": _("Terminplaner"), "object_name": "Planner", "admin_url": reverse("planner:page"),
            "add_url": None, "view_only": False, "perms": {"view": True}, "planner": True}


# The appointment list opens on today's appointments (series instances included), earliest first;
# its bare URL still lists all of them (actions and links keep working on the full list).
APPOINTMENTS_TODAY = "?occurs=today&o=2"  # o: list_display index, after the action checkbox


def get_app_list(request, app_label=None):
    apps = _app_list(request, app_label)
    for app in apps:
        if app["app_label"] != "scheduler":
            continue
        for model in app["models"]:
            if model.get("object_name") == "Appointment" and model.get("admin_url"):
                model["admin_url"] += APPOINTMENTS_TODAY
        if access.may_open(request.user) and access.planner_branches(request.user).exists():
            app["models"].insert(0, planner_entry())
    return apps


admin.site.get_app_list = get_app_list
