"""Markdown extension: interactive figures, with values computed by segref at build time.

A line ``<!-- interactive: NAME -->`` becomes a ``<segref-interactive>`` element holding
the figure's data as JSON (its ``data-figure`` attribute): for every setting of its controls, the curves, the marked
points and the sentence under the figure, all computed here by segref. The browser draws
it with ``docs/assets/segref-interactive.js`` (served by the site, no network) and the
controls are range inputs (keyboard: arrow keys). The element is ``hidden`` until the
script shows it, so without JavaScript the page keeps its static figure alone. An unknown
name, or a value that fails its check, stops the build.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from markdown import Extension, Markdown

import segref

from . import MarkerPreprocessor, SiteCheckError
from .figures import empty_mask_loss

MARKER = re.compile(r"^<!-- interactive: (?P<name>[a-z0-9-]+) -->$")
NEAR_MISS = re.compile(r"^\s*<!--\s*interactive", re.IGNORECASE)
DTYPE = torch.float64


def _key(indices: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in indices)


def _grid(controls: list[dict[str, Any]], build: Callable[..., Any]) -> dict[str, Any]:
    """``build(*values)`` for every combination of the controls' values, keyed "i,j"."""
    ranges = [range(len(c["values"])) for c in controls]
    return {
        _key(idx): build(*(c["values"][i] for c, i in zip(controls, idx, strict=True)))
        for idx in itertools.product(*ranges)
    }


def _rounded(values: Any, digits: int = 6) -> list[float]:
    return [round(float(v), digits) for v in np.asarray(values).ravel()]


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SiteCheckError(f"interactive figure: {message}")


# --- focal: gamma and alpha ----------------------------------------------------------------


def focal_value(p_t: float | np.ndarray, gamma: float, alpha: float | None) -> np.ndarray:
    """segref's binary focal loss of a positive pixel (y = 1) predicted with probability ``p_t``."""
    z = torch.logit(torch.as_tensor(np.atleast_1d(p_t), dtype=DTYPE))
    loss = segref.binary_focal_loss(z, torch.ones_like(z), from_logits=True, gamma=gamma, alpha=alpha, reduction="none")
    return loss.numpy()


def focal() -> dict[str, Any]:
    p_t = np.round(np.linspace(0.01, 0.99, 99), 10)
    gammas = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]
    alphas: list[float | None] = [None, 0.25, 0.5, 0.75]
    controls = [
        {"id": "gamma", "label": "γ (gamma)", "values": gammas, "text": [f"{g:g}" for g in gammas], "initial": 4},
        {"id": "alpha", "label": "α (alpha)", "values": alphas, "text": ["none", "0.25", "0.5", "0.75"], "initial": 0},
    ]
    ce = focal_value(p_t, 0.0, None)
    _check(abs(ce[9] + math.log(0.1)) < 1e-9, f"focal loss at gamma=0, p_t=0.1 is {ce[9]}, not -ln 0.1")

    def readout(gamma: float, alpha: float | None) -> str:
        low, high = focal_value(np.array([0.1, 0.9]), gamma, alpha)
        return (
            f"γ = {gamma:g}, α = {'none' if alpha is None else f'{alpha:g}'}: a missed pixel (p_t = 0.1) costs "
            f"{low:.4f} (cross-entropy {-math.log(0.1):.4f}), a well-classified one (p_t = 0.9) {high:.6f} "
            f"(cross-entropy {-math.log(0.9):.6f}): {low / high:,.0f} times as much."
        )

    return {
        "title": "Focal loss of one positive pixel",
        "x": {"label": "probability of the true class p_t", "values": _rounded(p_t), "min": 0, "max": 1},
        "y": {"label": "loss", "min": 0, "max": 5},
        "controls": controls,
        "curves": [
            {"label": "cross-entropy (γ = 0)", "style": "dashed", "values": {"": _rounded(ce)}, "depends": []},
            {
                "label": "focal loss",
                "depends": ["gamma", "alpha"],
                "values": _grid(controls, lambda g, a: _rounded(focal_value(p_t, g, a))),
            },
        ],
        "readout": _grid(controls, readout),
    }


# --- the Dice-IoU gap as the overlap grows ------------------------------------------------------


def overlap_scores(k: int, n: int = 100) -> tuple[float, float]:
    """Hard Dice and IoU (segref.dice_score / iou_score) of an n-pixel prediction overlapping an
    n-pixel target by k pixels, on a strip of 2n pixels."""
    pixel = np.arange(2 * n)
    target = (pixel < n).astype(np.int64)[None]
    pred = ((pixel >= n - k) & (pixel < 2 * n - k)).astype(np.int64)[None]
    options = {"num_classes": 2, "include_background": False, "reduction": "none"}
    dice = float(segref.dice_score(pred, target, **options).ravel()[0])
    iou = float(segref.iou_score(pred, target, **options).ravel()[0])
    return dice, iou


