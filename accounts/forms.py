"""Page forms: field shapes only. The rules live in the services, which the API calls too."""

from __future__ import annotations

from allauth.account.forms import SignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import VolunteerGroup

# The shared stylesheet makes form inputs full width; a checkbox stays small and sits before its label.
CHECKBOX = forms.CheckboxInput(attrs={"style": "width:1.6rem;height:1.6rem;vertical-align:middle"})


class AccountFields(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=60)
    username = forms.CharField(label=_("Username (to log in)"), max_length=40)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=128)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class RedeemForm(AccountFields):
    code = forms.CharField(label=_("Invite code"), max_length=40)
    claim_member = forms.TypedChoiceField(
        label=_("Who are you?"), required=False, coerce=int, empty_value=None, choices=()
    )
    field_order = ["code", "claim_member", "display_name", "username", "password", "password2"]

    def __init__(self, *args, members=(), existing_user=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claim_member"].choices = [("", _("Someone new in this household"))] + [
            (m.pk, m.name) for m in members
        ]
        if existing_user:
            for name in ("display_name", "username", "password", "password2"):
                del self.fields[name]


class JoinRequestForm(AccountFields):
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, choices=())
    room = forms.CharField(label=_("Room"), max_length=20)
    message = forms.CharField(label=_("Message to the committee (optional)"), max_length=200, required=False)
    field_order = ["building", "room", "display_name", "message", "username", "password", "password2"]

    def __init__(self, *args, buildings=(), existing_user=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.pk, b.label) for b in buildings]
        if existing_user:
            for name in ("username", "password", "password2"):
                del self.fields[name]


class IssueInvitesForm(forms.Form):
    buildings = forms.TypedMultipleChoiceField(
        label=_("Buildings"), coerce=int, choices=(), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=14)
    only_without_account = forms.BooleanField(
        label=_("Only households with nobody signed up yet"), required=False, widget=CHECKBOX
    )

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].choices = [(b.pk, b.label) for b in buildings]


class RolesForm(forms.Form):
    is_team_leader = forms.BooleanField(label=_("team leader (团长)"), required=False, widget=CHECKBOX)
    is_building_leader = forms.BooleanField(label=_("building leader (楼团长)"), required=False, widget=CHECKBOX)
    led_building = forms.TypedChoiceField(
        label=_("Building led"), coerce=int, empty_value=None, required=False, choices=()
    )
    volunteer_group = forms.ChoiceField(label=_("volunteer group"), choices=VolunteerGroup.choices, required=False)
    is_gate_guard = forms.BooleanField(label=_("gate guard (门卫)"), required=False, widget=CHECKBOX)
    is_committee = forms.BooleanField(label=_("committee staff (居委)"), required=False, widget=CHECKBOX)
    proxy_buildings = forms.TypedMultipleChoiceField(
        label=_("Orders for households of (proxy role)"),
        coerce=int,
        choices=(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["led_building"].choices = [("", "—")] + [(b.pk, b.label) for b in buildings]
        self.fields["proxy_buildings"].choices = [(b.pk, b.label) for b in buildings]


class MemberAddForm(forms.Form):
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, choices=())
    room = forms.CharField(label=_("Room"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=60)
    note = forms.CharField(label=_("Note (e.g. leave at the door)"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone, if any (kept private)"), max_length=20, required=False)

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.pk, b.label) for b in buildings]


class VulnerableAddForm(forms.Form):
    label = forms.CharField(label=_("Household (building-room, e.g. 12-301)"), max_length=45)


class PhoneSignupForm(SignupForm):
    """allauth's sign-up (ACCOUNT_FORMS["signup"]) with the phone (ACCOUNT_SIGNUP_FIELDS) and a name to be
    called by; no username or password to invent (accounts.adapter.AccountAdapter.save_user)."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        help_text=_("How neighbours and leaders see you, e.g. 王阿姨 3-501"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    field_order = ["phone", "display_name"]
