"""Build-time machinery of the segref site, as Python-Markdown extensions.

Each extension is listed by name under ``markdown_extensions`` in ``mkdocs.yml``, so any
generator that renders pages with Python-Markdown runs it: MkDocs (``mkdocs build``,
``mkdocs serve``) and Zensical (``zensical build``) alike. None depends on a generator's
plugin or hook API:

- ``sitebuild.pages``: runs every page's code and checks its shown output;
- ``sitebuild.figure_embed``: draws the figures (``sitebuild/figures.py``) and embeds them;
- ``sitebuild.katex``: renders the math with the vendored KaTeX, in-process.

A failed check raises :class:`SiteCheckError`, which stops either generator with a
non-zero exit status. The modules' pure functions are unit-tested with pytest
(``from sitebuild import katex``). ``pip install -e .`` puts the repository root on
``sys.path``, which is how the generators find this package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = REPO_ROOT / "docs"

try:  # MkDocs reports its own BuildError subclasses without a traceback
    from mkdocs.exceptions import PluginError as _Base
except ImportError:  # pragma: no cover - Zensical alone, or plain Python-Markdown
    _Base = Exception  # type: ignore[assignment,misc]


class SiteCheckError(_Base):  # type: ignore[misc,valid-type]
    """A page's code, shown output, figure or formula failed its check: the build must stop."""


_WHITESPACE = re.compile(r"\s+")
_docs_index: dict[str, Any] = {"stamp": None, "pages": {}}


def _fingerprint(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def page_source(md: Any, text: str | None = None) -> str:
    """The page being converted by ``md``, as ``docs/PATH.md``, for error messages.

    Zensical tells its extensions the page through a ``rendering_context`` preprocessor;
    MkDocs does not, so the page is found by its text among the files of ``docs/``
    (``text`` defaults to the text ``sitebuild.pages`` received); a page from elsewhere is
    named by its title, a docstring rendered by mkdocstrings is ``"<markdown>"``.
    """
    known = getattr(md, "segref_page_source", None)
    if known:
        return known
    context = md.preprocessors["rendering_context"] if "rendering_context" in md.preprocessors else None
    path = getattr(getattr(context, "page", None), "path", None)
    if path:
        return f"docs/{Path(path).as_posix()}"
    if text is None:
        text = getattr(md, "segref_page_text", None) or "\n".join(getattr(md, "lines", []) or [])
    files = sorted(DOCS_DIR.rglob("*.md"))
    stamp = tuple((str(f), f.stat().st_mtime_ns) for f in files)
    if _docs_index["stamp"] != stamp:
        _docs_index["pages"] = {
            _fingerprint(f.read_text(encoding="utf-8")): f"docs/{f.relative_to(DOCS_DIR).as_posix()}" for f in files
        }
        _docs_index["stamp"] = stamp
    found = _docs_index["pages"].get(_fingerprint(text))
    if found:
        return found
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), None)
    return f"the page titled {title!r}" if title else "<markdown>"


try:  # the marker preprocessors need Python-Markdown; the pure helpers above do not
    from markdown.preprocessors import Preprocessor as _Preprocessor
except ImportError:  # pragma: no cover
    _Preprocessor = object  # type: ignore[assignment,misc]


class MarkerPreprocessor(_Preprocessor):  # type: ignore[misc,valid-type]
    """Replaces each line matching ``marker`` by the lines :meth:`replace` returns.

    A line that starts like a marker (``near_miss``) but does not match it stops the build
    with ``hint``, so a mistyped marker cannot vanish as an HTML comment; an error from
    :meth:`replace` is reported with the page's name.
    """

    marker: re.Pattern[str]
    near_miss: re.Pattern[str]
    hint: str

    def replace(self, found: re.Match[str]) -> list[str]:
        raise NotImplementedError

    def run(self, lines: list[str]) -> list[str]:
        if not any(self.near_miss.match(line) for line in lines):
            return lines
        out: list[str] = []
        for line in lines:
            found = self.marker.match(line)
            if not found:
                if self.near_miss.match(line):
                    raise SiteCheckError(f"{page_source(self.md)}: {line.strip()!r} is not a {self.hint}")
                out.append(line)
                continue
            try:
                out += ["", *self.replace(found), ""]
            except SiteCheckError as error:
                raise SiteCheckError(f"{page_source(self.md)}: {error}") from None
        return out
