"""The app's real endpoints as the bench calls them: the one place that knows URLs and bodies."""

from __future__ import annotations

import json
import uuid

from bench.data import Buy, Resident
from bench.load import Request


def signup(resident: Resident, buy: Buy, *, quantity: int = 1) -> Request:
    """A resident joins a buy through the API, with a token and an idempotency key, as the phone app does."""
    body = json.dumps({"quantities": {str(buy.item_id): quantity}}, separators=(",", ":"))
    headers = {"Authorization": f"Token {resident.token}", "Idempotency-Key": uuid.uuid4().hex}
    return Request("POST", f"/api/buys/{buy.id}/entries/", headers, body)


def floor(buy: Buy, user_id: int) -> Request:
    return Request("POST", f"/bench/floor/{buy.id}/{user_id}/", {}, "{}")


def buy_list_path(community_id: int) -> str:
    return "/buys/"


def buy_page_path(buy: Buy) -> str:
    return f"/buys/{buy.id}/"


def page(path: str, session_key: str) -> Request:
    return Request("GET", path, {"Cookie": f"sessionid={session_key}"}, "")
