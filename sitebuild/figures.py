"""Build-time figures for the segref site, drawn by matplotlib from segref itself.

Every curve is computed by calling a ``segref`` loss on float64 torch tensors;
gradients come from ``torch.autograd`` with respect to the logit ``z`` (with
``p = sigmoid(z)``, or ``softmax`` for the categorical loss). Nothing here
re-implements a loss: if segref changes, the figures change with it. A few
figures also *check* segref against known values (e.g. the focal loss with
``gamma = 0`` is ``-ln p_t``) and raise :class:`FigureCheckError` when the check
fails, so that the site build fails.

Public API:

- :data:`FIGURES`: name -> builder ``f(theme) -> matplotlib.figure.Figure``,
  with ``theme`` in :data:`THEMES` (``"light"`` or ``"dark"``);
- :func:`render_svg`: one figure in one theme and one layout, as deterministic SVG bytes;
- :func:`render_all`: every figure in both themes and both layouts, keyed by site path, e.g.
  ``"figures/focal-gamma-light.svg"`` and ``"figures/focal-gamma-light-narrow.svg"``;

Each figure has two layouts (:data:`LAYOUTS`): ``"wide"`` for the desktop column, panels
side by side, and ``"narrow"`` for phones, panels stacked in a figure about 4 inches wide, so
that the text is drawn at about 12 CSS px on a 390 px screen instead of 8.
- :func:`mask_example_scores`: the counts and scores printed in ``mask-example``.

The Markdown extension ``sitebuild.figure_embed`` embeds them in the pages;
``sitebuild/FIGURES.md`` lists the figures and how to embed them.

Figures are drawn on :class:`matplotlib.figure.Figure` objects directly (no
``pyplot``), so no GUI backend is involved and nothing global is left behind;
each figure's style is applied with :func:`matplotlib.rc_context`.
"""

from __future__ import annotations

import contextvars
import io
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import matplotlib
import matplotlib.colors
import numpy as np
import torch
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.patches import Patch

import segref  # always called as segref.<name>, so tests can monkeypatch it

__all__ = [
    "FIGURES",
    "THEMES",
    "FigureCheckError",
    "FigureRenderError",
    "LAYOUTS",
    "figure_paths",
    "mask_example_scores",
    "render_all",
    "render_svg",
    "style",
]

THEMES = ("light", "dark")
FIGSIZE = (6.4, 3.6)
LAYOUTS = ("wide", "narrow")
# The narrow layout: width in inches, and height per stacked panel.
NARROW_WIDTH = 4.0
NARROW_PANEL_HEIGHT = 2.7
_layout: contextvars.ContextVar[str] = contextvars.ContextVar("layout", default="wide")
SAMPLES = 200
DTYPE = torch.float64

# Colours legible on mkdocs-material's white (light) and slate, about #1e2129 (dark).
_FOREGROUND = {"light": "#222222", "dark": "#dddddd"}
_GRID = {"light": "#d0d0d0", "dark": "#4a4f5c"}
_PALETTE = {
    "light": ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e07b00", "#8c564b"],
    "dark": ["#6cb4ee", "#ff7b7b", "#7bd389", "#c9a4e8", "#ffb347", "#d9a58c"],
}
# Overlap colours in mask-example: true positive, false positive, false negative.
_OVERLAP = {
    "light": {"TP": "#2ca02c", "FP": "#e07b00", "FN": "#1f77b4"},
    "dark": {"TP": "#7bd389", "FP": "#ffb347", "FN": "#6cb4ee"},
}


class FigureCheckError(RuntimeError):
    """segref gave a value that contradicts a known result while drawing a figure."""


class FigureRenderError(RuntimeError):
    """A figure failed to build or render; the message names the figure and theme."""


def style(theme: str) -> dict[str, Any]:
    """The matplotlib rcParams of one theme (transparent background, deterministic SVG)."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}, got {theme!r}")
    fg = _FOREGROUND[theme]
    return {
        "figure.figsize": FIGSIZE,
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.transparent": True,
        "font.size": 10,
        "font.family": "sans-serif",
        "text.color": fg,
        "axes.labelcolor": fg,
        "axes.edgecolor": fg,
        "axes.titlecolor": fg,
        "xtick.color": fg,
        "ytick.color": fg,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": _GRID[theme],
        "grid.linewidth": 0.6,
        "axes.prop_cycle": cycler(color=_PALETTE[theme]),
        "lines.linewidth": 1.8,
        "legend.frameon": False,
        "legend.fontsize": 9,
        "legend.labelcolor": fg,
        "mathtext.fontset": "dejavusans",
        # Keep text as <text> elements (smaller, selectable, searchable).
        "svg.fonttype": "none",
        # Deterministic element ids: the same input gives the same bytes.
        "svg.hashsalt": "segref-figures",
    }


def _narrow() -> bool:
    return _layout.get() == "narrow"


def _new_figure(panels: int = 1, *, legend_rows: int = 0) -> tuple[Figure, Any]:
    """A figure with ``panels`` axes: side by side (wide layout) or stacked (narrow), the narrow one
    taller by ``legend_rows`` lines of a legend set under it."""
    if _narrow():
        height = NARROW_PANEL_HEIGHT * panels + 0.22 * legend_rows
        fig = Figure(figsize=(NARROW_WIDTH, height), layout="constrained")
        return fig, fig.subplots(panels, 1)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    return fig, fig.subplots(1, panels)


def _legend_beside(fig: Figure, ax: Any, *, narrow_columns: int = 2, **kwargs: Any) -> None:
    """The axes' legend right of the plot (wide layout) or under the figure in columns (narrow)."""
    if _narrow():
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=narrow_columns, **kwargs)
    else:
        fig.legend(*ax.get_legend_handles_labels(), loc="outside right center", **kwargs)


def _by_layout(wide: str, narrow: str) -> str:
    """The wide layout's text, or the narrow layout's (with its own line breaks)."""
    return narrow if _narrow() else wide


# ---------------------------------------------------------------------------
# Computation helpers: every value comes from segref, gradients from autograd.
# ---------------------------------------------------------------------------


def _probabilities(low: float = 1e-3, high: float = 1 - 1e-3, n: int = SAMPLES) -> torch.Tensor:
    return torch.linspace(low, high, n, dtype=DTYPE)


