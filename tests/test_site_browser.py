"""Browser test of the BUILT reference site, offline, in headless Chromium.

The site is built once per session by each generator of ``GENERATORS``, from the same
sources: ``mkdocs build --strict`` (mkdocs-material) and ``zensical build --strict``, into
temporary directories; every test runs on both outputs. Set ``SEGREF_SITE_DIR`` to test an
already-built site instead. Each site is served on 127.0.0.1 by Python's ``http.server``
and opened in the system Chromium through Playwright (sync API).  The home page and every
page reachable through the primary navigation are checked for:

* HTTP 200, no console errors, no uncaught page errors;
* no request to any host other than 127.0.0.1 -- such requests are aborted
  (nothing leaves the machine) and listed in the failure;
* every ``.arithmatex`` element holds KaTeX output and there is no
  ``.katex-error``, after a full page load and after navigation.instant's
  in-place page swaps (clicking through the nav);
* every ``<img>`` loads, including the hidden twin of a ``#only-light`` /
  ``#only-dark`` pair;
* every same-site link answers 200 and every ``#fragment`` exists on its page
  (external links are allowed, but never requested);
* search works offline (``SEARCH_EXPECTATIONS``), through each theme's own search
  box (``SEARCH_UI``: Zensical's opens a dialog in a shadow root).

Requirements: Chromium at /usr/bin/chromium (``apt-get install -y chromium``;
``SEGREF_CHROMIUM`` names another Chromium/Chrome binary) and the ``playwright``
Python package (``pip install -e ".[test]"``).  Playwright's browser download
(``playwright install``) is NOT needed.  Building the site needs only the Python
packages of the ``test`` extra (KaTeX is vendored and runs in QuickJS).
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
from site_generators import GENERATORS, build

# every test that builds the site runs in one pytest-xdist worker, which builds it once
pytestmark = pytest.mark.xdist_group("site")

#: a path of the machine that built the site (e.g. the checkout), which no page may show
ABSOLUTE_PATH = re.compile(re.escape(str(Path(__file__).resolve().parents[1])) + r"|/tmp/pytest-of-")

#: search term -> page (path relative to the site root) one result must link to
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
    # Besides the request routing below: no host name resolves (127.0.0.1 is
    # an address), so not even Chromium's own traffic can leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
HOST = "127.0.0.1"
TIMEOUT_MS = 15_000
BUILD_TIMEOUT_S = 600

#: links of the primary navigation (the integrated TOC inside it is excluded in JS)
NAV_LINKS = "nav.md-nav--primary a.md-nav__link[href]"

_NO_CHROMIUM = (
    f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
    "(or set SEGREF_CHROMIUM to a Chromium/Chrome binary)"
)
if not CHROMIUM.exists() and os.environ.get("CI"):
    raise RuntimeError(_NO_CHROMIUM + "; .ci/run installs it, so in CI this is a failure, not a skip")
if not CHROMIUM.exists():
    pytest.skip(reason=_NO_CHROMIUM, allow_module_level=True)  # Chromium not available: says how to install it
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason='playwright is not installed: `pip install -e ".[test]"` (or `pip install playwright`); '
    "the system Chromium is used, `playwright install` is not needed",
)


# --------------------------------------------------------------------------- #
# Build and serve the site
# --------------------------------------------------------------------------- #
#: each generator's build, made once per process: pytest tears a parametrized session fixture
#: down when the tests alternate between its parameters (as pytest-xdist may order them)
_BUILT: dict[str, Path] = {}


@pytest.fixture(scope="session", params=[None] if os.environ.get("SEGREF_SITE_DIR") else GENERATORS)
def site_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    prebuilt = os.environ.get("SEGREF_SITE_DIR")
    if prebuilt:
        path = Path(prebuilt).resolve()
        if not (path / "index.html").is_file():
            pytest.fail(f"SEGREF_SITE_DIR={prebuilt}: no index.html there", pytrace=False)
        return path
    if request.param in _BUILT:
        return _BUILT[request.param]
    out = tmp_path_factory.mktemp(f"site-{request.param}")
    try:
        proc = build(request.param, out, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`{request.param} build` timed out after {exc.timeout} s", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"`{' '.join(map(str, proc.args))}` failed (exit code {proc.returncode}):\n{proc.stderr}{proc.stdout}",
            pytrace=False,
        )
    _BUILT[request.param] = out
    return out


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files as GitHub Pages serves them: no directory listings; no caching; quiet."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".svg": "image/svg+xml",
        ".js": "text/javascript",
        ".json": "application/json",
        ".woff2": "font/woff2",
        ".woff": "font/woff",
        ".ttf": "font/ttf",
    }
    #: (site_url, base URL of this server): see send_head
    sitemap_rewrite: tuple[str, str] | None = None

    def send_head(self):  # type: ignore[override]
        # mkdocs-material's navigation.instant only intercepts clicks on links
        # listed in sitemap.xml, whose absolute URLs (site_url + page) it
        # compares after taking just the scheme and host name -- not the port
        # or the path -- from the current location.  `mkdocs serve` rebuilds
        # with site_url set to its own address; this server does the same by
        # rewriting site_url to its own base URL in sitemap.xml.
        if self.sitemap_rewrite and urlsplit(self.path).path.endswith("/sitemap.xml"):
            local = Path(self.translate_path(self.path))
            if local.is_file():
                old, new = self.sitemap_rewrite
                body = local.read_bytes().replace(f"<loc>{old}".encode(), f"<loc>{new}".encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return io.BytesIO(body)
        return super().send_head()

    def list_directory(self, path):  # type: ignore[override]
        self.send_error(404, "No index.html in this directory")
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # e.g. the browser dropping a connection


def _site_url(site_dir: Path) -> str | None:
    """site_url of the build: the canonical URL of the home page."""
    home = (site_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    match = re.search(r'<link\s+rel="canonical"\s+href="([^"]+)"', home)
    return match.group(1) if match else None


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    handler = type("SiteHandler", (_Handler,), {})
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
# Browser, recording requests, console errors and page errors
# --------------------------------------------------------------------------- #
def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname == HOST


PROBLEM_KINDS = {
    "foreign": "requests to other hosts (aborted: the site must work offline)",
    "console": "console errors",
    "pageerror": "uncaught page errors",
    "failed": "failed same-site requests",
}


@dataclass
class Recorder:
    """Everything the browser did, each event labelled with the page being looked at."""

    base_url: str
    label: str = "(start)"
    requests: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, label, what)
    _foreign_seen: set[tuple[str, str]] = field(default_factory=set)
    _bad_status: set[str] = field(default_factory=set)  # URLs answered with >= 400
    _taken: int = 0

    def rel(self, url: str) -> str:
        return "/" + url[len(self.base_url) :] if url.startswith(self.base_url) else url

    def take(self) -> list[str]:
        """Problems recorded since the previous call, as message lines."""
        new = list(dict.fromkeys(self.events[self._taken :]))  # without repeats
        self._taken = len(self.events)
        lines = []
        for kind, title in PROBLEM_KINDS.items():
            items = [(label, what) for k, label, what in new if k == kind]
            if items:
                lines.append(f"{title}:")
                lines.extend(f"  on {label}: {what}" for label, what in items)
        return lines

    def _foreign(self, url: str) -> None:
        if (self.label, url) not in self._foreign_seen:
            self._foreign_seen.add((self.label, url))
            self.events.append(("foreign", self.label, url))

    # -- Playwright event handlers --------------------------------------------- #
    def on_route(self, route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            self._foreign(url)
            route.abort("blockedbyclient")

    def on_request(self, request: Any) -> None:
        self.requests.append((self.label, request.url))
        if not _is_local(request.url):
            self._foreign(request.url)

    def on_response(self, response: Any) -> None:
        if _is_local(response.url) and response.status >= 400:
            self._bad_status.add(response.url)
            self.events.append(("failed", self.label, f"HTTP {response.status} {self.rel(response.url)}"))

    def on_request_failed(self, request: Any) -> None:
        # net::ERR_ABORTED is the browser cancelling a request it no longer needs (the next
        # navigation started while the favicon was loading): not a failure of the site; a
        # missing file shows as an HTTP status above
        if request.failure == "net::ERR_ABORTED":
            return
        if _is_local(request.url) and request.url not in self._bad_status:
            self.events.append(("failed", self.label, f"{request.failure} {self.rel(request.url)}"))

    def on_console(self, msg: Any) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            where = f" [{self.rel(loc['url'])}:{loc.get('lineNumber')}]" if loc.get("url") else ""
            self.events.append(("console", self.label, f"{msg.text}{where}"))

    def on_page_error(self, error: Any) -> None:
        self.events.append(("pageerror", self.label, str(error)))


@dataclass
class SiteBrowser:
    context: Any
    page: Any
    recorder: Recorder
    base_url: str

    def rel(self, url: str) -> str:
        return self.recorder.rel(url)


@pytest.fixture(scope="session")
def site_browser(base_url: str) -> Iterator[SiteBrowser]:
    recorder = Recorder(base_url)
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport=DESKTOP)
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", recorder.on_route)  # also sees the search worker's requests
            context.on("request", recorder.on_request)
            context.on("response", recorder.on_response)
            context.on("requestfailed", recorder.on_request_failed)
            page = context.new_page()
            page.on("console", recorder.on_console)
            page.on("pageerror", recorder.on_page_error)
            yield SiteBrowser(context, page, recorder, base_url)
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

# Waits for every image, hidden ones included (Chromium loads display:none
# images unless they are lazy; lazy ones are switched to eager first).
JS_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(img => {
    if (img.loading === 'lazy') img.loading = 'eager';
    if (img.complete) return null;
    return new Promise(resolve => {
      img.addEventListener('load', resolve, {once: true});
      img.addEventListener('error', resolve, {once: true});
      setTimeout(resolve, 10000);
    });
  }));
  return imgs.map(img => ({
    src: img.currentSrc || img.src,
    alt: img.alt,
    complete: img.complete,
    naturalWidth: img.naturalWidth,
    hidden: img.getClientRects().length === 0,
  }));
}"""

