"""Exports for leaders and data volunteers: the sign-up list and the purchase order, as CSV or XLSX.

Both formats come from one Table so they always agree. Text typed by people (names, notes)
that starts like a spreadsheet formula is prefixed with a quote, so opening an export never
runs anything (CSV/formula injection).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from accounts.phone import phone_display
from groupbuy import selectors
from groupbuy.models import GroupBuy
from groupbuy.units import unit_english, unit_label

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    filename: str  # without extension
    title: str
    preamble: list[list[Any]] = field(default_factory=list)  # label/value lines above the table
    header: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    footer: list[list[Any]] = field(default_factory=list)


def safe_text(value: Any) -> Any:
    """Numbers pass through; text that a spreadsheet would read as a formula is quoted."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _item_heading(item: Any) -> str:
    """`白菜 (份)`; in English `Cabbage (份, portions)` for a known unit."""
    unit = item.offer.unit
    english = unit_english(unit, 2)
    return f"{item.offer.title} ({unit}, {english})" if english else f"{item.offer.title} ({unit})"


def signup_table(*, buy: GroupBuy) -> Table:
    """The live 接龙 list with contacts (callers check selectors.require_contacts first)."""
    rows = selectors.signup_list(buy=buy, contacts=True)
    items = buy.item_list
    header = [
        _("No."),
        _("Household"),
        _("Name"),
        _("Phone"),
        _("Placed by"),
        *[_item_heading(item) for item in items],
        _("Units"),
        _("Amount (yuan)"),
        _("Note"),
        _("Signed up at"),
    ]
    body = []
    for row in rows:
        quantities = row.quantities
        body.append(
            [
                row.seq,
                row.entry.household.label,
                row.contact_name,
                phone_display(row.contact_phone),
                row.placed_by_name if row.is_proxy else "",
                *[quantities.get(item.pk, 0) for item in items],
                row.entry.units,
                row.entry.amount,
                row.entry.note,
                timezone.localtime(row.entry.created_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    footer = [
        [
            _("Total"),
            "",
            "",
            "",
            "",
            *[item.total_quantity for item in items],
            buy.total_units,
            buy.total_amount,
            "",
            "",
        ]
    ]
    return Table(
        filename=f"buy-{buy.pk}-signups",
        title=buy.title,
        preamble=[[_("Group buy"), buy.title], [_("Entries"), len(rows)]],
        header=header,
        rows=body,
        footer=footer,
    )


def order_table(*, buy: GroupBuy) -> Table:
    """What to order from the supplier: per offer units, packs and cost, with delivery date and drop point."""
    order = selectors.purchase_order_get(buy=buy)
    header = [_("Offer"), _("Unit"), _("Quantity"), _("Packs"), _("Unit cost (yuan)"), _("Cost (yuan)")]
    body = [
        [line.title, unit_label(line.unit), line.quantity, line.packs or "", line.unit_cost, line.amount]
        for line in order.lines
    ]
    return Table(
        filename=f"buy-{buy.pk}-purchase-order",
        title=buy.title,
        preamble=[
            [_("Group buy"), buy.title],
            [_("Supplier"), ", ".join(order.supplier_names)],
            [_("Delivery date"), buy.delivery_date.isoformat()],
            [_("Drop point"), buy.drop_point],
            [_("Status"), _("final") if order.is_final else _("preview, list still open")],
        ],
        header=header,
        rows=body,
        footer=[[_("Total"), "", "", "", "", order.total_cost]],
    )


def _all_lines(table: Table) -> list[list[Any]]:
    return [*table.preamble, [], table.header, *table.rows, *table.footer]


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _all_lines(table):
        writer.writerow([safe_text(str(v)) if not isinstance(v, int | Decimal) else v for v in line])
    # The BOM makes Excel open the file as UTF-8 (Chinese names stay readable).
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Sheet")[:31])
    bold = Font(bold=True)
    for line in table.preamble:
        sheet.append([safe_text(str(v)) if not isinstance(v, int | Decimal) else v for v in line])
    sheet.append([])
    header = []
    for name in table.header:
        cell = WriteOnlyCell(sheet, value=safe_text(str(name)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for line in [*table.rows, *table.footer]:
        sheet.append([safe_text(v) for v in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(table: Table) -> HttpResponse:
    return _download(csv_bytes(table), f"{table.filename}.csv", "text/csv; charset=utf-8")


def xlsx_response(table: Table) -> HttpResponse:
    return _download(xlsx_bytes(table), f"{table.filename}.xlsx", XLSX_TYPE)
