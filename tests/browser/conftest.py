"""Real headless Chromium (Debian's package) driven by Playwright against pytest-django's live server.

Every page a journey visits goes through `Browser.visit`, which checks it for older eyes and slow phones:
WCAG AA contrast of every visible text (computed styles, in the page), no horizontal scrolling at 200% text
size, and (for the whole test) no request to any origin other than the live server. Screenshots of each
journey's last step, in Chinese and English, go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 390, "height": 844}
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}

# Relative luminance and contrast ratio (WCAG 2.x) of each element that directly holds visible text, against
# the background it is painted on (ancestors' background colours composited; images are not considered).
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let color = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) color = over(layers[i], color);
    return color;
  };
  const failures = [];
  let checked = 0;
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("[hidden], option, script, style, [aria-hidden=true]")) continue;
    const cs = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (cs.visibility !== "visible" || cs.display === "none" || box.width === 0 || box.height === 0) continue;
    if (el.matches(":disabled")) continue;
    const isSvg = el instanceof SVGElement;
    let fg = parse(isSvg ? cs.fill : cs.color) || parse(cs.color);
    const bg = background(isSvg ? el.closest("svg").parentElement : el);
    fg = over([fg[0], fg[1], fg[2], fg[3] * parseFloat(cs.opacity || 1)], bg);
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (parseInt(cs.fontWeight, 10) >= 700 && size >= 18.66);
    const need = large ? 3 : 4.5;
    checked++;
    if (ratio + 0.005 < need) {
      const what = `${el.tagName.toLowerCase()}.${el.getAttribute("class") || ""}`;
      const against = `rgb(${bg.slice(0, 3).map(Math.round).join(",")})`;
      const words = node.textContent.trim().slice(0, 30);
      failures.push(`${what} "${words}" ${ratio.toFixed(2)} < ${need} (${cs.color} on ${against})`);
    }
  }
  return { checked, failures };
}
"""

# Double the root font size (what a phone's "large text" setting does to rem-based pages) and look for
# anything that makes the page itself wider than the screen. Content inside a scrolling box (a wide table
# in .scroll) is allowed: WCAG 1.4.10 exempts two-dimensional tables.
REFLOW_JS = """
() => {
  const html = document.documentElement;
  const before = html.style.fontSize;
  html.style.fontSize = (parseFloat(getComputedStyle(html).fontSize) * 2) + "px";
  const width = html.clientWidth;
  const overflow = Math.max(html.scrollWidth, document.body.scrollWidth) - width;
  const offenders = [];
  if (overflow > 1) {
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      const spills = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible";
      if ((r.right > width + 1 && r.width > 0) || (spills && r.left + el.scrollWidth > width + 1)) {
        let clipped = false;
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          const ox = getComputedStyle(p).overflowX;
          if (ox === "auto" || ox === "scroll" || ox === "hidden") { clipped = true; break; }
        }
        const what = `${el.tagName.toLowerCase()}.${el.getAttribute("class") || ""}`;
        if (!clipped) offenders.push(`${what} right=${Math.round(r.right)}`);
      }
    }
  }
  html.style.fontSize = before;
  return { overflow, offenders: offenders.slice(0, 8) };
}
"""


# Big tap targets: buttons, button-like links and form fields at least 44 CSS px tall (and buttons as wide);
# checkboxes and radios at least 24 px, or inside a label that is at least 44 px tall (WCAG 2.5.5 / 2.5.8).
TAP_JS = """
() => {
  const small = [];
  for (const el of document.querySelectorAll("button, a.btn, input, select, textarea")) {
    if (el.type === "hidden" || el.closest("[hidden]")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const what = `${el.tagName.toLowerCase()}[${el.getAttribute("name") || el.getAttribute("class") || ""}]`;
    const size = `${what} ${Math.round(r.width)}x${Math.round(r.height)}`;
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      const labelTall = label && label.getBoundingClientRect().height >= 44;
      if (Math.min(r.width, r.height) < 24 && !labelTall) small.push(size);
    } else if (r.height < 44 || (!["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) && r.width < 44)) {
      small.push(size);
    }
  }
  return small;
}
"""


