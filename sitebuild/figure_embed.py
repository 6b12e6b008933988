"""Markdown extension: draw the site's figures from segref and embed them in the page.

A page refers to a figure the way it would to a file, ``![alt](figures/NAME-THEME.svg#only-THEME)``
(from ``docs/losses/``: ``../figures/...``), with ``NAME`` a key of
:data:`sitebuild.figures.FIGURES` and ``THEME`` ``light`` or ``dark``; ``sitebuild/FIGURES.md``
lists them. This extension draws the figure with matplotlib and replaces the ``src`` by
the SVG itself, as a ``data:`` URI, keeping the ``#only-light`` / ``#only-dark`` fragment
that the theme's stylesheet switches on. Nothing is written anywhere, so MkDocs and
Zensical give the same page, and no generator needs to know where the site goes.

A figure that fails to draw, or whose check against a known value fails (the focal loss
at gamma = 0 is not the cross-entropy, say), or an unknown figure name stops the build
with :class:`~sitebuild.SiteCheckError`. SVGs are cached for the life of the process
while ``sitebuild/figures.py`` is unchanged (``mkdocs serve`` redraws when it changes;
after changing ``segref`` itself, restart it).
"""

from __future__ import annotations

import importlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

from sitebuild import SiteCheckError, page_source

FIGURES_SOURCE = Path(__file__).resolve().with_name("figures.py")
FIGURE_SRC = re.compile(r"^(?:\.\./)*figures/(?P<name>[a-z0-9-]+?)-(?P<theme>light|dark)\.svg(?P<fragment>#[\w-]*)?$")

_cache: dict[str, Any] = {"mtime": None, "svgs": {}}


def figure_svg(name: str, theme: str) -> bytes:
    """The SVG of one figure in one theme, drawn once per process and ``figures.py`` version."""
    module = importlib.import_module("sitebuild.figures")
    mtime = FIGURES_SOURCE.stat().st_mtime_ns
    if _cache["mtime"] != mtime:
        if _cache["mtime"] is not None:
            module = importlib.reload(module)
        _cache["mtime"], _cache["svgs"] = mtime, {}
    if name not in module.FIGURES:
        raise KeyError(f"no figure named {name!r}; the figures are {', '.join(module.FIGURES)}")
    key = f"{name}-{theme}"
    if key not in _cache["svgs"]:
        _cache["svgs"][key] = module.render_svg(name, theme)
    return _cache["svgs"][key]


#: left as they are in the data: URI; everything else (``#``, ``%``, quotes, angle brackets,
#: newlines, which URL parsers drop) is percent-encoded. Unlike base64, the SVG's text stays
#: text, so the page compresses about as well as separate SVG files would (a third smaller
#: than base64 over gzip).
URI_SAFE = " !$&'()*+,-./:;=?@_~"


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;charset=utf-8," + quote(svg.decode("utf-8"), safe=URI_SAFE)


class FigureTreeprocessor(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for image in root.iter("img"):
            match = FIGURE_SRC.match(image.get("src", ""))
            if match is None:
                continue
            try:
                svg = figure_svg(match["name"], match["theme"])
            except Exception as error:  # a failed figure check, a drawing error or an unknown name
                message = error.args[0] if isinstance(error, KeyError) else error
                raise SiteCheckError(f"{page_source(self.md)}: {message}") from error
            image.set("src", data_uri(svg) + (match["fragment"] or ""))


class FigureExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # after the inline patterns (20) have made the <img> elements, before MkDocs checks links (0)
        md.treeprocessors.register(FigureTreeprocessor(md), "segref_figures", 9)


def makeExtension(**kwargs: Any) -> FigureExtension:
    return FigureExtension(**kwargs)
