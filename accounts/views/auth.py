"""Home, login and password pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy

from accounts import selectors
from accounts.login_protection import locked_out_error
from accounts.permissions import allowed_actions
from core.pages import form_refusal, page


@page
def home(request):
    rows = []
    for m in selectors.memberships_of(user=request.user):
        actions = allowed_actions(request.user, m.community)
        rows.append(
            {"membership": m, "roles": selectors.membership_roles(m), "can": {a.name.lower(): True for a in actions}}
        )
    return render(request, "home.html", {"rows": rows})


class LoginView(auth_views.LoginView):
    """The login page. The lockout is the one every login surface shares (accounts/login_protection.py):
    it acts inside authenticate(), so here it only words the refusal."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if not getattr(self.request, "axes_locked_out", False):
            return super().form_invalid(form)
        exc = locked_out_error()
        form._errors = None  # the lockout's message only, not "wrong password"
        form_refusal(form, exc)
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = exc.status_code
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
