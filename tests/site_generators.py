"""How the tests build the site with each generator, from the repository's mkdocs.yml.

Not a test module: ``test_site_browser.py`` and ``test_site_generators.py`` import it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]

#: the site generators that build the site from the same sources
GENERATORS = ("mkdocs", "zensical")


def _config(site_dir: Path, *, other_docs: bool) -> dict:
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["site_dir"] = str(site_dir)
    if other_docs:  # a docs/ beside the copy: the site's own nav and paths do not apply
        config.pop("nav", None)
        config["watch"] = [str(REPO_ROOT / path) for path in config.get("watch", [])]
        for plugin in config.get("plugins", []):
            if isinstance(plugin, dict) and "mkdocstrings" in plugin:
                python = plugin["mkdocstrings"]["handlers"]["python"]
                python["paths"] = [str(REPO_ROOT / path) for path in python.get("paths", ["."])]
    return config


def _command(generator: str, config_file: Path) -> list[str]:
    if generator == "mkdocs":
        return [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config_file)]
    if generator == "zensical":
        return [sys.executable, "-m", "zensical", "build", "--strict", "--clean", "--config-file", str(config_file)]
    raise ValueError(f"generator: expected one of {GENERATORS}, got {generator!r}")


def build(
    generator: str,
    site_dir: Path,
    *,
    project: Path | None = None,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Build into ``site_dir`` the repository's docs/, or ``project/docs`` when ``project`` is given.

    Both generators read a copy of mkdocs.yml that differs only in ``site_dir`` (Zensical
    has no ``--site-dir`` option), and, for ``project``, in having no nav. Zensical wants
    ``docs_dir`` and ``site_dir`` inside the directory of its config file, so for the
    repository's docs the copy is a temporary file in the repository root and the site is
    built under ``.segref-test-sites/`` there, then moved to ``site_dir`` (git ignores both,
    and Zensical's build cache, ``.cache/``). With ``project``, ``site_dir`` must lie inside
    ``project`` for Zensical.
    """
    build_dir = site_dir
    if project is None:
        name = f"segref-site-{generator}-{uuid.uuid4().hex[:8]}"
        config_file = REPO_ROOT / f".{name}.yml"
        build_dir = REPO_ROOT / ".segref-test-sites" / name  # Zensical: site_dir inside the project too
    else:
        if generator == "zensical" and not site_dir.resolve().is_relative_to(project.resolve()):
            raise ValueError(f"site_dir {site_dir} must lie inside project {project} for Zensical")
        config_file = project / "mkdocs.yml"
    config_file.write_text(yaml.safe_dump(_config(build_dir, other_docs=project is not None), sort_keys=False))
    try:
        return subprocess.run(
            _command(generator, config_file),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        )
    finally:
        if project is None:
            config_file.unlink(missing_ok=True)
            if build_dir.exists():
                shutil.rmtree(site_dir, ignore_errors=True)
                shutil.move(build_dir, site_dir)
