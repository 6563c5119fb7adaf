"""Page forms. They parse what was typed and keep it on error; the services decide what is allowed.

Quantities, MOQ and limits are kept as text here on purpose: the service validates them and
raises the coded error (invalid_quantity, invalid_moq, ...) whose message the page shows, so
the page and the API refuse the same input with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.errors import ApplicationError
from core.parsing import parse_int
from groupbuy.models import AllocationRule, BuyKind, DistributionMode, MoqKind
from groupbuy.services.signup_input import LineBounds, lines_amount, quantities_parse

# Chinese input methods often type full-width digits (２); read them as the digits they are.
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class QuantitiesForm(forms.Form):
    """One box per item of the buy (`q_<item id>`); blank means none. Given `bounds` (the buy page), the boxes
    are number inputs with the line's min/max/step for the steppers; without, plain text boxes (proxy page)."""

    note = forms.CharField(label=_("Note for the leader"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        items: list,
        with_note: bool = True,
        bounds: Mapping[int, LineBounds] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        if not with_note:
            del self.fields["note"]
        for item in items:
            line = bounds.get(item.pk) if bounds is not None else None
            self.fields[f"q_{item.pk}"] = forms.CharField(
                label=item.offer.title,
                required=False,
                max_length=12,
                widget=_number_box(
                    line and (line.min, line.max, line.step), {"data-price": str(item.unit_price)}, name="qty"
                ),
            )

            if item.offer.pack_size > 1:
                self.fields[f"t_{item.pk}"] = forms.CharField(
                    label=_("…and up to this many more if it fills a pack of %(n)s") % {"n": item.offer.pack_size},
                    required=False,
                    max_length=12,
                    widget=_number_box(line and (0, line.tolerance_max, 1), {}, name="tolerance"),
                )

    def quantity_fields(self) -> list[tuple[Any, forms.BoundField, forms.BoundField | None]]:
        return [
            (item, self[f"q_{item.pk}"], self[f"t_{item.pk}"] if f"t_{item.pk}" in self.fields else None)
            for item in self.items
        ]

    def tolerances(self) -> dict[int, Any] | None:
        """{item id: extra units to fill a pack} for the boxes filled in (blank: none / unchanged)."""
        result: dict[int, Any] = {}
        for item in self.items:
            raw = (self.cleaned_data.get(f"t_{item.pk}") or "").strip().translate(_FULLWIDTH_DIGITS)
            if raw:
                result[item.pk] = raw
        return result or None

    def quantities(self) -> dict[int, Any]:
        """{item id: what was typed}; blank boxes are 0. The service checks the values."""
        result: dict[int, Any] = {}
        for item in self.items:
            raw = (self.cleaned_data.get(f"q_{item.pk}") or "").strip().translate(_FULLWIDTH_DIGITS)
            result[item.pk] = raw or 0
        return result

    def amount(self) -> Decimal | None:
        """What the quantities shown cost (as typed after a submit, else the starting values), priced as a
        sign-up prices them; None when one does not read as a quantity (the refusal says why)."""
        shown: dict[int, Any] = {}
        for item in self.items:
            value = self[f"q_{item.pk}"].value()
            shown[item.pk] = str(value if value is not None else "").strip().translate(_FULLWIDTH_DIGITS) or 0
        try:
            return lines_amount(self.items, quantities_parse(shown, allow_all_zero=True))
        except ApplicationError:
            return None


def _number_box(limits: tuple[int, int, int] | None, attrs: dict[str, str], *, name: str) -> forms.Widget:
    """A number input with min/max/step (a stepper's box) when `limits` are known, else a text box. Both ask
    phones for the digit keyboard; the service refuses what is out of bounds with its own words."""
    attrs = {"inputmode": "numeric", "size": "4", **attrs}
    if limits is None:
        return forms.TextInput(attrs=attrs)
    low, high, step = limits
    return forms.NumberInput(attrs={**attrs, "min": str(low), "max": str(high), "step": str(step), "data-" + name: ""})


def signup_initial(
    items: list, bounds: Mapping[int, LineBounds], asked: Mapping[str, str], *, main_id: int | None
) -> dict[str, int]:
    """The steppers' starting values: 1 of the main item (`main_id`) and 0 of the others, or what a share link
    asked for (`item<ID>=<N>`), each kept within its line's bounds; no extra units to fill a pack."""
    initial: dict[str, int] = {}
    for item in items:
        line = bounds[item.pk]
        wanted = parse_int(asked.get(f"item{item.pk}", ""))
        if wanted is None:
            wanted = 1 if item.pk == main_id else 0
        initial[f"q_{item.pk}"] = max(line.min, min(line.max, wanted))
        if line.tolerance_max:
            initial[f"t_{item.pk}"] = 0
    return initial


class ProxyHouseholdForm(forms.Form):
    """The household to order for, typed as its address (a compound has ~1,700; a select would be unusable)."""

    label = forms.CharField(
        label=_("Household (building-room, e.g. 12-301)"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class ProxyMemberForm(forms.Form):
    placed_for = forms.ChoiceField(label=_("For whom"), required=False)

    def __init__(self, *args: Any, members: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["placed_for"].choices = [("", _("the household"))] + [(str(m.pk), m.name) for m in members]


class BuyCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=_("Kind"), choices=BuyKind.choices, initial=BuyKind.FAIR)
    offers = forms.MultipleChoiceField(label=_("Offers"), widget=forms.CheckboxSelectMultiple)
    main_offer = forms.ChoiceField(label=_("Main item (what a minimum in units counts)"), required=False)
    moq_kind = forms.ChoiceField(label=_("Minimum counted in"), choices=MoqKind.choices, initial=MoqKind.UNITS)
    moq = forms.CharField(label=_("Minimum order (起送量)"), max_length=20)
    household_limit = forms.CharField(label=_("Limit per household (blank: none)"), max_length=10, required=False)
    deadline = forms.DateTimeField(
        label=_("Order deadline (截单)"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # ISO, whatever the language: a date input shows nothing for a localised "2026/12/05".
    delivery_date = forms.DateField(
        label=_("Planned delivery date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    distribution_mode = forms.ChoiceField(
        label=_("Distribution"), choices=DistributionMode.choices, initial=DistributionMode.BUILDING
    )
    allocation_rule = forms.ChoiceField(
        label=_("If stock runs short"), choices=AllocationRule.choices, initial=AllocationRule.FCFS
    )
    close_when_formed = forms.BooleanField(label=_("Close as soon as the minimum is reached"), required=False)
    drop_point = forms.CharField(label=_("Drop point"), max_length=120, required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("Open it anyway, although a buy with this product is already running"), required=False
    )

    def __init__(self, *args: Any, offers: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer_list = offers
        choices = [(str(o.pk), f"{o.title} · {o.supplier.name} · ¥{o.unit_price}/{o.unit}") for o in offers]
        self.fields["offers"].choices = choices
        self.fields["main_offer"].choices = [("", _("the first chosen"))] + choices
        chosen = self.chosen_offers()
        if chosen:
            self.fields["moq"].help_text = _("In %(unit)s of %(title)s, or in yuan if so set under More settings.") % {
                "unit": chosen[0].unit,
                "title": chosen[0].title,
            }
        for offer in offers:
            self.fields[f"cap_{offer.pk}"] = forms.CharField(
                label=_("Stock cap in %(unit)s (blank: none)") % {"unit": offer.unit},
                required=False,
                max_length=10,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "data-cap-for": str(offer.pk)}),
            )

    def clean(self) -> dict[str, Any]:
        """Only chosen items have caps: what was typed for an unchosen one (shown without script) is ignored."""
        cleaned = super().clean() or {}
        chosen = set(cleaned.get("offers") or [])
        for offer in self.offer_list:
            if str(offer.pk) not in chosen:
                self._errors.pop(f"cap_{offer.pk}", None)
                cleaned[f"cap_{offer.pk}"] = ""
        return cleaned

    def cap_fields(self) -> list[tuple[Any, forms.BoundField]]:
        return [(offer, self[f"cap_{offer.pk}"]) for offer in self.offer_list]

    def chosen_values(self) -> set[str]:
        """The offers ticked: as posted, else as preselected (`?offer=`)."""
        return {str(v) for v in (self["offers"].value() or [])}

    def offer_rows(self) -> list[dict[str, Any]]:
        """One row per offer of the community for the page: the offer, whether it is chosen, its cap box."""
        chosen = self.chosen_values()
        return [{"offer": o, "chosen": str(o.pk) in chosen, "cap": self[f"cap_{o.pk}"]} for o in self.offer_list]

    def chosen_offers(self) -> list[Any]:
        chosen = self.chosen_values()
        return [o for o in self.offer_list if str(o.pk) in chosen]

    def preview(self) -> dict[str, Any]:
        """What residents will see once published, from a valid form (nothing is written)."""
        data = self.cleaned_data
        main = data.get("main_offer") or ""
        chosen = [o for o in self.offer_list if str(o.pk) in set(data["offers"])]
        main_offer = next((o for o in chosen if str(o.pk) == main), chosen[0])
        return {
            "title": data["title"],
            "description": data.get("description", ""),
            "kind": dict(BuyKind.choices).get(data["kind"], data["kind"]),
            "items": [
                {"offer": o, "cap": (data.get(f"cap_{o.pk}") or "").strip(), "is_main": o is main_offer} for o in chosen
            ],
            "moq": data["moq"],
            "moq_unit": main_offer.unit if data["moq_kind"] == MoqKind.UNITS else "¥",
            "household_limit": (data.get("household_limit") or "").strip(),
            "deadline": data["deadline"],
            "delivery_date": data["delivery_date"],
            "distribution": dict(DistributionMode.choices).get(data["distribution_mode"], ""),
            "drop_point": data.get("drop_point", ""),
            "close_when_formed": data.get("close_when_formed", False),
        }

    def chosen_offer_ids(self) -> list[int]:
        return [int(o) for o in self.cleaned_data.get("offers", [])]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        main = data.get("main_offer") or ""
        items = [
            {
                "offer_id": int(offer_id),
                "cap": (data.get(f"cap_{offer_id}") or "").strip() or None,
                "is_main": offer_id == main,
            }
            for offer_id in data["offers"]
        ]
        return {
            "title": data["title"],
            "description": data.get("description", ""),
            "kind": data["kind"],
            "items": items,
            "moq_kind": data["moq_kind"],
            "moq": data["moq"],
            "household_limit": (data.get("household_limit") or "").strip() or None,
            "deadline": data["deadline"],
            "delivery_date": data["delivery_date"],
            "distribution_mode": data["distribution_mode"],
            "allocation_rule": data["allocation_rule"],
            "close_when_formed": data.get("close_when_formed", False),
            "drop_point": data.get("drop_point", ""),
            "confirm_duplicate": bool(data.get("confirm_duplicate")),
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (told to everyone in the list)"), max_length=300, required=False)


class SupplierForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("supplier", "Name"), max_length=120)
    contact_name = forms.CharField(label=_("Contact person"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    categories = forms.CharField(label=_("Categories (comma-separated)"), max_length=200, required=False)
    is_supply_guaranteed = forms.BooleanField(label=_("On the supply-guarantee list (保供企业)"), required=False)


class OfferForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.CharField(label=_("Category"), max_length=40, required=False)
    unit = forms.CharField(label=_("Unit (份, 斤, 箱 ...)"), max_length=10, initial="份")
    unit_price = forms.DecimalField(label=_("Price to residents (yuan)"), max_digits=12, decimal_places=2, min_value=0)
    supplier_cost = forms.DecimalField(label=_("Supplier cost (yuan)"), max_digits=12, decimal_places=2, min_value=0)
    pack_size = forms.IntegerField(label=_("Pack size (units per pack)"), min_value=1, max_value=100000, initial=1)
    is_active = forms.BooleanField(label=_("Available for new buys"), required=False, initial=True)

    def __init__(self, *args: Any, creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["is_active"]


class PhotoForm(forms.Form):
    # A plain FileField: the service checks the real format by content (core.uploads).
    upload = forms.FileField(label=_("Photo (JPEG, PNG or WebP)"))
