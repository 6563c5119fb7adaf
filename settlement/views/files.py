"""Private settlement photos, served to who may see them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from core.media import serve_private
from core.pages import page
from core.uploads import is_pending, photo_processing
from settlement import exceptions as errors
from settlement import selectors
from settlement.models import (
    AfterSalesPhoto,
    Payment,
    PriceChange,
)
from settlement.permissions import is_payment_staff, require_own_entry


@require_GET
@page
def private_file(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Transfer screenshots (the household and payment staff), price-change evidence and after-sales
    photos (everyone in the buy's community)."""
    if kind == "payment":
        payment = Payment.objects.select_related("entry__buy").filter(pk=pk).first()
        if payment is None or not payment.screenshot:
            raise errors.not_found()
        buy = selectors.buy_get(user=request.user, buy_id=payment.buy_id)
        if not is_payment_staff(request.user, buy):
            require_own_entry(request.user, payment.entry)
        return serve_photo(request, payment.screenshot)
    if kind == "evidence":
        change = PriceChange.objects.filter(pk=pk).first()
        if change is None or not change.evidence:
            raise errors.not_found()
        selectors.buy_get(user=request.user, buy_id=change.buy_id)
        return serve_photo(request, change.evidence)
    if kind == "photo":
        photo = AfterSalesPhoto.objects.select_related("report").filter(pk=pk).first()
        if photo is None:
            raise errors.not_found()
        selectors.buy_get(user=request.user, buy_id=photo.report.buy_id)
        return serve_photo(request, photo.path)
    raise errors.not_found()


def serve_photo(request: HttpRequest, name: str) -> HttpResponse:
    """A photo still pending is the raw upload (with its EXIF/GPS): it is never served."""
    if is_pending(name):
        raise photo_processing()
    return serve_private(request, name)
