"""Markdown extension: render math with KaTeX at build time, in-process, without Node.js.

Markdown math is produced by ``pymdownx.arithmatex`` with ``generic: true``::

    <span class="arithmatex">\\( ... \\)</span>     inline
    <div class="arithmatex">\\[ ... \\]</div>       display

Listed as ``sitebuild.katex`` under ``markdown_extensions`` in ``mkdocs.yml``, this
extension replaces the body of every such element in the page's HTML (docstrings that
mkdocstrings renders included) with KaTeX's HTML + MathML output, keeping the wrapping
element and its ``arithmatex`` class. No math JavaScript runs in the browser: the page
needs only ``katex.min.css`` and the KaTeX fonts, which the site serves from
``docs/assets/katex/`` (``extra_css`` in ``mkdocs.yml``).

KaTeX itself is vendored (``sitebuild/katex-0.19.1/``; its README says where from, which
files live under ``docs/assets/katex/`` and how to upgrade) and runs in the QuickJS engine
of the ``quickjs-ng`` package from PyPI (imported as ``quickjs``). A formula KaTeX cannot
parse, or one that trips KaTeX's "strict" diagnostics, stops the build with a
:class:`KatexError` naming the page, the nearest heading, the formula and KaTeX's message,
in every generator (MkDocs and Zensical alike).

Pure functions for tests and scripts: :func:`render_formulas` and :func:`render_math_html`.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

from sitebuild import DOCS_DIR, SiteCheckError, page_source

__all__ = ["ASSETS_DIR", "KATEX_DIR", "KatexError", "KatexRenderer", "render_formulas", "render_math_html"]

#: The vendored KaTeX release: the renderer (katex.min.js), its README and the checksums of every file.
KATEX_DIR = Path(__file__).resolve().with_name("katex-0.19.1")

#: What the site serves of it: the stylesheet (woff2 sources only), the fonts and the license.
ASSETS_DIR = DOCS_DIR / "assets" / "katex"

INLINE_WRAP = ("\\(", "\\)")
BLOCK_WRAP = ("\\[", "\\]")

# Renders a JSON batch [[tex, display], ...] to a JSON list of {"html"} | {"error"}.
# strict: "error" makes KaTeX's strict-mode diagnostics (e.g. a Unicode character in math
# mode) errors as well.
_RENDER_BATCH_JS = """
(function (batch) {
  return JSON.stringify(JSON.parse(batch).map(function (item) {
    try {
      var html = katex.renderToString(item[0], {
        displayMode: item[1], throwOnError: true, output: "htmlAndMathml", strict: "error"
      });
      return {html: html};
    } catch (error) {
      var message = String(error && error.message ? error.message : error);
      if (/stack overflow/i.test(message)) {
        message += " (QuickJS's stack allows about 90 nested brace groups; split the formula)";
      }
      return {error: message};
    }
  }));
})
"""


class KatexError(SiteCheckError):
    """A formula could not be rendered, or KaTeX could not be loaded."""


class KatexRenderer:
    """KaTeX in a QuickJS context, loaded on first use.

    ``render()`` takes ``[(tex, display), ...]`` and returns one dict per formula:
    ``{"html": ...}`` or ``{"error": ...}``.
    Results are cached for the life of the renderer (``mkdocs serve`` re-renders only
    formulas it has not seen).
    """

    def __init__(self) -> None:
        self.version: str | None = None
        self._render_batch: Any = None
        self._cache: dict[tuple[str, bool], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._render_batch is not None:
            return
        try:
            import quickjs
        except ImportError as error:
            raise KatexError(
                "The docs build renders math with KaTeX in the QuickJS engine: "
                "`pip install quickjs-ng` (it is in the docs and test extras)"
            ) from error
        try:
            context = quickjs.Context()
            context.eval("var self = this;")  # the UMD bundle defines `self.katex`
            context.eval((KATEX_DIR / "katex.min.js").read_text(encoding="utf-8"))
            self.version = context.eval("katex.version")
            self._render_batch = context.eval(_RENDER_BATCH_JS)
        except Exception as error:  # quickjs.JSException and its relatives
            raise KatexError(f"KaTeX could not be loaded from {KATEX_DIR}: {error}") from error

    def close(self) -> None:
        self._render_batch = None

    def __enter__(self) -> KatexRenderer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def render(self, formulas: Iterable[tuple[str, bool]]) -> list[dict[str, Any]]:
        # surrounding whitespace is insignificant in TeX; stripping it keeps KaTeX's
        # error positions aligned with the formula we report
        keys = [(str(tex).strip(), bool(display)) for tex, display in formulas]
        with self._lock:
            missing = list(dict.fromkeys(key for key in keys if key not in self._cache))
            if missing:
                self.start()
                try:
                    results = json.loads(self._render_batch(json.dumps(missing)))
                except Exception as error:  # the engine itself failed (memory), not a formula
                    raise KatexError(f"KaTeX failed while rendering {len(missing)} formula(s): {error}") from error
                self._cache.update(zip(missing, results, strict=True))
            return [self._cache[key] for key in keys]


_default = KatexRenderer()


def _format_failures(failures: Sequence[tuple[str, str, str]], where: str) -> str:
    """``failures``: (description, tex, KaTeX's message)."""
    n = len(failures)
    lines = [f"KaTeX could not render {n} formula{'s' if n != 1 else ''}{where}:"]
    for i, (what, tex, message) in enumerate(failures, 1):
        lines.append(f"  {i}. {what}:")
        lines.extend(f"       {tex_line}" for tex_line in tex.strip().splitlines() or [""])
        lines.extend(f"     {msg_line}" for msg_line in message.splitlines() or [""])
    return "\n".join(lines)


def render_formulas(formulas: Iterable[tuple[str, bool]], *, renderer: KatexRenderer | None = None) -> list[str]:
    """Render ``[(tex, display), ...]`` to KaTeX HTML (+MathML) strings.

    Raises :class:`KatexError` (each failing formula and KaTeX's error) if any formula
    does not parse.
    """
    items = [(str(tex), bool(display)) for tex, display in formulas]
    results = (renderer or _default).render(items)
    failures = [
        (("display" if display else "inline") + " formula", tex, result["error"])
        for (tex, display), result in zip(items, results, strict=True)
        if "error" in result
    ]
    if failures:
        raise KatexError(_format_failures(failures, ""))
    return [result["html"] for result in results]


# Opening tag of an element whose class list contains "arithmatex".
_OPEN_TAG = re.compile(
    r"<(?P<tag>[A-Za-z][A-Za-z0-9]*)\b(?=[^<>]*\sclass=\"(?:[^\"]*\s)?arithmatex(?:\s[^\"]*)?\")[^<>]*>"
)
_HEADING_ID = re.compile(r"<h[1-6]\b[^>]*\sid=\"([^\"]+)\"")
# Rendered formulas carry `data-search-exclude`, which the search indexes of mkdocs-material
# and Zensical honour: each formula would otherwise be indexed three times (glyphs, MathML,
# TeX annotation). mkdocs-material ends an exclusion at the first end tag of the same name, so
# the attribute goes on an element whose tag does not occur inside KaTeX's output: the
# <div> of a display formula, and around a formula in a <span> a <segref-math> element (no style).
_INLINE_WRAPPER = "segref-math"
_SEARCH_EXCLUDE = " data-search-exclude"
_RENDERED = re.compile(rf'<{_INLINE_WRAPPER}\b|<span class="katex-display"')


def _strip_wrap(body: str, wrap: tuple[str, str]) -> str | None:
    start, end = wrap
    if body.startswith(start) and body.endswith(end) and len(body) >= len(start) + len(end):
        return body[len(start) : len(body) - len(end)]
    return None


def render_math_html(html: str, *, source: str, renderer: KatexRenderer | None = None) -> str:
    """Replace the TeX in every ``arithmatex`` element of ``html`` by KaTeX output.

    ``source`` names the page (e.g. ``docs/losses/dice.md``) for error messages. Raises
    :class:`KatexError` listing every formula that fails to parse.
    """
    if "arithmatex" not in html:
        return html
    spans: list[tuple[int | None, int, int, str, bool]] = []  # (div tag end, body start, body end, tex, display)
    for match in _OPEN_TAG.finditer(html):
        tag = match.group("tag")
        body_start = match.end()
        if _RENDERED.match(html, body_start):
            continue  # already rendered (a docstring's math, rendered by mkdocstrings' own conversion)
        close = html.find(f"</{tag}>", body_start)
        body = html[body_start:close] if close != -1 else ""
        if close == -1 or "<" in body:
            raise KatexError(
                f"{source}: unexpected markup inside an 'arithmatex' element (is pymdownx.arithmatex "
                f"configured with `generic: true`?): {html[match.start() : match.start() + 200]!r}"
            )
        text = html_lib.unescape(body)
        tex = _strip_wrap(text, BLOCK_WRAP)
        display = tex is not None
        if tex is None:
            tex = _strip_wrap(text, INLINE_WRAP)
        if tex is None:
            raise KatexError(
                f"{source}: an 'arithmatex' element holds {text!r}, which is not wrapped in "
                f"{INLINE_WRAP[0]} {INLINE_WRAP[1]} or {BLOCK_WRAP[0]} {BLOCK_WRAP[1]}"
            )
        # the tag's end if it is a <div> (it takes the search exclusion), else None
        tag_end = match.end() - 1 if tag.lower() == "div" else None
        spans.append((tag_end, body_start, close, tex, display))
    if not spans:
        return html
    results = (renderer or _default).render((tex, display) for *_, tex, display in spans)

    failures = []
    for (_, start, _, tex, display), result in zip(spans, results, strict=True):
        if "error" in result:
            heading_ids = _HEADING_ID.findall(html, 0, start)
            near = f" near #{heading_ids[-1]}" if heading_ids else ""
            failures.append((f"{'display' if display else 'inline'} formula{near}", tex, result["error"]))
    if failures:
        raise KatexError(_format_failures(failures, f" in {source}"))

    out: list[str] = []
    position = 0
    for (tag_end, start, end, _, _), result in zip(spans, results, strict=True):
        if tag_end is not None:
            out += [html[position:tag_end], _SEARCH_EXCLUDE, html[tag_end:start], result["html"]]
        else:
            wrapper = _INLINE_WRAPPER
            out += [html[position:start], f"<{wrapper}{_SEARCH_EXCLUDE}>", result["html"], f"</{wrapper}>"]
        position = end
    out.append(html[position:])
    return "".join(out)


def woff2_only(css: str) -> str:
    """KaTeX's stylesheet with only the woff2 source of each font (the only files shipped)."""
    return re.sub(r',url\(fonts/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)', "", css)


class MathPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        if "arithmatex" not in text:
            return text
        return render_math_html(text, source=page_source(self.md))


class MathExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        _default.start()  # fail before any page is converted if KaTeX cannot load
        # last: after raw HTML (30), mkdocstrings' output included, has been put back in place
        md.postprocessors.register(MathPostprocessor(md), "segref_katex", 1)


def makeExtension(**kwargs: Any) -> MathExtension:
    return MathExtension(**kwargs)
