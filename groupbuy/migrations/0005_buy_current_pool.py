import django.db.models.deletion
from django.db import migrations, models


def copy_active_memberships(apps, schema_editor):
    """Mirror each buy's active pool membership onto the buy row."""
    PoolMember = apps.get_model("groupbuy", "PoolMember")
    GroupBuy = apps.get_model("groupbuy", "GroupBuy")
    for buy_id, pool_id in PoolMember.objects.filter(status="active").values_list("buy_id", "pool_id").iterator():
        GroupBuy.objects.filter(pk=buy_id).update(current_pool_id=pool_id)


class Migration(migrations.Migration):
    dependencies = [
        ("groupbuy", "0004_pools"),
    ]

    operations = [
        migrations.AddField(
            model_name="groupbuy",
            name="current_pool",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="groupbuy.pool",
            ),
        ),
        migrations.RunPython(copy_active_memberships, migrations.RunPython.noop),
    ]
