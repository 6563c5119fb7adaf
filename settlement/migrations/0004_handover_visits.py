"""Hand-overs as visits (issue 16): a partial pick-up and the rest later are two Handover rows of one pickup code.
Each pickup code's existing lines become one Handover, by whom and when the code records."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def lines_into_visits(apps, schema_editor):
    Handover = apps.get_model("settlement", "Handover")
    HandoverLine = apps.get_model("settlement", "HandoverLine")
    PickupCode = apps.get_model("settlement", "PickupCode")
    pickup_ids = HandoverLine.objects.filter(handover__isnull=True).values_list("pickup_id", flat=True).distinct()
    for pickup in PickupCode.objects.filter(pk__in=list(pickup_ids)).order_by("pk"):
        visit = Handover.objects.create(
            pickup=pickup, by_id=pickup.handed_over_by_id, at=pickup.handed_over_at or timezone.now(), note=pickup.note
        )
        HandoverLine.objects.filter(pickup=pickup, handover__isnull=True).update(handover=visit)


class Migration(migrations.Migration):
    # The backfill's updates leave deferred FK checks pending on PostgreSQL, which refuse the ALTER TABLE after
    # them in one transaction: each operation commits on its own (RunPython is atomic by itself).
    atomic = False

    dependencies = [
        ("settlement", "0003_payee_account"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Handover",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField()),
                ("note", models.CharField(blank=True, max_length=200)),
                (
                    "by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "pickup",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="handovers",
                        to="settlement.pickupcode",
                    ),
                ),
            ],
            options={"ordering": ["at", "pk"]},
        ),
        migrations.AddField(
            model_name="handoverline",
            name="handover",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="settlement.handover"
            ),
        ),
        migrations.RunPython(lines_into_visits, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="handoverline",
            name="handover",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="settlement.handover"
            ),
        ),
        migrations.RemoveConstraint(model_name="handoverline", name="handover_unique_line"),
        migrations.AddConstraint(
            model_name="handoverline",
            constraint=models.UniqueConstraint(fields=("handover", "line"), name="handover_unique_line"),
        ),
    ]
