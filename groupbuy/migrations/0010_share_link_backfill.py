"""Every buy has its live share link from the start (buy_create); buys made before that get one here, so showing
a buy never writes."""

import secrets

from django.db import migrations


def backfill(apps, schema_editor):
    GroupBuy = apps.get_model("groupbuy", "GroupBuy")
    ShareLink = apps.get_model("groupbuy", "ShareLink")
    missing = GroupBuy.objects.exclude(share_links__revoked_at__isnull=True).values_list("pk", flat=True)
    ShareLink.objects.bulk_create(
        [ShareLink(buy_id=pk, token=secrets.token_urlsafe(18)) for pk in missing.iterator()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("groupbuy", "0009_share_link")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
