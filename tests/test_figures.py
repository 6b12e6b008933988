"""Tests of the build-time figures (sitebuild/figures.py) and the Markdown extension that embeds them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import segref
from sitebuild import figures  # noqa: E402  (after the matplotlib import check)

SVG = "{http://www.w3.org/2000/svg}"

# one pytest-xdist worker renders every figure once (the module fixture below); spread over two, each
# worker would render them all
pytestmark = pytest.mark.xdist_group("figures")


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return figures.render_all()


def test_every_figure_has_a_light_and_a_dark_file(rendered):
    expected = {
        f"figures/{name}-{theme}{suffix}.svg"
        for name in figures.FIGURES
        for theme in ("light", "dark")
        for suffix in ("", "-narrow")
    }
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
@pytest.mark.parametrize("suffix", ["", "-narrow"])
def test_figure_renders_to_svg(rendered, name, theme, suffix):
    data = rendered[f"figures/{name}-{theme}{suffix}.svg"]
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


def _width_in_points(svg: bytes) -> float:
    return float(ET.fromstring(svg).get("width").removesuffix("pt"))


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_the_narrow_layout_is_narrow_and_stacks_its_panels(rendered, name):
    """About 4 in wide (text at about 12 CSS px in a 358 px phone column), never wider than 4.5 in."""
    wide, narrow = rendered[f"figures/{name}-light.svg"], rendered[f"figures/{name}-light-narrow.svg"]
    assert _width_in_points(narrow) <= 4.5 * 72 < _width_in_points(wide)


def test_unknown_layout_is_rejected():
    with pytest.raises(ValueError, match="layout must be one of"):
        figures.render_svg("bce", "light", "tall")


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
    # docs/dice-vs-iou.md rebuilds these masks in NumPy and prints these counts
    rows, cols = np.mgrid[:12, :12]
    assert np.array_equal(target, (rows - 5.5) ** 2 + (cols - 5.5) ** 2 <= 4.5**2)
    assert np.array_equal(pred, (rows >= 4) & (rows < 11) & (cols >= 4) & (cols < 11))
    assert (tp, fp, fn) == (35, 14, 25)
    assert s["dice"] == pytest.approx(2 * tp / (2 * tp + fp + fn), abs=1e-12)
    assert s["iou"] == pytest.approx(tp / (tp + fp + fn), abs=1e-12)


def test_the_extension_embeds_each_figure_in_its_theme():
    """``![..](../figures/NAME-THEME.svg#only-THEME)`` becomes that SVG as a data: URI, fragment kept."""
    import re
    from urllib.parse import unquote

    import markdown

    from sitebuild import figure_embed

    md = markdown.Markdown(extensions=["attr_list", "md_in_html", "sitebuild.figure_embed"])
    html = md.convert(
        '<figure markdown="span">\n  ![Dice](../figures/dice-overlap-light.svg#only-light)\n'
        "  ![Dice](../figures/dice-overlap-dark.svg#only-dark)\n</figure>\n\n![other](picture.png)\n"
    )
    sources = re.findall(r'<img[^>]* src="([^"]+)"', html)
    assert len(sources) == 3 and sources[2] == "picture.png"
    for source, theme in zip(sources[:2], ("light", "dark"), strict=True):
        payload, fragment = source.removeprefix("data:image/svg+xml;charset=utf-8,").split("#")
        assert fragment == f"only-{theme}" and "\n" not in payload
        assert unquote(payload).encode() == figures.render_svg("dice-overlap", theme)
    # each image sits in a <picture> whose <source> gives phones the narrow layout
    narrow = re.findall(r'<picture><source media="([^"]+)" srcset="([^"]+)" ?/?><img', html)
    assert len(narrow) == 2 and "<picture>" not in html.split("picture.png")[1]
    for (media, srcset), theme in zip(narrow, ("light", "dark"), strict=True):
        assert media == figure_embed.NARROW_SCREEN
        payload = srcset.removeprefix("data:image/svg+xml;charset=utf-8,")
        assert " " not in payload, "a space would split the srcset into candidates"
        assert unquote(payload).encode() == figures.render_svg("dice-overlap", theme, "narrow")


def test_the_extension_stops_on_an_unknown_figure_or_a_failed_check(monkeypatch):
    import markdown

    from sitebuild import SiteCheckError, figure_embed

    with pytest.raises(SiteCheckError, match="no figure named 'nope'"):
        markdown.Markdown(extensions=["sitebuild.figure_embed"]).convert("![x](figures/nope-light.svg)\n")
    monkeypatch.setattr(figure_embed, "_cache", {"mtime": None, "svgs": {}})
    original = segref.binary_focal_loss
    monkeypatch.setattr(segref, "binary_focal_loss", lambda *args, **kwargs: original(*args, **kwargs) * 1.1)
    with pytest.raises(SiteCheckError, match="figure 'focal-gamma' .dark.: .*gamma=0"):
        markdown.Markdown(extensions=["sitebuild.figure_embed"]).convert("![x](figures/focal-gamma-dark.svg)\n")


def test_a_legend_or_label_outside_the_figure_stops_the_build():
    """The SVG is not cropped to its content: a legend wider than the figure would be cut off."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.0, 1.5), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], label="a label far too long for a figure only two inches wide, set under it")
    fig.legend(loc="outside lower center", ncols=1)
    fig.savefig(__import__("io").BytesIO(), format="svg")
    with pytest.raises(figures.FigureRenderError, match="legend spans .* it would be cut off"):
        figures._check_inside(fig)
    fig.legends.clear()
    figures._check_inside(fig)  # without it, the figure fits
