"""``manage.py devicehealth [--stale-days 3]``: the devices that fail or have stopped syncing.

Meant for a daily cron job: it prints nothing when every device is fine, so
cron's "mail only on output" sends a mail only when somebody should look.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from servicecreds import device_status
from servicecreds.models import ServiceCredential


class Command(BaseCommand):
    help = "Lists service credentials whose device fails (last request refused) or has not synced for days."

    def add_arguments(self, parser):
        parser.add_argument("--stale-days", type=int, default=device_status.STALE_DAYS,
                            help="days without a successful request after which a device counts as stale")

    def handle(self, *args, stale_days: int, **options):
        now = timezone.now()
        failing = device_status.state_q(device_status.FAILING, now, stale_days)
        # an unconfirmed credential cannot sync: it being quiet is expected, its failing is not
        stale = device_status.state_q(device_status.STALE, now, stale_days) & Q(confirmed=True)
        creds = (ServiceCredential.objects.filter(failing | stale)
                 .select_related("user", "user__employee", "branch", "device_health")
                 .order_by("branch__name", "username"))
        for cred in creds:
            emp = cred.employee
            status = device_status.status(cred, now, stale_days)
            self.stdout.write("\t".join([cred.username, emp.display_name if emp else "—", cred.branch.name,
                                         status.text]))