def _loss_and_logit_grad(
    p: torch.Tensor, loss_of_logit: Callable[[torch.Tensor], torch.Tensor]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-element loss at z = logit(p) and d loss / d z, one independent element per sample."""
    z = torch.logit(p).detach().requires_grad_(True)
    loss = loss_of_logit(z)
    if loss.shape != z.shape:
        raise FigureCheckError(f"expected one loss per element, shape {tuple(z.shape)}; got {tuple(loss.shape)}")
    (grad,) = torch.autograd.grad(loss.sum(), z)
    return loss.detach().numpy(), grad.numpy()


def _bce(z: torch.Tensor, *, label_smoothing: float = 0.0) -> torch.Tensor:
    return segref.binary_cross_entropy(
        z, torch.ones_like(z), from_logits=True, label_smoothing=label_smoothing, reduction="none"
    )


def _focal(z: torch.Tensor, gamma: float) -> torch.Tensor:
    return segref.binary_focal_loss(z, torch.ones_like(z), from_logits=True, gamma=gamma, reduction="none")


def _label_p(ax: Any, what: str = "predicted probability $p$ of the true class (y = 1)") -> None:
    ax.set_xlabel(what)
    ax.set_xlim(0, 1)


def _zero_line(ax: Any, theme: str) -> None:
    ax.axhline(0.0, color=_FOREGROUND[theme], linewidth=0.8, alpha=0.6, zorder=1)


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def fig_bce(theme: str) -> Figure:
    """BCE of a positive pixel (y = 1) against p: loss and d loss / d z = p - 1."""
    p = _probabilities()
    loss, grad = _loss_and_logit_grad(p, _bce)
    if not np.allclose(grad, p.numpy() - 1.0, rtol=0, atol=1e-12):
        raise FigureCheckError("binary_cross_entropy: d loss / d z should equal p - 1 for y = 1")
    fig, (left, right) = _new_figure(2)
    left.plot(p, loss)
    _label_p(left, "predicted probability $p$ (y = 1)")
    left.set_ylabel("loss  $-\\ln p$")
    left.set_ylim(0, 5)
    right.plot(p, grad)
    _zero_line(right, theme)
    _label_p(right, "predicted probability $p$ (y = 1)")
    right.set_ylabel("gradient  $\\partial L/\\partial z = p - 1$")
    right.set_ylim(-1.05, 0.05)
    return fig


BCE_SMOOTHING = (0.0, 0.1, 0.2, 0.4)


def fig_bce_label_smoothing(theme: str) -> Figure:
    """BCE for y = 1 with label smoothing s: the minimum moves from p = 1 to p = 1 - s/2."""
    p = _probabilities()
    fig, (left, right) = _new_figure(2)
    for s in BCE_SMOOTHING:
        loss, grad = _loss_and_logit_grad(p, lambda z, s=s: _bce(z, label_smoothing=s))
        (line,) = left.plot(p, loss, label=f"s = {s:g}")
        right.plot(p, grad, color=line.get_color(), label=f"s = {s:g}")
        if s:
            # The minimum, evaluated by segref at p = 1 - s/2; its gradient must vanish there.
            p_min = torch.tensor([1 - s / 2], dtype=DTYPE)
            loss_min, grad_min = _loss_and_logit_grad(p_min, lambda z, s=s: _bce(z, label_smoothing=s))
            if abs(grad_min[0]) > 1e-9:
                raise FigureCheckError(
                    f"binary_cross_entropy(label_smoothing={s}): gradient {grad_min[0]:.3g} at p = 1 - s/2, expected 0"
                )
            left.plot(p_min, loss_min, "o", color=line.get_color(), markersize=4)
            right.plot(p_min, grad_min, "o", color=line.get_color(), markersize=4)
    _zero_line(right, theme)
    for ax in (left, right):
        _label_p(ax, "predicted probability $p$ (y = 1)")
    left.set_ylabel("loss")
    left.set_ylim(0, 4)
    right.set_ylabel("gradient  $\\partial L/\\partial z$")
    left.legend(title="label smoothing")
    return fig


def fig_cce(theme: str) -> Figure:
    """Softmax cross-entropy, C = 3, the two other logits equal (0): loss and gradients vs p_t."""
    p_t = _probabilities()
    num_classes = 3
    # softmax(z_t, 0, 0)_t = p_t  <=>  z_t = ln(2 p_t / (1 - p_t)) = logit(p_t) + ln 2
    z_true = (torch.logit(p_t) + math.log(num_classes - 1)).detach().requires_grad_(True)
    others = torch.zeros(p_t.shape[0], num_classes - 1, dtype=DTYPE, requires_grad=True)
    logits = torch.cat([z_true[:, None], others], dim=1)  # (N, C): class axis 1
    target = torch.zeros(p_t.shape[0], dtype=torch.long)  # the true class is 0
    loss = segref.categorical_cross_entropy(logits, target, from_logits=True, reduction="none")
    grad_true, grad_other = torch.autograd.grad(loss.sum(), (z_true, others))
    if not np.allclose(grad_true.numpy(), p_t.numpy() - 1.0, rtol=0, atol=1e-12):
        raise FigureCheckError("categorical_cross_entropy: d loss / d z_t should equal p_t - 1")
    fig, (left, right) = _new_figure(2)
    left.plot(p_t, loss.detach())
    _label_p(left, "probability of the true class $p_t$")
    left.set_ylabel("loss  $-\\ln p_t$")
    left.set_ylim(0, 5)
    right.plot(p_t, grad_true, label="true-class logit $z_t$")
    right.plot(p_t, grad_other[:, 0], "--", label="each other logit")
    _zero_line(right, theme)
    _label_p(right, "probability of the true class $p_t$")
    right.set_ylabel("gradient  $\\partial L/\\partial z_c$")
    right.legend()
    return fig


def fig_dice_ce(theme: str) -> Figure:
    """Dice + CE on a 16-pixel, 2-class image where every pixel gives p_t to its true class.

    Then CE = -ln p_t and every class has D = p_t, so the sum is 1 - p_t - ln p_t; both
    curves come from segref, with gradients w.r.t. the shared logit margin m (p_t = sigmoid(m)).
    """
    p_t = _probabilities()
    labels = torch.tensor([[0] * 8 + [1] * 8])  # (1, 16): half background, half foreground
    margins = torch.logit(p_t).detach().requires_grad_(True)
    losses = {"Dice": [], "cross-entropy": [], "Dice + CE": []}
    grads = {name: [] for name in losses}
    for m in margins.unbind():
        z_true = torch.stack([m, torch.zeros_like(m)])  # logits (z_true, z_other)
        z = torch.where(labels[:, None, :] == torch.arange(2)[None, :, None], z_true[0], z_true[1])
        terms = {
            "Dice": segref.dice_loss(z, labels, from_logits=True),
            "cross-entropy": segref.categorical_cross_entropy(z, labels, from_logits=True),
            "Dice + CE": segref.dice_ce_loss(z, labels, from_logits=True),
        }
        for name, value in terms.items():
            (g,) = torch.autograd.grad(value, m, retain_graph=True)
            losses[name].append(float(value.detach()))
            grads[name].append(float(g))
    expected = 1 - p_t.numpy() - np.log(p_t.numpy())
    if not np.allclose(losses["Dice + CE"], expected, rtol=1e-10, atol=1e-12):
        raise FigureCheckError("dice_ce_loss: with every pixel at p_t the loss should be 1 - p_t - ln p_t")
    fig, (left, right) = _new_figure(2)
    for name in losses:
        left.plot(p_t, losses[name], label=name)
        right.plot(p_t, grads[name], label=name)
    _label_p(left, "probability of the true class $p_t$")
    left.set_ylabel("loss")
    left.set_ylim(0, 5)
    left.legend()
    _zero_line(right, theme)
    _label_p(right, "probability of the true class $p_t$")
    right.set_ylabel("gradient  $\\partial L/\\partial m$")
    return fig


FOCAL_GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)


def check_focal() -> None:
    """Raise FigureCheckError unless segref's focal loss at p_t = 0.1 is right.

    With gamma = 0 it is the cross-entropy -ln 0.1 = 2.302585 (to 1e-6), and it
    strictly decreases as gamma grows (the factor (1 - p_t)^gamma = 0.9^gamma < 1).
    """
    z = torch.logit(torch.tensor([0.1], dtype=DTYPE))
    values = [float(_focal(z, gamma)[0]) for gamma in FOCAL_GAMMAS]
    if not abs(values[0] - (-math.log(0.1))) <= 1e-6:
        raise FigureCheckError(
            f"binary_focal_loss(gamma=0) at p_t = 0.1 is {values[0]:.7f}, expected -ln 0.1 = {-math.log(0.1):.7f}"
        )
    if not all(a > b for a, b in zip(values, values[1:], strict=False)):
        pairs = ", ".join(f"gamma={g:g}: {v:.6f}" for g, v in zip(FOCAL_GAMMAS, values, strict=False))
        raise FigureCheckError(f"binary_focal_loss at p_t = 0.1 does not strictly decrease with gamma ({pairs})")


def _focal_curves() -> Iterable[tuple[float, torch.Tensor, np.ndarray, np.ndarray]]:
    check_focal()
    p_t = _probabilities()
    for gamma in FOCAL_GAMMAS:
        loss, grad = _loss_and_logit_grad(p_t, lambda z, g=gamma: _focal(z, g))
        yield gamma, p_t, loss, grad


def fig_focal_gamma(theme: str) -> Figure:
    """Figure 1 of Lin et al. (2017): focal loss vs p_t for several gamma."""
    fig, ax = _new_figure()
    for gamma, p_t, loss, _ in _focal_curves():
        ax.plot(p_t, loss, label=f"γ = {gamma:g}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 5)
    ax.set_xlabel("probability of ground truth class $p_t$")
    ax.set_ylabel("loss")
    ax.legend()
    ax.annotate(
        "well-classified examples",
        xy=(0.85, 0.05),
        xytext=(0.62, 1.4),
        arrowprops={"arrowstyle": "->", "color": _FOREGROUND[theme], "linewidth": 0.8},
        fontsize=9,
    )
    return fig


def fig_focal_gamma_gradient(theme: str) -> Figure:
    """d focal loss / d z against p_t for several gamma (y = 1)."""
    fig, ax = _new_figure()
    for gamma, p_t, _, grad in _focal_curves():
        ax.plot(p_t, grad, label=f"γ = {gamma:g}")
    _zero_line(ax, theme)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of ground truth class $p_t$")
    ax.set_ylabel("gradient  $\\partial L/\\partial z$")
    ax.legend(loc="lower right")
    return fig


OVERLAP_PIXELS = 100


def _overlap_sweep() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Dice / Jaccard of a 100-pixel hard prediction overlapping a 100-pixel target by k pixels.

    One image per k = 0..100 on a strip of 200 pixels: the target is pixels [0, 100),
    the prediction [100 - k, 200 - k). Returns f = k/100 and the segref values.
    """
    n = OVERLAP_PIXELS
    k = np.arange(n + 1)
    pixel = np.arange(2 * n)
    target = np.broadcast_to((pixel < n).astype(np.float64), (n + 1, 2 * n))
    pred = ((pixel[None, :] >= n - k[:, None]) & (pixel[None, :] < 2 * n - k[:, None])).astype(np.float64)
    pred_t, target_t = torch.from_numpy(pred[:, None, :]), torch.from_numpy(np.ascontiguousarray(target)[:, None, :])
    common = {"from_logits": False, "multilabel": True, "reduction": "none"}
    values = {
        "dice_loss": segref.dice_loss(pred_t, target_t, **common)[:, 0].numpy(),
        "jaccard_loss": segref.jaccard_loss(pred_t, target_t, **common)[:, 0].numpy(),
        "dice": segref.soft_dice_coefficient(pred_t, target_t, **common)[:, 0].numpy(),
        "iou": segref.soft_jaccard_index(pred_t, target_t, **common)[:, 0].numpy(),
    }
    f = k / n
    # Hand values: D = 2k / 200 = f, J = k / (200 - k) = f / (2 - f).
    if not (np.allclose(values["dice"], f, atol=1e-12) and np.allclose(values["iou"], f / (2 - f), atol=1e-12)):
        raise FigureCheckError(
            "soft_dice_coefficient / soft_jaccard_index disagree with 2TP/(2TP+FP+FN), TP/(TP+FP+FN)"
        )
    if not (
        np.allclose(values["dice_loss"], 1 - values["dice"]) and np.allclose(values["jaccard_loss"], 1 - values["iou"])
    ):
        raise FigureCheckError("dice_loss / jaccard_loss are not 1 - score")
    return f, values


def fig_overlap(theme: str) -> Figure:
    """Dice loss and Jaccard loss (and the scores, dashed) against the overlap fraction f."""
    f, v = _overlap_sweep()
    fig, ax = _new_figure()
    (dice,) = ax.plot(f, v["dice_loss"], label="Dice loss  1 − D")
    (jac,) = ax.plot(f, v["jaccard_loss"], label="Jaccard loss  1 − J")
    ax.plot(f, v["dice"], "--", color=dice.get_color(), linewidth=1.2, label="Dice coefficient  D")
    ax.plot(f, v["iou"], "--", color=jac.get_color(), linewidth=1.2, label="IoU  J")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.01, 1.01)
    detail = f"{OVERLAP_PIXELS}-pixel prediction on a {OVERLAP_PIXELS}-pixel target"
    ax.set_xlabel(_by_layout(f"overlap fraction $f$ ({detail})", f"overlap fraction $f$\n({detail})"))
    ax.set_ylabel("loss / score")
    _legend_beside(fig, ax)
    return fig


