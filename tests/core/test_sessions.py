"""The session store and the auth backend read their row with one plain SELECT (core.sessions,
accounts.backends): what they load is what Django's own store and backend load, and what those refuse stays
refused (an expired or unknown session, an inactive or deleted user)."""

import datetime

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.backends import ModelBackend
from accounts.models import User
from core.sessions import SessionStore


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def saved_session(**data) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    return store.session_key


def test_a_live_session_loads_as_djangos_store_loads_it(db):
    key = saved_session(a=1, b="二")
    ours, djangos = SessionStore(key), DjangoSessionStore(key)
    assert ours.load() == djangos.load() == {"a": 1, "b": "二"}
    assert ours.session_key == djangos.session_key == key
    assert fields(ours._get_session_from_db()) == fields(Session.objects.get(session_key=key))


def test_an_expired_unknown_or_malformed_session_loads_empty_and_drops_its_key(db):
    expired = saved_session(a=1)
    Session.objects.filter(session_key=expired).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    for key in (expired, "x" * 32, "short", None):
        ours, djangos = SessionStore(key), DjangoSessionStore(key)
        assert ours.load() == djangos.load() == {}
        assert ours.session_key is None
        assert djangos.session_key is None


def test_a_signed_in_page_loads_the_user_as_the_orm_does(place, client):
    client.force_login(place.resident.user)
    session = client.session
    assert session[BACKEND_SESSION_KEY] == "accounts.backends.ModelBackend"
    user_id = User._meta.pk.to_python(session[SESSION_KEY])
    assert fields(ModelBackend().get_user(user_id)) == fields(DjangoModelBackend().get_user(user_id))
    assert client.get("/buys/").status_code == 200


def test_an_inactive_or_deleted_user_is_no_user(place, client):
    user = place.resident.user
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ModelBackend().get_user(user.pk) is None
    response = client.get("/buys/")
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert ModelBackend().get_user(user.pk + 10_000) is None
