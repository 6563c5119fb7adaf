"""The leader's 收款码: who may set it (per buy or as a default), who may see it, bad pictures refused with
nothing left behind, and the payment page showing it."""

from __future__ import annotations

import io
import os
from decimal import Decimal

import pytest
import segno
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.uploads import is_pending
from groupbuy.factories import GroupBuyFactory, main_item, signup
from settlement.models import PayeeAccount, Payment, PaymentState
from settlement.services.payee import payee_set
from settlement.services.payments import payment_mark
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def qr_png(data: str = "wxp://f2f0demo") -> SimpleUploadedFile:
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="png", scale=8, border=4)
    return SimpleUploadedFile("qr.png", buf.getvalue(), content_type="image/png")


def stored_files() -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _dirs, files in os.walk(root) for f in files)


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what services enqueue after commit (the photo re-encoding), as the worker would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_leader_sets_the_buys_payee_on_the_page_and_the_resident_sees_it_when_paying(closed, place, web, run_tasks):
    client = web(place.leader.user)
    url = reverse("settlement:payee", kwargs={"pk": closed.buy.pk})
    assert client.get(url).status_code == 200
    response = run_tasks(client.post, url, {"name": "王团长", "qr_image": qr_png()})
    assert response.status_code == 302
    account = PayeeAccount.objects.get()
    assert (account.owner_id, account.buy_id, account.name) == (place.leader.user.pk, closed.buy.pk, "王团长")
    assert account.qr_image
    assert not is_pending(account.qr_image)
    assert stored_files() == [account.qr_image]

    resident = web(place.resident.user)
    body = resident.get(reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk})).content.decode()
    qr_url = reverse("settlement:payee_qr", kwargs={"pk": closed.buy.pk})
    assert f'<img class="payee-qr" src="{qr_url}?v=' in body
    assert "王团长" in body
    assert "#1 12-301" in body  # the transfer note: 接龙 number and room
    image = resident.get(qr_url)
    assert image.status_code == 200
    assert image["Content-Type"].startswith("image/")


def test_a_buys_own_payee_overrides_the_leaders_default(closed, place, run_tasks):
    from settlement import selectors

    run_tasks(payee_set, actor=place.leader.user, name="默认收款", qr_image=qr_png("wxp://default"))
    assert selectors.payee_for_buy(buy=closed.buy).name == "默认收款"
    run_tasks(payee_set, actor=place.leader.user, buy=closed.buy, name="本团收款", qr_image=qr_png("wxp://buy"))
    assert selectors.payee_for_buy(buy=closed.buy).name == "本团收款"
    other = GroupBuyFactory(community=place.community, leader=place.leader.user)
    assert selectors.payee_for_buy(buy=other).name == "默认收款"
    assert PayeeAccount.objects.count() == 2


@pytest.mark.parametrize("who", ["other_leader", "resident", "data_volunteer"])
def test_only_the_buys_leader_sets_its_payee(closed, place, web, api, who):
    user = getattr(place, who).user
    before = settlement_state(closed.buy)
    page = web(user).post(
        reverse("settlement:payee", kwargs={"pk": closed.buy.pk}), {"name": "x", "qr_image": qr_png()}
    )
    assert page.status_code == 403
    response = api(user).put(
        reverse("api-settlement-payee", kwargs={"pk": closed.buy.pk}),
        {"name": "x", "qr_image": qr_png()},
        format="multipart",
    )
    assert response.status_code == 403
    assert response.json()["code"] in {"not_your_buy", "forbidden"}
    assert not PayeeAccount.objects.exists()
    assert stored_files() == []
    assert settlement_state(closed.buy) == before


