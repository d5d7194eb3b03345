"""Model signals of the scheduler: changes of settings that alter what phones receive, announced to them.

- a changed privacy level (V1) of a branch or a room: every object of the affected calendars is
  logged as modified, so phones fetch the objects again at their next sync;
- a renamed appointment type or room: the redacted objects (which show the type as SUMMARY and the
  room as LOCATION) are rebuilt through the writer (``services.refresh_redactions``), so their
  ETags change and the change log tells the phones.

A level or a name is set by the admin, the REST API or a shell alike, so the announcement hangs on
the save itself rather than on one of those doors.
"""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from branches.models import Branch

from . import services
from .models import Appointment, AppointmentType, Resource

# What each watched model remembers before a save, read in one query.
WATCHED = {Branch: ("privacy",), Resource: ("privacy", "name"), AppointmentType: ("name",)}


@receiver(pre_save, sender=Branch)
@receiver(pre_save, sender=Resource)
@receiver(pre_save, sender=AppointmentType)
def remember_before(sender, instance, **kwargs) -> None:
    row = sender.objects.filter(pk=instance.pk).values(*WATCHED[sender]).first() if instance.pk else None
    instance._before = row or {}


def _before(instance, name: str):
    return getattr(instance, "_before", {}).get(name)


def _renamed(instance, created: bool) -> bool:
    before = _before(instance, "name")
    return not created and before is not None and before != instance.name


@receiver(post_save, sender=Branch)
def branch_privacy_changed(sender, instance: Branch, created: bool, **kwargs) -> None:
    before = _before(instance, "privacy")
    if created or before is None or before == instance.privacy:
        return
    # rooms with their own level are not affected; person calendars are only ever their employee's own
    services.announce_privacy_change(Resource.objects.filter(branch=instance, kind=Resource.Kind.LOCATION,
                                                             privacy=""))


@receiver(post_save, sender=Resource)
def resource_privacy_changed(sender, instance: Resource, created: bool, **kwargs) -> None:
    before = _before(instance, "privacy")
    if created or before is None or instance.kind != Resource.Kind.LOCATION:
        return
    branch_level = instance.branch.privacy
    if (before or branch_level) != (instance.privacy or branch_level):
        services.announce_privacy_change([instance])


@receiver(post_save, sender=Resource)
def room_renamed(sender, instance: Resource, created: bool, **kwargs) -> None:
    """A colleague's phone sees the room's name as LOCATION of the redacted object."""
    if instance.kind == Resource.Kind.LOCATION and _renamed(instance, created):
        services.refresh_redactions(Appointment.objects.alive().filter(
            bookings__resource=instance, bookings__deleted_at__isnull=True).values_list("pk", flat=True))


@receiver(post_save, sender=AppointmentType)
def appointment_type_renamed(sender, instance: AppointmentType, created: bool, **kwargs) -> None:
    """A colleague's phone sees the type's name as SUMMARY of the redacted object."""
    if _renamed(instance, created):
        services.refresh_redactions(Appointment.objects.alive().filter(appointment_type=instance)
                                    .values_list("pk", flat=True))
