"""Compliance (居委): delivery policy, filings (报备), approval slips (批条), gate checks,
disinfection evidence and the tamper-evident audit trail.

Writes: compliance.services.{policy,filings,review,gate,delivery,reminders,audit}.
Reads and who-may-see-what: compliance.selectors. Pages under /compliance/, API under /api/compliance/.
"""
