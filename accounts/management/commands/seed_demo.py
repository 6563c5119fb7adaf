"""`manage.py seed_demo`: demo data at the real scale of one compound (78 buildings, ~1,700 households)
plus two small neighbouring compounds for pooling demos, and open group buys. The seeding lives in
accounts/management/demo/; this command runs it and prints the demo logins.

Idempotent: a second run adds nothing and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.management.demo import DEMO_PASSWORD, seed_demo
from accounts.management.demo.people import Seeded

__all__ = ["DEMO_PASSWORD", "Command"]


class Command(BaseCommand):
    help = "Create demo communities, households and accounts (idempotent; prints the demo logins)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--site", default="http://127.0.0.1:8000", help="The address the demo serves on, for the share link."
        )

    def handle(self, *args, **options):
        seeded = seed_demo()
        self._report(seeded.main, seeded.small)
        self._share_link(seeded.main, options["site"].rstrip("/"))

    def _share_link(self, main: Seeded, site: str) -> None:
        """The link a leader pastes into the WeChat group: opened without logging in, it shows the preview."""
        from groupbuy.models import BuyStatus, GroupBuy
        from groupbuy.services.share import share_link_for

        buy = (
            GroupBuy.objects.filter(community=main.community, status__in=[BuyStatus.OPEN, BuyStatus.FORMED])
            .order_by("pk")
            .first()
        )
        if buy is not None:
            self.stdout.write(f"Share link of “{buy.title}” (open it logged out, as the WeChat group would): ")
            self.stdout.write(f"  {site}{share_link_for(buy)}")

    def _report(self, main: Seeded, small: list[Seeded]) -> None:
        c = main.community
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo community {c.name}: {c.buildings.count()} buildings, {c.households.count()} households, "
                f"{c.memberships.count()} accounts."
            )
        )
        self.stdout.write(f"DEMO ONLY — every demo account below uses the password: {DEMO_PASSWORD}")
        shown = [row for row in main.logins if not row[0].startswith(("resident", "leader", "bleader"))]
        shown += [row for row in main.logins if row[0] in ("leader01", "leader02", "bleader01", "resident01")]
        for username, what in shown:
            self.stdout.write(f"  {username:<14} {what}")
        self.stdout.write("  leader01..leader10, bleader01..bleader12, resident01..resident50: more of the same")
        self.stdout.write(
            "Residents log in by phone: resident01 is 13900000001 (resident50 13900000050, leader01 13900000101).\n"
            "  Type the number on the login page and tap 获取验证码; the code is printed in this terminal\n"
            "  (SMS_BACKEND=core.sms.ConsoleBackend). Staff use 工作人员用户名登录 with the password above."
        )
        for s in small:
            self.stdout.write(f"{s.community.name}: " + ", ".join(u for u, _what in s.logins[:4]) + " …")