def test_a_leader_of_another_community_cannot_see_or_set_the_payee(closed, other_place, api, run_tasks, place):
    run_tasks(payee_set, actor=place.leader.user, buy=closed.buy, name="王团长", qr_image=qr_png())
    client = api(other_place.leader.user)
    assert client.get(reverse("api-settlement-payee", kwargs={"pk": closed.buy.pk})).status_code == 404
    assert client.put(reverse("api-settlement-payee", kwargs={"pk": closed.buy.pk}), {"name": "x"}).status_code == 404
    assert PayeeAccount.objects.get().name == "王团长"


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("qr.png", b"this is not a picture at all", content_type="image/png"),
        SimpleUploadedFile("qr.gif", b"GIF89a" + b"\0" * 64, content_type="image/gif"),
        SimpleUploadedFile("qr.png", b"", content_type="image/png"),
    ],
    ids=["text", "gif", "empty"],
)
def test_a_payee_qr_that_is_not_an_image_is_refused_and_nothing_is_stored(closed, place, web, api, upload):
    client = web(place.leader.user)
    response = client.post(
        reverse("settlement:payee", kwargs={"pk": closed.buy.pk}), {"name": "王团长", "qr_image": upload}
    )
    assert response.status_code == 400
    assert 'value="王团长"' in response.content.decode()  # what was typed is kept
    upload.seek(0)
    api_response = api(place.leader.user).put(
        reverse("api-settlement-payee", kwargs={"pk": closed.buy.pk}),
        {"name": "王团长", "qr_image": upload},
        format="multipart",
    )
    assert api_response.status_code == 400
    assert api_response.json()["code"].startswith(("image_", "empty_upload", "invalid"))
    assert not PayeeAccount.objects.exists()
    assert stored_files() == []


def test_a_first_payee_needs_a_name_and_a_picture(closed, place, api):
    client = api(place.leader.user)
    url = reverse("api-settlement-payee", kwargs={"pk": closed.buy.pk})
    assert client.put(url, {"name": "王团长"}, format="multipart").json()["code"] == "payee_qr_required"
    assert client.put(url, {"name": "  ", "qr_image": qr_png()}, format="multipart").json()["code"] == (
        "payee_name_required"
    )
    assert not PayeeAccount.objects.exists()
    assert stored_files() == []


def test_a_new_picture_replaces_the_old_file_and_a_new_name_alone_keeps_it(closed, place, run_tasks):
    run_tasks(payee_set, actor=place.leader.user, buy=closed.buy, name="王团长", qr_image=qr_png("wxp://1"))
    first = PayeeAccount.objects.get()  # as re-encoded after commit
    run_tasks(payee_set, actor=place.leader.user, buy=closed.buy, name="王团长", qr_image=qr_png("wxp://2"))
    second = PayeeAccount.objects.get()
    assert second.pk == first.pk
    assert second.qr_image != first.qr_image
    assert stored_files() == [second.qr_image]
    renamed = run_tasks(payee_set, actor=place.leader.user, buy=closed.buy, name="王小明")
    assert (renamed.name, renamed.qr_image) == ("王小明", second.qr_image)
    assert stored_files() == [second.qr_image]


def test_the_default_payee_is_the_owners_own(closed, place, api, web, run_tasks):
    client = api(place.leader.user)
    response = run_tasks(
        client.put,
        reverse("api-settlement-payee-default"),
        {"name": "王团长", "qr_image": qr_png()},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["for_buy"] is False
    assert response.json()["qr_url"] is None  # answered before the picture was re-encoded: not shown yet
    data = client.get(reverse("api-settlement-payee-default")).json()
    assert data["qr_url"].startswith(reverse("settlement:payee_default_qr"))
    assert web(place.leader.user).get(data["qr_url"]).status_code == 200
    # Another person's default is never theirs: they only ever see and set their own.
    assert api(place.other_leader.user).get(reverse("api-settlement-payee-default")).status_code == 404
    assert PayeeAccount.objects.get().owner_id == place.leader.user.pk


def test_a_resident_sees_the_qr_only_for_buys_they_can_pay(closed, place, web, api, run_tasks):
    run_tasks(payee_set, actor=place.leader.user, name="王团长", qr_image=qr_png())
    # A second buy of the same leader in which only the neighbour signed up.
    other = GroupBuyFactory(community=place.community, leader=place.leader.user)
    main_item(other)
    signup(other, place.neighbour, 1)
    for buy, user, status in (
        (closed.buy, place.resident.user, 200),  # has a live sign-up
        (closed.buy, place.committee.user, 200),  # the committee
        (closed.buy, place.data_volunteer.user, 200),  # payment staff
        (other, place.resident.user, 403),  # nothing to pay in that buy
        (other, place.neighbour.user, 200),
    ):
        url = reverse("settlement:payee_qr", kwargs={"pk": buy.pk})
        assert web(user).get(url).status_code == status, (buy.pk, user)
        assert api(user).get(reverse("api-settlement-payee", kwargs={"pk": buy.pk})).status_code == status


def test_a_withdrawn_household_no_longer_sees_the_qr(closed, place, web, run_tasks):
    from groupbuy.models import Entry, EntryStatus

    run_tasks(payee_set, actor=place.leader.user, name="王团长", qr_image=qr_png())
    Entry.objects.filter(pk=closed.resident_entry.pk).update(status=EntryStatus.WITHDRAWN)
    assert web(place.resident.user).get(reverse("settlement:payee_qr", kwargs={"pk": closed.buy.pk})).status_code == 403


def test_the_payment_page_is_the_households_own(closed, place, web, api):
    url = reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk})
    assert web(place.neighbour.user).get(url).status_code == 403
    api_url = reverse("api-settlement-pay", kwargs={"entry_pk": closed.resident_entry.pk})
    assert api(place.neighbour.user).get(api_url).json()["code"] == "not_your_entry"
    assert web(place.data_volunteer.user).get(url).status_code == 200  # payment staff record cash


