"""The API token check reads the token and its user with one plain SELECT (accounts.authentication, core.rows): the
refusals knox makes still hold, and the user and membership it loads are the rows the ORM reads. The same for the
other plain reads of every page: a user's memberships, the unread count and the listed buys' versions."""

import datetime

from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.factories import MembershipFactory
from accounts.models import Community, Membership, Notification, User
from accounts.permissions import membership_for
from accounts.selectors import memberships_of, unread_count
from accounts.services.tokens import token_issue

ORM_MEMBERSHIP = Membership.objects.select_related("household__building")


def me(token: str):
    return APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_a_token_authenticates_its_user_as_the_orm_reads_it(place):
    user = place.resident.user
    _, token = token_issue(user=user)
    response = me(token)
    assert response.status_code == 200
    from accounts.authentication import TokenAuthentication

    found, auth_token = TokenAuthentication().authenticate_credentials(token.encode())
    assert fields(found) == fields(User.objects.get(pk=user.pk))
    # The expiry is moved forward in memory on every check and stored at most once a day (knox's refresh).
    stored = fields(AuthToken.objects.get(pk=auth_token.pk))
    assert {**fields(auth_token), "expiry": None} == {**stored, "expiry": None}


def test_an_expired_token_is_refused_and_deleted(place):
    row, token = token_issue(user=place.resident.user)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert me(token).status_code in (401, 403)
    assert not AuthToken.objects.filter(pk=row.pk).exists()


def test_a_wrong_secret_with_a_right_prefix_is_refused(place):
    _, token = token_issue(user=place.resident.user)
    forged = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]
    assert me(forged).status_code in (401, 403)
    assert me(token).status_code == 200


def test_an_inactive_users_token_is_refused(place):
    _, token = token_issue(user=place.resident.user)
    User.objects.filter(pk=place.resident.user.pk).update(is_active=False)
    assert me(token).status_code in (401, 403)


def test_a_token_near_its_expiry_is_refreshed(place):
    row, token = token_issue(user=place.resident.user)
    soon = timezone.now() + datetime.timedelta(days=2)
    AuthToken.objects.filter(pk=row.pk).update(expiry=soon)
    assert me(token).status_code == 200
    assert AuthToken.objects.get(pk=row.pk).expiry > soon + datetime.timedelta(days=20)


def test_the_membership_read_is_the_orm_read(place):
    for person in (place.resident, place.leader, place.building_leader):
        got = membership_for(User.objects.get(pk=person.user.pk), place.community.pk)
        want = ORM_MEMBERSHIP.get(user=person.user, community=place.community, is_active=True)
        assert fields(got) == fields(want)
        assert (got.household is None) == (want.household is None)
        if want.household is not None:
            assert fields(got.household) == fields(want.household)
            assert fields(got.household.building) == fields(want.household.building)
            assert got.household.label == want.household.label


def test_no_membership_or_an_inactive_one_reads_as_none(place):
    user = User.objects.get(pk=place.resident.user.pk)
    Membership.objects.filter(user=user).update(is_active=False)
    assert membership_for(user, place.community.pk) is None
    assert membership_for(User.objects.get(pk=place.resident.user.pk), place.community.pk + 999) is None


def test_memberships_are_read_as_the_orm_reads_them_in_community_name_order(place, other_place):
    user = User.objects.get(pk=place.building_leader.user.pk)
    # A membership in a community whose name sorts first, without a household; and an inactive one, not listed.
    first = MembershipFactory(user=user, community=other_place.community, household=None, is_resident=False)
    other_place.community.name = "0 first"
    other_place.community.save(update_fields=["name"])
    third = Community.objects.create(name="Z last")
    MembershipFactory(user=user, community=third, household=None, is_active=False)

    got = memberships_of(user=user)
    want = list(
        Membership.objects.filter(user=user, is_active=True)
        .select_related("community", "household__building", "led_building")
        .order_by("community__name", "community_id")
    )
    assert [m.pk for m in got] == [first.pk, place.building_leader.pk] == [m.pk for m in want]
    for g, w in zip(got, want, strict=True):
        assert fields(g) == fields(w)
        assert fields(g.community) == fields(w.community)
        assert (g.household is None) == (w.household is None)
        if w.household is not None:
            assert fields(g.household) == fields(w.household)
            assert fields(g.household.building) == fields(w.household.building)
        assert (g.led_building is None) == (w.led_building is None)
        if w.led_building is not None:
            assert fields(g.led_building) == fields(w.led_building)
    assert got[1].led_building.label == "12"
    assert memberships_of(user=User.objects.get(pk=place.resident.user.pk))[0].led_building is None


def test_the_unread_count_counts_only_the_users_unread_notices(place):
    user, other = place.resident.user, place.neighbour.user
    for i, (who, read) in enumerate([(user, False), (user, False), (user, True), (other, False)]):
        Notification.objects.create(
            user=who, kind="formed", dedupe_key=f"k{i}", read_at=timezone.now() if read else None
        )
    assert unread_count(user=user) == 2
    assert unread_count(user=other) == 1
    assert unread_count(user=place.leader.user) == 0
