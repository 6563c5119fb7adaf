"""Issue 6 item 7, end to end across accounts and group buys: a building leader adds a neighbour without a
phone, orders for them (the entry records who placed it for whom), and the household later claims the account
with an invite code and sees the history."""

from accounts.services.households import household_member_add
from accounts.services.invites import invite_codes_issue, invite_redeem
from groupbuy import selectors
from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.services.signup import signup_create


def test_proxy_order_for_a_member_without_phone_is_kept_when_the_household_claims_the_account(place):
    member = household_member_add(
        actor=place.building_leader.user,
        community_id=place.community.pk,
        building_id=place.building.pk,
        room="101",
        name="陈阿婆",
        note="放门口 leave at the door",
    )
    assert (member.user_id, member.phone, member.created_by) == (None, "", place.building_leader.user)
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    entry = signup_create(
        actor=place.building_leader.user,
        buy=buy,
        household=member.household,
        quantities={main_item(buy).pk: 2},
        placed_for=member,
    )
    assert (entry.placed_by, entry.placed_for, entry.display_name) == (place.building_leader.user, member, "陈阿婆")

    [issued] = invite_codes_issue(
        actor=place.committee.user, community_id=place.community.pk, household_ids=[member.household_id]
    )
    membership = invite_redeem(
        code=issued.code,
        client_ip="10.0.0.1",
        username="chen-apo-daughter",
        password="a-long-demo-passphrase-42",
        display_name="陈阿婆",
        claim_member_id=member.pk,
    )
    member.refresh_from_db()
    assert member.user == membership.user
    history = selectors.entry_list_mine(user=membership.user)
    assert [(e.pk, e.is_proxy) for e in history] == [(entry.pk, False)]
