"""MkDocs hook: draw the site's figures with matplotlib from segref at build time.

Every figure of :data:`sitebuild.figures.FIGURES` is rendered in a light and a
dark variant and published as a generated file, ``figures/NAME-light.svg`` and
``figures/NAME-dark.svg``, for ``mkdocs build`` and ``mkdocs serve`` alike.
Nothing is written to ``docs/``. Pages embed them with mkdocs-material's
``#only-light`` / ``#only-dark`` image switch; see ``sitebuild/FIGURES.md``.

A figure that fails to draw, or whose check against a known value fails (e.g.
the focal loss at gamma = 0 is not the cross-entropy), aborts the build.

``mkdocs serve`` keeps the rendered SVGs between rebuilds of one process while
``sitebuild/figures.py`` is unchanged (it is reloaded when it changes); after
changing ``segref`` itself, restart ``mkdocs serve``.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.plugins.segref.figures")

REPO_ROOT = Path(__file__).resolve().parent.parent
FIGURES_SOURCE = Path(__file__).resolve().parent / "figures.py"

_cache: dict[str, object] = {"mtime": None, "svgs": None}


def _figures_module():
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    module = importlib.import_module("sitebuild.figures")
    mtime = FIGURES_SOURCE.stat().st_mtime_ns
    if _cache["mtime"] is not None and _cache["mtime"] != mtime:
        module = importlib.reload(module)
    return module, mtime


def on_files(files: Files, config) -> Files:
    """Render every figure (both themes) and add the SVGs to the site's files."""
    started = time.perf_counter()
    try:
        figures, mtime = _figures_module()
        if _cache["svgs"] is None or _cache["mtime"] != mtime:
            _cache["svgs"], _cache["mtime"] = figures.render_all(), mtime
            cached = False
        else:
            cached = True
    except PluginError:
        raise
    except Exception as error:  # a failed figure check or drawing error fails the build
        raise PluginError(f"sitebuild/figures.py: {error}") from error
    svgs: dict[str, bytes] = _cache["svgs"]  # type: ignore[assignment]

    for src_uri, content in svgs.items():
        existing = files.get_file_from_path(src_uri)
        if existing is not None:
            log.warning("docs/%s is replaced by the figure drawn by sitebuild/figures.py", src_uri)
            files.remove(existing)
        files.append(File.generated(config, src_uri, content=content))

    log.info(
        "%d figures (%d SVG files, light and dark) %s in %.2f s",
        len(figures.FIGURES),
        len(svgs),
        "reused" if cached else "drawn",
        time.perf_counter() - started,
    )
    return files
