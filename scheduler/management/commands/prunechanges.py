"""Prune the change log: entries older than --keep-days go, per resource, and the resource's
``sync_floor`` records it, so a phone with an older sync token is told to start over
(403 valid-sync-token) instead of receiving a partial list (nextcloud/server#36644)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from scheduler.models import Change, Resource


def prune(keep: dt.timedelta) -> int:
    cutoff = timezone.now() - keep
    removed = 0
    old = (Change.objects.filter(at__lt=cutoff).values("resource").annotate(upto=Max("revision")))
    for row in old:
        with transaction.atomic():
            res = Resource.objects.select_for_update().get(pk=row["resource"])
            removed += Change.objects.filter(resource=res, revision__lte=row["upto"]).delete()[0]
            Resource.objects.filter(pk=res.pk).update(sync_floor=max(res.sync_floor, row["upto"]))
    return removed


class Command(BaseCommand):
    help = "Entfernt alte Einträge des Änderungsprotokolls (Standard: älter als 180 Tage)."

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, default=180,
                            help="so lange müssen Telefone höchstens offline sein dürfen")

    def handle(self, *args, keep_days, **options):
        removed = prune(dt.timedelta(days=keep_days))
        self.stdout.write(f"{removed} Einträge entfernt.")
