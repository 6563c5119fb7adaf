"""The share poster (issue 15): a PNG made on the server with Pillow, for leaders to post in a WeChat group.

First photo of the buy (if any), title, price per unit, deadline, "已接 N 户 · 还差 M 份", pickup place and a QR
code of the buy's share link. A read like groupbuy.charts: it never writes to the database.

The image is cached (Django cache: Redis) under a key made of everything it shows (buy id, title, prices, units,
counters, deadline, pickup, photo, language and the share link), so a sign-up or a reset link makes a new one
and an unchanged buy is drawn once.

Fonts: Chinese needs a CJK font. POSTER_FONT is the Debian font `fonts-wqy-microhei` (installed by `make test`);
without it, PIL's built-in font is used, which has no CJK glyphs (Chinese then shows as boxes, the QR still scans).
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont, ImageOps

from core.qr import qr_png
from groupbuy.models import GroupBuy, OfferPhoto
from groupbuy.selectors import share_deadline_line, share_money, share_progress_summary
from groupbuy.units import unit_label

POSTER_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
WIDTH = 750
PHOTO_HEIGHT = 500
MARGIN = 40
QR_SIZE = 260
CACHE_SECONDS = 24 * 3600
RED = (179, 38, 30)
INK = (26, 26, 26)
MUTED = (85, 85, 79)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# A CJK character, or a run of anything else up to and including its trailing space: the units text wraps at.
_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+\s*|\s+")


def _font(size: int) -> Font:
    if POSTER_FONT.exists():
        return ImageFont.truetype(str(POSTER_FONT), size)
    return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, max_lines: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(text):
        if current and draw.textlength(current + token.rstrip(), font=font) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _photo(photo_id: int | None) -> Image.Image | None:
    photo = OfferPhoto.objects.filter(pk=photo_id).first() if photo_id else None
    if photo is None or not photo.image:
        return None
    try:
        with photo.image.open("rb") as file, Image.open(file) as image:
            return ImageOps.fit(image.convert("RGB"), (WIDTH, PHOTO_HEIGHT))
    except (OSError, ValueError):  # a missing or unreadable file: the poster goes without it
        return None


def _lines(buy: GroupBuy) -> tuple[str, list[str], list[str]]:
    """(title, price lines, fact lines) in the active language."""
    items = buy.item_list
    prices = [
        f"{item.offer.title} {share_money(item.unit_price)}/{unit_label(item.offer.unit)}"
        if len(items) > 1
        else f"{share_money(item.unit_price)}/{unit_label(item.offer.unit)}"
        for item in items
    ]
    place = buy.drop_point or buy.get_distribution_mode_display()
    facts = [
        share_progress_summary(buy),
        share_deadline_line(buy),
        gettext("Pickup: %(place)s") % {"place": place},
    ]
    return buy.title, prices, facts


def poster_render(*, buy: GroupBuy, link: str, language: str) -> bytes:
    """Draw the poster. `buy` comes from `buy_get` / `buy_get_shared` (items, progress, photo_id attached)."""
    with translation.override(language):
        title, prices, facts = _lines(buy)
        caption = gettext("Scan to sign up (扫码接龙)")
    scratch = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_width = WIDTH - 2 * MARGIN
    title_font, price_font, fact_font, caption_font = _font(46), _font(40), _font(30), _font(32)
    title_lines = _wrap(scratch, title, title_font, text_width, 3)
    price_lines = [line for price in prices[:4] for line in _wrap(scratch, price, price_font, text_width, 2)]
    fact_lines = [line for fact in facts for line in _wrap(scratch, fact, fact_font, text_width, 2)]

    photo = _photo(buy.photo_id)
    top = PHOTO_HEIGHT if photo is not None else 24
    height = top + MARGIN + 60 * len(title_lines) + 54 * len(price_lines) + 20 + 44 * len(fact_lines)
    height += 30 + QR_SIZE + MARGIN
    poster = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(poster)
    if photo is not None:
        poster.paste(photo, (0, 0))
    else:
        draw.rectangle((0, 0, WIDTH, top), fill=RED)
    y = top + MARGIN
    for line in title_lines:
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 60
    for line in price_lines:
        draw.text((MARGIN, y), line, font=price_font, fill=RED)
        y += 54
    y += 20
    for line in fact_lines:
        draw.text((MARGIN, y), line, font=fact_font, fill=MUTED)
        y += 44
    y += 30
    with Image.open(io.BytesIO(qr_png(link, scale=8, border=2))) as qr:
        poster.paste(qr.convert("RGB").resize((QR_SIZE, QR_SIZE), Image.Resampling.NEAREST), (MARGIN, y))
    caption_x = MARGIN + QR_SIZE + 30
    for i, line in enumerate(_wrap(draw, caption, caption_font, WIDTH - caption_x - MARGIN, 3)):
        draw.text((caption_x, y + QR_SIZE // 2 - 24 + 44 * i), line, font=caption_font, fill=INK)
    out = io.BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()


def poster_cache_key(*, buy: GroupBuy, link: str, language: str) -> str:
    """Everything the poster shows, hashed: a change to any of it is a new key."""
    p = buy.progress
    shown = [
        buy.pk,
        buy.title,
        buy.status,
        buy.deadline.isoformat(),
        buy.drop_point,
        buy.distribution_mode,
        buy.entry_count,
        str(p.current),
        str(p.remaining),
        p.reached,
        buy.photo_id,
        [(item.pk, item.offer.title, str(item.unit_price), item.offer.unit) for item in buy.item_list],
        language,
        link,
    ]
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"share-poster:{buy.pk}:{digest}"


def poster_png(*, buy: GroupBuy, link: str, language: str) -> bytes:
    """The poster from the cache, drawn (and cached) when the buy changed since it was last drawn."""
    key = poster_cache_key(buy=buy, link=link, language=language)
    png = cache.get(key)
    if png is None:
        png = poster_render(buy=buy, link=link, language=language)
        cache.set(key, png, CACHE_SECONDS)
    return png
