/* Jielong's service worker. Served at /sw.js by core.pwa.service_worker, which puts `self.JL` above this file:
   the cache version, the app shell, the offline page and the offline banner per language, the time zone.

   What it stores (nothing else is ever written to a cache):
   - the app shell, at install: our stylesheet and scripts, the small icons, the offline page in each language;
   - the buy list (/buys/) and buy pages (/buys/<id>/): GET pages answered 200, not redirected, HTML, and not
     marked private or no-store; network first, the saved copy only when the network fails, with a banner
     "offline: as of HH:MM". The 30 most recent are kept.
   Never: other pages (money, pickup codes, /settlement/, /accounts/, /admin/), /api/, anything but GET.

   What it forgets: the saved pages when someone signs in, signs up or logs out (a POST to those pages), when
   a page shows another person or nobody signed in (static/js/sw-register.js tells it), when a buy page now
   answers 403/404 or sends to the login page; everything of an older version when a new one activates. */
"use strict";

const CFG = self.JL;
const SHELL = "jl-shell-" + CFG.version;
const PAGES = "jl-pages-" + CFG.version;
const META = "jl-meta";
const KEEP_PAGES = 30;
const SAVED_AT = "X-Jielong-Saved-At";
const SAVED_PAGE = /^\/buys\/(?:[0-9]+\/)?$/;
const SIGN_IN_OR_OUT = /^\/accounts\/(?:.*\/)?(?:login|logout|signup)\//;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(CFG.shell))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const current = [SHELL, PAGES, META];
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("jl-") && !current.includes(name)).map((name) => caches.delete(name)),
      );
      if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (request.method !== "GET") {
      // The browser sends the form itself; only note that the person on this phone may change.
      if (SIGN_IN_OR_OUT.test(url.pathname)) event.waitUntil(forgetPages());
      return;
    }
    event.respondWith(navigate(event, url));
  } else if (request.method === "GET" && url.pathname.startsWith(CFG.static_url)) {
    event.respondWith(fromShell(request));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "page") event.waitUntil(pageSeen(String(data.user || ""), String(data.lang || "")));
});

async function navigate(event, url) {
  const saved = SAVED_PAGE.test(url.pathname);
  let response;
  try {
    response = (await event.preloadResponse) || (await fetch(event.request));
  } catch (error) {
    return (saved && (await savedPage(url))) || (await offlinePage()) || Response.error();
  }
  if (saved) event.waitUntil(rememberPage(url, response.clone()));
  return response;
}

function pageKey(url) {
  return url.origin + url.pathname; // ?item<ID>=N prefills the same page
}

function storable(response) {
  const type = response.headers.get("Content-Type") || "";
  const cacheControl = response.headers.get("Cache-Control") || "";
  return (
    response.status === 200 &&
    response.type === "basic" &&
    !response.redirected &&
    type.startsWith("text/html") &&
    !/no-store|private/i.test(cacheControl)
  );
}

async function rememberPage(url, response) {
  const cache = await caches.open(PAGES);
  if (!storable(response)) {
    // Gone, refused, or sent to the login page: the old copy must not outlive the right to see it.
    if (response.type === "opaqueredirect" || [401, 403, 404, 410].includes(response.status)) {
      await cache.delete(pageKey(url));
    }
    return;
  }
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.delete("Content-Encoding"); // the body below is already decoded
  headers.set(SAVED_AT, new Date().toISOString());
  const body = await response.blob();
  await cache.put(pageKey(url), new Response(body, { status: 200, statusText: "OK", headers }));
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - KEEP_PAGES)).map((key) => cache.delete(key)));
}

async function savedPage(url) {
  const cache = await caches.open(PAGES);
  const copy = await cache.match(pageKey(url));
  if (!copy) return null;
  const savedAt = copy.headers.get(SAVED_AT) || new Date().toISOString();
  const html = await copy.text();
  const found = /<html[^>]*\blang="([^"]+)"/.exec(html);
  const lang = found && CFG.banner[found[1]] ? found[1] : CFG.default_language;
  const text = CFG.banner[lang].replace("%(time)s", asOf(savedAt, lang));
  const banner = '<p class="msg msg-warning" role="status" data-offline-banner>' + escapeHtml(text) + "</p>";
  const marked = /<main\b[^>]*>/.test(html)
    ? html.replace(/<main\b[^>]*>/, (tag) => tag + banner)
    : html.replace(/<body\b[^>]*>/, (tag) => tag + banner);
  const headers = new Headers(copy.headers);
  headers.set("X-Jielong-Offline", savedAt);
  return new Response(marked, { status: 200, statusText: "OK", headers });
}

function asOf(iso, lang) {
  const when = new Date(iso);
  const day = (date) => new Intl.DateTimeFormat("en-CA", { timeZone: CFG.time_zone }).format(date);
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: CFG.time_zone };
  if (day(when) !== day(new Date())) Object.assign(options, { month: "numeric", day: "numeric" });
  try {
    return new Intl.DateTimeFormat(lang, options).format(when);
  } catch (error) {
    return when.toISOString().slice(11, 16);
  }
}

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

async function offlinePage() {
  const lang = (await remembered("lang")) || CFG.default_language;
  const cache = await caches.open(SHELL);
  return (await cache.match(CFG.offline[lang] || CFG.offline[CFG.default_language])) || null;
}

async function fromShell(request) {
  const cache = await caches.open(SHELL);
  return (await cache.match(request)) || fetch(request);
}

async function forgetPages() {
  await caches.delete(PAGES);
}

async function remembered(name) {
  const meta = await caches.open(META);
  const entry = await meta.match("/__jl/" + name);
  return entry ? entry.text() : null;
}

async function pageSeen(user, lang) {
  const meta = await caches.open(META);
  if ((await remembered("user")) !== user) {
    await forgetPages();
    await meta.put("/__jl/user", new Response(user));
  }
  if (CFG.offline[lang]) await meta.put("/__jl/lang", new Response(lang));
}
