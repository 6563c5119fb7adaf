"""`{% load compliance_audit %}`: what the audit chain check found, in words (compliance.audit_text)."""

from __future__ import annotations

from django import template

from compliance.audit_text import chain_problem_text

register = template.Library()


@register.filter
def chain_problem(problem: str) -> str:
    """ "broken_link" -> "it does not link to the record before it"."""
    return chain_problem_text(problem)
