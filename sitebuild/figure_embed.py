"""Markdown extension: draw the site's figures from segref and embed them in the page.

A page refers to a figure the way it would to a file, ``![alt](figures/NAME-THEME.svg#only-THEME)``
(from ``docs/losses/``: ``../figures/...``), with ``NAME`` a key of
:data:`sitebuild.figures.FIGURES` and ``THEME`` ``light`` or ``dark``; ``sitebuild/FIGURES.md``
lists them. This extension draws the figure with matplotlib and replaces the ``src`` by
the SVG itself, as a ``data:`` URI, keeping the ``#only-light`` / ``#only-dark`` fragment
that the theme's stylesheet switches on. The image goes inside a ``<picture>`` whose
``<source>`` gives screens narrower than :data:`NARROW_SCREEN` the figure's narrow layout
(panels stacked, text about 12 CSS px on a 390 px phone, where the wide figure's would be 8).
Nothing is written anywhere, so MkDocs and Zensical give the same page, and no generator
needs to know where the site goes.

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


def figure_svg(name: str, theme: str, layout: str = "wide") -> bytes:
    """The SVG of one figure in one theme and layout, drawn once per process and ``figures.py`` version."""
    module = importlib.import_module("sitebuild.figures")
    mtime = FIGURES_SOURCE.stat().st_mtime_ns
    if _cache["mtime"] != mtime:
        if _cache["mtime"] is not None:
            module = importlib.reload(module)
        _cache["mtime"], _cache["svgs"] = mtime, {}
    if name not in module.FIGURES:
        raise KeyError(f"no figure named {name!r}; the figures are {', '.join(module.FIGURES)}")
    key = f"{name}-{theme}-{layout}"
    if key not in _cache["svgs"]:
        _cache["svgs"][key] = module.render_svg(name, theme, layout)
    return _cache["svgs"][key]


#: left as they are in the data: URI; everything else (``#``, ``%``, quotes, angle brackets,
#: newlines, which URL parsers drop) is percent-encoded. Unlike base64, the SVG's text stays
#: text, so the page compresses about as well as separate SVG files would (a third smaller
#: than base64 over gzip).
URI_SAFE = " !$&'()*+,-./:;=?@_~"

#: the media query under which a figure shows its narrow layout: mkdocs-material's own
#: breakpoint for phones and small tablets (719 px), below which the column is too narrow
#: for side-by-side panels.
NARROW_SCREEN = "(max-width: 44.9375em)"


def data_uri(svg: bytes, *, in_srcset: bool = False) -> str:
    """``svg`` as a ``data:`` URI; in a ``srcset`` spaces separate candidates, so they are encoded too."""
    safe = URI_SAFE.replace(" ", "") if in_srcset else URI_SAFE
    return "data:image/svg+xml;charset=utf-8," + quote(svg.decode("utf-8"), safe=safe)


class FigureTreeprocessor(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for parent in list(root.iter()):
            for index, image in enumerate(list(parent)):
                if image.tag == "img" and (match := FIGURE_SRC.match(image.get("src", ""))):
                    parent[index] = self._picture(image, match)

    def _picture(self, image: ET.Element, match: re.Match[str]) -> ET.Element:
        try:
            wide, narrow = (figure_svg(match["name"], match["theme"], layout) for layout in ("wide", "narrow"))
        except Exception as error:  # a failed figure check, a drawing error or an unknown name
            message = error.args[0] if isinstance(error, KeyError) else error
            raise SiteCheckError(f"{page_source(self.md)}: {message}") from error
        image.set("src", data_uri(wide) + (match["fragment"] or ""))
        picture = ET.Element("picture")
        ET.SubElement(picture, "source", {"media": NARROW_SCREEN, "srcset": data_uri(narrow, in_srcset=True)})
        picture.append(image)
        picture.tail, image.tail = image.tail, None
        return picture


class FigureExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # after the inline patterns (20) have made the <img> elements, before MkDocs checks links (0)
        md.treeprocessors.register(FigureTreeprocessor(md), "segref_figures", 9)


def makeExtension(**kwargs: Any) -> FigureExtension:
    return FigureExtension(**kwargs)
