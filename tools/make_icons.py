"""Draw the app icons once: the character 接 in white on the brand red (static/css/app.css `--pri`).

Run from the repository root and commit the PNGs it writes under static/icons/ (the app never runs this):

    .venv/bin/python tools/make_icons.py

- icon-192.png, icon-512.png: rounded square on a transparent background (manifest purpose "any");
- maskable-192.png, maskable-512.png: full bleed, the glyph inside the central safe zone (purpose "maskable");
- apple-touch-icon.png (180, full bleed: iOS rounds it itself), favicon-32.png and favicon.ico (16, 32, 48).

Needs the CJK font of Debian's fonts-wqy-microhei package (also used for the posters).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
BRAND = "#b3261e"  # --pri in static/css/app.css (the top bar)
GLYPH = "接"
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SUPERSAMPLE = 4  # draw large, then shrink: smooth edges without a vector renderer


def draw(size: int, *, glyph_share: float, radius_share: float, transparent: bool) -> Image.Image:
    """One icon of `size` px: the glyph `glyph_share` of the side tall, corners rounded by `radius_share`."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0) if transparent else BRAND)
    pen = ImageDraw.Draw(image)
    if transparent:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * radius_share), fill=BRAND)
    font = ImageFont.truetype(FONT, int(big * glyph_share))
    # Centre the ink of the glyph (not its advance box) so it sits optically in the middle.
    left, top, right, bottom = pen.textbbox((0, 0), GLYPH, font=font)
    x = (big - (right - left)) / 2 - left
    y = (big - (bottom - top)) / 2 - top
    pen.text((x, y), GLYPH, font=font, fill="white")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def save(image: Image.Image, name: str) -> None:
    path = OUT / name
    image.save(path, optimize=True)
    sys.stdout.write(f"{path.relative_to(OUT.parent.parent)}: {path.stat().st_size} bytes\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        save(draw(size, glyph_share=0.62, radius_share=0.2, transparent=True), f"icon-{size}.png")
        # Maskable: launchers may cut the icon to a circle of 80% of the side; the glyph stays within it.
        save(draw(size, glyph_share=0.5, radius_share=0, transparent=False), f"maskable-{size}.png")
    save(draw(180, glyph_share=0.6, radius_share=0, transparent=False).convert("RGB"), "apple-touch-icon.png")
    save(draw(32, glyph_share=0.78, radius_share=0.18, transparent=True), "favicon-32.png")
    ico = draw(48, glyph_share=0.78, radius_share=0.18, transparent=True)
    ico.save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    sys.stdout.write(f"static/icons/favicon.ico: {(OUT / 'favicon.ico').stat().st_size} bytes\n")


if __name__ == "__main__":
    main()