# Display formulas: a formula may be wider than its column only inside a box that scrolls,
# and never with its left part out of reach (a centred box wider than its column).
JS_LAYOUT = """() => ({
  pageWidth: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  viewportHeight: window.innerHeight,
  firstCode: (() => {
    const code = document.querySelector('article .highlight');
    return code ? Math.round(code.getBoundingClientRect().top + window.scrollY) : null;
  })(),
  formulas: Array.from(document.querySelectorAll('div.arithmatex')).filter(d => d.getClientRects().length).map(d => {
    const k = d.querySelector('.katex-html') || d;
    const box = d.getBoundingClientRect(), kb = k.getBoundingClientRect();
    return {
      tex: (d.querySelector('annotation')?.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60),
      width: Math.round(kb.width), column: d.clientWidth, cut: kb.left < box.left - 1,
      scrolls: ['auto', 'scroll'].includes(getComputedStyle(d).overflowX),
    };
  }),
  // the text of each drawn figure in CSS px as shown: its font sizes (SVG user units) times
  // the shown width over the viewBox width, for the layout this screen picked (currentSrc)
  figures: Array.from(document.querySelectorAll('article img[src^="data:image/svg+xml"]'))
    .filter(img => img.getClientRects().length).map(img => {
      const src = img.currentSrc || img.src;
      const text = decodeURIComponent(src.slice(src.indexOf(',') + 1).split('#')[0]);
      const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
      const scale = img.getBoundingClientRect().width / parseFloat(svg.getAttribute('viewBox').split(/\\s+/)[2]);
      const sizes = Array.from(svg.querySelectorAll('text'), t => t.getAttribute('style') || '')
        .map(style => /font-size:\\s*([\\d.]+)px/.exec(style)).filter(Boolean)
        .map(m => parseFloat(m[1]) * scale).sort((a, b) => a - b);
      return {alt: img.alt, smallest: sizes[0], median: sizes[Math.floor(sizes.length / 2)], narrow: src !== img.src};
    }),
})"""

