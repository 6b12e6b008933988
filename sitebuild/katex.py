"""MkDocs hook: render math server-side with KaTeX at build time.

Markdown math is produced by ``pymdownx.arithmatex`` with ``generic: true``::

    <span class="arithmatex">\\( ... \\)</span>     inline
    <div class="arithmatex">\\[ ... \\]</div>       display

(the same holds for docstrings rendered by mkdocstrings, which go through the
same Markdown extensions and end up in the page content).  This hook replaces
the body of every such element with KaTeX's HTML + MathML output, keeping the
wrapping element and its ``arithmatex`` class.  No math JavaScript runs in the
browser; the page only needs ``katex.min.css`` and the KaTeX fonts, which are
taken from ``node_modules/katex`` (installed by ``npm ci``) and published under
``assets/katex/`` as generated MkDocs files (so ``mkdocs serve`` serves them
too).

Rendering uses ONE long-lived ``node`` process per build (``katex_worker.js``
beside this file), fed one JSON line per page with all formulas of the page.
Any KaTeX parse error aborts the build with a :class:`KatexError` (a
``PluginError``) naming the page, the formula and KaTeX's message.  KaTeX
"strict" diagnostics (LaTeX-compatibility issues) are logged as MkDocs
warnings, so ``mkdocs build --strict`` fails on them as well.

Pure functions for tests and scripts: :func:`render_formulas` and
:func:`render_math_html`.

Optional: ``extra: {katex_macros: {"\\\\RR": "\\\\mathbb{R}"}}`` in
``mkdocs.yml`` defines KaTeX macros for every formula of the site.
"""

from __future__ import annotations

import atexit
import html as html_lib
import json
import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

__all__ = [
    "KatexError",
    "KatexRenderer",
    "render_formulas",
    "render_math_html",
    "find_katex",
]

log = logging.getLogger("mkdocs.plugins.sitebuild.katex")

#: Repository root when this module is used outside MkDocs (tests, scripts).
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_JS = Path(__file__).resolve().with_name("katex_worker.js")

#: Where the KaTeX stylesheet and fonts are published inside the site.
ASSET_DIR = "assets/katex"
CSS_URI = f"{ASSET_DIR}/katex.min.css"

DEFAULT_INLINE_WRAP = ("\\(", "\\)")
DEFAULT_BLOCK_WRAP = ("\\[", "\\]")

_EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")


class KatexError(PluginError):
    """A formula could not be rendered, or KaTeX/node is not available."""


def _install_hint(repo_root: Path) -> str:
    return f"Run `npm ci` in {repo_root} (needs Node.js and the npm registry) to install KaTeX."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------- #
# Locating node and the katex package
# --------------------------------------------------------------------------- #
def find_katex(repo_root: Path | str | None = None) -> Path:
    """Return ``<repo_root>/node_modules/katex``, checked against package.json.

    Raises :class:`KatexError` if the package is missing or if its version
    differs from the exact version pinned in ``<repo_root>/package.json``.
    """
    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    katex_dir = root / "node_modules" / "katex"
    manifest = katex_dir / "package.json"
    if not manifest.is_file() or not (katex_dir / "dist" / "katex.min.css").is_file():
        raise KatexError(
            f"KaTeX is not installed: {katex_dir} is missing. {_install_hint(root)}"
        )
    installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    try:
        wanted = (
            json.loads((root / "package.json").read_text(encoding="utf-8"))
            .get("dependencies", {})
            .get("katex")
        )
    except FileNotFoundError:
        wanted = None
    if wanted and _EXACT_VERSION.match(wanted) and wanted != installed:
        raise KatexError(
            f"node_modules/katex is version {installed}, but package.json pins {wanted}. "
            f"{_install_hint(root)}"
        )
    return katex_dir