def empty_mask_loss(mass: float | np.ndarray, smooth: float, pixels: int = 100) -> np.ndarray:
    """segref.dice_loss of a target with no foreground, predicted with total probability ``mass``
    spread evenly over ``pixels`` pixels (one image per mass)."""
    masses = np.atleast_1d(np.asarray(mass, dtype=np.float64))
    pred = torch.from_numpy(np.repeat((masses / pixels)[:, None, None], pixels, axis=2))
    target = torch.zeros_like(pred)
    loss = segref.dice_loss(pred, target, from_logits=False, multilabel=True, smooth=smooth, reduction="none")
    return loss[:, 0].numpy()


def fig_dice_empty_smoothing(theme: str) -> Figure:
    """Dice loss of an empty target against the predicted foreground, for several smoothing terms."""
    masses = np.logspace(-8, 1, 200)
    fig, ax = _new_figure()
    for smooth in (1e-7, 1e-5, 1e-3, 1e-1, 1.0):
        ax.plot(masses, empty_mask_loss(masses, smooth), label=f"ε = {smooth:g}")
    if abs(float(empty_mask_loss(1.0, 1.0)[0]) - 0.5) > 1e-12:
        raise FigureCheckError("dice_loss of an empty target, predicted mass 1, smooth 1 is not 1/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(
        _by_layout(
            "predicted foreground $\\Sigma p$ on an empty target (pixels)",
            "predicted foreground $\\Sigma p$ (pixels)\non an empty target",
        )
    )
    ax.set_ylabel("Dice loss")
    _legend_beside(fig, ax)
    return fig