# What the copy button of each console example copies, as both themes decide it: the
# data-copy attribute of the nearest element that has one, else the code's innerText.
JS_COPIED = """() => Array.from(document.querySelectorAll('.highlight code'))
  .filter(code => code.querySelector('.gp'))
  .map(code => {
    const holder = code.closest('[data-copy]');
    code.setAttribute('data-md-copying', '');
    const text = holder ? holder.getAttribute('data-copy') : code.innerText;
    code.removeAttribute('data-md-copying');
    const texts = selector => Array.from(code.querySelectorAll(selector), el => el.textContent.trim()).filter(Boolean);
    return {text, outputs: texts('.go'), errors: texts('.gt, .gr')};
  })"""

COPY_BUTTON = 'button.md-clipboard, button.md-code__button[data-md-type="copy"]'

JS_PAGE_FACTS = """(navSelector) => ({
  title: document.title,
  generator: document.querySelector('meta[name="generator"]')?.content || '',
  config: JSON.parse(document.getElementById('__config')?.textContent || '{}'),
  nav: Array.from(document.querySelectorAll(navSelector))
    .filter(a => !a.closest('.md-nav--secondary'))
    .map(a => a.href),
  links: Array.from(document.querySelectorAll('a[href]'), a => a.href),
  ids: Array.from(document.querySelectorAll('[id], a[name]'), el => el.id || el.name),
  html: document.documentElement.outerHTML,
  returnsRows: Array.from(document.querySelectorAll('p > .doc-section-title'))
    .filter(title => title.textContent.trim() === 'Returns:')
    .map(title => title.parentElement.nextElementSibling?.querySelectorAll('tbody > tr').length ?? 0),
})"""


@dataclass
class PageReport:
    url: str
    status: int | None
    title: str = ""
    math: dict[str, Any] = field(default_factory=dict)
    images: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    layout: dict[str, Any] = field(default_factory=dict)  # JS_LAYOUT at 1280 px
    phone_layout: dict[str, Any] = field(default_factory=dict)  # JS_LAYOUT after resizing to 390 px
    copied: list[dict[str, Any]] = field(default_factory=list)  # JS_COPIED
    absolute_paths: list[str] = field(default_factory=list)
    returns_rows: list[int] = field(default_factory=list)  # rows of each API "Returns:" table


@dataclass
class SiteReport:
    base_url: str
    pages: dict[str, PageReport]  # URL -> report, in nav order (home first)
    features: list[str]  # theme.features, from the home page's __config
    generator: str = ""  # the home page's <meta name="generator">, e.g. "zensical-0.0.73"

    def rel(self, url: str) -> str:
        return "/" + url[len(self.base_url) :] if url.startswith(self.base_url) else url


