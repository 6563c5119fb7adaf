"""`{% load jl_charts %}` then `{% signup_progress_chart buy %}` or `{% distribution_chart buy %}`: the inline SVG
charts of groupbuy/charts.py in any page, without the page's view having to compute them (one query each)."""

from __future__ import annotations

from django import template

from groupbuy import charts

register = template.Library()


@register.inclusion_tag("groupbuy/charts/progress.html")
def signup_progress_chart(buy):
    return {"chart": charts.signup_progress(buy=buy)}


@register.inclusion_tag("groupbuy/charts/distribution.html")
def distribution_chart(buy, rows=None):
    return {"chart": charts.distribution_bars(buy=buy, rows=rows)}