def test_paying_on_the_payment_page_then_confirming(closed, place, web):
    client = web(place.resident.user)
    url = reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk})
    body = client.get(url).content.decode()
    assert 'value="197.00"' in body  # the amount defaults to what is due
    assert 'data-stage="to_pay"' in body
    response = client.post(url, {"amount": "197.00", "method": "wechat", "reference": "#1 12-301"})
    assert response.status_code == 302
    assert response["Location"] == url
    body = client.get(url).content.decode()
    assert 'data-stage="awaiting"' in body
    payment = Payment.objects.get(entry=closed.resident_entry)
    assert (payment.state, payment.marked_amount) == (PaymentState.MARKED, Decimal("197.00"))

    reconcile = web(place.data_volunteer.user).get(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))
    page = reconcile.content.decode()
    assert page.index(f'id="e{closed.resident_entry.pk}"') < page.index(f'id="e{closed.neighbour_entry.pk}"')
    web(place.data_volunteer.user).post(
        reverse("settlement:confirm", kwargs={"entry_pk": closed.resident_entry.pk}), {"amount": "197.00"}
    )
    body = web(place.resident.user).get(url).content.decode()
    assert 'data-stage="confirmed"' in body
    assert "I have paid" not in body
    assert "我已付款" not in body


def test_reconcile_lists_marked_entries_first_with_their_amount(closed, place, web):
    payment_mark(actor=place.neighbour.user, entry=closed.neighbour_entry, amount="400", method="alipay")
    page = (
        web(place.data_volunteer.user)
        .get(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))
        .content.decode()
    )
    # The neighbour signed up second, but waits for confirmation: first.
    assert page.index(f'id="e{closed.neighbour_entry.pk}"') < page.index(f'id="e{closed.resident_entry.pk}"')
    assert "<b data-marked-amount>¥400.00</b>" in page
    from settlement import selectors

    rows = selectors.reconciliation_get(user=place.data_volunteer.user, buy=closed.buy)["rows"]
    assert [r["entry"].seq for r in rows] == [1, 2]  # exports and the API keep 接龙 order


@pytest.mark.django_db(transaction=True)
def test_two_first_payees_set_at_once_make_one_row_and_leave_one_file(place):
    import threading

    from django.db import connection

    from groupbuy.models import GroupBuy

    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def put(name: str, data: str) -> None:
        try:
            picture = qr_png(data)
            barrier.wait()
            payee_set(actor=place.leader.user, buy=GroupBuy.objects.get(pk=buy.pk), name=name, qr_image=picture)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=put, args=(f"王{i}", f"wxp://{i}")) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    account = PayeeAccount.objects.get()  # one payee for the buy (unique constraint), the last write won
    assert account.name in {"王0", "王1"}
    assert not is_pending(account.qr_image)
    assert stored_files() == [account.qr_image]