def _page_path(url: str) -> str:
    """``url`` without query (search adds ``?h=term``) and fragment."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


#: every figure of the page shows the layout its <picture> chose for this width (a data: URI, no request)
JS_FIGURES_SETTLED = """(narrow) => Array.from(document.querySelectorAll('article picture img'))
  .every(img => img.complete && (img.currentSrc !== img.src) === narrow)"""


def _layout_at_phone_width(page: Any) -> dict[str, Any]:
    """JS_LAYOUT of the loaded page resized to a phone's width (then back to the desktop's): the same
    media queries and <picture> sources as a load at 390 px, without a second load of every page
    (test_pages_fit_a_phone loads two pages at 390 px from scratch as well)."""
    page.set_viewport_size(PHONE)
    try:
        page.wait_for_function(JS_FIGURES_SETTLED, arg=True, timeout=TIMEOUT_MS)
    except sync_api.TimeoutError:
        pass  # a figure without its narrow layout: test_pages_fit_a_phone reports it
    layout = page.evaluate(JS_LAYOUT)
    page.set_viewport_size(DESKTOP)
    return layout


def _goto(page: Any, url: str) -> Any:
    """Load ``url`` and wait until it is parsed (``load``) and quiet (``networkidle``).

    ``networkidle`` alone can come first: it only needs 500 ms without requests, and a
    busy machine may still be parsing a large page then (the crawl of a 0.7 MB page
    once saw only its first half's ids).
    """
    response = page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return response


@pytest.fixture(scope="session")
def site(site_browser: SiteBrowser) -> SiteReport:
    """Load the home page and every page reachable through the primary nav, once."""
    page, rec, base = site_browser.page, site_browser.recorder, site_browser.base_url
    queue = [base]
    pages: dict[str, PageReport] = {}
    features: list[str] = []
    generator = ""
    rec.take()
    while queue:
        url = queue.pop(0)
        rec.label = rec.rel(url)
        response = _goto(page, url)
        report = pages[url] = PageReport(url, response.status if response else None)
        facts = page.evaluate(JS_PAGE_FACTS, NAV_LINKS)
        if url == base:
            features, generator = facts["config"].get("features", []), facts["generator"]
        report.title = facts["title"]
        report.links = facts["links"]
        report.ids = set(facts["ids"])
        report.math = page.evaluate(JS_MATH)
        report.layout = page.evaluate(JS_LAYOUT)
        report.copied = page.evaluate(JS_COPIED)
        report.absolute_paths = sorted(set(ABSOLUTE_PATH.findall(facts["html"])))
        report.returns_rows = facts["returnsRows"]
        report.images = page.evaluate(JS_IMAGES)
        report.phone_layout = _layout_at_phone_width(page)
        report.problems = rec.take()
        for href in facts["nav"]:  # collected on every page: works with navigation.prune too
            target = urldefrag(href)[0]
            if target.startswith(base) and target not in pages and target not in queue:
                queue.append(target)
    return SiteReport(base, pages, features, generator)


# --------------------------------------------------------------------------- #
# Checks of every page, as loaded from scratch
# --------------------------------------------------------------------------- #
def test_pages_load_offline_without_errors(site: SiteReport) -> None:
    failures = []
    for url, report in site.pages.items():
        lines = [f"  HTTP status {report.status}"] if report.status != 200 else []
        lines.extend(f"  {line}" for line in report.problems)
        if lines:
            failures.append(f"{site.rel(url)}:\n" + "\n".join(lines))
    assert not failures, f"{len(failures)} of {len(site.pages)} pages failed:\n" + "\n".join(failures)


def test_math_is_rendered_by_katex(site: SiteReport) -> None:
    failures = []
    for url, report in site.pages.items():
        m = report.math
        if m["rendered"] != m["total"] or m["errors"]:
            failures.append(
                f"{site.rel(url)}: {m['rendered']} of {m['total']} .arithmatex elements hold "
                f"KaTeX output; unrendered: {m['unrendered']}; .katex-error: {m['errors']}"
            )
    assert not failures, "math not rendered by KaTeX:\n" + "\n".join(failures)
    assert sum(r.math["total"] for r in site.pages.values()) > 0, (
        "no .arithmatex element on any page: is pymdownx.arithmatex (generic: true) enabled?"
    )


def test_images_load(site: SiteReport, site_browser: SiteBrowser) -> None:
    failures = []
    fetched: dict[str, str] = {}  # src -> problem ("" if none)
    for url, report in site.pages.items():
        for img in report.images:
            problems = []
            if not img["complete"] or img["naturalWidth"] <= 0:
                problems.append(f"naturalWidth={img['naturalWidth']}, complete={img['complete']}")
            src = img["src"]
            if not _is_local(src):
                problems.append("image from another host")
            elif src.startswith("http"):  # fetch again: hidden or not, the file must be there
                if src not in fetched:
                    resp = site_browser.context.request.get(src)
                    ctype = resp.headers.get("content-type", "")
                    ok = resp.status == 200 and ctype.startswith("image/") and resp.body()
                    fetched[src] = "" if ok else f"GET: HTTP {resp.status}, {ctype!r}"
                if fetched[src]:
                    problems.append(fetched[src])
            if problems:
                hidden = " (hidden)" if img["hidden"] else ""
                failures.append(
                    f"{site.rel(url)}: <img src={site.rel(src)!r} alt={img['alt']!r}>{hidden}: " + "; ".join(problems)
                )
    assert not failures, "images that do not load:\n" + "\n".join(failures)


class _IdParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


def test_internal_links_resolve(site: SiteReport, site_browser: SiteBrowser) -> None:
    targets: dict[str, list[str]] = {}  # URL without fragment -> linking pages
    anchors: dict[tuple[str, str], list[str]] = {}  # (URL, fragment) -> linking pages
    for url, report in site.pages.items():
        for href in report.links:
            if not (_is_local(href) and href.startswith("http")):
                continue  # external links are fine as links; they are never requested
            target, fragment = urldefrag(href)
            targets.setdefault(target, []).append(url)
            if fragment:
                anchors.setdefault((target, unquote(fragment)), []).append(url)

    def where(sources: list[str]) -> str:
        uniq = list(dict.fromkeys(site.rel(s) for s in sources))
        more = f" and {len(uniq) - 3} more" if len(uniq) > 3 else ""
        return ", ".join(uniq[:3]) + more

    failures = []
    # page URL -> ids of its elements; None: not HTML (fragments not checked)
    ids: dict[str, set[str] | None] = {u: r.ids for u, r in site.pages.items()}
    missing: set[str] = set()
    for target, sources in targets.items():
        resp = site_browser.context.request.get(target)
        if resp.status != 200:
            failures.append(f"{site.rel(target)}: HTTP {resp.status} (linked from {where(sources)})")
            missing.add(target)
        elif target not in ids:
            ids[target] = None
            if resp.headers.get("content-type", "").startswith("text/html"):
                parser = _IdParser()
                parser.feed(resp.text())
                ids[target] = parser.ids
    for (target, fragment), sources in anchors.items():
        known = ids.get(target)
        if target not in missing and known is not None and fragment not in known:
            failures.append(
                f"{site.rel(target)}#{fragment}: no element with this id on that page (linked from {where(sources)})"
            )
    assert not failures, f"broken same-site links ({len(targets)} URLs checked):\n" + "\n".join(failures)


# --------------------------------------------------------------------------- #
# Clicking through the nav (navigation.instant) and search
# --------------------------------------------------------------------------- #
def _nav_link_index(page: Any, target: str) -> int:
    return page.evaluate(
        """([sel, target]) => Array.from(document.querySelectorAll(sel)).findIndex(
             a => !a.closest('.md-nav--secondary') && a.href.split('#')[0] === target)""",
        [NAV_LINKS, target],
    )


def test_instant_navigation_keeps_math_rendered(site: SiteReport, site_browser: SiteBrowser) -> None:
    page, rec = site_browser.page, site_browser.recorder
    rec.take()
    rec.label = f"{site.rel(site.base_url)} (before clicking)"
    _goto(page, site.base_url)
    failures: list[str] = []
    instant: list[str] = []
    full_loads: list[str] = []
    current = site.base_url
    for target in [*site.pages, site.base_url]:  # every nav page in nav order, then home
        expected = site.pages[target]
        if target == current or expected.status != 200:
            continue  # a page that does not load is reported by the test above
        index = _nav_link_index(page, target)
        if index < 0 and current != site.base_url:  # e.g. navigation.prune: from home
            rec.label = f"{site.rel(site.base_url)} (reloaded while clicking)"
            _goto(page, site.base_url)
            current = site.base_url
            index = _nav_link_index(page, target)
        rec.label = label = f"{site.rel(target)} (clicked in the nav of {site.rel(current)})"
        if index < 0:
            failures.append(f"{label}: no link to it in the primary nav")
            continue
        page.evaluate("() => { window.__segrefMarker = 1; }")  # survives only instant swaps
        link = page.locator(NAV_LINKS).nth(index)
        if link.is_visible():
            link.click()
        else:  # e.g. in a collapsed nested section
            link.dispatch_event("click")
        current = target
        try:
            page.wait_for_function(
                "([url, title]) => location.href.split('#')[0] === url && document.title === title",
                arg=[target, expected.title],
            )
            page.wait_for_load_state("load")
            page.wait_for_load_state("networkidle")
        except sync_api.TimeoutError:
            failures.append(f"{label}: did not arrive (at {page.url!r}, title {page.title()!r})")
            _goto(page, target)
            continue
        swapped = page.evaluate("() => window.__segrefMarker === 1")
        (instant if swapped else full_loads).append(site.rel(target))
        math = page.evaluate(JS_MATH)
        if math["total"] != expected.math["total"] or math["rendered"] != math["total"] or math["errors"]:
            failures.append(
                f"{label}{' (instant)' if swapped else ''}: {math['rendered']} of "
                f"{math['total']} .arithmatex elements hold KaTeX output (full page load: "
                f"{expected.math['total']}); unrendered: {math['unrendered']}; "
                f".katex-error: {math['errors']}"
            )
        broken = [
            site.rel(img["src"]) for img in page.evaluate(JS_IMAGES) if not img["complete"] or img["naturalWidth"] <= 0
        ]
        if broken:
            failures.append(f"{label}: images that do not load: {broken}")
    failures.extend(rec.take())
    print(f"nav clicks: {len(instant)} instant page swaps, {len(full_loads)} full loads")
    assert not failures, "clicking through the nav:\n" + "\n".join(failures)
    if "navigation.instant" in site.features and instant + full_loads:
        assert instant, (
            "navigation.instant is enabled, but none of the "
            f"{len(full_loads)} nav clicks swapped the page in place: {full_loads}"
        )


@dataclass(frozen=True)
class SearchUI:
    opener: str  # what to click to type a query
    results_root: str  # selector found only in the (shadow) root that holds the results
    result_links: str  # result links, inside that root


#: each theme's search box; Zensical's renders its dialog in a shadow root
SEARCH_UI = {
    "mkdocs": SearchUI("input.md-search__input", ".md-search-result", ".md-search-result__item a[href]"),
    "zensical": SearchUI("button.md-search__button", 'input[aria-controls$="-results"]', "a[href]"),
}

JS_SEARCH_RESULTS = """([rootSelector, linkSelector]) => {
  const roots = [document];
  for (let i = 0; i < roots.length; i++)
    roots[i].querySelectorAll('*').forEach(el => { if (el.shadowRoot) roots.push(el.shadowRoot); });
  return roots.filter(root => root.querySelector(rootSelector))
    .flatMap(root => Array.from(root.querySelectorAll(linkSelector), a => a.href));
}"""


def _search_ui(generator: str) -> SearchUI:
    name = generator.split("-")[0].split(",")[0]
    if name not in SEARCH_UI:
        pytest.fail(f"no search UI known for the generator {generator!r}: add it to SEARCH_UI", pytrace=False)
    return SEARCH_UI[name]


@pytest.mark.parametrize(("term", "expected"), sorted(SEARCH_EXPECTATIONS.items()))
def test_search_works_offline(site: SiteReport, site_browser: SiteBrowser, term: str, expected: str) -> None:
    page, rec = site_browser.page, site_browser.recorder
    ui = _search_ui(site.generator)
    expected_url = urljoin(site.base_url, expected)
    rec.take()
    rec.label = f"/ (searching {term!r})"
    _goto(page, site.base_url)
    page.locator(ui.opener).click()
    page.keyboard.type(term, delay=20)
    selectors = [ui.results_root, ui.result_links]
    try:
        page.wait_for_function(
            f"""([selectors, expected]) => ({JS_SEARCH_RESULTS})(selectors)
                 .some(href => {{ const u = new URL(href); return u.origin + u.pathname === expected; }})""",
            arg=[selectors, expected_url],
        )
        found = True
    except sync_api.TimeoutError:
        found = False
    problems = rec.take()
    if not found:
        hrefs = page.evaluate(JS_SEARCH_RESULTS, selectors)
        pytest.fail(
            f"search for {term!r} ({site.generator}): no result links to /{expected} "
            f"({'a page of the nav' if expected_url in site.pages else 'NOT a page of the nav'}); result pages: "
            f"{sorted({site.rel(_page_path(h)) for h in hrefs})}" + ("\n" + "\n".join(problems) if problems else ""),
            pytrace=False,
        )
    assert not problems, f"searching for {term!r}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- #
# Reading and copying: layout at desktop and phone width, copy buttons, no leaks
# --------------------------------------------------------------------------- #
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _layout_failures(label: str, layout: dict[str, Any], *, fit_column: bool) -> list[str]:
    failures = []
    if "/losses/" in label:  # a loss page shows code to copy within its first two screens
        first, screens = layout["firstCode"], 2 * layout["viewportHeight"]
        if first is None or first > screens:
            failures.append(f"{label}: the first code block starts at {first} px, below two screens ({screens} px)")
    if layout["pageWidth"] > layout["viewport"]:
        failures.append(f"{label}: the page is {layout['pageWidth']} px wide in a {layout['viewport']} px window")
    for f in layout["formulas"]:
        wider = f["width"] > f["column"] + 1
        if f["cut"] or (wider and (fit_column or not f["scrolls"])):
            why = "its left part is cut off" if f["cut"] else f"{f['width']} px in a {f['column']} px column"
            failures.append(f"{label}: display formula {f['tex']!r}: {why}")
    for figure in layout["figures"]:  # body text of a figure at least 11 px, sub- and superscripts 8 px
        if not (figure["median"] >= 11 and figure["smallest"] >= 8):
            failures.append(
                f"{label}: figure {figure['alt']!r} draws its text at {figure['median']:.1f} px "
                f"(smallest {figure['smallest']:.1f} px); expected at least 11 px (8 px for sub/superscripts)"
            )
    return failures


def test_formulas_fit_the_desktop_column(site: SiteReport) -> None:
    """At 1280 px no display formula is wider than its column, no page scrolls sideways, figure text is legible."""
    failures = []
    for url, report in site.pages.items():
        failures += _layout_failures(f"{site.rel(url)} at 1280 px", report.layout, fit_column=True)
    assert sum(len(r.layout["formulas"]) for r in site.pages.values()) > 0
    shown = [f for r in site.pages.values() for f in r.layout["figures"]]
    assert len(shown) >= 8 and not any(f["narrow"] for f in shown), "desktop shows each figure's wide layout"
    assert not failures, "\n".join(failures)


#: pages loaded from scratch at 390 px too (every page is measured after a resize during the crawl)
PHONE_LOADS = ("", "losses/mcc/")


def test_pages_fit_a_phone(site: SiteReport, site_browser: SiteBrowser) -> None:
    """At 390 px a wide formula scrolls inside its own box, from its first symbol; the page never scrolls;
    figures switch to their narrow layout, whose text is legible."""
    failures = []
    shown = []
    for url, report in site.pages.items():
        failures += _layout_failures(f"{site.rel(url)} at 390 px", report.phone_layout, fit_column=False)
        shown += report.phone_layout["figures"]
    page = site_browser.context.new_page()
    page.set_viewport_size(PHONE)
    try:
        for path in PHONE_LOADS:
            page.goto(urljoin(site.base_url, path), wait_until="load")
            page.wait_for_function(JS_FIGURES_SETTLED, arg=True, timeout=TIMEOUT_MS)
            layout = page.evaluate(JS_LAYOUT)
            failures += _layout_failures(f"/{path} at 390 px (loaded at that width)", layout, fit_column=False)
            shown += layout["figures"]
    finally:
        page.close()
    site_browser.recorder.take()
    assert not failures, "\n".join(failures)
    assert len(shown) >= 8 and all(f["narrow"] for f in shown), "a phone shows each figure's narrow layout"


def test_copy_buttons_copy_code_without_prompts_or_output(site: SiteReport, site_browser: SiteBrowser) -> None:
    failures, examples = [], 0
    for url, report in site.pages.items():
        for block in report.copied:
            examples += 1
            lines = block["text"].splitlines()
            prompts = [line for line in lines if line.startswith((">>>", "..."))]
            stripped = [line.strip() for line in lines]
            outputs = [out for out in block["outputs"] if out in stripped]
            outputs += [err for err in block["errors"] if any(line.startswith(err) for line in stripped)]
            if prompts or outputs:
                failures.append(f"{site.rel(url)}: copies prompts {prompts[:2]} or output lines {outputs[:2]}")
    assert examples > 20, f"only {examples} console examples found"
    assert not failures, "\n".join(failures)
    # the real button, once: it copies what the probe above reads
    page = site_browser.page
    site_browser.context.grant_permissions(["clipboard-read", "clipboard-write"])
    url = urljoin(site.base_url, "losses/binary-cross-entropy/")
    _goto(page, url)
    block = page.locator("div.highlight:has(code .gp)").first
    block.hover()
    block.locator(COPY_BUTTON).first.click()
    clipboard = page.wait_for_function("() => navigator.clipboard.readText()").json_value()
    assert clipboard.strip() == site.pages[url].copied[0]["text"].strip()
    site_browser.recorder.take()


def test_no_page_shows_a_path_of_the_build_machine(site: SiteReport) -> None:
    leaks = {site.rel(url): r.absolute_paths for url, r in site.pages.items() if r.absolute_paths}
    assert not leaks, f"pages show paths of the machine that built them: {leaks}"


def test_the_api_reference_documents_only_segref(site: SiteReport) -> None:
    api = next((r for url, r in site.pages.items() if url.endswith("/api/")), None)
    assert api is not None, "no API reference page in the nav"
    entries = sorted(i for i in api.ids if i.startswith("segref"))
    assert {"segref.Array", "segref.nn.DiceCELoss", "segref.testing.compare"} <= set(entries), entries
    bad = [i for i in entries if re.search(r"\.__\w+__$|\._[a-z]", i)]
    builtins = [i for i in api.ids if i.split(".")[0] in {"str", "float", "int", "dict", "list", "tuple", "object"}]
    assert not bad and not builtins, f"dunder, private or built-in entries: {bad + builtins}"
    # every documented function returns one value: one row, not one row per line of its description
    tables = {site.rel(url): r.returns_rows for url, r in site.pages.items() if r.returns_rows}
    assert tables and all(rows == [1] * len(rows) for rows in tables.values()), tables


# --------------------------------------------------------------------------- #
# Interactive figures (sitebuild/interactive.py, docs/assets/segref-interactive.js)
# --------------------------------------------------------------------------- #

JS_MARKS = """(root) => Array.from(root.querySelectorAll('circle, rect'))
    .map(e => ['cx', 'cy', 'x', 'width'].map(a => e.getAttribute(a)).join(',')).join(';')"""
INTERACTIVE_PAGES = {"focal": "losses/focal/", "overlap": "losses/jaccard/", "smoothing": "losses/dice/"}
_NUMBER = r"(-?\d[\d,]*\.?\d*(?:e-?\d+)?)"


def _segref_readout_numbers(widget: str, shown: dict[str, str]) -> list[float]:
    """What the readout must say for the settings the controls show, computed here with segref
    (and checked against the hand formula) rather than read from the page's data."""
    import numpy as np
    import torch

    import segref

    if widget == "focal":
        gamma = float(shown["gamma"])
        alpha = None if shown["alpha"] == "none" else float(shown["alpha"])
        values = []
        for p in (0.1, 0.9):
            z = torch.logit(torch.tensor([p], dtype=torch.float64))
            loss = float(segref.binary_focal_loss(z, torch.ones_like(z), from_logits=True, gamma=gamma, alpha=alpha))
            assert abs(loss - (alpha or 1.0) * (1 - p) ** gamma * -np.log(p)) < 1e-12
            values.append(loss)
        return [values[0], values[1]]
    if widget == "overlap":
        k = int(shown["k"])
        pixel = np.arange(200)
        target, pred = (pixel < 100).astype(int)[None], ((pixel >= 100 - k) & (pixel < 200 - k)).astype(int)[None]
        dice = float(segref.dice_score(pred, target, num_classes=2, include_background=False))
        iou = float(segref.iou_score(pred, target, num_classes=2, include_background=False))
        assert abs(dice - k / 100) < 1e-12 and abs(iou - k / (200 - k)) < 1e-12
        return [dice, iou, dice - iou]
    smooth, mass = float(shown["smooth"]), float(shown["mass"])
    pred = torch.full((1, 1, 100), mass / 100, dtype=torch.float64)
    loss = float(segref.dice_loss(pred, torch.zeros_like(pred), from_logits=False, multilabel=True, smooth=smooth))
    assert abs(loss - (1 - smooth / (mass + smooth))) < 1e-12
    return [loss]


def _readout_numbers(widget: str, text: str) -> list[float]:
    patterns = {
        "focal": r"costs " + _NUMBER + r" \(cross-entropy [\d.]+\), a well-classified one \(p_t = 0.9\) " + _NUMBER,
        "overlap": r"Dice " + _NUMBER + r", IoU " + _NUMBER + r", gap Dice − IoU " + _NUMBER,
        "smoothing": r"= " + _NUMBER + r"(?: \(|\.$)",
    }
    found = re.search(patterns[widget], text)
    assert found, f"{widget}: readout {text!r} does not match {patterns[widget]!r}"
    return [float(g.replace(",", "")) for g in found.groups()]


def test_interactive_figures_follow_their_controls(site: SiteReport, site_browser: SiteBrowser) -> None:
    """Each control, moved with the keyboard, changes the figure and its readout, and the
    readout shows segref's value for the setting the control shows."""
    page = site_browser.page
    for widget, path in INTERACTIVE_PAGES.items():
        page.goto(urljoin(site.base_url, path), wait_until="load")
        root = page.locator(f'segref-interactive[data-widget="{widget}"]')
        root.wait_for(state="visible")
        readout = root.locator(".segref-readout")
        inputs = root.locator('input[type="range"]')
        assert inputs.count() >= 1
        for i in range(inputs.count()):
            control = inputs.nth(i)
            before_text = readout.inner_text()
            before_curve = root.locator("polyline").last.get_attribute("points")
            before_marks = root.evaluate(JS_MARKS)
            control.focus()
            page.keyboard.press("ArrowRight")
            after_text = readout.inner_text()
            assert after_text != before_text, f"{widget}: moving control {i} left the readout at {before_text!r}"
            depends = control.get_attribute("data-control")
            if before_marks:  # the overlap's points and bars, the smoothing's point
                assert root.evaluate(JS_MARKS) != before_marks, f"{widget}: {depends} moved, the marks did not"
            if widget != "overlap" and depends != "mass":
                assert root.locator("polyline").last.get_attribute("points") != before_curve, (
                    f"{widget}: curve unchanged"
                )
            shown = {
                inputs.nth(j).get_attribute("data-control"): root.locator("output").nth(j).inner_text()
                for j in range(inputs.count())
            }
            got, want = _readout_numbers(widget, after_text), _segref_readout_numbers(widget, shown)
            for g, w in zip(got, want, strict=True):
                assert abs(g - w) <= 1e-4 * max(1.0, abs(w)) + 5e-7, f"{widget} at {shown}: page says {g}, segref {w}"
    site_browser.recorder.take()


JS_STATIC_FIGURE_BEFORE = """(root) => {
    const start = root.closest('div.segref-interactive') || root;
    for (let e = start.previousElementSibling, i = 0; e && i < 4; e = e.previousElementSibling, i++) {
        if (e.matches('figure') && e.querySelector('img')) return true;
    }
    return false;
}"""


def test_interactive_figures_leave_the_static_figure_without_javascript(
    site: SiteReport, site_browser: SiteBrowser
) -> None:
    browser = site_browser.context.browser
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        for widget, path in INTERACTIVE_PAGES.items():
            page.goto(urljoin(site.base_url, path), wait_until="load")
            widget_root = page.locator(f'segref-interactive[data-widget="{widget}"]')
            assert widget_root.is_hidden()
            # the static figure stays: the nearest figure before the widget holds an image
            assert widget_root.evaluate(JS_STATIC_FIGURE_BEFORE), f"{path}: no static figure before {widget}"
    finally:
        context.close()
