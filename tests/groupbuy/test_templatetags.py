"""The buy pages' Python-built pieces (issue 7) say exactly what the template code they replaced said, in both
languages: the sentences of groupbuy/templatetags/jl_buys.py against the `{% blocktranslate %}` they were,
and the 接龙 lines of jl_list.py against the former loop, escaping included."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from groupbuy.selectors import ListRow, Progress

LANGUAGES = ["zh-hans", "en"]

# What the partials said before (templates/groupbuy/_price.html, _progress.html, _deadline.html, buy_list.html).
OLD_PRICE_NOTE = (
    "{% load i18n money %}{% if item.markup %}{% blocktranslate with cost=item.supplier_cost|money "
    "markup=item.markup|money %}supplier cost {{ cost }}, leader's markup {{ markup }}{% endblocktranslate %}"
    "{% if item.markup_percent is not None %} ({{ item.markup_percent }}%){% endif %}{% else %}"
    "{% blocktranslate with cost=item.supplier_cost|money %}at supplier cost {{ cost }}, no markup"
    "{% endblocktranslate %}{% endif %}"
)
OLD_MOQ_LINE = (
    "{% load i18n money %}{% with p=buy.progress %}{% if p.counts_units %}{% blocktranslate with cur=p.current "
    "moq=p.moq unit=buy.main_item.offer.unit %}{{ cur }} of {{ moq }} {{ unit }} (minimum order, main item)"
    "{% endblocktranslate %}{% else %}{% blocktranslate with cur=p.current|money moq=p.moq|money %}"
    "{{ cur }} of {{ moq }} (minimum order, counted as total amount in yuan){% endblocktranslate %}{% endif %}"
    "{% endwith %}"
)
OLD_MOQ_REMAINING = (
    '{% load i18n money %}{% with p=buy.progress %}{% if p.reached %}{% translate "Formed (成团)" %}'
    "{% elif p.counts_units %}{% blocktranslate with n=p.remaining unit=buy.main_item.offer.unit %}{{ n }} {{ unit }} "
    "more to form{% endblocktranslate %}{% else %}{% blocktranslate with n=p.remaining|money %}{{ n }} more to form"
    "{% endblocktranslate %}{% endif %}{% endwith %}"
)
OLD_DEADLINE = (
    "{% load i18n %}{% if buy.signup_open %}{% blocktranslate with left=buy.deadline|timeuntil "
    'when=buy.deadline|date:"m-d H:i" %}Closes in {{ left }} ({{ when }}){% endblocktranslate %}{% else %}'
    '{% blocktranslate with when=buy.deadline|date:"m-d H:i" %}Deadline {{ when }}{% endblocktranslate %}{% endif %}'
)
OLD_HOUSEHOLDS = (
    "{% load i18n %}{% blocktranslate count n=count %}{{ n }} household{% plural %}{{ n }} households"
    "{% endblocktranslate %}"
)
OLD_ROWS = (
    '{% for row in rows %}<li><span class="seq">#{{ row.seq }}</span> {{ row.identity }} '
    "{% for item, q in row.lines %}"
    "{% if items|length > 1 %}{{ item.offer.title }} {% endif %}×{{ q }}{% if not forloop.last %}, {% endif %}"
    "{% endfor %}</li>{% endfor %}"
)


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def item(price="59.00", cost="50.00", unit="份 <b>", title="蔬菜 & <i>"):
    price, cost = Decimal(price), Decimal(cost)
    markup = price - cost
    percent = int((markup * 100 / cost).to_integral_value()) if cost else None
    return SimpleNamespace(
        pk=id(title),
        unit_price=price,
        supplier_cost=cost,
        markup=markup,
        markup_percent=percent,
        offer=SimpleNamespace(unit=unit, title=title),
    )


def buy(counts_units=True, current="3", moq="10", open_=True, main=None, hours=50):
    current, moq = Decimal(current), Decimal(moq)
    remaining = max(Decimal(0), moq - current)
    return SimpleNamespace(
        progress=Progress(
            counts_units=counts_units,
            current=current,
            moq=moq,
            remaining=remaining,
            percent=min(100, int(current * 100 / moq)),
            reached=remaining == 0,
        ),
        main_item=main,
        signup_open=open_,
        deadline=timezone.now() + datetime.timedelta(hours=hours, minutes=7),
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "the_item",
    [item(), item(price="30.00", cost="30.00"), item(price="12.00", cost="0.00"), item(price="9.99", cost="7.35")],
    ids=["markup", "no-markup", "free-cost", "rounding"],
)
def test_price_note_says_what_the_blocktranslate_said(language, the_item):
    with translation.override(language):
        assert render("{% load jl_buys %}{{ item|price_note }}", item=the_item) == render(OLD_PRICE_NOTE, item=the_item)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "the_buy",
    [
        buy(main=item()),
        buy(current="12", main=item()),
        buy(main=None),
        buy(counts_units=False, current="123.40", moq="500.00"),
        buy(counts_units=False, current="600.00", moq="500.00"),
    ],
    ids=["units", "units-formed", "no-main-item", "yuan", "yuan-formed"],
)
def test_minimum_order_lines_say_what_the_blocktranslate_said(language, the_buy):
    with translation.override(language):
        assert render("{% load jl_buys %}{{ buy|moq_line }}", buy=the_buy) == render(OLD_MOQ_LINE, buy=the_buy)
        assert render("{% load jl_buys %}{{ buy|moq_remaining }}", buy=the_buy) == render(
            OLD_MOQ_REMAINING, buy=the_buy
        )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "the_buy",
    [buy(), buy(hours=0), buy(open_=False), SimpleNamespace(deadline=timezone.now())],
    ids=["open", "open-minutes", "closed", "not-decorated"],
)
def test_deadline_line_says_what_the_blocktranslate_said(language, the_buy):
    with translation.override(language):
        assert render("{% load jl_buys %}{{ buy|deadline_line }}", buy=the_buy) == render(OLD_DEADLINE, buy=the_buy)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("count", [0, 1, 2, 500])
def test_households_says_what_the_blocktranslate_said(language, count):
    with translation.override(language):
        assert render("{% load jl_buys %}{{ count|households }}", count=count) == render(OLD_HOUSEHOLDS, count=count)


@pytest.mark.parametrize("several", [False, True], ids=["one-item", "several-items"])
def test_signup_rows_are_the_former_loop_with_the_same_escaping(several):
    cabbage, eggs = item(title="白菜 <script>"), item(title="鸡蛋 & 鸭蛋")
    items = [cabbage, eggs] if several else [cabbage]
    rows = [
        ListRow(entry=None, seq=1, identity="12-301 王**", lines=[(cabbage, 2)] + ([(eggs, 1)] if several else [])),
        ListRow(entry=None, seq=7, identity='A&B-<1> "李**', lines=[(items[-1], 12)]),
        ListRow(entry=None, seq=9, identity="3-101 **", lines=[]),
    ]
    ours = render("{% load jl_list %}{% signup_rows rows items %}", rows=rows, items=items)
    assert ours.replace("\n    ", "") == render(OLD_ROWS, rows=rows, items=items)
    assert "<script>" not in ours
    assert ours.count("<li>") == 3
