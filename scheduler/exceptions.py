"""Every refusal of the appointment contract, named once.

The contract (``scheduler.contract``) and the writer (``scheduler.services``)
raise these; each door translates them through one table of its own:

- CalDAV (``caldav_endpoint.refusals``): HTTP status + DAV:error precondition;
- REST (``scheduler.api.errors``): 400/409/412 with an RFC 9457 problem body
  naming the field and the reason code;
- admin and planner (``scheduler.forms``): a form error beside ``field``.

``code`` is stable (tests, logs, API clients match on it); ``message`` is a
sentence for people, translated; ``field`` names the input the refusal is about.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class AppointmentRefused(Exception):
    """Base class: the appointment (or the write) breaks the contract; nothing was stored."""

    code = "invalid"
    field = "non_field_errors"
    default_message = _("Der Termin ist ungültig.")

    def __init__(self, message=None, *, field: str | None = None, href: str | None = None, **params):
        self.message = str(message if message is not None else self.default_message)
        if params:
            self.message = self.message % params
        if field:
            self.field = field
        self.href = href  # an object the refusal points at (no-uid-conflict)
        super().__init__(self.message)


class InvalidCalendarData(AppointmentRefused):
    """Not parseable, bad dates, NUL bytes, too-long texts (RFC 4791 valid-calendar-data)."""

    code = "invalid_calendar_data"
    field = "ical"
    default_message = _("Die iCalendar-Daten sind ungültig.")


class UnsupportedComponent(AppointmentRefused):
    """Only VEVENT (with VTIMEZONE) objects are appointments (supported-calendar-component)."""

    code = "unsupported_component"
    field = "ical"
    default_message = _("Ein Termin besteht nur aus VEVENT-Komponenten (und VTIMEZONE).")


class InvalidObject(AppointmentRefused):
    """More than one UID in an object, or none (valid-calendar-object-resource)."""

    code = "invalid_object"
    field = "ical"
    default_message = _("Alle Komponenten eines Termins müssen dieselbe UID tragen.")


class TooLarge(AppointmentRefused):
    code = "too_large"
    field = "ical"
    default_message = _("Der Termin ist zu groß.")


class RecurrenceRefused(AppointmentRefused):
    """FREQ=SECONDLY/MINUTELY (unless allowed by a setting): unbounded work for every reader."""

    code = "recurrence_refused"
    field = "rrule"
    default_message = _("Wiederholungen im Sekunden- oder Minutentakt sind nicht erlaubt.")


class InvalidTimes(AppointmentRefused):
    code = "invalid_times"
    field = "end"
    default_message = _("Das Ende muss nach dem Beginn liegen.")


class InvalidResources(AppointmentRefused):
    code = "invalid_resources"
    field = "resources"
    default_message = _("Ein Termin bucht mindestens eine Ressource.")


class ResourceOfOtherBranch(InvalidResources):
    """A location resource of another branch than the appointment's (a person may work elsewhere)."""

    code = "resource_other_branch"


class TypeOfOtherBranch(AppointmentRefused):
    """An appointment type belongs to one branch; an appointment of another cannot use it."""

    code = "type_other_branch"
    field = "appointment_type"
    default_message = _("Die Terminart gehört zu einer anderen Filiale als der Termin.")


class UidChanged(AppointmentRefused):
    code = "uid_changed"
    field = "uid"
    default_message = _("Die UID eines Termins kann nicht geändert werden.")


class UidConflict(AppointmentRefused):
    """RFC 4791 §5.3.2.1 no-uid-conflict: the UID is already used in this calendar."""

    code = "uid_conflict"
    field = "uid"
    default_message = _("Diese UID wird in diesem Kalender bereits verwendet.")

    def __init__(self, message=None, *, resource=None, **kw):
        self.resource = resource  # the calendar in which the UID is taken; ``href`` is the object name there
        super().__init__(message, **kw)


class PreconditionFailed(AppointmentRefused):
    """If-Match did not match the stored version (HTTP 412): somebody changed it meanwhile."""

    code = "precondition_failed"
    field = "etag"
    default_message = _("Der Termin wurde inzwischen geändert (z. B. am Telefon).")

    def __init__(self, message=None, *, current_etag: str | None = None, **kw):
        self.current_etag = current_etag
        super().__init__(message, **kw)


class AlreadyExists(PreconditionFailed):
    """If-None-Match: * on an object that exists (HTTP 412)."""

    code = "already_exists"
    default_message = _("Der Termin existiert bereits.")


class DoesNotExist(PreconditionFailed):
    """If-Match on an object that does not exist (or was deleted meanwhile): HTTP 412."""

    code = "does_not_exist"
    default_message = _("Der Termin existiert nicht mehr.")


class BookingConflict(AppointmentRefused):
    """P2: a resource would be booked twice at the same time (per occurrence)."""

    code = "conflict"
    field = "resources"
    default_message = _("Doppelbuchung: %(details)s")

    def __init__(self, conflicts, message=None, **kw):
        self.conflicts = list(conflicts)
        details = "; ".join(str(c) for c in self.conflicts[:5])
        super().__init__(message, details=details, **kw)