def _find_node(repo_root: Path) -> str:
    node = shutil.which("node")
    if node is None:
        raise KatexError(
            "Node.js (`node`) was not found on PATH; it is needed to render math with KaTeX "
            f"at build time. Install Node.js, then {_lower_first(_install_hint(repo_root))}"
        )
    return node


# --------------------------------------------------------------------------- #
# The node worker
# --------------------------------------------------------------------------- #
class KatexRenderer:
    """A long-lived ``node`` process that renders batches of formulas.

    ``render()`` takes ``[(tex, display), ...]`` and returns one dict per
    formula: ``{"html": ...}`` or ``{"error": ...}``, possibly with
    ``"warnings": [...]``.  Starts lazily; use as a context manager or call
    :meth:`close`.
    """

    def __init__(
        self,
        repo_root: Path | str | None = None,
        *,
        macros: Mapping[str, str] | None = None,
    ) -> None:
        self.repo_root = (
            Path(repo_root).resolve() if repo_root is not None else REPO_ROOT
        )
        self.macros = dict(macros or {})
        self.version: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._next_id = 0

    # -- lifecycle -------------------------------------------------------- #
    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        katex_dir = find_katex(self.repo_root)
        node = _find_node(self.repo_root)
        try:
            self._proc = subprocess.Popen(
                [node, str(WORKER_JS), str(katex_dir)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,  # node's own errors go straight to the console
                cwd=self.repo_root,
            )
        except OSError as exc:
            raise KatexError(
                f"Could not start {node}: {exc}. {_install_hint(self.repo_root)}"
            ) from exc
        hello = self._read_line()
        if not hello.get("ready"):
            self.close()
            raise KatexError(f"Unexpected handshake from the KaTeX worker: {hello!r}")
        self.version = hello.get("version")

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout:
                proc.stdout.close()

    def __enter__(self) -> KatexRenderer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- I/O -------------------------------------------------------------- #
    def _read_line(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait()
            self._proc = None
            raise KatexError(
                f"The KaTeX node worker exited unexpectedly (exit code {code}); see its "
                f"error output above. {_install_hint(self.repo_root)}"
            )
        return json.loads(line)

    def render(self, formulas: Iterable[tuple[str, bool]]) -> list[dict[str, Any]]:
        # Surrounding whitespace is insignificant in TeX; stripping it keeps
        # KaTeX's error positions and excerpts aligned with what we report.
        batch = [[str(tex).strip(), bool(display)] for tex, display in formulas]
        if not batch:
            return []
        with self._lock:
            self.start()
            assert self._proc is not None and self._proc.stdin is not None
            self._next_id += 1
            request: dict[str, Any] = {"id": self._next_id, "formulas": batch}
            if self.macros:
                request["options"] = {"macros": self.macros}
            try:
                self._proc.stdin.write(json.dumps(request).encode("ascii") + b"\n")
                self._proc.stdin.flush()
            except BrokenPipeError:
                self._read_line()  # raises with the exit code
            reply = self._read_line()
        if reply.get("id") != request["id"] or len(reply.get("results", ())) != len(
            batch
        ):
            raise KatexError(
                f"Malformed reply from the KaTeX worker: {str(reply)[:500]}"
            )
        return reply["results"]


_default_renderers: dict[Path, KatexRenderer] = {}


def _default_renderer() -> KatexRenderer:
    renderer = _default_renderers.get(REPO_ROOT)
    if renderer is None:
        renderer = _default_renderers[REPO_ROOT] = KatexRenderer(REPO_ROOT)
    return renderer


@atexit.register
def _close_default_renderers() -> None:
    for renderer in _default_renderers.values():
        renderer.close()
    _default_renderers.clear()


# --------------------------------------------------------------------------- #
# Pure functions
# --------------------------------------------------------------------------- #
def _format_failures(failures: Sequence[tuple[str, str, str]], where: str) -> str:
    """``failures``: (description, tex, katex message)."""
    n = len(failures)
    lines = [f"KaTeX could not render {n} formula{'s' if n != 1 else ''}{where}:"]
    for i, (what, tex, message) in enumerate(failures, 1):
        lines.append(f"  {i}. {what}:")
        lines.extend(
            f"       {tex_line}" for tex_line in tex.strip().splitlines() or [""]
        )
        lines.extend(f"     {msg_line}" for msg_line in message.splitlines() or [""])
    return "\n".join(lines)


def render_formulas(
    formulas: Iterable[tuple[str, bool]],
    *,
    renderer: KatexRenderer | None = None,
) -> list[str]:
    """Render ``[(tex, display), ...]`` to KaTeX HTML (+MathML) strings.

    Raises :class:`KatexError` (message: each failing formula and KaTeX's
    error) if any formula does not parse.  All formulas go to node in one batch.
    """
    items = [(str(tex), bool(display)) for tex, display in formulas]
    results = (renderer or _default_renderer()).render(items)
    failures = [
        (("display" if display else "inline") + " formula", tex, res["error"])
        for (tex, display), res in zip(items, results, strict=True)
        if "error" in res
    ]
    if failures:
        raise KatexError(_format_failures(failures, ""))
    for (tex, _), res in zip(items, results, strict=True):
        for warning in res.get("warnings", ()):
            log.warning("KaTeX: %s in formula: %s", warning, tex)
    return [res["html"] for res in results]


# Opening tag of an element whose class list contains "arithmatex".
_OPEN_TAG = re.compile(
    r"<(?P<tag>[A-Za-z][A-Za-z0-9]*)\b(?=[^<>]*\sclass=\"(?:[^\"]*\s)?arithmatex(?:\s[^\"]*)?\")[^<>]*>"
)
_HEADING_ID = re.compile(r"<h[1-6]\b[^>]*\sid=\"([^\"]+)\"")
_RENDERED = '<span class="katex'


def _strip_wrap(body: str, wrap: tuple[str, str]) -> str | None:
    start, end = wrap
    if (
        body.startswith(start)
        and body.endswith(end)
        and len(body) >= len(start) + len(end)
    ):
        return body[len(start) : len(body) - len(end)]
    return None


def render_math_html(
    html: str,
    *,
    source: str,
    renderer: KatexRenderer | None = None,
    inline_wrap: tuple[str, str] = DEFAULT_INLINE_WRAP,
    block_wrap: tuple[str, str] = DEFAULT_BLOCK_WRAP,
) -> str:
    """Replace the TeX in every ``arithmatex`` element of ``html`` by KaTeX output.

    ``source`` names the page (e.g. ``docs/losses/dice.md``) for error messages.
    All formulas of ``html`` are rendered in a single batch.  Raises
    :class:`KatexError` listing every formula that fails to parse.
    """
    if "arithmatex" not in html:
        return html

    # (start, end, tex, display) of each element body to replace
    spans: list[tuple[int, int, str, bool]] = []
    for match in _OPEN_TAG.finditer(html):
        tag = match.group("tag")
        body_start = match.end()
        if html.startswith(_RENDERED, body_start):
            continue  # already rendered (hook applied twice)
        close = html.find(f"</{tag}>", body_start)
        body = html[body_start:close] if close != -1 else ""
        if close == -1 or "<" in body:
            raise KatexError(
                f"{source}: unexpected markup inside an 'arithmatex' element "
                f"(is pymdownx.arithmatex configured with `generic: true`?): "
                f"{html[match.start() : match.start() + 200]!r}"
            )
        text = html_lib.unescape(body)
        tex = _strip_wrap(text, block_wrap)
        display = tex is not None
        if tex is None:
            tex = _strip_wrap(text, inline_wrap)
        if tex is None:
            raise KatexError(
                f"{source}: an 'arithmatex' element holds {text!r}, which is not wrapped in "
                f"{inline_wrap[0]} {inline_wrap[1]} or {block_wrap[0]} {block_wrap[1]}"
            )
        spans.append((body_start, close, tex, display))

    if not spans:
        return html
    renderer = renderer or _default_renderer()
    results = renderer.render((tex, display) for _, _, tex, display in spans)

    failures = []
    for (start, _, tex, display), res in zip(spans, results, strict=True):
        if "error" not in res:
            continue
        heading_ids = _HEADING_ID.findall(html, 0, start)
        near = f" near #{heading_ids[-1]}" if heading_ids else ""
        failures.append(
            (f"{'display' if display else 'inline'} formula{near}", tex, res["error"])
        )
    if failures:
        raise KatexError(_format_failures(failures, f" in {source}"))

    out: list[str] = []
    pos = 0
    for (start, end, tex, _), res in zip(spans, results, strict=True):
        for warning in res.get("warnings", ()):
            log.warning("%s: KaTeX: %s in formula: %s", source, warning, tex)
        out.append(html[pos:start])
        out.append(res["html"])
        pos = end
    out.append(html[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- #
# MkDocs hook events
# --------------------------------------------------------------------------- #
class _BuildState:
    repo_root: Path = REPO_ROOT
    inline_wrap: tuple[str, str] = DEFAULT_INLINE_WRAP
    block_wrap: tuple[str, str] = DEFAULT_BLOCK_WRAP
    macros: dict[str, str] = {}
    renderer: KatexRenderer | None = None
    formulas = 0
    pages = 0

    def get_renderer(self) -> KatexRenderer:
        if self.renderer is None:
            self.renderer = KatexRenderer(self.repo_root, macros=self.macros)
            self.renderer.start()
        return self.renderer

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None


_state = _BuildState()
atexit.register(_state.close)


def _wrap_option(
    cfg: Mapping[str, Any], key: str, default: tuple[str, str]
) -> tuple[str, str]:
    value = cfg.get(key)
    if value is None:
        return default
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise PluginError(f"pymdownx.arithmatex: {key} must be a list of two strings")
    return (str(value[0]), str(value[1]))


def on_config(config):
    config_file = config.get("config_file_path")
    _state.close()
    _state.repo_root = (
        Path(config_file).resolve().parent if config_file else Path.cwd().resolve()
    )
    _state.formulas = _state.pages = 0

    arithmatex = (config.get("mdx_configs") or {}).get("pymdownx.arithmatex")
    if "pymdownx.arithmatex" in config["markdown_extensions"]:
        arithmatex = arithmatex or {}
        if not arithmatex.get("generic"):
            raise PluginError(
                "sitebuild/katex.py renders math server-side and needs "
                "`pymdownx.arithmatex: {generic: true}` in mkdocs.yml"
            )
    arithmatex = arithmatex or {}
    _state.inline_wrap = _wrap_option(
        arithmatex, "tex_inline_wrap", DEFAULT_INLINE_WRAP
    )
    _state.block_wrap = _wrap_option(arithmatex, "tex_block_wrap", DEFAULT_BLOCK_WRAP)
    macros = (config.get("extra") or {}).get("katex_macros") or {}
    if not isinstance(macros, Mapping):
        raise PluginError(
            "extra.katex_macros in mkdocs.yml must be a mapping of macro -> expansion"
        )
    _state.macros = {str(k): str(v) for k, v in macros.items()}

    # Fail early (before any page is built) if node or KaTeX is missing.
    find_katex(_state.repo_root)
    _find_node(_state.repo_root)

    if CSS_URI not in config["extra_css"]:
        config["extra_css"].insert(0, CSS_URI)
    return config


def on_files(files: Files, config) -> Files:
    """Publish katex.min.css and the font files it references under assets/katex/."""
    dist = find_katex(_state.repo_root) / "dist"
    css_path = dist / "katex.min.css"
    css = css_path.read_text(encoding="utf-8")

    wanted: dict[str, Path] = {CSS_URI: css_path}
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css):
        if ref.startswith(("data:", "#")):
            continue
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", ref, re.I):
            raise PluginError(f"katex.min.css references an external resource: {ref}")
        path = (dist / ref).resolve()
        if path.is_file():
            wanted[f"{ASSET_DIR}/{ref}"] = path
        else:
            log.warning(
                "katex.min.css references %s, which is not in the katex package", ref
            )

    for src_uri, path in wanted.items():
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            log.warning(
                "docs/%s is replaced by the copy from node_modules/katex", src_uri
            )
            files.remove(existing)
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files


def _source_label(page, config) -> str:
    abs_src = getattr(page.file, "abs_src_path", None)
    if abs_src:
        try:
            return Path(abs_src).resolve().relative_to(_state.repo_root).as_posix()
        except ValueError:
            return str(abs_src)
    return page.file.src_uri


def _toc_items(items) -> Iterable[Any]:
    for item in items:
        yield item
        yield from _toc_items(getattr(item, "children", ()) or ())


def _typeset_toc(page, html: str, source: str) -> None:
    """Render math in table-of-contents entries.

    mkdocs-material shows ``toc_item.typeset["title"]`` (HTML) instead of the
    plain-text ``toc_item.title`` when it is set (material's ``typeset``
    plugin sets it for every heading).  For headings containing math we set or
    update it with the KaTeX-rendered heading, so the TOC shows typeset math
    rather than raw TeX; the plain title (used for aria labels) keeps the TeX.
    """
    for item in _toc_items(getattr(page, "toc", None) or ()):
        typeset = getattr(item, "typeset", None)
        title = typeset.get("title") if isinstance(typeset, dict) else None
        if title is None:
            heading = re.search(
                rf"<h([1-6])\b[^>]*\sid=\"{re.escape(item.id)}\"[^>]*>(.*?)</h\1>",
                html,
                re.S,
            )
            if heading is None or "arithmatex" not in heading.group(2):
                continue
            title = re.sub(
                r"<a\b[^>]*\bclass=\"headerlink\"[^>]*>.*?</a>",
                "",
                heading.group(2),
                flags=re.S,
            )
            title = re.sub(r"\sid=\"[^\"]*\"", "", title).strip()
        elif "arithmatex" not in title:
            continue
        rendered = render_math_html(
            title,
            source=f"{source} (table of contents)",
            renderer=_state.get_renderer(),
            inline_wrap=_state.inline_wrap,
            block_wrap=_state.block_wrap,
        )
        if isinstance(typeset, dict):
            typeset["title"] = (
                rendered  # in place: material may share this dict with page.typeset
            )
        else:
            item.typeset = {"title": rendered}


@event_priority(-50)  # late: after the search plugin has indexed the page
def on_page_context(context, *, page, config, nav):
    """Render the page's math just before its template is rendered.

    This runs after every ``on_page_content`` (so mkdocstrings output and any
    content added by other plugins is included) and after the search plugin
    indexed ``page.content``, so the search index holds the TeX source of
    formulas (e.g. ``\\(x^2\\)``) instead of KaTeX's glyph soup.
    """
    html = page.content
    if not html or "arithmatex" not in html:
        return context
    count = len(_OPEN_TAG.findall(html))
    source = _source_label(page, config)
    _typeset_toc(page, html, source)
    page.content = render_math_html(
        html,
        source=source,
        renderer=_state.get_renderer(),
        inline_wrap=_state.inline_wrap,
        block_wrap=_state.block_wrap,
    )
    _state.formulas += count
    _state.pages += 1
    return context


def on_post_build(config) -> None:
    if _state.pages:
        log.info(
            "KaTeX %s rendered %d formula(s) on %d page(s)",
            _state.renderer.version if _state.renderer else "",
            _state.formulas,
            _state.pages,
        )
    _state.close()


def on_build_error(error) -> None:
    _state.close()


def on_shutdown() -> None:
    _state.close()
