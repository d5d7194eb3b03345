"""The planner page and its one JSON feed (branch, start, end) for the grid."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from scheduler import history_display
from scheduler.selectors import planner_feed, planner_resources

from . import access
from .forms import DURATIONS
from .payload import feed_json, resource_json, versions_json

MAX_DAYS = 42  # the widest range the feed answers (six weeks)
POPOVER_VERSIONS = 5  # the popover's short list; the full table is on the appointment's page


def _texts() -> dict[str, str]:
    """The planner's sentences, translated here (no JavaScript catalogue needed)."""
    return {
        "today": _("Heute"), "day": _("Tag"), "workWeek": _("Arbeitswoche"), "week": _("Woche"),
        "allDay": _("ganztägig"), "phone": _("am Telefon angelegt"),
        "stale": _("Der Termin wurde inzwischen geändert (z. B. am Telefon). Ihre Änderung wurde nicht "
                   "gespeichert; der Planer zeigt jetzt den aktuellen Stand."),
        "conflictQuestion": _("Doppelbuchung – trotzdem speichern?"),
        "saveAnyway": _("Trotzdem speichern"), "cancel": _("Abbrechen"), "save": _("Speichern"),
        "scopeQuestion": _("Dieser Termin gehört zu einer Serie. Was soll verschoben werden?"),
        "onlyThis": _("Nur dieser Termin"), "wholeSeries": _("Ganze Serie"),
        "edit": _("Bearbeiten"), "delete": _("Löschen"), "history": _("Änderungsverlauf"), "close": _("Schließen"),
        "deleteQuestion": _("Diesen Termin löschen?"),
        "deleteSeriesQuestion": _("Diesen Termin mit allen Terminen seiner Serie löschen?"),
        "saved": _("Gespeichert."), "deleted": _("Gelöscht."), "moved": _("Verschoben."),
        "savedWithConflict": _("Gespeichert mit bestätigter Doppelbuchung."),
        "noConflicts": _("Keine Doppelbuchungen im angezeigten Zeitraum."),
        "error": _("Das hat nicht geklappt."), "loadError": _("Die Termine konnten nicht geladen werden."),
        "resources": _("Ressourcen"), "status": _("Status"), "source": _("Herkunft"), "place": _("Ort"),
        "notes": _("Notizen"), "changedBy": _("zuletzt geändert von"), "series": _("Serie"),
        "minutes": _("Min."), "conflict": _("Doppelbuchung"),
        "versions": _("Änderungen"), "restoreVersion": _("Diese Version wiederherstellen"),
        "restoreQuestion": _("Diese Version wiederherstellen? Der Termin wird auf diesen Stand zurückgesetzt."),
        "restored": _("Version wiederhergestellt."),
    }


def page(request: HttpRequest) -> HttpResponse:
    access.require(request, access.VIEW)
    branches = list(access.planner_branches(request.user))
    chosen = request.GET.get("branch")
    branch = next((b for b in branches if str(b.pk) == chosen), None) or access.default_branch(request.user)
    context = {**admin.site.each_context(request), "title": _("Terminplaner"), "branches": branches,
               "branch": branch, "durations": DURATIONS}
    if branch is not None:
        resources = planner_resources(branch)
        tz = zoneinfo.ZoneInfo(branch.timezone)
        now = timezone.now().astimezone(tz)
        context["resources"] = resources
        context["config"] = {
            "branch": branch.pk, "feedUrl": reverse("planner:feed"), "createUrl": reverse("planner:create"),
            "moveUrl": reverse("planner:move", args=[0]), "deleteUrl": reverse("planner:delete", args=[0]),
            "versionsUrl": reverse("planner:versions", args=[0]),
            "csrfToken": get_token(request), "locale": get_language() or "de",
            "date": request.GET.get("date") or now.date().isoformat(), "view": request.GET.get("view") or "workWeek",
            "opens": branch.opens.strftime("%H:%M:%S"), "closes": branch.closes.strftime("%H:%M:%S"),
            "utcOffset": now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
            "resources": [resource_json(r) for r in resources],
            "canAdd": request.user.has_perm(access.ADD), "canChange": request.user.has_perm(access.CHANGE),
            "canDelete": request.user.has_perm(access.DELETE), "texts": _texts(),
        }
    return render(request, "admin/scheduler/planner.html", context)


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def feed(request: HttpRequest) -> JsonResponse:
    """GET ?branch=&start=&end= (local dates of the branch, end exclusive): events and conflicts."""
    branch = access.branch_or_404(request, request.GET.get("branch"))
    first, last = _day(request.GET.get("start")), _day(request.GET.get("end"))
    if first is None or last is None or not 0 < (last - first).days <= MAX_DAYS:
        return JsonResponse({"code": "invalid", "field": "end", "status": 400,
                             "detail": _("Zeitraum ungültig (höchstens %(n)d Tage).") % {"n": MAX_DAYS}}, status=400)
    tz = zoneinfo.ZoneInfo(branch.timezone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last, dt.time(0), tzinfo=tz)
    return JsonResponse(feed_json(planner_feed(branch, start, end), tz))


def versions(request: HttpRequest, pk: int) -> JsonResponse:
    """GET: the popover's short history of one appointment (newest first), as the user may see it."""
    appt = access.appointment_or_404(request, pk, access.VIEW)
    restore_url = (reverse("planner:restore_version", args=[appt.pk, 0])
                   if request.user.has_perm(access.CHANGE) else None)
    entries = history_display.entries(appt, request.user, limit=POPOVER_VERSIONS)
    return JsonResponse(versions_json(appt, entries, restore_url))
