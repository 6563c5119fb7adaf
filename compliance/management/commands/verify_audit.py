"""Verify every community's audit chain (or one), and optionally export it as CSV.

Exit status 1 when any chain is broken, so it can run from cron or CI.
"""

from __future__ import annotations

import csv as csv_lib

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Community
from compliance.selectors import audit_csv_row_list
from compliance.services.audit import audit_chain_verify, audit_communities


class Command(BaseCommand):
    help = "Verify the tamper-evident compliance audit chain; optionally export it (CSV)."

    def add_arguments(self, parser):
        parser.add_argument("--community", type=int, help="only this community id")
        parser.add_argument("--csv", metavar="PATH", help="also write this community's chain to PATH ('-' = stdout)")

    def handle(self, *args, community=None, csv=None, **options):
        ids = [community] if community else audit_communities()
        broken = 0
        for community_id in ids:
            report = audit_chain_verify(community_id=community_id)
            if report.ok:
                self.stdout.write(f"community {community_id}: OK, {report.checked} records")
            else:
                broken += 1
                self.stdout.write(f"community {community_id}: BROKEN after checking {report.checked} records")
                for problem in report.problems:
                    self.stdout.write(f"  #{problem['seq']}: {problem['problem']}")
        if csv:
            if not community:
                raise CommandError("--csv needs --community")
            self._export(Community.objects.get(pk=community), csv)
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken", returncode=1)

    def _export(self, community, path):
        if path == "-":
            writer = csv_lib.writer(self.stdout)
            for row in audit_csv_row_list(community=community):
                writer.writerow(row)
            return
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv_lib.writer(fh)
            for row in audit_csv_row_list(community=community):
                writer.writerow(row)
