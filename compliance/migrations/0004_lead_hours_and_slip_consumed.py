"""Lead time in hours (was calendar days), bounded by the 24-hour test-report rule; slips consumed at arrival."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MAX_LEAD_HOURS = 23


def days_to_hours(apps, schema_editor):
    # One calendar day (the old default) meant "by the day before": the new default of 12 h. Two days or more asked
    # for more than a filing can meet: the longest lead time that can be met.
    DeliveryPolicy = apps.get_model("compliance", "DeliveryPolicy")
    DeliveryPolicy.objects.filter(lead_hours__gte=2).update(lead_hours=MAX_LEAD_HOURS)
    DeliveryPolicy.objects.filter(lead_hours=1).update(lead_hours=12)


def hours_to_days(apps, schema_editor):
    DeliveryPolicy = apps.get_model("compliance", "DeliveryPolicy")
    DeliveryPolicy.objects.filter(lead_hours__gte=1).update(lead_hours=1)  # any lead time: "the day before"


def consume_slips_of_arrived_goods(apps, schema_editor):
    # A slip whose goods already arrived must not read "valid" at the gate again.
    Slip = apps.get_model("compliance", "Slip")
    for slip in Slip.objects.filter(filing__arrived_at__isnull=False, consumed_at__isnull=True).select_related(
        "filing"
    ):
        Slip.objects.filter(pk=slip.pk).update(
            consumed_at=slip.filing.arrived_at, consumed_by_id=slip.filing.arrived_by_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0003_suspension_expired_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="deliverypolicy", old_name="lead_days", new_name="lead_hours"),
        migrations.RunPython(days_to_hours, hours_to_days),
        migrations.AlterField(
            model_name="deliverypolicy",
            name="lead_hours",
            field=models.PositiveSmallIntegerField(
                default=12,
                help_text="File at least this many hours before the arrival window starts.",
                verbose_name="filing lead time (hours)",
            ),
        ),
        migrations.AddConstraint(
            model_name="deliverypolicy",
            constraint=models.CheckConstraint(
                condition=models.Q(("lead_hours__lte", MAX_LEAD_HOURS)), name="policy_lead_time_meetable"
            ),
        ),
        migrations.AddField(
            model_name="slip",
            name="consumed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slip",
            name="consumed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(consume_slips_of_arrived_goods, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="evidence",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
