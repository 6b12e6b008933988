"""Browser test of the BUILT reference site, offline, in headless Chromium.

The site is built once per session (``mkdocs build --strict`` into a temporary
directory; set ``SEGREF_SITE_DIR`` to test an already-built site instead),
served on 127.0.0.1 by Python's ``http.server`` and opened in the system
Chromium through Playwright (sync API).  Every page listed in the navigation
(plus the home page) is checked for:

* HTTP 200, no console errors, no uncaught page errors;
* no request to any host other than 127.0.0.1 (such requests are aborted, so
  nothing leaves the machine, and listed in the failure);
* every ``.arithmatex`` element holds KaTeX output and there is no
  ``.katex-error``, after a full load and after navigation.instant page swaps;
* every ``<img>`` (also the hidden ``#only-dark``/``#only-light`` twin) loads;
* every same-site link answers 200 and every ``#fragment`` exists on its page;
* search works offline (``SEARCH_EXPECTATIONS``).

Requirements: Chromium at /usr/bin/chromium (``apt-get install -y chromium``;
another binary can be named with ``SEGREF_CHROMIUM``) and the ``playwright``
Python package (``pip install -e ".[test]"``).  Playwright's own browser
download (``playwright install``) is NOT needed.  The build needs Node.js and
``npm ci`` (KaTeX), like any build of the site.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

#: search term -> path (relative to the site root) that one result must link to
SEARCH_EXPECTATIONS: dict[str, str] = {
    "dice": "losses/dice/",
    "focal": "losses/focal/",
}

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("SEGREF_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces besides the request routing below: no host name but
    # 127.0.0.1 resolves, so not even Chromium's own traffic leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
HOST = "127.0.0.1"
TIMEOUT_MS = 15_000
BUILD_TIMEOUT_S = 600

NAV_LINKS = "nav.md-nav--primary a.md-nav__link[href]"

if not CHROMIUM.exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
        "(or point SEGREF_CHROMIUM at a Chromium/Chrome binary)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason='install playwright with `pip install -e ".[test]"` (or `pip install playwright`); '
    "the system Chromium is used, `playwright install` is not needed",
)


# --------------------------------------------------------------------------- #
# Build and serve the site
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prebuilt = os.environ.get("SEGREF_SITE_DIR")
    if prebuilt:
        path = Path(prebuilt).resolve()
        if not (path / "index.html").is_file():
            pytest.fail(f"SEGREF_SITE_DIR={prebuilt}: no index.html there", pytrace=False)
        return path
    out = tmp_path_factory.mktemp("site")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    try:
        proc = subprocess.run(
            cmd,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`{' '.join(cmd)}` timed out after {exc.timeout} s", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(cmd)}` failed (exit code {proc.returncode}) in {REPO_ROOT}:\n"
            f"{proc.stdout}{proc.stderr}",
            pytrace=False,
        )
    return out


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files like GitHub Pages: no directory listings, no caching, quiet."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".svg": "image/svg+xml",
        ".js": "text/javascript",
        ".json": "application/json",
        ".woff2": "font/woff2",
        ".woff": "font/woff",
        ".ttf": "font/ttf",
    }

    #: (site_url, base URL served) for the sitemap rewrite, set per server
    sitemap_rewrite: tuple[str, str] | None = None

    def list_directory(self, path):  # type: ignore[override]
        self.send_error(404, "No index.html in this directory")
        return None

    def send_head(self):  # type: ignore[override]
        # mkdocs-material's navigation.instant only intercepts clicks on links
        # listed in sitemap.xml, whose absolute URLs (site_url + page) it
        # matches after copying the scheme and host name -- not the port or
        # path -- from the current location.  `mkdocs serve` rebuilds with
        # site_url set to its own address; this server does the equivalent by
        # rewriting site_url to its own base URL in sitemap.xml.
        path = urlsplit(self.path).path
        if self.sitemap_rewrite and path.endswith("/sitemap.xml"):
            local = Path(self.translate_path(self.path))
            if local.is_file():
                old, new = self.sitemap_rewrite
                body = local.read_bytes().replace(
                    f"<loc>{old}".encode(), f"<loc>{new}".encode()
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return io.BytesIO(body)
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # the browser dropping a connection is not our business


def _site_url(site_dir: Path) -> str | None:
    """site_url of the build: the canonical URL of the home page."""
    head = (site_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    match = re.search(r'<link\s+rel="canonical"\s+href="([^"]+)"', head)
    return match.group(1) if match else None


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {})
    server = _Server((HOST, 0), functools.partial(handler, directory=str(site_dir)))
    base = f"http://{HOST}:{server.server_address[1]}/"
    site_url = _site_url(site_dir)
    if site_url:
        handler.sitemap_rewrite = (site_url, base)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --------------------------------------------------------------------------- #
# Browser with request / console recording
# --------------------------------------------------------------------------- #
def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname == HOST


@dataclass
class Recorder:
    """What the browser did, attributed to the page (label) being looked at."""

    label: str = "(start)"
    requests: list[tuple[str, str]] = field(default_factory=list)
    foreign: list[tuple[str, str]] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[tuple[str, str]] = field(default_factory=list)
    bad_responses: list[tuple[str, str]] = field(default_factory=list)

    def reset(self, label: str) -> None:
        self.label = label
        for items in (
            self.requests,
            self.foreign,
            self.console_errors,
            self.page_errors,
            self.bad_responses,
        ):
            items.clear()

    # -- event handlers ------------------------------------------------------ #
    def on_route(self, route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            if (self.label, url) not in self.foreign:
                self.foreign.append((self.label, url))
            route.abort("blockedbyclient")

    def on_request(self, request: Any) -> None:
        self.requests.append((self.label, request.url))
        if not _is_local(request.url) and (self.label, request.url) not in self.foreign:
            self.foreign.append((self.label, request.url))

    def on_response(self, response: Any) -> None:
        if _is_local(response.url) and response.status >= 400:
            self.bad_responses.append((self.label, f"HTTP {response.status} {response.url}"))

    def on_request_failed(self, request: Any) -> None:
        if _is_local(request.url):
            self.bad_responses.append((self.label, f"{request.failure} {request.url}"))

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
            self.console_errors.append((self.label, f"{msg.text}{where}"))

    def on_page_error(self, error: Any) -> None:
        self.page_errors.append((self.label, str(error)))

    # -- assertions ------------------------------------------------------------ #
    def problems(self) -> list[str]:
        out = []
        for title, items in (
            ("requests to other hosts (aborted)", self.foreign),
            ("console errors", self.console_errors),
            ("uncaught page errors", self.page_errors),
            ("failed same-site requests", self.bad_responses),
        ):
            if items:
                out.append(f"{title}:")
                out.extend(f"  on {page}: {what}" for page, what in items)
        return out


@dataclass
class Browser:
    context: Any
    page: Any
    recorder: Recorder
    base_url: str


@pytest.fixture(scope="session")
def browser(base_url: str) -> Iterator[Browser]:
    recorder = Recorder()
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", recorder.on_route)
            context.on("request", recorder.on_request)
            context.on("response", recorder.on_response)
            context.on("requestfailed", recorder.on_request_failed)
            page = context.new_page()
            page.on("console", recorder.on_console)
            page.on("pageerror", recorder.on_page_error)
            yield Browser(context, page, recorder, base_url)
            context.close()
        finally:
            chromium.close()


# --------------------------------------------------------------------------- #
# In-page probes
# --------------------------------------------------------------------------- #
JS_MATH = """() => {
  const all = Array.from(document.querySelectorAll('.arithmatex'));
  const unrendered = all.filter(el => !el.querySelector('.katex'));
  return {
    total: all.length,
    rendered: all.length - unrendered.length,
    unrendered: unrendered.slice(0, 10).map(el => el.textContent.trim().slice(0, 100)),
    errors: Array.from(document.querySelectorAll('.katex-error')).slice(0, 10)
      .map(el => (el.getAttribute('title') || el.textContent).trim().slice(0, 200)),
  };
}"""

JS_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(img => {
    if (img.loading === 'lazy') img.loading = 'eager';  // hidden lazy images never load
    if (img.complete) return null;
    return new Promise(resolve => {
      img.addEventListener('load', resolve, {once: true});
      img.addEventListener('error', resolve, {once: true});
      setTimeout(resolve, 10000);
    });
  }));
  return imgs.map(img => ({
    src: img.currentSrc || img.src,
    attr: img.getAttribute('src'),
    alt: img.alt,
    complete: img.complete,
    naturalWidth: img.naturalWidth,
    hidden: img.getClientRects().length === 0,
  }));
}"""

