"""Phone numbers as they are stored and compared: E.164 (`+8613812345678`).

An 11-digit mainland mobile number (1[3-9] then 9 digits) may be typed bare, with +86 / 0086 / 86, and with
spaces, dashes or dots; any other country's number needs its leading + (or 00). Nothing else is a phone.
"""

from __future__ import annotations

import re
import unicodedata

from accounts import exceptions as err

_SEPARATORS = re.compile(r"[\s\-.()]")
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def phone_normalize(raw: object) -> str:
    """The E.164 form of `raw`; raises err.phone_invalid() for anything that is not a phone number."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(raw or "")))  # NFKC: full-width digits, ＋
    if text.startswith("00"):
        text = "+" + text[2:]
    if _MAINLAND_MOBILE.fullmatch(text):
        return "+86" + text
    if text.startswith("86") and _MAINLAND_MOBILE.fullmatch(text[2:]):
        return "+" + text
    if text.startswith("+86"):
        # A +86 number must be a mobile: landlines cannot receive the code.
        if _MAINLAND_MOBILE.fullmatch(text[3:]):
            return text
        raise err.phone_invalid()
    if _E164.fullmatch(text):
        return text
    raise err.phone_invalid()


def phone_display(phone: str) -> str:
    """How a stored phone is shown and exported for people who dial it here: a mainland mobile without +86 (a
    leading + also reads as a formula to spreadsheets, which the export would have to quote); others as stored."""
    if phone.startswith("+86") and _MAINLAND_MOBILE.fullmatch(phone[3:]):
        return phone[3:]
    return phone
