"""The notices page."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import selectors
from accounts.notifications import render as render_notice
from accounts.services.inbox import notification_mark_read
from core.pages import page
from core.parsing import parse_int


@page
def notifications(request):
    notices = list(selectors.notifications_for(user=request.user))
    rows = [{"notice": n, "text": render_notice(n)} for n in notices]
    return render(request, "accounts/notifications.html", {"rows": rows})


@page
@require_POST
def notifications_read(request):
    raw = request.POST.get("id")
    # No id: all read. An id that is not a number matches no notice (0), never "all".
    notice_id = (parse_int(raw) or 0) if raw else None
    notification_mark_read(user=request.user, notification_id=notice_id)
    return redirect("accounts:notifications")
