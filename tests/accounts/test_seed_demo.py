from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import Building, Community, Household, HouseholdMember, Membership, User


def snapshot():
    return {
        "communities": sorted(Community.objects.values_list("name", flat=True)),
        "buildings": Building.objects.count(),
        "households": Household.objects.count(),
        "vulnerable": sorted(Household.objects.filter(is_vulnerable=True).values_list("pk", flat=True)),
        "users": sorted(User.objects.values_list("username", "password")),
        "memberships": sorted(
            Membership.objects.values_list(
                "user__username",
                "community__name",
                "household_id",
                "is_team_leader",
                "is_building_leader",
                "led_building_id",
                "volunteer_group",
                "is_committee",
                "is_gate_guard",
            )
        ),
        "members": sorted(HouseholdMember.objects.values_list("household_id", "name", "user_id", "note")),
    }


@pytest.mark.django_db
def test_seed_demo_builds_a_compound_at_real_scale_and_running_twice_changes_nothing():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first

    main = Community.objects.annotate(n=Count("buildings")).order_by("-n").first()
    assert main.buildings.count() == 78
    assert 1600 <= main.households.count() <= 1800
    members = Membership.objects.filter(community=main)
    assert members.filter(is_committee=True).exists()
    assert members.filter(is_gate_guard=True).exists()
    assert members.filter(is_team_leader=True).count() == 10
    assert members.filter(is_building_leader=True).count() >= 10
    assert members.filter(volunteer_group="data").exists()
    assert members.filter(volunteer_group="receiving").exists()
    assert members.filter(is_resident=True, household__isnull=False, is_team_leader=False).count() >= 50
    assert HouseholdMember.objects.filter(household__community=main, user__isnull=True).count() >= 5
    assert main.households.filter(is_vulnerable=True).count() >= 3
    # two more small compounds for pooling demos
    assert Community.objects.count() == 3

    text = out.getvalue()
    assert DEMO_PASSWORD in text
    assert "committee" in text
    assert User.objects.get(username="committee").check_password(DEMO_PASSWORD)
