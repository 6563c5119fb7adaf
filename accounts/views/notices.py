"""The notices page."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import exceptions as err
from accounts import selectors
from accounts.notifications import render as render_notice
from accounts.services.inbox import notification_mark_read, user_sms_notices_set
from core.pages import page
from core.parsing import parse_int

SMS_CHOICES = {"on": True, "off": False}


@page
def notifications(request):
    notices = list(selectors.notifications_for(user=request.user))
    rows = [{"notice": n, "text": render_notice(n)} for n in notices]
    sms = {"on": request.user.sms_notices, "has_phone": request.user.reachable_by_sms}
    return render(request, "accounts/notifications.html", {"rows": rows, "sms": sms})


@page
@require_POST
def notifications_sms(request):
    """Turn one's own notices by SMS on or off (`sms` = on | off)."""
    choice = request.POST.get("sms")
    if choice not in SMS_CHOICES:
        raise err.invalid(sms=[_("Choose on or off.")])
    user_sms_notices_set(user=request.user, enabled=SMS_CHOICES[choice])
    return redirect("accounts:notifications")


@page
@require_POST
def notifications_read(request):
    raw = request.POST.get("id")
    # No id: all read. An id that is not a number matches no notice (0), never "all".
    notice_id = (parse_int(raw) or 0) if raw else None
    notification_mark_read(user=request.user, notification_id=notice_id)
    return redirect("accounts:notifications")
