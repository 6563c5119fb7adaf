"""The benchmark floor: the cheapest write endpoint this app can have.

One conditional UPDATE on a buy's counter and one INSERT of a notification, in
one transaction, with no authentication and no serializer, behind the same
middleware as every other request. bench/run.py reports each scenario's
throughput as a ratio to this floor, so figures compare across machines.

Routed only when the environment says BENCH_FLOOR_ENABLED=1 (bench/run.py sets
it for its own gunicorn); off by default, so it never exists in production.
"""

from __future__ import annotations

import os
import uuid

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Notification
from groupbuy.models import GroupBuy

FLOOR_NOTIFICATION_KIND = "bench_floor"


def enabled() -> bool:
    return os.environ.get("BENCH_FLOOR_ENABLED", "").strip().lower() in {"1", "true", "yes"}


@csrf_exempt
@require_POST
def floor(request: HttpRequest, buy_id: int, user_id: int) -> JsonResponse:
    with transaction.atomic():
        bumped = GroupBuy.objects.filter(pk=buy_id, status="open").update(last_seq=F("last_seq") + 1)
        if bumped != 1:
            return JsonResponse({"code": "bench_floor_refused"}, status=409)
        Notification.objects.create(user_id=user_id, kind=FLOOR_NOTIFICATION_KIND, dedupe_key=uuid.uuid4().hex)
    return JsonResponse({"ok": True}, status=201)


def urlpatterns() -> list[URLPattern]:
    if not enabled():
        return []
    return [path("bench/floor/<int:buy_id>/<int:user_id>/", floor, name="bench-floor")]
