"""The README's demo runs on SQLite, which the rest of the suite never touches (tests need PostgreSQL). The plain
SQL of the hot paths (core.rows) must hold there too: values come back as SQLite gives them (datetimes as text,
decimals as floats) unless the ORM's converters run. This test makes a demo database as `make run` does (migrate,
seed_demo), then signs in as the demo's people and opens the pages each of them uses, twice (the second view is
served from the kept page), and signs up through the API: no answer may be a 500."""

import json

from tests.config.sqlite_manage import manage, sqlite_env

SCRIPT = r"""
import json
from django.test import Client
from accounts.models import Community, User
from groupbuy.models import SIGNUP_STATES, GroupBuy
from knox.models import AuthToken

statuses = {}
people = []
for community in Community.objects.order_by("pk"):
    members = User.objects.filter(memberships__community=community, memberships__is_active=True).order_by("pk")
    people += [
        members.filter(memberships__household__isnull=True).first(),  # committee: no household
        members.filter(memberships__is_team_leader=True).first(),
        members.filter(memberships__household__isnull=False, memberships__is_team_leader=False).last(),
    ]
for user in filter(None, people):
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    client.force_login(user)
    community = user.memberships.filter(is_active=True).first().community_id
    paths = ["/", "/buys/"] + [f"/buys/{b.pk}/" for b in GroupBuy.objects.filter(community_id=community)]
    for path in paths:
        for view in (1, 2):
            response = client.get(path)
            statuses[f"{user.username} {path} #{view}"] = response.status_code
            etag = response.get("ETag")
            if etag:
                again = client.get(path, HTTP_IF_NONE_MATCH=etag)
                statuses[f"{user.username} {path} 304"] = again.status_code
    buy = GroupBuy.objects.filter(community_id=community, status__in=SIGNUP_STATES, current_pool=None).first()
    if buy is not None and user.memberships.filter(community_id=community, household__isnull=False).exists():
        item = buy.items.order_by("pk").first()
        api = Client(HTTP_HOST="localhost", raise_request_exception=False)
        token = AuthToken.objects.create(user=user)[1]
        response = api.post(
            f"/api/buys/{buy.pk}/entries/",
            data=json.dumps({"quantities": {str(item.pk): 1}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
        statuses[f"{user.username} sign-up"] = response.status_code
print("STATUSES " + json.dumps(statuses))
"""


def test_the_demo_pages_and_a_sign_up_answer_without_a_500_on_sqlite(tmp_path):
    env = sqlite_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="config.settings",
        ALLOWED_HOSTS="localhost",
        CELERY_TASK_ALWAYS_EAGER="true",
        MEDIA_ROOT=str(tmp_path / "media"),
        SECURE_SSL_REDIRECT="false",
    )

    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "seed_demo")
    out = manage(env, "shell", "-c", SCRIPT).stdout
    statuses = json.loads(out.split("STATUSES ", 1)[1])
    failed = {key: code for key, code in statuses.items() if code >= 500}
    assert failed == {}
    # Signed in throughout (the session and the user are read in plain SQL too): no page sent anyone to log in.
    assert {key: code for key, code in statuses.items() if code == 302} == {}
    assert [code for key, code in statuses.items() if key.endswith("sign-up")] != []
    assert [code for key, code in statuses.items() if key.endswith("304")] != []
