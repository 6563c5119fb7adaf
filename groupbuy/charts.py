"""Small server-rendered charts (inline SVG drawn by templates/groupbuy/charts/*.html, no JavaScript):

- `signup_progress(buy=)`: the buy's progress toward its MOQ over time, from its live entries' sign-up times;
- `distribution_bars(buy=)`: per building, households handed their goods out of households to serve.

These are reads (like selectors): they compute geometry in SVG user units and never write.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy, MoqKind
from settlement.selectors import distribution_progress_list

# Drawing area (SVG user units); the SVG scales to the width of the phone.
WIDTH = 320
HEIGHT = 150
LEFT = 8
RIGHT = 8
TOP = 14
BOTTOM = 24
MAX_STEPS = 150  # a long list is sampled: more points would add bytes, not information
BAR_ROW = 30


@dataclass
class ProgressChart:
    counts_units: bool
    moq: Decimal
    current: Decimal
    start: datetime.datetime
    end: datetime.datetime
    points: str = ""  # polyline "x,y x,y ..." (a step line: totals change only when someone signs up)
    area: str = ""  # the same line closed down to the axis, for a light fill
    moq_y: float = 0.0
    entries: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    axis_y: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - 6
    marks: list[dict] = field(default_factory=list)  # sign-up markers on the line, only for short lists

    @property
    def percent(self) -> int:
        return min(100, int(self.current * 100 / self.moq)) if self.moq else 100


def _end_of(buy: GroupBuy, now: datetime.datetime) -> datetime.datetime:
    ended = buy.closed_at or getattr(buy, "ended_at", None)
    if ended:
        return ended
    if buy.status in (BuyStatus.OPEN, BuyStatus.FORMED):
        return min(now, buy.deadline) if buy.deadline > buy.opened_at else now
    return now


def _steps(buy: GroupBuy) -> list[tuple[datetime.datetime, Decimal]]:
    """(sign-up time, what the entry adds to the MOQ measure) for live entries, in signing order."""
    if buy.moq_kind == MoqKind.UNITS:
        rows = (
            EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE, item__is_main=True)
            .order_by("entry__created_at", "entry_id")
            .values_list("entry__created_at", "quantity")
        )
    else:
        rows = (
            Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
            .order_by("created_at", "pk")
            .values_list("created_at", "amount")
        )
    return [(at, Decimal(value)) for at, value in rows]


def signup_progress(*, buy: GroupBuy, now: datetime.datetime | None = None) -> ProgressChart:
    """The MOQ progress as a step line from the opening of the buy to now (or its close). One query."""
    now = now or timezone.now()
    steps = _steps(buy)
    start = buy.opened_at or (steps[0][0] if steps else now)
    if steps and steps[0][0] < start:
        start = steps[0][0]
    end = max(_end_of(buy, now), steps[-1][0] if steps else start)
    span = max((end - start).total_seconds(), 1.0)
    total = sum((v for _, v in steps), Decimal("0"))
    top = max(buy.moq, total) * Decimal("1.1") or Decimal("1")
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(at: datetime.datetime) -> float:
        return round(LEFT + (at - start).total_seconds() / span * plot_w, 1)

    def y(value: Decimal) -> float:
        return round(HEIGHT - BOTTOM - float(value / top) * plot_h, 1)

    cumulative = []
    running = Decimal("0")
    for at, value in steps:
        running += value
        cumulative.append((at, running))
    if len(cumulative) > MAX_STEPS:
        stride = len(cumulative) / MAX_STEPS
        cumulative = [cumulative[int(i * stride)] for i in range(MAX_STEPS)] + [cumulative[-1]]
    coords = [(x(start), y(Decimal("0")))]
    level = Decimal("0")
    for at, value in cumulative:
        coords.append((x(at), y(level)))
        coords.append((x(at), y(value)))
        level = value
    coords.append((x(end), y(level)))
    points = " ".join(f"{a},{b}" for a, b in coords)
    area = points + f" {x(end)},{y(Decimal('0'))} {x(start)},{y(Decimal('0'))}"
    counts_units = buy.moq_kind == MoqKind.UNITS
    moq = Decimal(int(buy.moq)) if counts_units else buy.moq
    current = Decimal(int(total)) if counts_units else total
    marks = [{"x": x(at), "y": y(value)} for at, value in cumulative] if len(cumulative) <= 30 else []
    return ProgressChart(
        counts_units=counts_units,
        moq=moq,
        current=current,
        start=start,
        end=end,
        points=points,
        area=area,
        moq_y=y(buy.moq),
        entries=len(steps),
        marks=marks,
    )


@dataclass
class Bar:
    building: str
    building_id: int
    handed: int
    total: int
    y: int = 0
    width: float = 0.0

    @property
    def percent(self) -> int:
        return int(self.handed * 100 / self.total) if self.total else 0


@dataclass
class BarChart:
    bars: list[Bar]
    width: int = WIDTH
    label_w: int = 84
    bar_x: int = 90
    bar_w: int = 170
    count_x: int = WIDTH - 4
    height: int = 0
    handed: int = 0
    total: int = 0


def distribution_bars(*, buy: GroupBuy, rows: list[dict] | None = None) -> BarChart:
    """Per building: handed over / households to serve (rows from settlement's distribution_progress_list, one
    query, unless the caller already has them)."""
    if rows is None:
        rows = distribution_progress_list(buy=buy)
    chart = BarChart(bars=[])
    for i, row in enumerate(rows):
        bar = Bar(
            building=str(row["building"]), building_id=row["building_id"], handed=row["handed"], total=row["total"]
        )
        bar.y = 4 + i * BAR_ROW
        bar.width = round(chart.bar_w * bar.handed / bar.total, 1) if bar.total else 0.0
        chart.bars.append(bar)
        chart.handed += bar.handed
        chart.total += bar.total
    chart.height = 8 + len(chart.bars) * BAR_ROW
    return chart
