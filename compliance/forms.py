"""Page forms: parse and keep what was typed. The rules live in the services."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import WEEKDAY_NAMES
from core.uploads import image_limit_mb, video_limit_mb

DOC_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"
DOCUMENT_FIELDS = ("qualification", "vehicle_pass", "test_report")
# Date and time inputs take ISO values whatever the page's language (zh-hans would format 2026/12/05, which
# <input type="date"> rejects and shows empty).
ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME = "%Y-%m-%dT%H:%M"


def _aware(day, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_default_timezone())


class FilingForm(forms.Form):
    gate = forms.CharField(label=_("Gate"), max_length=60, required=False, help_text=_("e.g. North gate"))
    arrival_date = forms.DateField(
        label=_("Arrival day"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)
    )
    arrival_from = forms.TimeField(
        label=_("Arrives from"), widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME)
    )
    arrival_until = forms.TimeField(
        label=_("Arrives until"), widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME)
    )
    vehicle_plate = forms.CharField(label=_("Vehicle plate"), max_length=20)
    driver_name = forms.CharField(label=_("Driver name"), max_length=40)
    test_sampled_at = forms.DateTimeField(
        label=_("Driver's nucleic-acid test sampled at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=ISO_DATETIME),
    )
    qualification = forms.FileField(
        label=_("Supply-guarantee qualification (保供企业资质)"),
        widget=forms.ClearableFileInput(attrs={"accept": DOC_ACCEPT}),
    )
    qualification_expires_on = forms.DateField(
        label=_("Qualification valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        help_text=_("Give the date to keep this qualification for the supplier's next filings."),
    )
    vehicle_pass = forms.FileField(
        label=_("Vehicle delivery pass (运输车辆配送证明)"),
        widget=forms.ClearableFileInput(attrs={"accept": DOC_ACCEPT}),
    )
    vehicle_pass_expires_on = forms.DateField(
        label=_("Vehicle pass valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        help_text=_("Give the date to keep this pass for the vehicle's next filings."),
    )
    test_report = forms.FileField(
        label=_("Driver's nucleic-acid test report"),
        widget=forms.ClearableFileInput(attrs={"accept": DOC_ACCEPT}),
    )

    def __init__(self, *args, documents_required: bool = True, kept=None, on_file=None, passes=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in DOCUMENT_FIELDS:
            self.fields[name].required = documents_required
            self.fields[name].help_text = _("Photo or PDF, up to %(mb)s MB.") % {"mb": image_limit_mb()}
            if not documents_required:
                self.fields[name].help_text = _("Leave empty to keep the current file.")
        self.offer(kept=kept, on_file=on_file, passes=passes)

    def offer(self, *, kept=None, on_file=None, passes=()) -> None:
        """Offer back what need not be attached again: `kept`, documents uploaded on an earlier refused submit
        (by kind; used unless replaced), `on_file`, the supplier's valid qualification, and `passes`, the valid
        vehicle passes on file (used when the plate matches)."""
        kept = kept or {}
        # A bound field copies its help text when made (validation made them): make them again.
        self._bound_fields_cache.clear()
        for name, doc in kept.items():
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = _("Uploaded: %(name)s · choose a file to replace it.") % {
                    "name": doc.original_name or doc.get_kind_display()
                }
        if on_file is not None and "qualification" not in kept:
            self.fields["qualification"].required = False
            self.fields["qualification"].help_text = _(
                "On file for this supplier, valid until %(date)s · choose a file to replace it."
            ) % {"date": on_file.expires_on.isoformat()}
        if passes and "vehicle_pass" not in kept:
            self.fields["vehicle_pass"].required = False
            self.fields["vehicle_pass"].help_text = _(
                "On file for %(plates)s · leave empty for these vehicles, or choose a file to replace it."
            ) % {"plates": ", ".join(f"{p.vehicle_plate} ({p.expires_on.isoformat()})" for p in passes)}

    def uploads(self) -> dict:
        """The document files sent with the form, checked or not (to keep them when the form is refused)."""
        return {name: self.files.get(name) for name in DOCUMENT_FIELDS if self.files.get(name)}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "gate": data["gate"],
            "arrival_start": _aware(data["arrival_date"], data["arrival_from"]),
            "arrival_end": _aware(data["arrival_date"], data["arrival_until"]),
            "vehicle_plate": data["vehicle_plate"],
            "driver_name": data["driver_name"],
            "test_sampled_at": data["test_sampled_at"],
            "documents": {k: data.get(k) for k in DOCUMENT_FIELDS if data.get(k)},
            "qualification_expires_on": data.get("qualification_expires_on"),
            "vehicle_pass_expires_on": data.get("vehicle_pass_expires_on"),
        }

    @classmethod
    def initial_from(cls, filing) -> dict:
        start = timezone.localtime(filing.arrival_start)
        return {
            "gate": filing.gate,
            "arrival_date": start.date(),
            "arrival_from": start.time(),
            "arrival_until": timezone.localtime(filing.arrival_end).time(),
            "vehicle_plate": filing.vehicle_plate,
            "driver_name": filing.driver_name,
            "test_sampled_at": timezone.localtime(filing.test_sampled_at),
        }


class PolicyForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Deliveries may enter on"),
        choices=[(i, name) for i, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    lead_hours = forms.IntegerField(
        label=_("File at least this many hours before arrival"),
        min_value=0,
        help_text=_("At most 23: the driver's test is sampled before filing and is valid for 24 hours."),
    )
    gate_opens = forms.TimeField(label=_("Gate opens"), widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME))
    gate_closes = forms.TimeField(
        label=_("Gate closes"), widget=forms.TimeInput(attrs={"type": "time"}, format=ISO_TIME)
    )
    public_previews = forms.BooleanField(
        label=_("Shared links show a public preview of the buy"),
        required=False,
        help_text=_("Price, deadline, pickup place and how many households joined; never names, rooms or phones."),
    )


class SuspensionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("No deliveries from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=ISO_DATETIME),
    )
    ends_at = forms.DateTimeField(
        label=_("until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=ISO_DATETIME)
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=300)


class ArrivalForm(forms.Form):
    receivers = forms.CharField(label=_("Received by (names)"), max_length=200, required=False)


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or short video of the disinfection"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,video/mp4,video/webm"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Photos up to %(img)s MB; videos (MP4, WebM) up to %(vid)s MB.") % {
            "img": image_limit_mb(),
            "vid": video_limit_mb(),
        }


class DisinfectedForm(forms.Form):
    finished_at = forms.DateTimeField(
        label=_("Disinfection finished at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=ISO_DATETIME),
        help_text=_("Leave empty for now."),
    )


class GateForm(forms.Form):
    code = forms.CharField(
        label=_("Slip code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text", "autofocus": True}
        ),
    )
