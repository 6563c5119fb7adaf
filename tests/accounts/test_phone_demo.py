"""The demo (`make run`): residents have phone numbers and the banner says how to log in with one."""

from io import StringIO

from django.core.management import call_command

from accounts.models import User


def test_demo_residents_have_phones_and_the_banner_says_how_to_log_in_by_code(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert User.objects.get(username="resident01").phone == "+8613900000001"
    assert User.objects.get(username="leader01").phone == "+8613900000101"
    assert "13900000001" in out.getvalue()
    assert "the code is printed in this terminal" in out.getvalue()
