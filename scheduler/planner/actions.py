"""The planner's writes: create, move/resize, delete, restore a version. Each goes through ``scheduler.services``.

A move carries the ETag the planner drew the appointment with (If-Match, compared under the
writer's lock): when a phone changed it meanwhile, the writer refuses with 412 and the planner
reloads. A write that would double-book is first refused (409 with the conflicts); the planner
asks, and resends with ``allow_conflict`` to store it flagged. Every write names the planner as its
door and the logged-in user as its actor, for the appointment's history.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduler import series, services
from scheduler.api.errors import problem
from scheduler.exceptions import AppointmentRefused
from scheduler.models import Appointment, AppointmentVersion, Door, Resource

from . import access
from .forms import INSTANCE, SERIES, CreateForm, DeleteForm, MoveForm, RestoreForm


def _body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    return data if isinstance(data, dict) else {}


def _error(code: str, detail: str, field: str | None = None, status: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "field": field, "detail": detail, "status": status}, status=status)


def _form_error(form) -> JsonResponse:
    field, messages = next(iter(form.errors.items()))
    return _error("invalid", str(messages[0]), None if field == "__all__" else field)


def _refused(exc: AppointmentRefused) -> JsonResponse:
    """The REST door's translation (status + problem body with code, field, conflicts), as JSON."""
    response = problem(exc)
    return JsonResponse(response.data, status=response.status_code)


def _actor(request: HttpRequest) -> services.Actor:
    return services.Actor.of_request(request, Door.PLANNER)


def _saved(appt: Appointment, status: int = 200) -> JsonResponse:
    return JsonResponse({"appointment": appt.pk, "etag": appt.etag, "conflict": appt.has_conflict,
                         "warnings": [str(w) for w in getattr(appt, "warnings", [])]}, status=status)


@require_POST
def create(request: HttpRequest) -> JsonResponse:
    data = _body(request)
    branch = access.branch_or_404(request, data.get("branch"), access.ADD)
    form = CreateForm(data, branch=branch)
    if not form.is_valid():
        return _form_error(form)
    try:
        appt = services.create_appointment(
            branch=branch, resources=form.cleaned_data["resources"], on_conflict=form.on_conflict(),
            actor=_actor(request), source=Appointment.Source.SCHEDULER, **form.appointment_fields())
    except AppointmentRefused as exc:
        return _refused(exc)
    return _saved(appt, status=201)


@require_POST
def move(request: HttpRequest, pk: int) -> JsonResponse:
    appt = access.appointment_or_404(request, pk, access.CHANGE)
    form = MoveForm(_body(request), branch=appt.branch)
    if not form.is_valid():
        return _form_error(form)
    data = form.cleaned_data
    scope = data["scope"] if appt.is_recurring else ""
    if appt.is_recurring and not scope:
        return _error("scope_required", _("Nur diesen Termin oder die ganze Serie verschieben?"), "scope")
    if scope == INSTANCE and form.column_change():
        return _error("invalid", _("Ein einzelner Termin einer Serie bleibt bei ihren Ressourcen; "
                                   "verschieben Sie die ganze Serie in die andere Spalte."), "to_resource")
    try:
        resources = _resources_after(appt, form.column_change())
        write = {"if_match": data["etag"], "on_conflict": form.on_conflict(), "actor": _actor(request),
                 "resources": resources}
        if scope == INSTANCE:
            text = series.move_instance(appt.ical, occurrence_start=data["occurrence"], start=data["start"],
                                        end=data["end"], tzname=appt.timezone or appt.branch.timezone,
                                        all_day=appt.all_day)
            services.save_appointment(appt, ical_text=text, **write)
        elif scope == SERIES:
            services.save_appointment(appt, ical_text=_shifted_series(appt, form), **write)
        else:
            appt.start, appt.end = data["start"], data["end"]
            services.save_appointment(appt, **write)
    except series.InstanceNotFound:
        return _error("precondition_failed", _("Der Termin wurde inzwischen geändert (z. B. am Telefon)."),
                      "etag", status=412)
    except AppointmentRefused as exc:
        return _refused(exc)
    return _saved(appt)


def _resources_after(appt: Appointment, change: tuple[int, int] | None) -> list[Resource] | None:
    """Dragged to another column: that resource replaces the one it came from; the others stay."""
    if change is None:
        return None
    src, dst = change
    current = [b.resource for b in appt.bookings.filter(deleted_at__isnull=True).select_related("resource")]
    target = Resource.objects.filter(pk=dst, branch=appt.branch).first()
    if target is None:
        return None
    kept = [r for r in current if r.pk not in (src, dst)]
    return [*kept, target]


def _shifted_series(appt: Appointment, form: MoveForm) -> str:
    """"Ganze Serie": the drawn instance's wall-clock move (and, resized, its new length) for the master."""
    data, tz = form.cleaned_data, form.tz
    old_start = data["occurrence"].astimezone(tz).replace(tzinfo=None)
    new_start, new_end = (data[k].replace(tzinfo=None) for k in ("start", "end"))
    return series.shift_series(appt.ical, delta=new_start - old_start, tzname=appt.timezone or appt.branch.timezone,
                               duration=new_end - new_start if data["resized"] else None)


@require_POST
def delete(request: HttpRequest, pk: int) -> JsonResponse:
    appt = access.appointment_or_404(request, pk, access.DELETE)
    form = DeleteForm(_body(request))
    if not form.is_valid():
        return _form_error(form)
    try:
        services.delete_appointment(appt, if_match=form.cleaned_data["etag"], actor=_actor(request))
    except AppointmentRefused as exc:
        return _refused(exc)
    return JsonResponse({"appointment": appt.pk, "deleted": True})


@require_POST
def restore_version(request: HttpRequest, pk: int, version_id: int) -> JsonResponse:
    """"Diese Version wiederherstellen" from the popover: the change permission, the branch scope and the
    ETag the grid was drawn with, like a move; the version is written back as a new entry (door planner)."""
    appt = access.appointment_or_404(request, pk, access.CHANGE)
    form = RestoreForm(_body(request))
    if not form.is_valid():
        return _form_error(form)
    version = AppointmentVersion.objects.filter(pk=version_id, appointment=appt).first()
    if version is None:
        raise Http404
    try:
        appt = services.restore_version(version, actor=_actor(request), if_match=form.cleaned_data["etag"])
    except AppointmentRefused as exc:
        return _refused(exc)
    return _saved(appt)

