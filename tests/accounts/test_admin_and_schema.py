import pytest
from django.contrib import admin

from accounts import models
from accounts.factories import HouseholdMemberFactory, UserFactory
from accounts.services.invites import invite_codes_issue
from accounts.services.joining import join_request_create

ACCOUNTS_MODELS = [
    models.User,
    models.Community,
    models.Building,
    models.Household,
    models.HouseholdMember,
    models.Membership,
    models.InviteCode,
    models.JoinRequest,
    models.Notification,
]


def test_every_accounts_model_is_in_the_admin():
    assert set(ACCOUNTS_MODELS) <= set(admin.site._registry)


@pytest.mark.parametrize("model", ACCOUNTS_MODELS, ids=lambda m: m.__name__)
def test_admin_list_and_search_pages_load(place, client, model):
    invite_codes_issue(actor=place.committee.user, community_id=place.community.pk, building_ids=[place.building.pk])
    HouseholdMemberFactory(household=place.resident.household, created_by=place.committee.user)
    join_request_create(
        user=UserFactory(), community_id=place.community.pk, building_id=place.building.pk, room="1", name="x"
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    base = f"/admin/accounts/{model._meta.model_name}/"
    assert client.get(base).status_code == 200
    assert client.get(base, {"q": "12"}).status_code == 200
    first = model.objects.first()
    assert client.get(f"{base}{first.pk}/change/").status_code == 200


def test_invite_codes_cannot_be_added_in_the_admin(db, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/accounts/invitecode/add/").status_code == 403


def test_openapi_schema_lists_the_accounts_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/auth/token/",
        "/api/invites/redeem/",
        "/api/join-requests/",
        "/api/join-requests/{id}/approve/",
        "/api/join-requests/{id}/reject/",
        "/api/me/",
        "/api/notifications/",
        "/api/notifications/{id}/read/",
        "/api/notifications/read-all/",
    ):
        assert path in paths