@pytest.fixture(scope="module")
def chromium():
    """One browser per test module. Playwright's sync API keeps an asyncio loop running in this thread while
    it is started, which Django's async-safety check would take for an async context: allow it only for as
    long as the browser lives (the live server runs in its own thread and is unaffected)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Browser:
    """A phone-sized browser context for one person, with page checks and screenshots."""

    def __init__(self, chromium, live_server, *, javascript: bool = True):
        self.base = live_server.url
        self.host = urlsplit(self.base).hostname
        self.foreign: list[str] = []
        self.problems: list[str] = []
        self.context = chromium.new_context(
            viewport=VIEWPORT,
            locale="zh-CN",
            java_script_enabled=javascript,
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
        )
        self.context.set_default_timeout(10_000)
        self.context.route("**/*", self._guard)
        self.page = self.context.new_page()

    def _guard(self, route):
        host = urlsplit(route.request.url).hostname or ""
        if host == self.host or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def login(self, user) -> None:
        """Log in without the login form (it has its own tests): a real session cookie for this browser."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.base}])

    def visit(self, path: str, *, check: bool = True):
        response = self.page.goto(self.base + path)
        assert response is not None
        assert response.status < 400, f"{path}: HTTP {response.status}"
        if check:
            self.check()
        return response

    def check(self) -> None:
        """Contrast and reflow of the page now shown; problems are collected and asserted at the end."""
        where = urlsplit(self.page.url).path
        contrast = self.page.evaluate(CONTRAST_JS)
        assert contrast["checked"] > 0, f"{where}: no text found to check"
        for failure in contrast["failures"]:
            self.problems.append(f"{where} contrast: {failure}")
        for small in self.page.evaluate(TAP_JS):
            self.problems.append(f"{where} small tap target: {small}")
        reflow = self.page.evaluate(REFLOW_JS)
        if reflow["overflow"] > 1:
            self.problems.append(
                f"{where} scrolls sideways at 200% text by {reflow['overflow']}px: {reflow['offenders']}"
            )

    def submit(self, form_selector: str, *, check: bool = True) -> None:
        """Click the form's submit button and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.locator(form_selector).locator("button:not([name=language])").first.click()
        if check:
            self.check()

    def text(self) -> str:
        return self.page.inner_text("body")

    def success_message(self) -> str:
        return self.page.locator(".msg").first.inner_text()

    def switch_language(self) -> None:
        with self.page.expect_navigation():
            self.page.locator(".lang-form button").click()

    def screenshots(self, journey: str) -> list[Path]:
        """The step now shown, in Chinese then English (switched with the page's own language button)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        paths = []
        for lang in ("zh-hans", "en"):
            if self.page.locator("html").get_attribute("lang") != lang:
                self.switch_language()
            assert self.page.locator("html").get_attribute("lang") == lang
            self.check()
            path = SCREENSHOTS / f"{journey}-{lang}.png"
            self.page.screenshot(path=str(path), full_page=True)
            paths.append(path)
        return paths

    def close(self) -> None:
        self.context.close()

    def assert_clean(self) -> None:
        assert self.foreign == [], f"requests to other origins: {self.foreign}"
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture
def browse(chromium, live_server):
    """`browse(user)` opens a new phone-sized browser (logged in when a user is given). At the end of the test
    every browser opened must have made no outside request and shown no contrast or reflow problem."""
    opened: list[Browser] = []

    def make(user=None, *, javascript: bool = True) -> Browser:
        browser = Browser(chromium, live_server, javascript=javascript)
        if user is not None:
            browser.login(user)
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        browser.close()
    for browser in opened:
        browser.assert_clean()
