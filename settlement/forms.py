"""Page forms. They only shape input; the services validate it and raise coded errors."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from settlement.models import ChangeDefault, PaymentMethod, ProblemKind, Resolution


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount paid (yuan)"), max_length=20)
    method = forms.ChoiceField(label=_("How"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Transfer note (optional)"), max_length=100, required=False)
    screenshot = forms.FileField(label=_("Screenshot of the transfer (optional)"), required=False)


class PriceChangeForm(forms.Form):
    item = forms.TypedChoiceField(label=_("Item"), coerce=int)
    new_price = forms.CharField(label=_("New price per unit (yuan)"), max_length=20)
    new_cost = forms.CharField(label=_("New supplier cost per unit (yuan)"), max_length=20, required=False)
    new_offer = forms.TypedChoiceField(
        label=_("Substitute offer (optional)"), coerce=int, required=False, empty_value=None
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label=_("Evidence, e.g. a screenshot of the supplier chat"), required=False)
    deadline = forms.DateTimeField(
        label=_("Answer by"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    default_action = forms.ChoiceField(label=_("If someone does not answer"), choices=ChangeDefault.choices)

    def __init__(self, *args, items=(), offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(item.pk, f"{item.offer.title} · {item.unit_price}") for item in items]
        self.fields["new_offer"].choices = [("", "—")] + [(o.pk, f"{o.title} · {o.unit_price}") for o in offers]
        # The service enforces both rules; saying them here spares the leader a refusal.
        hours = settings.PRICE_CHANGE_MIN_ANSWER_HOURS
        self.fields["deadline"].help_text = _("At least %(hours)d hours from now.") % {"hours": hours}
        self.fields["default_action"].help_text = _(
            "Accepting for those who do not answer applies only to a lower price of the same product."
        )


class AfterSalesForm(forms.Form):
    kind = forms.ChoiceField(label=_("What went wrong"), choices=ProblemKind.choices)
    item = forms.TypedChoiceField(label=_("Item"), coerce=int, required=False, empty_value=None)
    description = forms.CharField(label=_("Describe it"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—")] + [(line.item_id, line.item.offer.title) for line in lines]


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    refund_amount = forms.CharField(label=_("Refund (yuan)"), max_length=20, required=False)
    note = forms.CharField(label=_("Note / reason"), max_length=300, required=False)


class HandoutFindForm(forms.Form):
    """The hand-out table's one field: a pickup code typed or scanned, a 接龙 number, a room or a phone's end."""

    code = forms.CharField(
        label=_("Scan or type: pickup code, sign-up number, room (8-201) or a phone's last 4 digits"), max_length=20
    )


class HandoverForm(forms.Form):
    """A hand-over of the order found (`entry`) or, as before, of a pickup code (`code`); per-line amounts come as
    `line_<id>` fields the view collects."""

    code = forms.CharField(label=_("Pickup code"), max_length=20, required=False)
    entry = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note (optional)"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("entry") and not (data.get("code") or "").strip():
            raise forms.ValidationError(_("Find the order first."), code="required")
        return data


class DonationForm(forms.Form):
    item = forms.TypedChoiceField(label=_("Item"), coerce=int)
    quantity = forms.CharField(label=_("Portions to donate"), max_length=6)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(item.pk, f"{item.offer.title} · {item.unit_price}") for item in items]


class PayeeForm(forms.Form):
    name = forms.CharField(label=_("Payee name"), max_length=60, required=False)
    qr_image = forms.FileField(
        label=_("Picture of your payment QR code (收款码)"),
        required=False,
        help_text=_("In WeChat: Me → Services → Money → Receive Money → Save Image; then choose that picture here."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
