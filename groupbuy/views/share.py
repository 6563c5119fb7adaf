"""Sharing a buy (issue 15): the public preview behind its short link /s/<token>/ (no login), the photos and
poster it shows, the "我要接龙" hand-over to login / joining / the buy page, the members' poster download and the
leader's link reset. The preview shows only the buy's own facts: never a name, a room, a phone or the list."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import membership_for
from core.errors import PermissionRefused
from core.media import serve_private
from core.pages import page, public_page, refusal_flashed
from core.parsing import int_param
from groupbuy import exceptions as err
from groupbuy import selectors
from groupbuy.poster import poster_png
from groupbuy.services import share as share_services

MAX_QUANTITY = 999


def _poster_response(png: bytes, name: str) -> HttpResponse:
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@public_page
def share_preview(request: HttpRequest, token: str) -> HttpResponse:
    """What anyone holding the link sees; when the community's policy turns previews off, only that it exists."""
    preview = selectors.share_preview_get(token=token)
    buy = preview.buy
    context = {"preview": preview, "buy": buy, "token": token, "go_url": reverse("share:go", args=[token])}
    if preview.previews_on:
        photo_urls = [reverse("share:photo", args=[token, photo_id]) for photo_id in preview.photo_ids]
        image = photo_urls[0] if photo_urls else reverse("share:poster", args=[token])
        context.update(
            {
                "photo_urls": photo_urls,
                "og_image": request.build_absolute_uri(image),
                "households": selectors.share_households_line(buy),
                "meta_description": selectors.share_description_get(buy=buy),
            }
        )
    return render(request, "groupbuy/share_preview.html", context)


@require_GET
@public_page
def share_photo(request: HttpRequest, token: str, photo_id: int) -> HttpResponse:
    """A photo of one of the shared buy's offers (the same private-media serving as the catalogue's)."""
    photo = selectors.share_photo_get(token=token, photo_id=photo_id)
    return serve_private(request, photo.image)


@require_GET
@public_page
def share_poster(request: HttpRequest, token: str) -> HttpResponse:
    """The poster through the link (the preview's og:image when the buy has no photo)."""
    preview = selectors.share_preview_get(token=token)
    if not preview.previews_on:
        raise err.not_found()
    link = share_services.share_link_for(preview.buy, request)
    return _poster_response(poster_png(buy=preview.buy, link=link, language=get_language()), "jielong.png")


@require_GET
@public_page
def share_go(request: HttpRequest, token: str) -> HttpResponse:
    """我要接龙: a visitor logs in first, a non-member asks to join, a member lands on the buy's sign-up with the
    chosen quantities (`item<ID>=<N>`, only the buy's own items, 1..999). Each step comes back here (`next`)."""
    link = selectors.share_link_live_get(token=token)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    buy = selectors.buy_get_shared(buy_id=link.buy_id)
    if membership_for(request.user, buy.community_id) is None:
        return redirect(f"{reverse('accounts:join_start')}?{urlencode({'next': request.get_full_path()})}")
    chosen = {}
    for item in buy.item_list:
        quantity = int_param(request.GET.get(f"item{item.pk}"), 0, low=0, high=MAX_QUANTITY)
        if quantity:
            chosen[f"item{item.pk}"] = quantity
    query = f"?{urlencode(chosen)}" if chosen else ""
    return redirect(f"{reverse('groupbuy:buy_detail', args=[buy.pk])}{query}#signup")


@require_GET
@page
def buy_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The poster to download from the share panel: whoever may share the buy (`share_allowed`)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    if not selectors.share_allowed(user=request.user, buy=buy):
        raise err.forbidden()
    selectors.pool_progress_apply(buy)
    png = poster_png(buy=buy, link=share_services.share_link_for(buy, request), language=get_language())
    return _poster_response(png, f"jielong-{buy.pk}.png")


@require_POST
@page
def share_link_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader makes a new share link; the old one stops working."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    with refusal_flashed(request, passes=(PermissionRefused,)):
        share_services.share_link_reset(actor=request.user, buy=buy)
        messages.success(request, _("A new share link was made. The old link no longer works."))
    return redirect(f"{reverse('groupbuy:buy_detail', args=[buy.pk])}#share")