JS_PAGE_FACTS = """(navSelector) => ({
  title: document.title,
  config: JSON.parse(document.getElementById('__config')?.textContent || '{}'),
  nav: Array.from(document.querySelectorAll(navSelector))
    .filter(a => !a.closest('.md-nav--secondary'))
    .map(a => a.href),
  links: Array.from(document.querySelectorAll('a[href]'))
    .map(a => ({href: a.href, attr: a.getAttribute('href')})),
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(el => el.id || el.name),
})"""


@dataclass
class PageReport:
    url: str
    status: int | None
    title: str = ""
    math: dict[str, Any] = field(default_factory=dict)
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


@dataclass
class SiteReport:
    base_url: str
    pages: dict[str, PageReport]  # url -> report, in visiting order
    nav_order: list[str]  # nav pages in order, home first
    features: list[str]


def _page_key(url: str) -> str:
    return urldefrag(url)[0]


def _page_path(url: str) -> str:
    """``url`` without query (search adds ``?h=term``) and fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@pytest.fixture(scope="session")
def site(browser: Browser) -> SiteReport:
    """Visit the home page and every page reachable through the primary nav."""
    page, rec = browser.page, browser.recorder
    queue = [browser.base_url]
    pages: dict[str, PageReport] = {}
    features: list[str] = []
    while queue:
        url = queue.pop(0)
        if url in pages:
            continue
        rec.reset(url)
        response = page.goto(url, wait_until="networkidle")
        report = PageReport(url=url, status=response.status if response else None)
        pages[url] = report
        facts = page.evaluate(JS_PAGE_FACTS, NAV_LINKS)
        report.title = facts["title"]
        if url == browser.base_url:
            features = facts["config"].get("features", [])
        report.math = page.evaluate(JS_MATH)
        report.images = page.evaluate(JS_IMAGES)
        report.links = facts["links"]
        report.ids = set(facts["ids"])
        report.problems = rec.problems()
        for href in facts["nav"]:
            target = _page_key(href)
            if target.startswith(browser.base_url) and target not in pages and target not in queue:
                queue.append(target)
    return SiteReport(browser.base_url, pages, list(pages), features)


def _rel(site: SiteReport, url: str) -> str:
    return "/" + url[len(site.base_url) :] if url.startswith(site.base_url) else url


# --------------------------------------------------------------------------- #
# Tests over the full-load sweep
# --------------------------------------------------------------------------- #
def test_pages_load_offline_without_errors(site: SiteReport) -> None:
    assert len(site.pages) >= 1
    failures = []
    for url, report in site.pages.items():
        lines = []
        if report.status != 200:
            lines.append(f"  HTTP status {report.status}")
        lines.extend(f"  {line}" for line in report.problems)
        if lines:
            failures.append(f"{_rel(site, url)}:\n" + "\n".join(lines))
    assert not failures, (
        f"{len(failures)} of {len(site.pages)} pages failed (requests to other hosts "
        "are aborted: the site must work offline):\n" + "\n".join(failures)
    )


def test_math_is_rendered_by_katex(site: SiteReport) -> None:
    failures = []
    for url, report in site.pages.items():
        m = report.math
        if m["rendered"] != m["total"] or m["errors"]:
            failures.append(
                f"{_rel(site, url)}: {m['rendered']} of {m['total']} .arithmatex elements hold "
                f"KaTeX output; unrendered: {m['unrendered']}; .katex-error: {m['errors']}"
            )
    assert not failures, "math not rendered:\n" + "\n".join(failures)
    total = sum(r.math["total"] for r in site.pages.values())
    assert total > 0, (
        "no .arithmatex element on any page: is pymdownx.arithmatex (generic: true) enabled?"
    )


def test_images_load(site: SiteReport, browser: Browser) -> None:
    failures = []
    fetched: dict[str, str] = {}
    for url, report in site.pages.items():
        for img in report.images:
            problems = []
            if not img["complete"] or img["naturalWidth"] <= 0:
                problems.append(f"naturalWidth={img['naturalWidth']} complete={img['complete']}")
            src = img["src"]
            if _is_local(src) and src.startswith("http"):
                if src not in fetched:
                    resp = browser.context.request.get(src)
                    ctype = resp.headers.get("content-type", "")
                    fetched[src] = (
                        ""
                        if resp.status == 200 and ctype.startswith("image/") and resp.body()
                        else f"fetch: HTTP {resp.status}, content-type {ctype!r}"
                    )
                if fetched[src]:
                    problems.append(fetched[src])
            elif not _is_local(src):
                problems.append("image from another host")
            if problems:
                hidden = " (hidden)" if img["hidden"] else ""
                failures.append(
                    f"{_rel(site, url)}: <img src={img['attr']!r} alt={img['alt']!r}>{hidden}: "
                    + "; ".join(problems)
                )
    assert not failures, "broken images:\n" + "\n".join(failures)


class _IdParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


def test_internal_links_resolve(site: SiteReport, browser: Browser) -> None:
    # url without fragment -> pages linking to it; (url, fragment) -> pages
    targets: dict[str, list[str]] = {}
    anchors: dict[tuple[str, str], list[str]] = {}
    for url, report in site.pages.items():
        for link in report.links:
            href = link["href"]
            if not _is_local(href) or not href.startswith("http"):
                continue  # external links are fine as links (never requested)
            target, fragment = urldefrag(href)
            targets.setdefault(target, []).append(url)
            if fragment and link["attr"] != "#":
                anchors.setdefault((target, unquote(fragment)), []).append(url)

    def where(sources: list[str]) -> str:
        uniq = list(dict.fromkeys(_rel(site, s) for s in sources))
        more = f" and {len(uniq) - 3} more" if len(uniq) > 3 else ""
        return ", ".join(uniq[:3]) + more

    failures = []
    ids: dict[str, set[str] | None] = {u: r.ids for u, r in site.pages.items()}
    for target, sources in targets.items():
        resp = browser.context.request.get(target)
        if resp.status != 200:
            failures.append(f"{_rel(site, target)}: HTTP {resp.status} (linked from {where(sources)})")
            ids[target] = set()
        elif target not in ids:
            ids[target] = None
            if resp.headers.get("content-type", "").startswith("text/html"):
                parser = _IdParser()
                parser.feed(resp.text())
                ids[target] = parser.ids
    for (target, fragment), sources in anchors.items():
        known = ids.get(target)
        if known is not None and fragment not in known and ids.get(target) != set():
            failures.append(
                f"{_rel(site, target)}#{fragment}: no element with this id "
                f"(linked from {where(sources)})"
            )
        elif known == set() and target in ids and fragment:
            pass  # the page itself is missing: already reported
    assert not failures, (
        f"broken same-site links ({len(targets)} URLs checked):\n" + "\n".join(failures)
    )


# --------------------------------------------------------------------------- #
# Instant navigation and search
# --------------------------------------------------------------------------- #
def _nav_link_index(page: Any, target: str) -> int:
    return page.evaluate(
        """([sel, target]) => Array.from(document.querySelectorAll(sel)).findIndex(
             a => !a.closest('.md-nav--secondary') && a.href.split('#')[0] === target)""",
        [NAV_LINKS, target],
    )


def test_instant_navigation_keeps_math_rendered(site: SiteReport, browser: Browser) -> None:
    page, rec = browser.page, browser.recorder
    instant = "navigation.instant" in site.features
    rec.reset(f"{_rel(site, site.base_url)} (before clicking)")
    page.goto(site.base_url, wait_until="networkidle")
    failures: list[str] = []
    full_loads: list[str] = []
    instant_count = 0
    current = site.base_url
    # every nav page in nav order, then back home
    for target in [*site.nav_order[1:], site.base_url]:
        if target == current:
            continue
        expected = site.pages[target]
        label = f"{_rel(site, target)} (clicked from {_rel(site, current)})"
        rec.label = label
        page.evaluate("() => { window.__segrefMarker = 1; }")
        index = _nav_link_index(page, target)
        if index < 0:
            failures.append(f"{label}: no link to it in the primary nav")
            page.goto(target, wait_until="networkidle")
            current = target
            continue
        link = page.locator(NAV_LINKS).nth(index)
        if link.is_visible():
            link.click()
        else:  # e.g. inside a collapsed nested section: dispatch the click instead
            link.dispatch_event("click")
        try:
            page.wait_for_function(
                "([url, title]) => location.href.split('#')[0] === url && document.title === title",
                arg=[target, expected.title],
                timeout=TIMEOUT_MS,
            )
            page.wait_for_load_state("networkidle")
        except sync_api.TimeoutError:
            failures.append(
                f"{label}: did not arrive (location {page.url!r}, title {page.title()!r})"
            )
            page.goto(target, wait_until="networkidle")
            current = target
            continue
        current = target
        if page.evaluate("() => window.__segrefMarker === 1"):
            instant_count += 1
        else:
            full_loads.append(_rel(site, target))
        math = page.evaluate(JS_MATH)
        if (
            math["total"] != expected.math["total"]
            or math["rendered"] != math["total"]
            or math["errors"]
        ):
            failures.append(
                f"{label}: {math['rendered']} of {math['total']} .arithmatex elements rendered "
                f"(full page load: {expected.math['total']}); unrendered: {math['unrendered']}; "
                f".katex-error: {math['errors']}"
            )
    failures.extend(rec.problems())
    assert not failures, "navigation by clicking the nav failed:\n" + "\n".join(failures)
    clicks = instant_count + len(full_loads)
    if instant and clicks:
        assert instant_count >= 1, (
            "navigation.instant is enabled but none of the "
            f"{clicks} nav clicks was an instant (XHR) page swap; full loads: {full_loads}"
        )


@pytest.mark.parametrize(("term", "expected"), sorted(SEARCH_EXPECTATIONS.items()))
def test_search_works_offline(site: SiteReport, browser: Browser, term: str, expected: str) -> None:
    page, rec = browser.page, browser.recorder
    expected_url = urljoin(site.base_url, expected)
    rec.reset(f"{_rel(site, site.base_url)} (search {term!r})")
    page.goto(site.base_url, wait_until="networkidle")
    page.locator("input.md-search__input").click()
    page.keyboard.type(term, delay=20)
    try:
        page.wait_for_function(
            """(expected) => Array.from(document.querySelectorAll('.md-search-result__item a[href]'))
                 .some(a => { const u = new URL(a.href); return u.origin + u.pathname === expected; })""",
            arg=expected_url,
            timeout=TIMEOUT_MS,
        )
        found = True
    except sync_api.TimeoutError:
        found = False
    hrefs = page.evaluate(
        "() => Array.from(document.querySelectorAll('.md-search-result__item a[href]'), a => a.href)"
    )
    meta = page.locator(".md-search-result__meta").all_inner_texts()
    problems = rec.problems()
    assert found and not problems, (
        f"search for {term!r} on the home page: no result links to {expected} "
        f"(page exists in the site: {_rel(site, expected_url)} "
        f"{'visited' if expected_url in site.pages else 'NOT in the nav'}); "
        f"status {meta}; result pages: {sorted({_rel(site, _page_path(h)) for h in hrefs})[:20]}"
        if not found
        else "search triggered problems:\n" + "\n".join(problems)
    )