def overlap() -> dict[str, Any]:
    ks = list(range(0, 101, 5))
    f = [k / 100 for k in ks]
    pairs = [overlap_scores(k) for k in ks]
    for k, (d, j) in zip(ks, pairs, strict=True):
        _check(abs(d - k / 100) < 1e-12 and abs(j - k / (200 - k)) < 1e-12, f"Dice/IoU at k={k}: {d}, {j}")
    controls = [
        {"id": "k", "label": "overlap k (pixels of 100)", "values": ks, "text": [str(k) for k in ks], "initial": 10}
    ]

    def readout(k: int) -> str:
        d, j = overlap_scores(k)
        return f"Overlap {k} of 100 pixels: Dice {d:.4f}, IoU {j:.4f}, gap Dice − IoU {d - j:.4f}."

    return {
        "title": "Dice and IoU of a 100-pixel prediction sliding over a 100-pixel target",
        "x": {"label": "overlap fraction f", "values": f, "min": 0, "max": 1},
        "y": {"label": "score", "min": 0, "max": 1},
        "controls": controls,
        "curves": [
            {"label": "Dice", "depends": [], "values": {"": _rounded([d for d, _ in pairs])}},
            {"label": "IoU", "depends": [], "values": {"": _rounded([j for _, j in pairs])}},
        ],
        "points": {
            "depends": ["k"],
            "values": _grid(controls, lambda k: [[k / 100, v] for v in overlap_scores(k)]),
        },
        "strip": {"depends": ["k"], "values": _grid(controls, lambda k: [0, 100, 100 - k, 200 - k])},
        "readout": _grid(controls, readout),
    }


# --- smoothing on an empty mask ---------------------------------------------------------------


def smoothing() -> dict[str, Any]:
    masses = [m * 10.0**e for e in range(-8, 1) for m in (1, 1.5, 2, 3, 5, 7)] + [10.0]
    masses = [float(f"{m:.3g}") for m in masses]
    smooths = [0.0, 1e-7, 1e-5, 1e-3, 1e-1, 1.0]
    controls = [
        {"id": "smooth", "label": "ε (smooth)", "values": smooths, "text": [f"{s:g}" for s in smooths], "initial": 2},
        {
            "id": "mass",
            "label": "predicted foreground Σp",
            "values": masses,
            "text": [f"{m:g}" for m in masses],
            "initial": 24,
        },
    ]
    _check(float(empty_mask_loss(0.0, 0.0)[0]) == 0.0, "empty prediction on an empty target is not loss 0")
    _check(abs(float(empty_mask_loss(1.0, 1.0)[0]) - 0.5) < 1e-12, "Dice loss of mass 1, smooth 1 is not 1/2")
    log_mass = [round(math.log10(m), 6) for m in masses]

    def readout(smooth: float, mass: float) -> str:
        value = float(empty_mask_loss(mass, smooth)[0])
        return f"ε = {smooth:g}, Σp = {mass:g} on an empty target: Dice loss 1 − ε/(Σp + ε) = {value:.6f}."

    return {
        "title": "Dice loss of an empty target as the predicted foreground grows",
        "x": {
            "label": "predicted foreground Σp (pixels, log scale)",
            "values": log_mass,
            "min": -8,
            "max": 1,
            "ticks": [[-8, "1e-8"], [-6, "1e-6"], [-4, "1e-4"], [-2, "0.01"], [0, "1"]],
        },
        "y": {"label": "Dice loss", "min": 0, "max": 1},
        "controls": controls,
        "curves": [
            {
                "label": "Dice loss",
                "depends": ["smooth"],
                "values": {str(i): _rounded(empty_mask_loss(np.array(masses), s)) for i, s in enumerate(smooths)},
            }
        ],
        "points": {
            "depends": ["smooth", "mass"],
            "values": _grid(
                controls,
                lambda s, m: [[round(math.log10(m), 6), round(float(empty_mask_loss(m, s)[0]), 6)]],
            ),
        },
        "readout": _grid(controls, readout),
    }


WIDGETS: dict[str, Callable[[], dict[str, Any]]] = {
    "focal": focal,
    "overlap": overlap,
    "smoothing": smoothing,
}
_cache: dict[str, str] = {}


def widget_html(name: str) -> str:
    if name not in WIDGETS:
        raise SiteCheckError(f"unknown interactive figure {name!r} (known: {', '.join(WIDGETS)})")
    if name not in _cache:
        data = json.dumps(WIDGETS[name](), ensure_ascii=False, separators=(",", ":"))
        # an attribute, not a <script type="application/json">: instant navigation re-runs scripts
        _cache[name] = (
            f'<div class="segref-interactive"><segref-interactive data-widget="{html.escape(name)}" '
            f'data-search-exclude hidden data-figure="{html.escape(data, quote=True)}"></segref-interactive></div>'
        )
    return _cache[name]


class InteractivePreprocessor(MarkerPreprocessor):
    marker, near_miss = MARKER, NEAR_MISS
    hint = "interactive-figure marker; write '<!-- interactive: NAME -->' at the start of a line of its own"

    def replace(self, found: re.Match[str]) -> list[str]:
        return [widget_html(found.group("name"))]


class InteractiveExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(InteractivePreprocessor(md), "segref_interactive", 31)


def makeExtension(**kwargs: Any) -> InteractiveExtension:
    return InteractiveExtension(**kwargs)
