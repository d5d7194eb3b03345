"""``manage.py import_ics --resource SLUG FILE|DIR|-``: a calendar export into one resource's calendar.

A Google or Outlook export (one file), a folder of ``.ics`` files, or stdin (``-``). Objects go
through the one writer in batches (``scheduler.importer``); a re-import updates by UID and skips
what is unchanged. The progress is a bar on a terminal and a plain counter otherwise (logs, CI).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scheduler import importer
from scheduler.models import Resource


class ProgressBar:
    """``[#####.....] 4200/10000  42 %  1530/s`` redrawn in place on a terminal; else a line every tenth."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper):
        self.stream, self.tty, self.started, self.shown = stream, stream.isatty(), time.monotonic(), -1

    def __call__(self, done: int, total: int) -> None:
        rate = done / max(time.monotonic() - self.started, 1e-6)
        if self.tty:
            filled = self.WIDTH * done // max(total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} "
                              f"{100 * done // max(total, 1):3d} %  {rate:.0f}/s", ending="\n" if done >= total else "")
            self.stream.flush()
        elif done >= total or done * 10 // max(total, 1) > self.shown:
            self.shown = done * 10 // max(total, 1)
            self.stream.write(f"{done}/{total} ({rate:.0f}/s)")


class Command(BaseCommand):
    help = "Import an iCalendar export (file, folder of .ics files or - for stdin) into one resource's calendar."

    def add_arguments(self, parser):
        parser.add_argument("--resource", required=True, help="the resource's slug (its CalDAV address)")
        parser.add_argument("sources", nargs="+", metavar="FILE|DIR|-")
        parser.add_argument("--batch-size", type=int, default=importer.BATCH_SIZE,
                            help="objects per transaction (default %(default)s)")
        parser.add_argument("--no-progress", action="store_true", help="no progress output")

    def handle(self, *args, **opts):
        resource = Resource.objects.select_related("branch").filter(slug=opts["resource"]).first()
        if resource is None:
            raise CommandError(f"No resource with slug {opts['resource']!r}.")
        contents = []
        for source in opts["sources"]:
            try:
                contents.extend(importer.read_source(source))
            except OSError as exc:
                raise CommandError(f"{source}: {exc}") from exc
        started = time.monotonic()
        objects, skipped = importer.read_objects(contents)
        report = importer.ImportReport(skipped=skipped)
        progress = None
        if not opts["no_progress"] and objects:
            progress = ProgressBar(self.stderr)
        importer.import_objects(resource, objects, batch_size=max(opts["batch_size"], 1), progress=progress,
                                report=report)
        self.print_report(report, time.monotonic() - started)

    def print_report(self, report: importer.ImportReport, seconds: float) -> None:
        self.stdout.write(self.style.SUCCESS(report.summary()) if not report.skipped else report.summary())
        if report.flagged:
            self.stdout.write(self.style.WARNING(ngettext(
                "%(n)s importierter Termin belegt eine Ressource doppelt (markiert).",
                "%(n)s importierte Termine belegen eine Ressource doppelt (markiert).", report.flagged)
                % {"n": report.flagged}))
        for reason, count in report.reasons():
            self.stdout.write(self.style.WARNING(f"  {count} × {reason}"))
        for item in report.skipped[:50]:
            self.stdout.write(f"    {item.origin} {item.uid}: {item.reason}")
        if len(report.skipped) > 50:
            self.stdout.write("    … " + _("%(n)d weitere") % {"n": len(report.skipped) - 50})
        self.stdout.write(_("%(n)d Objekte in %(seconds).1f s") % {"n": report.total, "seconds": seconds})
