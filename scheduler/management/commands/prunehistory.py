"""Prune appointments' histories (who changed what): entries older than --keep-days go.

The newest entry of every appointment stays whatever its age, so each appointment keeps at least
the version it is now and who wrote it. The default is the setting ``HISTORY_KEEP_DAYS`` (365).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from scheduler import history


class Command(BaseCommand):
    help = "Entfernt alte Einträge des Änderungsverlaufs der Termine (Standard: HISTORY_KEEP_DAYS, 365 Tage)."

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, default=None,
                            help="Einträge, die älter sind, werden entfernt (der neueste je Termin bleibt)")

    def handle(self, *args, keep_days, **options):
        days = history.keep_days() if keep_days is None else keep_days
        if days < 0:
            raise CommandError("--keep-days darf nicht negativ sein.")
        removed = history.prune(days)
        self.stdout.write(f"{removed} Einträge entfernt (älter als {days} Tage).")