# dice-gradient: an 8x8 image whose target is a 4x4 square (16 of 64 pixels).
_GRAD_SIZE = 8
_GRAD_FOREGROUND = (3, 3)  # a pixel inside the square
_GRAD_BACKGROUND = (0, 7)  # a pixel in the background
# The rest of the image: (label, p on the object, p elsewhere).
_GRAD_CONTEXTS = (
    ("good  (0.9 / 0.1)", 0.9, 0.1),
    ("object missed  (0.1 / 0.1)", 0.1, 0.1),
    ("over-segmented  (0.9 / 0.9)", 0.9, 0.9),
)


def _dice_gradient_target() -> torch.Tensor:
    g = torch.zeros(_GRAD_SIZE, _GRAD_SIZE, dtype=DTYPE)
    g[2:6, 2:6] = 1.0
    return g


def _dice_pixel_gradient(pixel: tuple[int, int], p_object: float, p_else: float, p: torch.Tensor) -> np.ndarray:
    """d dice_loss / d z at one pixel while its probability sweeps p; the rest of the image is fixed.

    One image per sample (per_image=True, reduction="sum"), so each sample's
    gradient is that of its own image's loss.
    """
    g = _dice_gradient_target()
    base = torch.where(g > 0, torch.tensor(p_object, dtype=DTYPE), torch.tensor(p_else, dtype=DTYPE))
    base_logits = torch.logit(base).expand(p.shape[0], 1, _GRAD_SIZE, _GRAD_SIZE)
    z_pixel = torch.logit(p).detach().requires_grad_(True)
    mask = torch.zeros(_GRAD_SIZE, _GRAD_SIZE, dtype=DTYPE)
    mask[pixel] = 1.0
    logits = base_logits * (1 - mask) + z_pixel[:, None, None, None] * mask
    target = g.expand(p.shape[0], 1, _GRAD_SIZE, _GRAD_SIZE)
    loss = segref.dice_loss(logits, target, from_logits=True, multilabel=True, per_image=True, reduction="sum")
    (grad,) = torch.autograd.grad(loss, z_pixel)
    return grad.numpy()


def fig_dice_gradient(theme: str) -> Figure:
    """Gradient of the soft Dice loss at one pixel: it depends on the rest of the image."""
    p = _probabilities(0.005, 0.995)
    fig, (left, right) = _new_figure(2)
    for (label, p_object, p_else), style_ in zip(_GRAD_CONTEXTS, ("-", "--", ":"), strict=False):
        for ax, pixel in ((left, _GRAD_FOREGROUND), (right, _GRAD_BACKGROUND)):
            ax.plot(p, _dice_pixel_gradient(pixel, p_object, p_else, p), style_, label=label)
    for ax, title in ((left, "a foreground pixel (g = 1)"), (right, "a background pixel (g = 0)")):
        _zero_line(ax, theme)
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability $p$ of that pixel")
        ax.set_title(title, fontsize=10)
    left.set_ylabel("Dice-loss gradient  $\\partial L/\\partial z$")
    if _narrow():
        right.set_ylabel("Dice-loss gradient  $\\partial L/\\partial z$")
    fig.legend(
        *left.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=1 if _narrow() else 3,
        title=_by_layout(
            "rest of the image: p on the object / elsewhere", "rest of the image:\np on the object / elsewhere"
        ),
        title_fontsize=9,
    )
    return fig


# mask-example: a 12x12 disc (ground truth) and a shifted square (prediction).
MASK_SIZE = 12


def _mask_example_masks() -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[:MASK_SIZE, :MASK_SIZE]
    target = ((rows - 5.5) ** 2 + (cols - 5.5) ** 2 <= 4.5**2).astype(np.int64)  # 60 pixels
    pred = np.zeros((MASK_SIZE, MASK_SIZE), dtype=np.int64)
    pred[4:11, 4:11] = 1  # a 7x7 box, shifted down and right
    return target, pred


def mask_example_scores() -> dict[str, Any]:
    """The masks of ``mask-example`` with their pixel counts and segref's Dice and IoU.

    Returns a dict with ``target`` and ``pred`` (12x12 int64 label maps, 1 =
    foreground), ``tp``, ``fp``, ``fn``, ``tn`` (ints, counted with NumPy) and
    ``dice``, ``iou`` (floats from ``segref.dice_score`` / ``segref.iou_score`` on the
    foreground class, ``include_background=False``). A page can check them against
    2TP/(2TP+FP+FN) and TP/(TP+FP+FN).
    """
    target, pred = _mask_example_masks()
    tp = int(np.sum((pred == 1) & (target == 1)))
    fp = int(np.sum((pred == 1) & (target == 0)))
    fn = int(np.sum((pred == 0) & (target == 1)))
    tn = int(np.sum((pred == 0) & (target == 0)))
    kwargs = {"num_classes": 2, "include_background": False}
    dice = float(segref.dice_score(pred[None], target[None], **kwargs))
    iou = float(segref.iou_score(pred[None], target[None], **kwargs))
    return {"target": target, "pred": pred, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "dice": dice, "iou": iou}


def _rgba(hex_color: str, alpha: float = 1.0) -> np.ndarray:
    return np.array([*matplotlib.colors.to_rgb(hex_color), alpha])


