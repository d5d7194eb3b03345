"""Model signals of the scheduler: a changed privacy level (V1) is announced to phones that sync.

A level is set on a branch or a resource by the admin, the REST API or a shell alike, so the
announcement hangs on the save itself rather than on one of those doors.
"""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from branches.models import Branch

from . import services
from .models import Resource


@receiver(pre_save, sender=Branch)
@receiver(pre_save, sender=Resource)
def remember_privacy(sender, instance, **kwargs) -> None:
    instance._privacy_before = (sender.objects.filter(pk=instance.pk).values_list("privacy", flat=True).first()
                                if instance.pk else None)


@receiver(post_save, sender=Branch)
def branch_privacy_changed(sender, instance: Branch, created: bool, **kwargs) -> None:
    before = getattr(instance, "_privacy_before", None)
    if created or before is None or before == instance.privacy:
        return
    # rooms with their own level are not affected; person calendars are only ever their employee's own
    services.announce_privacy_change(Resource.objects.filter(branch=instance, kind=Resource.Kind.LOCATION,
                                                             privacy=""))


@receiver(post_save, sender=Resource)
def resource_privacy_changed(sender, instance: Resource, created: bool, **kwargs) -> None:
    before = getattr(instance, "_privacy_before", None)
    if created or before is None or instance.kind != Resource.Kind.LOCATION:
        return
    branch_level = instance.branch.privacy
    if (before or branch_level) != (instance.privacy or branch_level):
        services.announce_privacy_change([instance])
