"""Shared fixtures: one community with people in every role, and a second community."""

import pytest
from rest_framework.test import APIClient

from accounts.factories import BuildingFactory, CommunityFactory, HouseholdFactory, MembershipFactory, UserFactory

pytest_plugins = ["tests.worker"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


class Community:
    """A community with a building, households and one member per role."""

    def __init__(self, name: str):
        self.community = CommunityFactory(name=name)
        self.building = BuildingFactory(community=self.community, label="12")
        self.other_building = BuildingFactory(community=self.community, label="3")

        def member(username, room, building=None, **roles):
            household = HouseholdFactory(building=building or self.building, community=self.community, room=room)
            user = UserFactory(username=f"{name}-{username}", display_name=f"王{username}")
            return MembershipFactory(user=user, household=household, community=self.community, **roles)

        self.resident = member("resident", "301")
        self.neighbour = member("neighbour", "302")
        self.leader = member("leader", "401", is_team_leader=True)
        self.other_leader = member("leader2", "402", is_team_leader=True)
        self.building_leader = member("bleader", "501", is_building_leader=True, led_building=self.building)
        self.data_volunteer = member("data", "601", volunteer_group="data")
        self.receiving_volunteer = member("receiving", "602", volunteer_group="receiving")
        self.committee = member("committee", "701", is_committee=True, is_resident=False)
        self.gate_guard = member("guard", "702", is_gate_guard=True, is_resident=False)


@pytest.fixture
def place(db):
    return Community("A")


@pytest.fixture
def other_place(db):
    return Community("B")


@pytest.fixture
def api():
    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def web(client):
    def make(user=None):
        if user is not None:
            client.force_login(user)
        return client

    return make


def require_tool(path_or_name: str, why: str) -> None:
    """A test that needs a system program: fails in CI (where `make test` installs it), skips loudly elsewhere."""
    import os
    import shutil

    if shutil.which(path_or_name):
        return
    message = f"LOUD SKIP: {path_or_name} is missing ({why}); `make test` installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