def fig_mask_example(theme: str) -> Figure:
    """Ground truth, prediction and their overlap (TP, FP, FN), with Dice and IoU."""
    s = mask_example_scores()
    target, pred = s["target"], s["pred"]
    if not (
        math.isclose(s["dice"], 2 * s["tp"] / (2 * s["tp"] + s["fp"] + s["fn"]), abs_tol=1e-12)
        and math.isclose(s["iou"], s["tp"] / (s["tp"] + s["fp"] + s["fn"]), abs_tol=1e-12)
    ):
        raise FigureCheckError("dice_score / iou_score disagree with 2TP/(2TP+FP+FN), TP/(TP+FP+FN)")
    fg = _FOREGROUND[theme]
    empty = _rgba(fg, 0.08)
    colours = _OVERLAP[theme]

    def image(layers: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        out = np.broadcast_to(empty, (MASK_SIZE, MASK_SIZE, 4)).copy()
        for where, colour in layers:
            out[where] = colour
        return out

    if _narrow():  # two squares above, one below beside the legend
        fig = Figure(figsize=(NARROW_WIDTH, NARROW_WIDTH + 0.6), layout="constrained")
        grid = fig.subplots(2, 2)
        axes, legend_ax = [grid[0, 0], grid[0, 1], grid[1, 0]], grid[1, 1]
        legend_ax.set_axis_off()
    else:  # three squares in a row
        fig = Figure(figsize=(FIGSIZE[0], 3.0), layout="compressed")
        axes, legend_ax = fig.subplots(1, 3), None
    panels = [
        ("ground truth", image([(target == 1, _rgba(fg, 0.75))])),
        ("prediction", image([(pred == 1, _rgba(fg, 0.75))])),
        (
            "overlap",
            image(
                [
                    ((pred == 1) & (target == 1), _rgba(colours["TP"])),
                    ((pred == 1) & (target == 0), _rgba(colours["FP"])),
                    ((pred == 0) & (target == 1), _rgba(colours["FN"])),
                ]
            ),
        ),
    ]
    for ax, (title, rgba) in zip(axes, panels, strict=False):
        ax.imshow(rgba, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(np.arange(-0.5, MASK_SIZE, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, MASK_SIZE, 1), minor=True)
        ax.set_xticks([0, MASK_SIZE - 1])
        ax.set_yticks([0, MASK_SIZE - 1])
        ax.grid(False)
        ax.grid(which="minor", color=_GRID[theme], linewidth=0.4)
        ax.tick_params(which="minor", length=0)
        ax.set_xlabel("column")
        ax.set_ylabel("row")
        for spine in ax.spines.values():
            spine.set_visible(True)
    handles = [
        Patch(color=colours["TP"], label=f"TP = {s['tp']}"),
        Patch(color=colours["FP"], label=f"FP = {s['fp']}"),
        Patch(color=colours["FN"], label=f"FN = {s['fn']}"),
    ]
    if legend_ax is None:
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    else:
        legend_ax.legend(handles=handles, loc="center")
    fig.suptitle(f"Dice = {s['dice']:.3f},  IoU = {s['iou']:.3f}")
    return fig


TVERSKY_WEIGHTS = ((0.5, 0.5), (0.3, 0.7), (0.1, 0.9))
TVERSKY_PIXELS = 100


def tversky_error_sweep(alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """segref.tversky_loss of a 100-pixel target predicted with k of its pixels missed (false
    negatives) or with k spurious pixels added (false positives), k = 0..100: (k, missed, spurious)."""
    n = TVERSKY_PIXELS
    k = np.arange(n + 1)
    pixel = np.arange(2 * n)
    target = np.broadcast_to((pixel < n).astype(np.float64), (n + 1, 2 * n))
    missed = (pixel[None, :] < n - k[:, None]).astype(np.float64)  # the first n - k target pixels
    spurious = (pixel[None, :] < n + k[:, None]).astype(np.float64)  # the target and k more
    target_t = torch.from_numpy(np.ascontiguousarray(target)[:, None, :])
    common = {"from_logits": False, "multilabel": True, "alpha": alpha, "beta": beta, "reduction": "none"}
    values = [
        segref.tversky_loss(torch.from_numpy(pred[:, None, :]), target_t, **common)[:, 0].numpy()
        for pred in (missed, spurious)
    ]
    # By hand: k missed gives T = (n - k) / (n - k + beta k); k spurious gives T = n / (n + alpha k).
    if not (
        np.allclose(values[0], 1 - (n - k) / (n - k + beta * k + (k == n)) * (k < n), atol=1e-12)
        and np.allclose(values[1], 1 - n / (n + alpha * k), atol=1e-12)
    ):
        raise FigureCheckError(f"tversky_loss(alpha={alpha}, beta={beta}) disagrees with I / (I + alpha FP + beta FN)")
    return k, values[0], values[1]


def fig_tversky_errors(theme: str) -> Figure:
    """Tversky loss against the number of missed (FN) or spurious (FP) pixels, for several (alpha, beta)."""
    fig, ax = _new_figure(legend_rows=2 * len(TVERSKY_WEIGHTS))
    for alpha, beta in TVERSKY_WEIGHTS:
        k, missed, spurious = tversky_error_sweep(alpha, beta)
        (line,) = ax.plot(k, missed, label=f"α = {alpha:g}, β = {beta:g}: k missed")
        ax.plot(k, spurious, "--", color=line.get_color(), label=f"α = {alpha:g}, β = {beta:g}: k spurious")
    ax.set_xlim(0, TVERSKY_PIXELS)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel(
        _by_layout(
            f"wrong pixels k on a {TVERSKY_PIXELS}-pixel target",
            f"wrong pixels k\n(on a {TVERSKY_PIXELS}-pixel target)",
        )
    )
    ax.set_ylabel("Tversky loss  $1 - T$")
    _legend_beside(fig, ax, narrow_columns=1)
    return fig


FOCAL_TVERSKY_GAMMAS = (1.0, 4 / 3, 2.0, 3.0)


def focal_tversky_of_index(index: torch.Tensor, gamma: float) -> torch.Tensor:
    """segref.focal_tversky_loss of a one-pixel target predicted with p = T, alpha = 0, beta = 1,
    whose Tversky index is T = p / (p + (1 - p)) = p: the loss as a function of T."""
    pred = index.reshape(-1, 1, 1)
    target = torch.ones_like(pred)
    return segref.focal_tversky_loss(
        pred, target, from_logits=False, multilabel=True, alpha=0.0, beta=1.0, gamma=gamma, reduction="none"
    )[:, 0]


def fig_focal_tversky(theme: str) -> Figure:
    """Focal Tversky loss (1 - T)^(1/gamma) and its derivative with respect to T, for several gamma."""
    index = _probabilities(0.0, 0.995).requires_grad_(True)
    fig, (left, right) = _new_figure(2)
    for gamma in FOCAL_TVERSKY_GAMMAS:
        loss = focal_tversky_of_index(index, gamma)
        (grad,) = torch.autograd.grad(loss.sum(), index)
        t = index.detach().numpy()
        if not np.allclose(loss.detach().numpy(), (1 - t) ** (1 / gamma), rtol=1e-12, atol=0):
            raise FigureCheckError(f"focal_tversky_loss(gamma={gamma:g}) is not (1 - T) ** (1 / gamma)")
        label = f"γ = {gamma:.4g}" if gamma != 4 / 3 else "γ = 4/3"
        left.plot(t, loss.detach(), label=label)
        right.plot(t, grad, label=label)
    for ax in (left, right):
        ax.set_xlim(0, 1)
        ax.set_xlabel("Tversky index $T$")
    left.set_ylabel("loss  $(1 - T)^{1/\\gamma}$")
    left.set_ylim(0, 1.02)
    left.legend()
    right.set_ylabel("gradient  $\\partial L/\\partial T$")
    right.set_ylim(-4, 0.1)
    _zero_line(right, theme)
    return fig


# generalized-dice: one image of 1000 pixels, background 880, a large object 100, a small one 20.
GD_SIZES = (880, 100, 20)


def generalized_dice_sweep() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Losses of a hard prediction that is right everywhere except k of the small object's pixels,
    predicted as background (k = 0..20): the mean Dice loss and the generalised Dice loss per weighting."""
    background, large, small = GD_SIZES
    labels = np.repeat([0, 1, 2], GD_SIZES)
    k = np.arange(small + 1)
    predicted = np.repeat(labels[None], len(k), axis=0)
    first_small = background + large
    for row, missed in enumerate(k):
        predicted[row, first_small : first_small + missed] = 0
    pred = torch.from_numpy(np.moveaxis(np.eye(3)[predicted], -1, 1))  # (K, 3, 1000) one-hot
    target = torch.from_numpy(np.repeat(labels[None], len(k), axis=0))
    curves = {"mean Dice loss": segref.dice_loss(pred, target, from_logits=False, reduction="none").mean(1).numpy()}
    for weighting in ("square", "simple", "uniform"):
        curves[f"generalised Dice, {weighting}"] = segref.generalized_dice_loss(
            pred, target, from_logits=False, weighting=weighting, reduction="none"
        ).numpy()
    # By hand, the small object missed entirely: w = 1/G^2, I = (880, 100, 0), P + G = (1780, 200, 20).
    w = 1 / np.array(GD_SIZES, dtype=np.float64) ** 2
    want = 1 - 2 * (w * [880, 100, 0]).sum() / (w * [1780, 200, 20]).sum()
    if abs(curves["generalised Dice, square"][-1] - want) > 1e-12:
        raise FigureCheckError(f"generalized_dice_loss of the missed small object is not {want:.6f}")
    return k, curves


def fig_generalized_dice(theme: str) -> Figure:
    """Mean Dice loss and generalised Dice loss as a small object is missed pixel by pixel."""
    k, curves = generalized_dice_sweep()
    fig, ax = _new_figure(legend_rows=len(curves))
    for (name, values), style_ in zip(curves.items(), ("-.", "-", "--", ":"), strict=True):
        ax.plot(k, values, style_, label=name)
    ax.set_xlim(0, GD_SIZES[2])
    ax.set_xticks(range(0, GD_SIZES[2] + 1, 5))
    ax.set_ylim(-0.01, 0.75)
    ax.set_xlabel(
        _by_layout(
            f"pixels of the {GD_SIZES[2]}-pixel object missed",
            f"pixels of the {GD_SIZES[2]}-pixel\nobject missed",
        )
    )
    ax.set_ylabel("loss")
    _legend_beside(fig, ax, narrow_columns=1)
    return fig


# topk: one image of 1000 pixels, 980 of background fitted fairly well and a 20-pixel object fitted
# badly; the probabilities of the true class are spread evenly over a range in each group.
TOPK_GROUPS = ((980, 0.6, 0.99), (20, 0.1, 0.5))
TOPK_PERCENTS = np.array([1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0])


def topk_gradient_share(percent: float) -> tuple[float, float]:
    """(share of |d loss / d z| on the object's pixels, loss) of segref.topk_cross_entropy at k = percent."""
    z, labels = _topk_image()
    z.requires_grad_(True)
    loss = segref.topk_cross_entropy(z, labels, from_logits=True, k=percent)
    (grad,) = torch.autograd.grad(loss, z)
    magnitude = grad.abs().sum(dim=1)[0]
    return float(magnitude[TOPK_GROUPS[0][0] :].sum() / magnitude.sum()), float(loss.detach())


def fig_topk(theme: str) -> Figure:
    """Share of the gradient on a small, badly fitted object, and the loss, as k grows."""
    shares, losses = zip(*(topk_gradient_share(k) for k in TOPK_PERCENTS), strict=True)
    # at k = 100 the loss is the plain cross-entropy, whose per-pixel gradient magnitude is 2 (1 - p_t) / M
    p_true = np.concatenate([np.linspace(low, high, size) for size, low, high in TOPK_GROUPS])
    plain_share = (1 - p_true[TOPK_GROUPS[0][0] :]).sum() / (1 - p_true).sum()
    if not np.isclose(shares[-1], plain_share, rtol=1e-9) or not np.isclose(losses[-1], -np.log(p_true).mean()):
        raise FigureCheckError("topk_cross_entropy(k=100) is not the cross-entropy (value or gradient share)")
    fig, (left, right) = _new_figure(2)
    left.plot(TOPK_PERCENTS, np.array(shares) * 100, marker="o")
    left.set_ylabel(_by_layout("gradient on the 20-pixel object (%)", "gradient on object (%)"))
    left.set_ylim(0, 102)
    right.plot(TOPK_PERCENTS, losses, marker="o")
    right.set_ylabel("loss")
    right.set_ylim(0, None)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xticks([1, 3, 10, 30, 100], ["1", "3", "10", "30", "100"])
        ax.set_xlabel("k, the percentage of pixels kept")
    return fig


def _topk_image() -> tuple[torch.Tensor, torch.Tensor]:
    """The topk figure's image as (1, 2, 1000) float64 logits and (1, 1000) labels."""
    p_true = torch.cat([torch.linspace(low, high, size, dtype=torch.float64) for size, low, high in TOPK_GROUPS])
    labels = torch.cat([torch.full((size,), c, dtype=torch.long) for c, (size, _, _) in enumerate(TOPK_GROUPS)])
    z = torch.zeros(1, 2, p_true.numel(), dtype=torch.float64)
    z[0, labels, torch.arange(p_true.numel())] = torch.log(p_true / (1 - p_true))  # softmax gives p_true
    return z, labels[None]


COMPOUND_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "cross-entropy": lambda z, y: segref.categorical_cross_entropy(z, y, from_logits=True),
    "focal (γ = 2)": lambda z, y: segref.focal_loss(z, y, from_logits=True),
    "TopK (k = 10)": lambda z, y: segref.topk_cross_entropy(z, y, from_logits=True),
    "Dice": lambda z, y: segref.dice_loss(z, y, from_logits=True),
    "Dice + cross-entropy": lambda z, y: segref.dice_ce_loss(z, y, from_logits=True),
    "Dice + focal": lambda z, y: segref.dice_focal_loss(z, y, from_logits=True),
    "Dice + TopK": lambda z, y: segref.dice_topk_loss(z, y, from_logits=True),
}


def compound_gradient_shares() -> dict[str, float]:
    """Share of |d loss / d z| on the topk figure's 20-pixel object, for each loss of COMPOUND_LOSSES."""
    z0, labels = _topk_image()
    shares, gradients = {}, {}
    for name, loss in COMPOUND_LOSSES.items():
        z = z0.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(z, labels), z)
        gradients[name] = grad
        magnitude = grad.abs().sum(dim=1)[0]
        shares[name] = float(magnitude[TOPK_GROUPS[0][0] :].sum() / magnitude.sum())
    for pair, parts in (("Dice + TopK", ("Dice", "TopK (k = 10)")), ("Dice + focal", ("Dice", "focal (γ = 2)"))):
        if not torch.allclose(gradients[pair], gradients[parts[0]] + gradients[parts[1]], rtol=1e-10, atol=1e-14):
            raise FigureCheckError(f"the gradient of {pair} is not the sum of its parts' gradients")
    return shares


def fig_compound(theme: str) -> Figure:
    """Share of the gradient on a small, badly fitted object, for single and compound losses."""
    shares = compound_gradient_shares()
    fig, ax = _new_figure()
    names = list(shares)[::-1]
    colors = [_PALETTE[theme][1] if "+" in name else _PALETTE[theme][0] for name in names]
    ax.barh(names, [100 * shares[n] for n in names], color=colors)
    for position, name in enumerate(names):
        ax.text(100 * shares[name] + 1, position, f"{100 * shares[name]:.0f} %", va="center")
    ax.set_xlim(0, 40)
    ax.set_xlabel(_by_layout("share of the gradient on the 20-pixel object (%)", "gradient on the object (%)"))
    return fig


POLY_EPSILONS = (-1.0, 0.0, 1.0, 2.0)


def fig_poly(theme: str) -> Figure:
    """Poly-1 loss -log p_t + epsilon (1 - p_t) and its derivative along the true logit, for several epsilon."""
    p = _probabilities(0.02, 0.999).double()
    fig, (left, right) = _new_figure(2)
    for epsilon in POLY_EPSILONS:
        z_true = torch.log(p).requires_grad_(True)
        rest = torch.log((1 - p) / 2)
        loss = segref.poly_loss(
            torch.stack([z_true, rest, rest], dim=1),
            torch.zeros(p.shape[0], dtype=torch.long),
            from_logits=True,
            epsilon=epsilon,
            reduction="none",
        )
        (grad,) = torch.autograd.grad(loss.sum(), z_true)
        pn = p.numpy()
        if not np.allclose(loss.detach().numpy(), -np.log(pn) + epsilon * (1 - pn), rtol=1e-10):
            raise FigureCheckError(f"poly_loss(epsilon={epsilon:g}) is not -log p_t + epsilon (1 - p_t)")
        if not np.allclose(grad.numpy(), (pn - 1) * (1 + epsilon * pn), rtol=1e-8, atol=1e-12):
            raise FigureCheckError(f"poly_loss(epsilon={epsilon:g}): d/dz_t is not (p_t - 1)(1 + epsilon p_t)")
        label = "ε = 0 (cross-entropy)" if epsilon == 0 else f"ε = {epsilon:g}"
        left.plot(pn, loss.detach(), label=label)
        right.plot(pn, grad, label=label)
    for ax in (left, right):
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability $p_t$ of the true class")
    left.set_ylabel("loss per pixel")
    left.set_ylim(0, 4.5)
    left.legend()
    right.set_ylabel("gradient  $\\partial \\ell / \\partial z_t$")
    right.set_ylim(-1.25, 0.05)
    _zero_line(right, theme)
    return fig


# class-weights: 10 images of 100 pixels. Class 1 has 20 pixels in every image, class 2 five in
# half of them, class 3 two in every image, class 4 thirty in one image; class 0 the rest.
CLASS_WEIGHT_SCHEMES = ("inverse", "inverse_sqrt", "median")


def class_weight_labels() -> np.ndarray:
    """The figure's label maps, (10, 100)."""
    labels = np.zeros((10, 100), dtype=np.int64)
    labels[:, :20] = 1
    labels[:5, 20:25] = 2
    labels[:, 25:27] = 3
    labels[0, 27:57] = 4
    return labels


def fig_class_weights(theme: str) -> Figure:
    """Class weights of each scheme (log scale) and the share of the total weight each class then carries."""
    labels = class_weight_labels()
    counts = np.bincount(labels.ravel(), minlength=5)
    frequency = counts / counts.sum()
    fig, (left, right) = _new_figure(2, legend_rows=1)
    width = 0.27
    for position, scheme in enumerate(CLASS_WEIGHT_SCHEMES):
        weights = np.asarray(segref.class_frequency_weights(labels, num_classes=5, scheme=scheme))
        share = frequency * weights / np.sum(frequency * weights)
        if scheme == "inverse" and not np.allclose(share, 0.2, rtol=1e-12):
            raise FigureCheckError("inverse class weights do not give each class 1/C of the weight")
        offset = (position - 1) * width
        label = {"inverse": "inverse", "inverse_sqrt": "inverse square root", "median": "median frequency"}[scheme]
        left.bar(np.arange(5) + offset, weights, width, label=label)
        right.bar(np.arange(5) + offset, share * 100, width, label=label)
    right.bar(np.arange(5), frequency * 100, 3 * width, fill=False, linestyle=":", label="no weights")
    for ax in (left, right):
        ax.set_xticks(range(5), [f"{c}\n{100 * f:g} %" for c, f in enumerate(frequency)])
        ax.set_xlabel("class, and its share of the pixels")
    left.set_yscale("log")
    left.set_ylabel("weight $w_c$")
    right.set_ylabel(_by_layout("share of the total weight (%)", "share of the weight (%)"))
    if _narrow():
        fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    else:
        right.legend()
    return fig


def _hard_prediction(
    object_pixels: int, found: int, false_positives: int, pixels: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """A (1, 1, pixels) 0/1 target with an object of ``object_pixels`` and a 0/1 prediction that finds
    ``found`` of them and marks ``false_positives`` background pixels."""
    target = np.zeros((1, 1, pixels))
    target[..., :object_pixels] = 1
    pred = np.zeros_like(target)
    pred[..., :found] = 1
    pred[..., object_pixels : object_pixels + false_positives] = 1
    return pred, target


LOG_COSH_OVERLAPS = np.linspace(0.0, 1.0, 101)


def fig_log_cosh_dice(theme: str) -> Figure:
    """Dice loss and log-cosh Dice loss of a 100-pixel object found by a 100-pixel prediction that
    overlaps it by a fraction f, and their slopes with respect to the Dice loss."""
    dice, log_cosh = [], []
    for f in LOG_COSH_OVERLAPS:
        overlap = int(round(100 * f))
        pred, target = _hard_prediction(100, overlap, 100 - overlap, pixels=300)
        dice.append(float(segref.dice_loss(pred, target, from_logits=False, multilabel=True)))
        log_cosh.append(float(segref.log_cosh_dice_loss(pred, target, from_logits=False, multilabel=True)))
    dice_arr, log_cosh_arr = np.array(dice), np.array(log_cosh)
    if not np.allclose(dice_arr, 1 - LOG_COSH_OVERLAPS, atol=1e-12) or not np.allclose(
        log_cosh_arr, np.log(np.cosh(1 - LOG_COSH_OVERLAPS)), atol=1e-12
    ):
        raise FigureCheckError("log_cosh_dice_loss is not log cosh of the Dice loss 1 - f on the overlap sweep")
    fig, (left, right) = _new_figure(2)
    left.plot(LOG_COSH_OVERLAPS, dice_arr, label="Dice loss  1 − D")
    left.plot(LOG_COSH_OVERLAPS, log_cosh_arr, label="log-cosh Dice")
    left.set_ylabel("loss")
    left.set_ylim(0, 1.02)
    left.legend()
    right.plot(LOG_COSH_OVERLAPS, np.ones_like(LOG_COSH_OVERLAPS), label="Dice loss: 1")
    right.plot(LOG_COSH_OVERLAPS, np.tanh(1 - LOG_COSH_OVERLAPS), label="log-cosh Dice: tanh(1 − D)")
    right.set_ylabel(_by_layout("slope against the Dice loss", "slope"))
    right.set_ylim(0, 1.1)
    right.legend()
    for ax in (left, right):
        ax.set_xlim(0, 1)
        ax.set_xlabel("overlap f (Dice coefficient D)")
    return fig


MCC_FALSE_POSITIVES = np.arange(0, 201, 5)


def fig_mcc(theme: str) -> Figure:
    """Dice loss and MCC loss of a prediction that finds an object entirely and adds k false positives,
    for a 20-pixel and a 500-pixel object in a 1000-pixel image."""
    fig, ax = _new_figure(1)
    colours = _PALETTE[theme]
    for colour, size in zip(colours, (20, 500), strict=False):
        dice, mcc = [], []
        for k in MCC_FALSE_POSITIVES:
            pred, target = _hard_prediction(size, size, int(k))
            dice.append(float(segref.dice_loss(pred, target, from_logits=False, multilabel=True)))
            mcc.append(float(segref.mcc_loss(pred, target, from_logits=False, multilabel=True)))
            tp, fp, tn = size, int(k), 1000 - size - int(k)
            want = 1 - (tp * tn) / np.sqrt((tp + fp) * tp * (tn + fp) * tn)
            if not np.isclose(mcc[-1], want, rtol=1e-12, atol=1e-12):
                raise FigureCheckError(f"mcc_loss of a {size}-pixel object with {k} false positives is not {want}")
        ax.plot(MCC_FALSE_POSITIVES, dice, color=colour, linestyle="--", label=f"Dice, {size} px")
        ax.plot(MCC_FALSE_POSITIVES, mcc, color=colour, label=f"MCC, {size} px")
    ax.set_xlabel(_by_layout("false-positive pixels k (the object itself found entirely)", "false-positive pixels k"))
    ax.set_ylabel("loss")
    ax.set_xlim(0, MCC_FALSE_POSITIVES[-1])
    ax.set_ylim(0, 0.85)
    _legend_beside(fig, ax)
    return fig


SS_WEIGHTS = (0.01, 0.05, 0.5)


def fig_sensitivity_specificity(theme: str) -> Figure:
    """Sensitivity-specificity loss of a 20-pixel lesion in 1000 pixels as k of its pixels are missed
    (left) and as k background pixels are marked (right), for several r, against the mean squared error."""
    ks = np.arange(0, 21)
    fig, (left, right) = _new_figure(2)
    for ax, missed in ((left, True), (right, False)):
        for r in SS_WEIGHTS:
            values = []
            for k in ks:
                pred, target = _hard_prediction(20, 20 - int(k), 0) if missed else _hard_prediction(20, 20, int(k))
                values.append(
                    float(
                        segref.sensitivity_specificity_loss(
                            pred, target, from_logits=False, multilabel=True, sensitivity_weight=r
                        )
                    )
                )
            want = r * ks / 20 if missed else (1 - r) * ks / 980
            if not np.allclose(values, want, rtol=1e-12, atol=1e-15):
                raise FigureCheckError(f"sensitivity_specificity_loss(r={r}) is not r k/20 or (1 - r) k/980")
            ax.plot(ks, values, label=f"r = {r:g}")
        ax.plot(ks, ks / 1000, linestyle=":", label="mean squared error")
        ax.set_xlim(0, 20)
        ax.set_ylim(0, None)
        ax.set_ylabel("loss")
    left.set_xlabel(_by_layout("lesion pixels missed k (of 20)", "lesion pixels missed"))
    right.set_xlabel(_by_layout("background pixels marked k (of 980)", "background pixels marked"))
    right.legend()
    return fig


FIGURES: dict[str, Callable[[str], Figure]] = {
    "bce": fig_bce,
    "bce-label-smoothing": fig_bce_label_smoothing,
    "dice-ce": fig_dice_ce,
    "cce": fig_cce,
    "focal-gamma": fig_focal_gamma,
    "focal-gamma-gradient": fig_focal_gamma_gradient,
    "dice-overlap": fig_overlap,
    "dice-empty-smoothing": fig_dice_empty_smoothing,
    "dice-gradient": fig_dice_gradient,
    "mask-example": fig_mask_example,
    "tversky-errors": fig_tversky_errors,
    "focal-tversky": fig_focal_tversky,
    "generalized-dice": fig_generalized_dice,
    "topk": fig_topk,
    "poly": fig_poly,
    "class-weights": fig_class_weights,
    "compound": fig_compound,
    "log-cosh-dice": fig_log_cosh_dice,
    "mcc": fig_mcc,
    "sensitivity-specificity": fig_sensitivity_specificity,
}


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def figure_paths(name: str) -> dict[tuple[str, str], str]:
    """Site paths of one figure per (theme, layout): ``{("light", "wide"): "figures/NAME-light.svg",
    ("light", "narrow"): "figures/NAME-light-narrow.svg", ...}``."""
    return {
        (theme, layout): f"figures/{name}-{theme}{'' if layout == 'wide' else '-' + layout}.svg"
        for theme in THEMES
        for layout in LAYOUTS
    }


# Mathtext glyphs are written with one family only ('DejaVu Sans'); give them the
# same sans-serif fallbacks as ordinary text, for browsers without DejaVu fonts.
_MATHTEXT_FAMILY = re.compile(rb"font-family: '(DejaVu Sans[^']*)'(?=;)")
_FALLBACK_FAMILIES = b"'Bitstream Vera Sans', 'Helvetica Neue', 'Helvetica', 'Arial', sans-serif"


def _widen_font_families(svg: bytes) -> bytes:
    return _MATHTEXT_FAMILY.sub(lambda m: b"font-family: '" + m.group(1) + b"', " + _FALLBACK_FAMILIES, svg)


def _check_inside(fig: Figure) -> None:
    """Raise FigureRenderError if a legend, an axis label or a title reaches outside the figure
    (the SVG is not cropped to its content, so it would be cut off)."""
    parts = [("legend", legend) for legend in fig.legends]
    for ax in fig.axes:
        parts += [("legend", ax.get_legend())] if ax.get_legend() is not None else []
        parts += [("x label", ax.xaxis.label), ("y label", ax.yaxis.label), ("title", ax.title)]
    if fig._suptitle is not None:
        parts.append(("title", fig._suptitle))
    bounds = fig.bbox
    for what, artist in parts:
        if not artist.get_visible() or (hasattr(artist, "get_text") and not artist.get_text()):
            continue
        box = artist.get_window_extent()
        if box.x0 < bounds.x0 - 1 or box.x1 > bounds.x1 + 1 or box.y0 < bounds.y0 - 1 or box.y1 > bounds.y1 + 1:
            raise FigureRenderError(
                f"the {what} spans x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f} px in a "
                f"{bounds.width:.0f} x {bounds.height:.0f} px figure: it would be cut off"
            )


def render_svg(name: str, theme: str, layout: str = "wide") -> bytes:
    """One figure in one theme and layout as SVG bytes (deterministic: no date, fixed ids)."""
    builder = FIGURES[name]
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    token = _layout.set(layout)
    try:
        with matplotlib.rc_context(style(theme)):
            fig = builder(theme)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
            _check_inside(fig)
    except FigureCheckError as error:
        raise FigureCheckError(f"figure {name!r} ({theme}): {error}") from error
    except Exception as error:
        raise FigureRenderError(f"figure {name!r} ({theme}): {type(error).__name__}: {error}") from error
    finally:
        _layout.reset(token)
    return _widen_font_families(buffer.getvalue())


def render_all(names: Iterable[str] | None = None) -> dict[str, bytes]:
    """SVG bytes of every figure (or of ``names``) in both themes and layouts, keyed by site path."""
    out: dict[str, bytes] = {}
    for name in FIGURES if names is None else names:
        for (theme, layout), path in figure_paths(name).items():
            out[path] = render_svg(name, theme, layout)
    return out
