"""Tests of the build-time figures (sitebuild/figures.py) and their MkDocs hook."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

try:
    from sitebuild import figures
except ImportError:  # pytest run without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sitebuild import figures

import segref

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return figures.render_all()


def test_every_figure_has_a_light_and_a_dark_file(rendered):
    expected = {f"figures/{name}-{theme}.svg" for name in figures.FIGURES for theme in ("light", "dark")}
    assert set(rendered) == expected
    assert {
        "bce",
        "bce-label-smoothing",
        "cce",
        "focal-gamma",
        "focal-gamma-gradient",
        "dice-overlap",
        "dice-gradient",
        "mask-example",
    } <= set(figures.FIGURES)


@pytest.mark.parametrize("name", list(figures.FIGURES))
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figure_renders_to_svg(rendered, name, theme):
    data = rendered[f"figures/{name}-{theme}.svg"]
    assert data
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert any(True for _ in root.iter(f"{SVG}path"))
    assert any(True for _ in root.iter(f"{SVG}text")), "text should stay text (svg.fonttype = none)"
    text = data.decode()
    foreground = {"light": "#222222", "dark": "#dddddd"}
    assert foreground[theme] in text
    assert foreground["dark" if theme == "light" else "light"] not in text
    assert "<dc:date>" not in text  # no build date: deterministic output


def test_rendering_is_deterministic(rendered):
    assert figures.render_svg("focal-gamma", "dark") == rendered["figures/focal-gamma-dark.svg"]


def test_unknown_theme_is_rejected():
    with pytest.raises(ValueError, match="theme"):
        figures.style("sepia")


def test_focal_check_fails_the_build_when_the_loss_is_wrong(monkeypatch):
    original = segref.binary_focal_loss
    monkeypatch.setattr(segref, "binary_focal_loss", lambda *args, **kwargs: original(*args, **kwargs) * 1.1)
    with pytest.raises(figures.FigureCheckError, match="gamma=0"):
        figures.check_focal()
    with pytest.raises(figures.FigureCheckError, match="focal-gamma"):
        figures.render_svg("focal-gamma", "light")
    with pytest.raises(figures.FigureCheckError):
        figures.render_all(["focal-gamma-gradient"])


def test_focal_check_catches_a_loss_that_ignores_gamma(monkeypatch):
    original = segref.binary_focal_loss
    monkeypatch.setattr(
        segref, "binary_focal_loss", lambda *args, gamma=2.0, **kwargs: original(*args, gamma=0.0, **kwargs)
    )
    with pytest.raises(figures.FigureCheckError, match="strictly decrease"):
        figures.check_focal()


def test_mask_example_scores_match_the_hand_formulas():
    s = figures.mask_example_scores()
    pred, target = np.asarray(s["pred"]).astype(bool), np.asarray(s["target"]).astype(bool)
    assert pred.shape == target.shape == (12, 12)
    tp = int(np.count_nonzero(pred & target))
    fp = int(np.count_nonzero(pred & ~target))
    fn = int(np.count_nonzero(~pred & target))
    assert (s["tp"], s["fp"], s["fn"]) == (tp, fp, fn)
    assert tp > 0 and fp > 0 and fn > 0  # the example shows all three kinds
    assert s["dice"] == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-12)
    assert s["iou"] == pytest.approx(tp / (tp + fp + fn), abs=1e-12)


def test_hook_publishes_the_svgs_in_a_mkdocs_build(tmp_path):
    """A minimal site whose only hook is figure_hook.py: the SVGs land under site/figures/."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    hook = Path(__file__).resolve().parents[1] / "sitebuild" / "figure_hook.py"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("![x](figures/dice-overlap-light.svg#only-light)\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\nhooks:\n  - {hook.as_posix()}\n", encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"), strict=True)
    build(config)
    site = tmp_path / "site" / "figures"
    names = {p.name for p in site.glob("*.svg")}
    assert names == {f"{name}-{theme}.svg" for name in figures.FIGURES for theme in ("light", "dark")}
    assert (site / "focal-gamma-dark.svg").read_bytes().startswith(b"<?xml")
