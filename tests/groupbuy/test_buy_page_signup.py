"""The buy page's sign-up (issue 15 items 6 and 9): steppers bounded by the sign-up checks, prefilled from a share
link, the forms posting to the page's own address (a refusal is shown in place with its status and what was
entered, and the address stays one a reload can GET), the withdrawal's confirmation step, and one progress for a
pooled buy."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import BuyItemFactory, GroupBuyFactory, buy_state, main_item, signup
from groupbuy.models import BuyItem, Entry, EntryLine, EntryStatus, GroupBuy
from groupbuy.services.pools import pool_create, pool_join, pool_offer
from groupbuy.services.signup import signup_create
from groupbuy.services.signup_input import MAX_LINE_QUANTITY, LineBounds, line_bounds

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("10"), household_limit=5, item__cap=20
    )


def detail_url(buy):
    return reverse("groupbuy:buy_detail", args=[buy.pk])


def text_of(response):
    return response.content.decode()


def form_html(text, form_id):
    match = re.search(rf'<form [^>]*id="{form_id}".*?</form>', text, re.S)
    assert match, f"no form #{form_id}"
    return match.group(0)


def form_action(text, form_id):
    return re.search(r'action="([^"]*)"', form_html(text, form_id)).group(1)


def box(text, name):
    """The attributes of the input called `name`, as a dict."""
    tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', text).group(0)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def join_data(buy, quantity, **extra):
    return {"action": "join", f"q_{main_item(buy).pk}": quantity, "note": "", **extra}


# --- the address a refusal leaves ----------------------------------------------------------------------------------


def test_a_refused_sign_up_leaves_an_address_that_a_reload_can_get(place, web, buy):
    """Defect: the join form posted to /buys/<id>/join/, so a refusal left that address in the bar and a reload
    (or a language switch back to it) answered 405."""
    client = web(place.resident.user)
    action = form_action(text_of(client.get(detail_url(buy))), "signup-form")
    address = action.split("#")[0]
    refused = client.post(address, join_data(buy, "6"))
    assert refused.status_code == 400
    assert 'data-code="over_household_limit"' in text_of(refused)
    reloaded = client.get(address)
    assert reloaded.status_code == 200
    assert 'id="signup-form"' in text_of(reloaded)


def test_the_old_join_and_change_addresses_go_to_the_buy_page_on_a_get(place, web, buy):
    entry = signup(buy, place.resident, 1)
    client = web(place.resident.user)
    response = client.get(reverse("groupbuy:buy_join", args=[buy.pk]))
    assert (response.status_code, response["Location"]) == (302, detail_url(buy) + "#signup")
    response = client.get(reverse("groupbuy:entry_change", args=[buy.pk, entry.pk]))
    assert (response.status_code, response["Location"]) == (302, detail_url(buy) + "#mine")


def test_the_forms_post_to_the_page_itself_and_land_on_the_sign_up(place, web, buy):
    client = web(place.resident.user)
    text = text_of(client.get(detail_url(buy)))
    assert form_action(text, "signup-form") == detail_url(buy) + "#signup"
    response = client.post(detail_url(buy), join_data(buy, "2"))
    assert (response.status_code, response["Location"]) == (302, detail_url(buy) + "#mine")
    assert Entry.objects.get(buy=buy).units == 2
    text = text_of(client.get(detail_url(buy)))
    assert form_action(text, "change-form") == detail_url(buy) + "#mine"


def test_a_page_answering_a_post_does_not_reload_itself(place, web, buy):
    """live.js reloads the page every 30 s; after a POST that would send the form again."""
    client = web(place.resident.user)
    assert "data-live-seconds" in text_of(client.get(detail_url(buy)))
    assert "data-live-seconds" not in text_of(client.post(detail_url(buy), join_data(buy, "6")))


def test_an_unknown_action_is_refused_with_a_code(place, web, buy):
    before = buy_state(buy)
    response = web(place.resident.user).post(detail_url(buy), {"action": "explode"})
    assert response.status_code == 400
    assert 'data-code="invalid"' in text_of(response)
    assert buy_state(buy) == before


# --- refusals in place, values kept --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "status", "code"),
    [("6", 400, "over_household_limit"), ("abc", 400, "invalid_quantity"), ("0", 400, "invalid_quantity")],
)
def test_a_refusal_is_shown_in_the_sign_up_form_with_its_status_and_what_was_entered(
    place, web, buy, typed, status, code
):
    before = buy_state(buy)
    response = web(place.resident.user).post(detail_url(buy), join_data(buy, typed, note="放门口"))
    assert response.status_code == status
    form = form_html(text_of(response), "signup-form")
    assert f'data-code="{code}"' in form
    assert box(form, f"q_{main_item(buy).pk}")["value"] == typed
    assert "放门口" in form
    assert buy_state(buy) == before


def test_over_stock_is_a_409_in_place(place, web, buy):
    GroupBuy.objects.filter(pk=buy.pk).update(household_limit=None)
    buy.refresh_from_db()
    signup(buy, place.neighbour, 18)
    before = buy_state(buy)
    response = web(place.resident.user).post(detail_url(buy), join_data(buy, "3"))
    assert response.status_code == 409
    form = form_html(text_of(response), "signup-form")
    assert 'data-code="over_cap"' in form
    assert box(form, f"q_{main_item(buy).pk}")["value"] == "3"
    assert buy_state(buy) == before


def test_the_total_after_a_submit_is_the_total_of_what_was_entered(place, web, buy):
    response = web(place.resident.user).post(detail_url(buy), join_data(buy, "6"))
    assert "¥354.00" in form_html(text_of(response), "signup-form")  # 6 × ¥59.00


# --- the steppers ---------------------------------------------------------------------------------------------------


def test_steppers_start_at_one_main_item_and_carry_the_sign_up_bounds(place, web, buy):
    eggs = BuyItemFactory(buy=buy, offer__title="鸡蛋", offer__pack_size=6, offer__unit_price=Decimal("12.50"), cap=3)
    BuyItem.objects.filter(pk=main_item(buy).pk).update(cap=6)
    signup(buy, place.neighbour, 4)  # 2 of the main item's 6 left
    text = text_of(web(place.resident.user).get(detail_url(buy)))
    form = form_html(text, "signup-form")
    main = box(form, f"q_{main_item(buy).pk}")
    assert (main["type"], main["min"], main["max"], main["step"], main["value"]) == ("number", "0", "2", "1", "1")
    assert main["data-price"] == "59.00"
    extra = box(form, f"q_{eggs.pk}")
    assert (extra["min"], extra["max"], extra["value"]) == ("0", "3", "0")  # stock 3 < household limit 5
    tolerance = box(form, f"t_{eggs.pk}")
    assert (tolerance["min"], tolerance["max"], tolerance["value"]) == ("0", "6", "0")
    assert form.count('class="step"') == 6  # − and + around each of the three boxes
    assert "¥59.00" in re.search(r'class="signup-bar".*?</div>', form, re.S).group(0)


@pytest.mark.parametrize(("asked", "shown"), [("3", "3"), ("99", "5"), ("abc", "1"), ("-2", "1"), ("0", "0")])
def test_a_share_link_prefills_the_main_stepper_within_its_bounds(place, web, buy, asked, shown):
    item = main_item(buy)
    text = text_of(web(place.resident.user).get(detail_url(buy), {f"item{item.pk}": asked}))
    assert box(form_html(text, "signup-form"), f"q_{item.pk}")["value"] == shown


def test_a_share_link_prefills_an_extra_item_and_ignores_items_of_other_buys(place, web, buy):
    eggs = BuyItemFactory(buy=buy, offer__title="鸡蛋")
    other = main_item(GroupBuyFactory(community=place.community, leader=place.leader.user))
    text = text_of(web(place.resident.user).get(detail_url(buy), {f"item{eggs.pk}": "2", f"item{other.pk}": "4"}))
    form = form_html(text, "signup-form")
    assert box(form, f"q_{eggs.pk}")["value"] == "2"
    assert box(form, f"q_{main_item(buy).pk}")["value"] == "1"
    assert f"q_{other.pk}" not in form


def test_the_change_form_shows_what_was_saved_with_the_pack_tolerance(place, web, buy):
    eggs = BuyItemFactory(buy=buy, offer__title="鸡蛋", offer__pack_size=6)
    signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={main_item(buy).pk: 1, eggs.pk: 2},
        tolerances={eggs.pk: 4},
    )
    form = form_html(text_of(web(place.resident.user).get(detail_url(buy))), "change-form")
    assert box(form, f"q_{main_item(buy).pk}")["value"] == "1"
    assert box(form, f"q_{eggs.pk}")["value"] == "2"
    assert box(form, f"t_{eggs.pk}")["value"] == "4"
    assert box(form, f"q_{main_item(buy).pk}")["max"] == "5"  # the household limit; stock 20 is not the bound


def test_the_change_form_bounds_count_what_the_entry_already_holds(place, web, buy):
    GroupBuy.objects.filter(pk=buy.pk).update(household_limit=None)
    buy.refresh_from_db()
    signup(buy, place.neighbour, 15)
    signup(buy, place.resident, 3)  # 2 left in stock: the resident may go up to 3 + 2
    form = form_html(text_of(web(place.resident.user).get(detail_url(buy))), "change-form")
    assert box(form, f"q_{main_item(buy).pk}")["max"] == "5"


def test_a_change_from_the_page_and_a_refused_one_in_place(place, web, buy):
    entry = signup(buy, place.resident, 2)
    client = web(place.resident.user)
    data = {"action": "change", "entry": entry.pk, f"q_{main_item(buy).pk}": "4"}
    response = client.post(detail_url(buy), data)
    assert (response.status_code, response["Location"]) == (302, detail_url(buy) + "#mine")
    entry.refresh_from_db()
    assert entry.units == 4
    before = buy_state(buy)
    response = client.post(detail_url(buy), {**data, f"q_{main_item(buy).pk}": "7"})
    assert response.status_code == 400
    form = form_html(text_of(response), "change-form")
    assert 'data-code="over_household_limit"' in form
    assert box(form, f"q_{main_item(buy).pk}")["value"] == "7"
    assert buy_state(buy) == before


def test_a_neighbour_cannot_change_an_entry_through_the_page(place, web, buy):
    entry = signup(buy, place.resident, 2)
    before = buy_state(buy)
    response = web(place.neighbour.user).post(
        detail_url(buy), {"action": "change", "entry": entry.pk, f"q_{main_item(buy).pk}": "1"}
    )
    assert response.status_code == 403
    assert 'data-code="not_your_entry"' in text_of(response)
    assert buy_state(buy) == before


# --- withdrawing needs a confirmation ----------------------------------------------------------------------------


def test_withdrawing_asks_for_a_confirmation_that_names_the_number_given_up(place, web, buy):
    signup(buy, place.neighbour, 1)
    entry = signup(buy, place.resident, 2)
    client = web(place.resident.user)
    page = text_of(client.get(detail_url(buy)))
    confirm = re.search(r'<details class="confirm">.*?</details>', page, re.S).group(0)
    assert "gives up number #2" in confirm
    assert 'name="confirm" value="yes"' in confirm
    before = buy_state(buy)
    response = client.post(detail_url(buy), {"action": "withdraw", "entry": entry.pk})
    assert response.status_code == 200
    assert "gives up number #2" in text_of(response)
    assert buy_state(buy) == before
    response = client.post(detail_url(buy), {"action": "withdraw", "entry": entry.pk, "confirm": "yes"})
    assert (response.status_code, response["Location"]) == (302, detail_url(buy) + "#signup")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN


def test_the_withdraw_address_shows_the_confirmation_step_and_refuses_others(place, web, buy):
    entry = signup(buy, place.resident, 2)
    url = reverse("groupbuy:entry_withdraw", args=[buy.pk, entry.pk])
    before = buy_state(buy)
    response = web(place.resident.user).get(url, {"next": "mine"})
    assert response.status_code == 200
    text = text_of(response)
    assert "gives up number #1" in text
    assert 'name="next" value="mine"' in text
    assert web(place.resident.user).post(url, {"next": "mine"}).status_code == 200  # no confirm: asks again
    assert web(place.neighbour.user).get(url).status_code == 403
    assert buy_state(buy) == before


# --- a pooled buy reads one progress ---------------------------------------------------------------------------


@pytest.fixture
def pooled(place, other_place):
    other_place.community.district = place.community.district = "徐汇区"
    place.community.save()
    other_place.community.save()
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("100"))
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, drop_point="东门")
    return pool, host, member


def progress_values(text):
    return re.findall(r'role="progressbar"[^>]*aria-valuenow="(\d+)"', text)


def test_a_pooled_buy_shows_the_pools_progress_with_this_communitys_count(place, other_place, web, pooled):
    pool, host, member = pooled
    signup(host, place.resident, 20)
    signup(member, other_place.resident, 30)  # the pool: 50 of 100
    text = text_of(web(place.neighbour.user).get(detail_url(host)))
    assert progress_values(text) == ["50"]  # one bar, the pool's
    assert "Pool: 50 of 100" in text
    assert "This community: 20" in text
    assert "50 份 (portions) more to form" in text
    assert "80 份 (portions) more to form" not in text  # the buy's own count against the pool's minimum
    assert "open for sign-up" in text
    assert "formed (成团)" not in text


def test_a_pooled_buy_formed_by_its_pool_reads_formed_everywhere(place, other_place, web, pooled):
    pool, host, member = pooled
    signup(host, place.resident, 20)
    signup(member, other_place.resident, 80)  # the pool forms; this community alone has 20 of 100
    host.refresh_from_db()
    assert host.status == "formed"
    text = text_of(web(place.neighbour.user).get(detail_url(host)))
    assert progress_values(text) == ["100"]
    assert "formed (成团)" in text
    assert "Formed (成团)" in text
    assert "more to form" not in text
    assert "This community: 20" in text


def test_a_pack_tolerance_sent_from_the_page_is_saved(place, web, buy):
    eggs = BuyItemFactory(buy=buy, offer__title="鸡蛋", offer__pack_size=6)
    response = web(place.resident.user).post(
        detail_url(buy), {"action": "join", f"q_{main_item(buy).pk}": "0", f"q_{eggs.pk}": "4", f"t_{eggs.pk}": "2"}
    )
    assert response.status_code == 302
    line = EntryLine.objects.get(entry__buy=buy)
    assert (line.item_id, line.quantity, line.tolerance) == (eggs.pk, 4, 2)


# --- the bounds, from the sign-up checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "cap", "taken", "held", "top"),
    [
        (None, None, 0, 0, MAX_LINE_QUANTITY),  # only the quantity check's own bound
        (5, None, 0, 0, 5),  # the household limit
        (None, 20, 18, 0, 2),  # the stock left
        (None, 20, 18, 3, 5),  # ... plus what the household's entry already takes
        (5, 20, 20, 0, 0),  # sold out
    ],
)
def test_line_bounds_follow_the_checks(place, limit, cap, taken, held, top):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, household_limit=limit)
    item = main_item(buy)
    item.cap, item.total_quantity = cap, taken
    assert line_bounds(buy, item, held=held) == LineBounds(min=0, max=top, step=1, tolerance_max=0)


def test_line_bounds_give_the_pack_size_as_the_tolerance_bound(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, item=None)
    eggs = BuyItemFactory(buy=buy, is_main=True, offer__pack_size=6)
    assert line_bounds(buy, eggs).tolerance_max == 6


def test_a_pooled_buy_reads_the_pools_progress_in_its_share_text_preview_and_poster(
    place, other_place, web, pooled, monkeypatch
):
    from django.core.cache import cache

    from groupbuy import poster
    from groupbuy.models import ShareLink

    pool, host, member = pooled
    signup(host, place.resident, 20)
    signup(member, other_place.resident, 30)  # the pool: 50 of 100; this community alone: 20
    page = text_of(web(place.neighbour.user).get(detail_url(host)))
    share_text = re.search(r'<textarea[^>]*id="share-text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "50/100" in share_text
    assert "20/100" not in share_text
    token = ShareLink.objects.get(buy=host, revoked_at__isnull=True).token
    preview = text_of(web().get(f"/s/{token}/"))
    assert progress_values(preview) == ["50"]
    assert "50 份 (portions) more to form" in preview
    drawn = []
    monkeypatch.setattr(poster, "poster_render", lambda *, buy, link, language: drawn.append(buy) or b"png")
    web().get(f"/s/{token}/poster.png")
    cache.clear()  # the same poster for both addresses: drawn again only to see what the member's address passes
    web(place.leader.user).get(reverse("groupbuy:buy_poster", args=[host.pk]))
    assert [buy.progress.current for buy in drawn] == [Decimal("50"), Decimal("50")]
