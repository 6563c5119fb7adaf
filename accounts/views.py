from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts import selectors


@login_required
def home(request):
    memberships = list(selectors.memberships_of(user=request.user))
    rows = [{"membership": m, "roles": selectors.membership_roles(m)} for m in memberships]
    return render(request, "home.html", {"rows": rows})
