"""Property-based tests (hypothesis) of every loss and metric.

Generated: batch size, class count, 1 to 3 spatial axes, dtype (float16, bfloat16,
float32, float64), library (NumPy, torch), layout (channels first or last), target
form (index map with or without ignored pixels, one-hot, soft, multi-label),
logits or probabilities at every scale from 1 to 1e4 (saturated softmax, exact 0 and 1,
subnormal probabilities), and option values.

Properties: bounds; the minimum at a perfect prediction; finite values and gradients
for every valid input; identities between losses; invariances; NumPy equals torch;
half precision within a stated bound of float64.

Profiles: ``ci`` (the default: 40 examples per property and loss, about a minute on 2 cores) and
``long`` (``HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py``, 1000
examples per property and loss, about 13 minutes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import segref
from segref import keras as sk

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

IGNORE = 255
TORCH_DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
}
EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}


# --- generated problems ----------------------------------------------------------------------


@dataclass
class Problem:
    """One (pred, target) pair, in float64 NumPy (the reference) and as the tested arrays."""

    pred64: np.ndarray  # (N, C, *spatial), class axis 1
    target64: np.ndarray  # (N, *spatial) int64, or (N, C, *spatial) float64
    form: str  # "index", "one-hot", "soft", "multilabel"
    from_logits: bool
    library: str = "torch"
    dtype: str = "float64"
    channels_last: bool = False
    ignored: bool = False
    options: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return self.pred64.shape[1]

    @property
    def base_options(self) -> dict:
        options = {"from_logits": self.from_logits, "axis": -1 if self.channels_last else 1}
        if self.ignored:
            options["ignore_index"] = IGNORE
        if self.form == "multilabel":
            options["multilabel"] = True
        return options

    def arrays(self, *, requires_grad: bool = False) -> tuple[Any, Any]:
        pred, target = self.pred64, self.target64
        if self.channels_last:
            pred = np.moveaxis(pred, 1, -1)
            if target.ndim == pred.ndim:
                target = np.moveaxis(target, 1, -1)
        if self.library == "numpy":
            return pred.astype(self.dtype), target
        tensor = torch.from_numpy(np.ascontiguousarray(pred)).to(TORCH_DTYPES[self.dtype])
        return tensor.requires_grad_(requires_grad), torch.from_numpy(np.ascontiguousarray(target))

    def rounded(self) -> Problem:
        """The same problem in float64, with pred rounded to this problem's dtype first."""
        pred, _ = self.arrays()
        pred = pred.detach().double().numpy() if torch.is_tensor(pred) else pred.astype(np.float64)
        if self.channels_last:
            pred = np.moveaxis(pred, -1, 1)
        return replace(self, pred64=pred, dtype="float64", library="torch")


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@st.composite
def problems(
    draw,
    *,
    forms=("index", "one-hot", "soft", "multilabel"),
    dtypes=tuple(TORCH_DTYPES),
    libraries=("torch", "numpy"),
    logits=(True, False),
    ignore=True,
    max_classes=4,
) -> Problem:
    library = draw(st.sampled_from(libraries))
    dtype = draw(st.sampled_from([d for d in dtypes if library == "torch" or d != "bfloat16"]))
    form = draw(st.sampled_from(forms))
    n = draw(st.integers(1, 3))
    c = draw(st.integers(1 if form == "multilabel" else 2, max_classes))
    spatial = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.1, 1.0, 10.0, 100.0, 1e4]))
    from_logits = draw(st.sampled_from(logits))
    z = rng.normal(size=(n, c) + spatial) * scale
    labels = rng.integers(0, c, size=(n,) + spatial)
    one_hot = np.moveaxis(np.eye(c)[labels], -1, 1)
    if form == "multilabel":
        target = (rng.random(z.shape) < 0.5).astype(np.float64)
        if draw(st.booleans()):
            target = rng.random(z.shape)
        pred = z if from_logits else np.exp(-np.logaddexp(0.0, -z))  # the sigmoid, without overflow
    else:
        target = {"index": labels, "one-hot": one_hot, "soft": _softmax(rng.normal(size=z.shape) * 2)}[form]
        if from_logits:
            pred = z
        elif draw(st.booleans()) and dtype in ("float32", "float64"):
            # subnormal probabilities: every other class gets the dtype's smallest subnormal number
            tiny = float(np.finfo(np.float32 if dtype == "float32" else np.float64).smallest_subnormal)
            pred = np.where(one_hot > 0, 1.0 - (c - 1) * tiny, tiny)
        else:
            pred = _softmax(z)
    ignored = ignore and form == "index" and draw(st.booleans())
    if ignored:
        target = np.where(rng.random(labels.shape) < 0.3, IGNORE, labels)
    channels_last = draw(st.booleans())
    return Problem(pred, target, form, from_logits, library, dtype, channels_last, ignored)


def overlap_options(draw, problem: Problem, name: str = "dice_loss") -> dict:
    options = {"smooth": draw(st.sampled_from([0.0, 1e-5, 1.0])), "per_image": draw(st.booleans())}
    if name in TVERSKY:
        options["alpha"] = draw(st.sampled_from([0.0, 0.3, 0.5, 1.0, 2.0]))
        options["beta"] = draw(st.sampled_from([0.5, 0.7, 1.0, 3.0] + ([0.0] if options["alpha"] else [])))
    elif name == "generalized_dice_loss":
        options["weighting"] = draw(st.sampled_from(["square", "simple", "uniform"]))
        options["absent_classes"] = draw(st.sampled_from(["max", "epsilon"]))
    elif name == "sensitivity_specificity_loss":
        options["sensitivity_weight"] = draw(st.sampled_from([0.0, 0.05, 0.5, 1.0]))
    elif name != "mcc_loss":
        options["squared"] = draw(st.booleans())
    if name == "focal_tversky_loss":
        options["gamma"] = draw(st.sampled_from([0.5, 1.0, 4 / 3, 3.0]))
    if problem.num_classes >= 2:
        options["include_background"] = draw(st.booleans())
    return options


def ce_options(draw, problem: Problem, rng: np.random.Generator) -> dict:
    options = {"label_smoothing": draw(st.sampled_from([0.0, 0.1, 1.0]))}
    if draw(st.booleans()):
        options["class_weights"] = list(rng.uniform(0.1, 3.0, size=problem.num_classes))
    return options


@st.composite
def loss_calls(draw, *, names=None, **problem_kwargs) -> tuple[str, Problem, dict]:
    """A loss name, a problem it accepts and options for it."""
    name = draw(st.sampled_from(names or list(CLASS_LOSSES)))
    forms = ("index", "one-hot", "soft") + (("multilabel",) if name in MULTILABEL else ())
    forms = tuple(f for f in problem_kwargs.pop("forms", forms) if f in forms)
    problem = draw(problems(forms=forms, **problem_kwargs))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    options: dict = {}
    if name in OVERLAP:
        options.update(overlap_options(draw, problem, name))
    if name == "categorical_cross_entropy":
        options.update(ce_options(draw, problem, rng))
    if name == "focal_loss":
        options["gamma"] = draw(st.sampled_from([0.0, 0.5, 2.0, 5.0]))
        options["alpha"] = draw(st.sampled_from([None, 0.25, "vector"]))
        if options["alpha"] == "vector":
            options["alpha"] = list(rng.uniform(0.0, 1.0, size=problem.num_classes))
    if name == "topk_cross_entropy":
        options.update(k=draw(st.sampled_from([1.0, 10.0, 37.5, 100.0])), per_image=draw(st.booleans()))
        options.update(ce_options(draw, problem, rng))
    if name == "bootstrapped_cross_entropy":
        # no threshold of 0: a loss that rounds to 0 in one precision and not in the other changes the count
        options.update(
            num_kept=draw(st.sampled_from([1, 3, 1000])),
            threshold=draw(st.sampled_from([None, 0.7, 3.0])),
            per_image=draw(st.booleans()),
        )
        options.update(ce_options(draw, problem, rng))
    if name == "poly_loss":
        options["epsilon"] = draw(st.sampled_from([-1.0, 0.0, 1.0, 2.0]))
        options["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 1.0]))
    if name == "dice_ce_loss":
        options.update(
            dice_weight=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])), ce_weight=draw(st.sampled_from([0.0, 1.0, 3.0]))
        )
        if problem.form != "multilabel":
            options.update(ce_options(draw, problem, rng))
    if name == "dice_focal_loss":
        options.update(
            dice_weight=draw(st.sampled_from([0.0, 0.5, 1.0])),
            focal_weight=draw(st.sampled_from([0.0, 1.0, 3.0])),
            gamma=draw(st.sampled_from([0.0, 2.0])),
        )
    if name == "dice_topk_loss":
        options.update(
            dice_weight=draw(st.sampled_from([0.0, 0.5, 1.0])),
            topk_weight=draw(st.sampled_from([0.0, 1.0, 3.0])),
            k=draw(st.sampled_from([10.0, 50.0])),
        )
        options.update(ce_options(draw, problem, rng))
    return name, problem, options


CLASS_LOSSES: dict[str, Callable] = {
    "dice_loss": segref.dice_loss,
    "jaccard_loss": segref.jaccard_loss,
    "soft_dice_coefficient": segref.soft_dice_coefficient,
    "soft_jaccard_index": segref.soft_jaccard_index,
    "dice_ce_loss": segref.dice_ce_loss,
    "categorical_cross_entropy": segref.categorical_cross_entropy,
    "focal_loss": segref.focal_loss,
    "tversky_index": segref.tversky_index,
    "tversky_loss": segref.tversky_loss,
    "focal_tversky_loss": segref.focal_tversky_loss,
    "generalized_dice_loss": segref.generalized_dice_loss,
    "topk_cross_entropy": segref.topk_cross_entropy,
    "bootstrapped_cross_entropy": segref.bootstrapped_cross_entropy,
    "poly_loss": segref.poly_loss,
    "dice_focal_loss": segref.dice_focal_loss,
    "dice_topk_loss": segref.dice_topk_loss,
    "log_cosh_dice_loss": segref.log_cosh_dice_loss,
    "mcc_loss": segref.mcc_loss,
    "sensitivity_specificity_loss": segref.sensitivity_specificity_loss,
}
#: weighted sums of a Dice term and a per-pixel term: "mean" only, not bounded by 1
COMPOUND = {"dice_ce_loss", "dice_focal_loss", "dice_topk_loss"}
#: losses that keep the largest per-pixel losses: which of two (nearly) equal pixels is kept may
#: differ between equal inputs in another order, library or precision, so their ``"none"`` maps
#: are compared as sorted values
SELECTING = {"topk_cross_entropy", "bootstrapped_cross_entropy"}
#: losses with a -log p term, infinite where a probability input puts 0 on target mass
LOG_LOSSES = {"categorical_cross_entropy", "focal_loss"} | SELECTING | {"poly_loss"}
TVERSKY = {"tversky_index", "tversky_loss", "focal_tversky_loss"}
OVERLAP = (
    {
        "dice_loss",
        "jaccard_loss",
        "soft_dice_coefficient",
        "soft_jaccard_index",
        "generalized_dice_loss",
        "log_cosh_dice_loss",
        "mcc_loss",
        "sensitivity_specificity_loss",
    }
    | TVERSKY
    | COMPOUND
)
MULTILABEL = OVERLAP - {"dice_topk_loss"}
COEFFICIENTS = {"soft_dice_coefficient", "soft_jaccard_index", "tversky_index"}
REDUCTIONS = ("mean", "sum", "none")


def call(name: str, problem: Problem, options: dict, **extra: Any) -> Any:
    pred, target = problem.arrays(requires_grad=extra.pop("requires_grad", False))
    return CLASS_LOSSES[name](pred, target, **problem.base_options, **options, **extra), pred


def as64(x: Any) -> np.ndarray:
    return x.detach().double().numpy() if torch.is_tensor(x) else np.asarray(x, dtype=np.float64)


# --- finite values and gradients -------------------------------------------------------------


def certain_miss(problem: Problem, smoothing: float = 0.0) -> bool:
    """Whether a probability input, rounded to its dtype, puts probability 0 on target mass
    (after label smoothing), or 1 where a multi-label target is below 1: the cross-entropy is
    then exactly infinite."""
    if problem.from_logits:
        return False
    p = problem.rounded().pred64
    c = problem.num_classes
    if problem.form == "index":
        counted = problem.target64 != IGNORE
        y = np.moveaxis(np.eye(c)[np.where(counted, problem.target64, 0)], -1, 1)
    else:
        counted = np.ones(p.shape[:1] + p.shape[2:], dtype=bool)
        y = problem.target64
    if problem.form == "multilabel":
        y = y * (1 - smoothing) + smoothing / 2
        missed = ((p == 0) & (y > 0)) | ((p == 1) & (y < 1))
    else:
        y = y * (1 - smoothing) + smoothing / c
        missed = (p == 0) & (y > 0)
    return bool((missed & np.expand_dims(counted, 1)).any())


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data(), st.sampled_from(REDUCTIONS))
def test_values_and_gradients_are_finite(name, data, reduction):
    """Finite for every valid input; where the exact cross-entropy is infinite (probability 0 on
    a target class), the value is +inf, never NaN."""
    _, problem, options = data.draw(loss_calls(names=[name], libraries=("torch",)))
    if name in COMPOUND:
        reduction = "mean"
    value, pred = call(name, problem, options, reduction=reduction, requires_grad=True)
    per_pixel_weight = {"dice_ce_loss": "ce_weight", "dice_focal_loss": "focal_weight", "dice_topk_loss": "topk_weight"}
    has_log_term = name in LOG_LOSSES or (name in COMPOUND and options[per_pixel_weight[name]] > 0)
    if has_log_term and certain_miss(problem, options.get("label_smoothing", 0.0)):
        assert not torch.isnan(value).any() and (value == float("inf")).any(), (name, value)
        return
    if problem.dtype == "float16" and not torch.isfinite(value).all():
        # float16 ends at 65504: a sum of large losses may not fit (computed in float32, then rounded)
        wide = call(name, replace(problem, dtype="float32"), options, reduction=reduction)[0]
        assert torch.isfinite(wide).all() and (wide[~torch.isfinite(value)].abs() > 65504).all(), (name, wide)
        return
    assert torch.isfinite(value).all(), (name, value)
    value.sum().backward()
    assert pred.grad is not None, name
    if problem.dtype == "float16" and not torch.isfinite(pred.grad).all():
        # the gradient of a float16 input is float16 too: one above 65504 (1 / smooth = 1e5, say) is inf,
        # as for every PyTorch operation; computed in float32 it is finite and that large
        wide_value, wide = call(
            name, replace(problem, dtype="float32"), options, reduction=reduction, requires_grad=True
        )
        wide_value.sum().backward()
        overflowed = ~torch.isfinite(pred.grad)
        assert torch.isfinite(wide.grad).all() and (wide.grad[overflowed].abs() > 65504).all(), (name, wide.grad)
        return
    assert torch.isfinite(pred.grad).all(), (name, pred.grad)


@given(problems(forms=("multilabel",), libraries=("torch",)), st.sampled_from([0.0, 0.1]), st.sampled_from([0.0, 2.0]))
def test_binary_losses_have_finite_values_and_gradients(problem, smoothing, gamma):
    pred, target = problem.arrays(requires_grad=True)
    axis = -1 if problem.channels_last else 1
    bce = segref.binary_cross_entropy(
        pred, target, from_logits=problem.from_logits, label_smoothing=smoothing, axis=axis
    )
    focal = segref.binary_focal_loss(pred, target, from_logits=problem.from_logits, gamma=gamma)
    if certain_miss(problem, smoothing):
        assert bce == float("inf") and not torch.isnan(focal)
        return
    (bce + focal).backward()
    assert torch.isfinite(bce) and torch.isfinite(focal)
    if problem.dtype == "float16" and not torch.isfinite(pred.grad).all():  # see test_values_and_gradients_are_finite
        wide, target = replace(problem, dtype="float32").arrays(requires_grad=True)
        (
            segref.binary_cross_entropy(
                wide, target, from_logits=problem.from_logits, label_smoothing=smoothing, axis=axis
            )
            + segref.binary_focal_loss(wide, target, from_logits=problem.from_logits, gamma=gamma)
        ).backward()
        overflowed = ~torch.isfinite(pred.grad)
        assert torch.isfinite(wide.grad).all() and (wide.grad[overflowed].abs() > 65504).all()
        return
    assert torch.isfinite(pred.grad).all()


# --- bounds and the minimum ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_bounds(name, data):
    _, problem, options = data.draw(loss_calls(names=[name], dtypes=("float64",)))
    value = as64(call(name, problem, options, reduction="none" if name not in COMPOUND else "mean")[0])
    tolerance = 1e-12
    if name in OVERLAP and name not in COMPOUND:
        high = {"mcc_loss": 2.0, "log_cosh_dice_loss": float(np.log(np.cosh(1.0)))}.get(name, 1.0)
        assert ((value >= -tolerance) & (value <= high + tolerance)).all(), value
    else:
        assert (value >= -tolerance).all(), value
    if name == "focal_loss" and options["alpha"] is None:
        ce = as64(call("categorical_cross_entropy", problem, {}, reduction="none")[0])
        assert (value <= ce + 1e-9 * (1 + np.abs(ce))).all()


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_perfect_prediction_is_the_minimum(name, data):
    _, problem, options = data.draw(
        loss_calls(names=[name], forms=("index", "one-hot", "multilabel"), dtypes=("float64",), logits=(False,))
    )
    target = problem.target64
    if problem.form == "index":
        labels = np.where(target == IGNORE, 0, target)
        perfect = np.moveaxis(np.eye(problem.num_classes)[labels], -1, 1)
    else:
        perfect = (target > 0.5).astype(np.float64)
        target = perfect
    problem = replace(problem, pred64=perfect, target64=target)
    options = {k: v for k, v in options.items() if k != "label_smoothing"}
    if name == "mcc_loss":  # a smooth added to each count keeps a perfect MCC below 1 (SMP's eps does too)
        options["smooth"] = 0.0
    value = float(as64(call(name, problem, options)[0]))
    assert value == pytest.approx(1.0 if name in COEFFICIENTS else 0.0, abs=1e-12), (name, options)


# --- identities ------------------------------------------------------------------------------


@given(problems(dtypes=("float64",)), st.booleans(), st.sampled_from([0.0, 1e-3, 1.0]))
def test_tversky_generalises_dice_and_jaccard(problem, per_image, smooth):
    """alpha = beta = 1/2 is Dice with twice the smoothing, alpha = beta = 1 is Jaccard, and
    focal Tversky with gamma = 1 is the Tversky loss."""
    options = {"per_image": per_image, "reduction": "none"}
    half = as64(call("tversky_index", problem, {**options, "alpha": 0.5, "beta": 0.5, "smooth": smooth})[0])
    dice = as64(call("soft_dice_coefficient", problem, {**options, "smooth": 2 * smooth})[0])
    np.testing.assert_allclose(half, dice, rtol=1e-9, atol=1e-12)
    one = as64(call("tversky_index", problem, {**options, "alpha": 1.0, "beta": 1.0, "smooth": smooth})[0])
    jaccard = as64(call("soft_jaccard_index", problem, {**options, "smooth": smooth})[0])
    np.testing.assert_allclose(one, jaccard, rtol=1e-9, atol=1e-12)
    weights = {"alpha": 0.2, "beta": 0.9, "smooth": smooth}
    focal = as64(call("focal_tversky_loss", problem, {**options, **weights, "gamma": 1.0})[0])
    np.testing.assert_allclose(focal, as64(call("tversky_loss", problem, {**options, **weights})[0]), rtol=1e-12)


@given(problems(forms=("one-hot", "soft", "multilabel"), dtypes=("float64",), logits=(False,)), st.booleans())
def test_generalized_dice_special_cases(problem, per_image):
    """Uniform weights give one Dice of all classes pooled; with one class kept the weights cancel
    and it is that class's Dice loss."""
    p, g = problem.pred64, problem.target64
    options = {"from_logits": False, "per_image": per_image, "multilabel": problem.form == "multilabel"}
    uniform = as64(segref.generalized_dice_loss(p, g, weighting="uniform", reduction="none", **options))
    pooled = (lambda a: a.reshape(len(a), 1, -1)) if per_image else (lambda a: a.reshape(1, 1, -1))
    want = as64(segref.dice_loss(pooled(p), pooled(g), from_logits=False, multilabel=True, reduction="none"))
    np.testing.assert_allclose(uniform, want.reshape(uniform.shape), rtol=1e-9, atol=1e-12)
    # one class: where it has target mass the weights cancel; where it has none, the "max" rule leaves no
    # class with a weight (loss 0) and "epsilon" weighs it alone (its Dice loss)
    one_class = {**options, "multilabel": True, "reduction": "none"}
    dice = as64(
        segref.dice_loss(p[:, :1], g[:, :1], from_logits=False, multilabel=True, per_image=per_image, reduction="none")
    ).reshape(-1)
    mass = g[:, :1].reshape(len(g), -1).sum(-1) if per_image else g[:, :1].sum().reshape(1)
    for weighting in ("square", "simple"):
        for absent in ("max", "epsilon"):
            one = as64(
                segref.generalized_dice_loss(
                    p[:, :1], g[:, :1], weighting=weighting, absent_classes=absent, **one_class
                )
            ).reshape(-1)
            want = np.where(mass > 0, dice, dice if absent == "epsilon" else 0.0)
            np.testing.assert_allclose(one, want, rtol=1e-9, atol=1e-12)


@given(problems(forms=("one-hot", "soft", "multilabel"), dtypes=("float64",), logits=(False,)), st.booleans())
def test_tversky_alpha_weighs_false_positives_and_beta_false_negatives(problem, per_image):
    """alpha = 1, beta = 0 gives I / (I + FP) = I / P, the soft precision; alpha = 0, beta = 1 gives
    I / (I + FN) = I / G, the soft recall (computed here with NumPy)."""
    p, g = problem.pred64, problem.target64
    axes = tuple(range(2, p.ndim)) if per_image else (0,) + tuple(range(2, p.ndim))
    intersection, pred_sum, target_sum = (np.sum(a, axis=axes) for a in (p * g, p, g))
    options = {"from_logits": False, "multilabel": problem.form == "multilabel", "per_image": per_image}
    for (alpha, beta), size in (((1.0, 0.0), pred_sum), ((0.0, 1.0), target_sum)):
        got = as64(segref.tversky_index(p, g, alpha=alpha, beta=beta, reduction="none", **options))
        want = np.where(size > 0, intersection / np.where(size > 0, size, 1.0), 1.0)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@given(problems(forms=("multilabel", "soft"), dtypes=("float64",), logits=(False,)), st.booleans())
def test_tversky_swapping_alpha_and_beta_swaps_prediction_and_target(problem, per_image):
    """T(p, g; alpha, beta) = T(g, p; beta, alpha): false positives of one are false negatives of the other."""
    options = {"alpha": 0.25, "beta": 0.8, "per_image": per_image, "reduction": "none"}
    swapped = replace(problem, pred64=problem.target64, target64=problem.pred64)
    swapped_options = {**options, "alpha": 0.8, "beta": 0.25}
    np.testing.assert_allclose(
        as64(call("tversky_index", problem, options)[0]),
        as64(call("tversky_index", swapped, swapped_options)[0]),
        rtol=1e-9,
        atol=1e-12,
    )


@given(problems(dtypes=("float64",)), st.booleans(), st.booleans())
def test_dice_equals_2j_over_1_plus_j_per_image_and_class(problem, per_image, squared):
    options = {"per_image": per_image, "squared": squared, "reduction": "none"}
    dice = as64(call("soft_dice_coefficient", problem, options)[0])
    jaccard = as64(call("soft_jaccard_index", problem, options)[0])
    np.testing.assert_allclose(dice, 2 * jaccard / (1 + jaccard), rtol=1e-9, atol=1e-12)


@given(problems(forms=("index", "one-hot", "soft"), dtypes=("float64",)))
def test_focal_with_gamma_zero_is_the_cross_entropy(problem):
    focal = as64(call("focal_loss", problem, {"gamma": 0.0})[0])
    ce = as64(call("categorical_cross_entropy", problem, {})[0])
    np.testing.assert_allclose(focal, ce, rtol=1e-10, atol=1e-12)


@given(problems(forms=("multilabel",), dtypes=("float64",)))
def test_binary_focal_with_gamma_zero_is_the_binary_cross_entropy(problem):
    pred, target = problem.arrays()
    focal = segref.binary_focal_loss(pred, target, from_logits=problem.from_logits, gamma=0.0)
    bce = segref.binary_cross_entropy(pred, target, from_logits=problem.from_logits)
    np.testing.assert_allclose(as64(focal), as64(bce), rtol=1e-10, atol=1e-12)


@given(loss_calls(names=["dice_ce_loss"], dtypes=("float64",)))
def test_dice_ce_is_the_weighted_sum_of_its_parts(call_args):
    _, problem, options = call_args
    overlap = {k: options[k] for k in ("smooth", "squared", "per_image", "include_background") if k in options}
    ce = {k: options[k] for k in ("label_smoothing", "class_weights") if k in options}
    dice = as64(call("dice_loss", problem, overlap)[0])
    if problem.form == "multilabel":
        pred, target = problem.arrays()
        cross = as64(
            segref.binary_cross_entropy(
                pred,
                target,
                from_logits=problem.from_logits,
                label_smoothing=options.get("label_smoothing", 0.0),
                axis=problem.base_options["axis"],
            )
        )
    else:
        cross = as64(call("categorical_cross_entropy", problem, ce)[0])
    expected = sum(
        weight * term for weight, term in ((options["dice_weight"], dice), (options["ce_weight"], cross)) if weight > 0
    )  # a weight of 0 leaves its term out (0 * inf is not 0)
    np.testing.assert_allclose(as64(call("dice_ce_loss", problem, options)[0]), expected, rtol=1e-10, atol=1e-12)


def _per_pixel_ce(problem: Problem, options: dict) -> tuple[np.ndarray, np.ndarray]:
    """The per-pixel cross-entropy (N, S) and which pixels count (N, S), in float64."""
    ce = as64(call("categorical_cross_entropy", problem, options, reduction="none")[0])
    n = ce.shape[0]
    counted = np.ones_like(ce, dtype=bool) if problem.form != "index" else problem.target64 != IGNORE
    return ce.reshape(n, -1), np.asarray(counted).reshape(n, -1)


@given(loss_calls(names=["topk_cross_entropy"], dtypes=("float64",)))
def test_topk_is_the_mean_of_the_largest_cross_entropies(call_args):
    """Against a sort of categorical_cross_entropy's per-pixel losses, per group (batch or image)."""
    _, problem, options = call_args
    ce, counted = _per_pixel_ce(problem, {k: options[k] for k in ("label_smoothing", "class_weights") if k in options})
    groups = range(ce.shape[0]) if options["per_image"] else [slice(None)]
    means = []
    for g in groups:
        values = np.sort(ce[g][counted[g]])[::-1]
        if values.size:
            m = max(1, int(np.floor(options["k"] * values.size / 100)))
            means.append(values[:m].sum() / m)
    expected = np.mean(means) if means else 0.0
    got = as64(call("topk_cross_entropy", problem, options)[0])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    if not options.get("class_weights") and means:  # the largest losses average at least the mean loss
        plain = as64(call("categorical_cross_entropy", problem, {"label_smoothing": options["label_smoothing"]})[0])
        if not options["per_image"]:
            assert got >= plain - 1e-12 * (1 + abs(plain))
            if options["k"] == 100:
                np.testing.assert_allclose(got, plain, rtol=1e-10, atol=1e-12)


@given(loss_calls(names=["bootstrapped_cross_entropy"], dtypes=("float64",)))
def test_bootstrapping_keeps_the_losses_above_the_threshold_and_at_least_k(call_args):
    _, problem, options = call_args
    ce, counted = _per_pixel_ce(problem, {k: options[k] for k in ("label_smoothing", "class_weights") if k in options})
    groups = range(ce.shape[0]) if options["per_image"] else [slice(None)]
    threshold = options["threshold"]
    kept_total, means = 0.0, []
    for g in groups:
        values = np.sort(ce[g][counted[g]])[::-1]
        if values.size:
            above = 0 if threshold is None else int((values > threshold).sum())
            m = min(values.size, max(options["num_kept"], above))
            kept_total += values[:m].sum()
            means.append(values[:m].sum() / m)
    np.testing.assert_allclose(
        as64(call("bootstrapped_cross_entropy", problem, options)[0]), np.mean(means) if means else 0.0, rtol=1e-10
    )
    summed = as64(call("bootstrapped_cross_entropy", problem, options, reduction="sum")[0])
    np.testing.assert_allclose(summed, kept_total, rtol=1e-10, atol=1e-12)


@given(loss_calls(names=["poly_loss"], dtypes=("float64",)))
def test_poly_is_the_cross_entropy_plus_epsilon_times_one_minus_pt(call_args):
    _, problem, options = call_args
    smoothing = options["label_smoothing"]
    ce = as64(call("categorical_cross_entropy", problem, {"label_smoothing": smoothing}, reduction="none")[0])
    p = problem.pred64 if not problem.from_logits else _softmax(problem.pred64)
    if problem.form == "index":
        counted = problem.target64 != IGNORE
        y = np.moveaxis(np.eye(problem.num_classes)[np.where(counted, problem.target64, 0)], -1, 1)
    else:
        counted, y = np.ones(p.shape[:1] + p.shape[2:], dtype=bool), problem.target64
    y = (1 - smoothing) * y + smoothing / problem.num_classes
    expected = np.where(counted, ce + options["epsilon"] * (1 - (y * p).sum(axis=1)), 0.0)
    got = as64(call("poly_loss", problem, options, reduction="none")[0])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@given(loss_calls(names=["dice_focal_loss", "dice_topk_loss"], dtypes=("float64",)))
def test_dice_focal_and_dice_topk_are_the_weighted_sums_of_their_parts(call_args):
    name, problem, options = call_args
    part_options = dict(options)
    dice_weight = part_options.pop("dice_weight")
    weight_name = "focal_weight" if name == "dice_focal_loss" else "topk_weight"
    weight = part_options.pop(weight_name)
    overlap = {k: part_options.pop(k) for k in ("smooth", "squared", "per_image", "include_background") if k in options}
    if name == "dice_topk_loss":
        part = as64(call("topk_cross_entropy", problem, part_options)[0]) if weight > 0 else 0.0
    elif problem.form == "multilabel":
        pred, target = problem.arrays()
        part = as64(segref.binary_focal_loss(pred, target, from_logits=problem.from_logits, **part_options))
    else:
        part = as64(call("focal_loss", problem, part_options)[0]) if weight > 0 else 0.0
    dice = as64(call("dice_loss", problem, overlap)[0]) if dice_weight > 0 else 0.0
    expected = dice_weight * dice + (weight * part if weight > 0 else 0.0)  # a weight of 0 leaves its term out
    np.testing.assert_allclose(as64(call(name, problem, options)[0]), expected, rtol=1e-10, atol=1e-12)


TERM_NAMES = sorted(n for n in segref.compound.TERMS if not n.startswith("binary_"))


@given(problems(forms=("index", "one-hot"), dtypes=("float64", "float32")), st.data())
def test_combined_loss_is_the_weighted_sum_of_its_terms(problem, data):
    """Against each term called on its own (the shared input and softmax change nothing)."""
    names = data.draw(st.lists(st.sampled_from(TERM_NAMES), min_size=1, max_size=4))
    weights = data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=len(names), max_size=len(names)))
    terms = [(w, n, {"k": 30.0} if n == "topk_cross_entropy" else {}) for w, n in zip(weights, names, strict=True)]
    pred, target = problem.arrays()
    got = segref.combined_loss(pred, target, terms=terms, **problem.base_options)
    parts = [w * as64(CLASS_LOSSES_ALL[n](pred, target, **problem.base_options, **o)) for w, n, o in terms if w > 0]
    expected = sum(parts)
    tolerance = 1e-10 if problem.dtype == "float64" else 4e-6
    np.testing.assert_allclose(as64(got), expected, rtol=tolerance, atol=tolerance)


CLASS_LOSSES_ALL = {name: getattr(segref, name) for name in segref.compound.TERMS}


def _dense(problem: Problem, per_image: bool) -> tuple[np.ndarray, np.ndarray]:
    """(p, g) of a float64 problem as (rows, C, pixels) arrays of probabilities and targets, ignored
    pixels dropped (rows: the images, or one row for the batch)."""
    p = problem.pred64
    n, c = p.shape[:2]
    if problem.from_logits:
        p = np.exp(-np.logaddexp(0.0, -p)) if problem.form == "multilabel" else _softmax(p)
    p = p.reshape(n, c, -1)
    if problem.form == "index":
        labels = problem.target64.reshape(n, -1)
        valid = labels != IGNORE
        g = np.moveaxis(np.eye(c)[np.where(valid, labels, 0)], -1, 1)
    else:
        g = problem.target64.reshape(n, c, -1)
        valid = np.ones((n, p.shape[-1]), dtype=bool)
    if not per_image:
        p, g, valid = (np.concatenate(list(a), axis=-1)[None] for a in (p, g, valid))
    return p, g, valid


@given(problems(dtypes=("float64",)), st.booleans(), st.sampled_from([0.0, 1e-5, 1.0]))
def test_log_cosh_dice_is_log_cosh_of_the_dice_loss(problem, per_image, smooth):
    options = {"per_image": per_image, "smooth": smooth, "reduction": "none"}
    dice = as64(call("dice_loss", problem, options)[0])
    np.testing.assert_allclose(
        as64(call("log_cosh_dice_loss", problem, options)[0]), np.log(np.cosh(dice)), rtol=1e-10, atol=1e-15
    )


@given(problems(dtypes=("float64",)), st.booleans(), st.sampled_from([0.0, 1e-5, 1.0]))
def test_mcc_is_the_correlation_of_the_soft_confusion_counts(problem, per_image, smooth):
    """Against TP, FP, FN and TN summed pixel by pixel (TN = sum (1 - p)(1 - g), not n - P - G + I)."""
    got = as64(call("mcc_loss", problem, {"per_image": per_image, "smooth": smooth, "reduction": "none"})[0])
    p, g, valid = _dense(problem, per_image)
    counted = valid[:, None, :]
    tp, fp, fn, tn = (
        np.sum(a * counted, axis=-1) + smooth for a in (p * g, p * (1 - g), (1 - p) * g, (1 - p) * (1 - g))
    )
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.where(denominator > 0, (tp * tn - fp * fn) / np.where(denominator > 0, denominator, 1), 0.0)
    if smooth == 0:  # a constant target: the accuracy
        pixels = valid.sum(axis=-1, keepdims=True)
        mass = np.sum(g * counted, axis=-1)
        constant = (mass == 0) | (mass == pixels)
        mcc = np.where(constant, 1 - (fp + fn) / np.maximum(pixels, 1), mcc)
    rows = valid.any(axis=-1)  # an image with no counted pixel has no loss
    np.testing.assert_allclose(got.reshape(mcc.shape)[rows], 1 - mcc[rows], rtol=1e-8, atol=1e-9)


@given(problems(forms=("multilabel", "soft"), dtypes=("float64",), logits=(False,)), st.booleans())
def test_mcc_is_symmetric_in_prediction_and_target_and_in_their_complements(problem, per_image):
    """A correlation: swapping p and g swaps FP and FN; taking 1 - p and 1 - g (multi-label) swaps TP and TN.
    Where p or g is constant over the pixels of a row the coefficient is a convention that tells the two
    apart (see mcc_loss), so those rows are not drawn."""
    p, g, _ = _dense(problem, per_image)
    pixels = p.shape[-1]
    for sums in (p.sum(-1), g.sum(-1)):
        assume(((sums > 1e-6) & (sums < pixels - 1e-6)).all())
    options = {"per_image": per_image, "reduction": "none"}
    value = as64(call("mcc_loss", problem, options)[0])
    swapped = replace(problem, pred64=problem.target64, target64=problem.pred64)
    np.testing.assert_allclose(as64(call("mcc_loss", swapped, options)[0]), value, rtol=1e-9, atol=1e-12)
    if problem.form == "multilabel":
        complement = replace(problem, pred64=1 - problem.pred64, target64=1 - problem.target64)
        np.testing.assert_allclose(as64(call("mcc_loss", complement, options)[0]), value, rtol=1e-9, atol=1e-9)


@given(problems(dtypes=("float64",)), st.booleans(), st.sampled_from([0.0, 0.05, 1.0]), st.sampled_from([0.0, 1e-5]))
def test_sensitivity_specificity_is_the_weighted_mean_squared_error_inside_and_outside(problem, per_image, r, smooth):
    options = {"per_image": per_image, "sensitivity_weight": r, "smooth": smooth, "reduction": "none"}
    got = as64(call("sensitivity_specificity_loss", problem, options)[0])
    p, g, valid = _dense(problem, per_image)
    counted = valid[:, None, :]
    error = (g - p) ** 2 * counted
    inside, outside = (np.sum(error * w, axis=-1) for w in (g, 1 - g))
    mass, rest = (np.sum(w * counted, axis=-1) + smooth for w in (g, 1 - g))
    want = r * np.where(mass > 0, inside / np.where(mass > 0, mass, 1), 0) + (1 - r) * np.where(
        rest > 1e-12, outside / np.where(rest > 1e-12, rest, 1), 0
    )
    rows = valid.any(axis=-1)
    np.testing.assert_allclose(got.reshape(want.shape)[rows], want[rows], rtol=1e-8, atol=1e-9)


# --- invariances -----------------------------------------------------------------------------


def _flat(problem: Problem) -> Problem:
    """Spatial axes flattened to one (a permutation of pixels is then a permutation of one axis)."""
    n, c = problem.pred64.shape[:2]
    target = problem.target64
    target = target.reshape(n, -1) if target.ndim == problem.pred64.ndim - 1 else target.reshape(n, c, -1)
    return replace(problem, pred64=problem.pred64.reshape(n, c, -1), target64=target)


def _permuted(problem: Problem, *, pixels=None, images=None) -> Problem:
    pred, target = problem.pred64, problem.target64
    if pixels is not None:
        pred, target = pred[..., pixels], target[..., pixels]
    if images is not None:
        pred, target = pred[images], target[images]
    return replace(problem, pred64=pred, target64=target)


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data(), st.randoms(use_true_random=False))
def test_pixel_permutation_changes_nothing(name, data, random):
    _, problem, options = data.draw(loss_calls(names=[name], dtypes=("float64",)))
    problem = _flat(problem)
    pixels = list(range(problem.pred64.shape[-1]))
    random.shuffle(pixels)
    reduction = {} if name in COMPOUND else {"reduction": "none"}
    before = as64(call(name, problem, options, **reduction)[0])
    after = as64(call(name, _permuted(problem, pixels=pixels), options, **reduction)[0])
    if before.ndim > 1 and name in LOG_LOSSES:
        before, after = np.sort(before, axis=-1), np.sort(after, axis=-1)
    if name in SELECTING:
        before, after = np.sort(before, axis=None), np.sort(after, axis=None)
    np.testing.assert_allclose(after, before, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data(), st.randoms(use_true_random=False))
def test_batch_permutation_changes_nothing_for_the_mean(name, data, random):
    _, problem, options = data.draw(loss_calls(names=[name], dtypes=("float64",)))
    images = list(range(problem.pred64.shape[0]))
    random.shuffle(images)
    before = as64(call(name, problem, options)[0])
    after = as64(call(name, _permuted(problem, images=images), options)[0])
    np.testing.assert_allclose(after, before, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data(), st.randoms(use_true_random=False))
def test_relabelling_the_classes_changes_nothing(name, data, random):
    _, problem, options = data.draw(loss_calls(names=[name], dtypes=("float64",)))
    options = {k: v for k, v in options.items() if k not in ("class_weights", "alpha", "include_background")}
    order = list(range(problem.num_classes))
    random.shuffle(order)  # new class k is old class order[k]
    target = problem.target64
    if problem.form == "index":
        new_label = np.argsort(order)
        target = np.where(target == IGNORE, IGNORE, new_label[np.where(target == IGNORE, 0, target)])
    else:
        target = target[:, order]
    relabelled = replace(problem, pred64=problem.pred64[:, order], target64=target)
    np.testing.assert_allclose(
        as64(call(name, relabelled, options)[0]), as64(call(name, problem, options)[0]), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_channels_last_equals_channels_first(name, data):
    _, problem, options = data.draw(loss_calls(names=[name], dtypes=("float64",)))
    reduction = {} if name in COMPOUND else {"reduction": "none"}
    first = comparable(name, as64(call(name, replace(problem, channels_last=False), options, **reduction)[0]))
    last = comparable(name, as64(call(name, replace(problem, channels_last=True), options, **reduction)[0]))
    np.testing.assert_allclose(last, first, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_one_hot_targets_equal_index_targets(name, data):
    _, problem, options = data.draw(loss_calls(names=[name], forms=("index",), dtypes=("float64",), ignore=False))
    options = {k: v for k, v in options.items() if k != "class_weights"}  # the CE mean differs by design
    one_hot = np.moveaxis(np.eye(problem.num_classes)[problem.target64], -1, 1)
    reduction = {} if name in COMPOUND else {"reduction": "none"}
    np.testing.assert_allclose(
        comparable(name, as64(call(name, replace(problem, target64=one_hot, form="one-hot"), options, **reduction)[0])),
        comparable(name, as64(call(name, problem, options, **reduction)[0])),
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_ignoring_a_pixel_equals_removing_it(name, data):
    _, problem, options = data.draw(loss_calls(names=[name], forms=("index",), dtypes=("float64",)))
    problem = _flat(problem)
    size = problem.pred64.shape[-1]
    if size < 2:
        return
    pixel = data.draw(st.integers(0, size - 1))
    kept = [i for i in range(size) if i != pixel]
    ignored = replace(problem, target64=np.where(np.arange(size) == pixel, IGNORE, problem.target64), ignored=True)
    removed = replace(_permuted(problem, pixels=kept), ignored=True)
    np.testing.assert_allclose(
        as64(call(name, ignored, options)[0]), as64(call(name, removed, options)[0]), rtol=1e-10, atol=1e-12
    )


# --- libraries and precision -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_numpy_equals_torch(name, data):
    _, problem, options = data.draw(loss_calls(names=[name], dtypes=("float64",), libraries=("numpy",)))
    reduction = {} if name in COMPOUND else {"reduction": "none"}
    numpy_value = call(name, problem, options, **reduction)[0]
    torch_value = call(name, replace(problem, library="torch"), options, **reduction)[0]
    assert isinstance(numpy_value, np.ndarray) and torch.is_tensor(torch_value)
    np.testing.assert_allclose(
        comparable(name, as64(torch_value)), comparable(name, as64(numpy_value)), rtol=1e-10, atol=1e-12
    )


def comparable(name: str, values: np.ndarray) -> np.ndarray:
    """``values`` sorted for a loss that selects pixels (see SELECTING), as they are otherwise."""
    return np.sort(values, axis=None) if name in SELECTING else values


def smallest_overlap_denominator(problem: Problem, options: dict) -> float:
    """The smallest non-zero P + G - I + smooth of the overlap statistics (float64, rounded input)."""
    p = problem.rounded().pred64
    n, c = p.shape[:2]
    if problem.from_logits:
        p = np.exp(-np.logaddexp(0.0, -p)) if problem.form == "multilabel" else _softmax(p)
    p = p.reshape(n, c, -1)
    if problem.form == "index":
        valid = (problem.target64 != IGNORE).reshape(n, 1, -1)
        g = np.moveaxis(np.eye(c)[np.where(valid[:, 0], problem.target64.reshape(n, -1), 0)], -1, 1) * valid
        p = p * valid
    else:
        g = problem.target64.reshape(n, c, -1)
    k = 2 if options.get("squared") else 1
    sums = [(p**k).sum(-1), (g**k).sum(-1), (p * g).sum(-1)]
    if not options.get("per_image", True):
        sums = [s.sum(0) for s in sums]
    pred_sum, target_sum, intersection = sums
    union = pred_sum + target_sum - intersection + options.get("smooth", 0.0)
    positive = union[union > 0]
    return float(positive.min()) if positive.size else np.inf


@pytest.mark.parametrize("name", list(CLASS_LOSSES))
@given(st.data())
def test_lower_precision_is_within_its_epsilon_of_float64(name, data):
    """Bound: |value - value64| <= 4 eps (1 + |value64|) with eps of the input dtype, value64 the
    loss of the same (rounded) input in float64. Half inputs are computed in float32, so
    the error is the final rounding plus float32 arithmetic. Excluded: an overlap denominator
    below float32's smallest normal number (1.2e-38), where float32 underflows towards 0 and
    the Dice of an absent class jumps from 0/P = 0 to the empty-class 1, as its formula does at 0."""
    _, problem, options = data.draw(
        loss_calls(names=[name], dtypes=("float16", "bfloat16", "float32"), libraries=("torch",))
    )
    if name in OVERLAP:
        assume(smallest_overlap_denominator(problem, options) >= float(np.finfo(np.float32).tiny))
    reduction = {} if name in COMPOUND else {"reduction": "none"}
    got = comparable(name, as64(call(name, problem, options, **reduction)[0]))
    with segref.value_checks(False):  # half-rounded probabilities sum to 1 within half's tolerance only
        expected = comparable(name, as64(call(name, problem.rounded(), options, **reduction)[0]))
    bound = 4 * EPS[problem.dtype] * (1 + np.abs(expected))
    with np.errstate(invalid="ignore"):  # inf - inf where both are infinite
        difference = np.where(got == expected, 0.0, np.abs(got - expected))  # equal infinities agree
    if problem.dtype == "float16":  # a value past float16's 65504 is inf, as in every torch operation
        beyond = np.abs(expected) > 65504
        assert np.isinf(got[beyond]).all()
        difference = np.where(beyond, 0.0, difference)
    if problem.dtype == "float32":  # log-softmax of logits up to 1e4 loses their float32 spacing
        bound = bound + 4 * EPS["float32"] * np.abs(problem.pred64).max()
    assert (difference <= bound).all(), (name, got, expected)


# --- metrics ---------------------------------------------------------------------------------


@st.composite
def label_maps(draw) -> tuple[np.ndarray, np.ndarray, int, dict]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 3)),) + tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    target = rng.integers(0, c, size=shape)
    pred = np.where(rng.random(shape) < draw(st.sampled_from([0.0, 0.5, 0.9])), rng.integers(0, c, size=shape), target)
    options = {"per_image": draw(st.booleans())}
    if c >= 2:
        options["include_background"] = draw(st.booleans())
    if draw(st.booleans()):
        target = np.where(rng.random(shape) < 0.3, IGNORE, target)
        options["ignore_index"] = IGNORE
    return pred, target, c, options


@given(label_maps())
def test_hard_metrics_bounds_identity_and_libraries(maps):
    pred, target, c, options = maps
    dice = segref.dice_score(pred, target, num_classes=c, reduction="none", **options)
    iou = segref.iou_score(pred, target, num_classes=c, reduction="none", **options)
    assert ((dice >= 0) & (dice <= 1)).all() and ((iou >= 0) & (iou <= 1)).all()
    np.testing.assert_allclose(dice, 2 * iou / (1 + iou), rtol=1e-12)
    np.testing.assert_allclose(segref.dice_from_jaccard(iou), dice, rtol=1e-12)
    as_torch = segref.dice_score(
        torch.from_numpy(pred), torch.from_numpy(target), num_classes=c, reduction="none", **options
    )
    np.testing.assert_allclose(as_torch.numpy(), dice, rtol=1e-12)


@given(label_maps())
def test_hard_metrics_are_1_for_a_perfect_prediction(maps):
    _, target, c, options = maps
    pred = np.where(target == IGNORE, 0, target)
    assert float(segref.dice_score(pred, target, num_classes=c, **options)) == 1.0
    assert float(segref.iou_score(pred, target, num_classes=c, **options)) == 1.0


# --- segref.keras ----------------------------------------------------------------------------


@given(problems(forms=("one-hot", "soft", "multilabel"), dtypes=("float32", "float64"), ignore=False))
def test_keras_functions_are_finite_and_non_negative(problem):
    """Keras clips probabilities to [1e-7, 1 - 1e-7]: every value is finite, also at exact 0 and 1."""
    pred, target = problem.arrays()
    if not problem.channels_last:  # segref.keras is channels-last, like Keras
        pred, target = (x.movedim(1, -1) if torch.is_tensor(x) else np.moveaxis(x, 1, -1) for x in (pred, target))
    logits = problem.from_logits
    values = [
        sk.binary_crossentropy(target, pred, from_logits=logits),
        sk.binary_focal_crossentropy(target, pred, from_logits=logits, apply_class_balancing=True),
    ]
    if problem.form != "multilabel":
        values += [
            sk.categorical_crossentropy(target, pred, from_logits=logits),
            sk.categorical_focal_crossentropy(target, pred, from_logits=logits),
        ]
    if not logits:
        values += [sk.dice(target, pred), sk.tversky(target, pred, alpha=0.3, beta=0.7)]
    for value in values:
        value = as64(value)
        assert np.isfinite(value).all() and (value >= -1e-6).all()


# --- binary losses ---------------------------------------------------------------------------


@given(
    problems(forms=("multilabel",), dtypes=("float64",)),
    st.sampled_from([0.0, 0.5, 2.0]),
    st.sampled_from([None, 0.25]),
)
def test_binary_losses_bounds_and_libraries(problem, gamma, alpha):
    """BCE >= 0; 0 <= focal <= BCE without alpha; NumPy equals torch; perfect prediction gives 0."""
    pred, target = problem.arrays()
    axis = -1 if problem.channels_last else 1
    options = {"from_logits": problem.from_logits, "reduction": "none"}
    bce = as64(segref.binary_cross_entropy(pred, target, axis=axis, **options))
    focal = as64(segref.binary_focal_loss(pred, target, gamma=gamma, alpha=alpha, **options))
    assert (bce >= 0).all() and (focal >= 0).all()
    if alpha is None:  # PyTorch's fused BCE has an absolute error near 1e-15 (log(1 + 2e-23) is 0 there)
        assert (focal <= bce * (1 + 1e-12) + 1e-14).all()
    other = replace(problem, library="numpy" if problem.library == "torch" else "torch").arrays()
    np.testing.assert_allclose(
        as64(segref.binary_cross_entropy(*other, axis=axis, **options)), bce, rtol=1e-10, atol=1e-12
    )
    hard = (problem.target64 > 0.5) * 1.0
    perfect = replace(problem, pred64=hard, target64=hard, from_logits=False, channels_last=False)
    assert float(as64(segref.binary_cross_entropy(*perfect.arrays(), from_logits=False))) == 0.0
    assert float(as64(segref.binary_focal_loss(*perfect.arrays(), from_logits=False, gamma=gamma))) == 0.0


@given(
    problems(
        forms=("one-hot", "soft", "multilabel"),
        dtypes=("float32", "float64"),
        libraries=("torch",),
        logits=(True,),
        ignore=False,
    )
)
def test_keras_functions_have_finite_gradients_from_logits(problem):
    pred, target = problem.arrays(requires_grad=True)
    if not problem.channels_last:
        pred_last, target = pred.movedim(1, -1), target.movedim(1, -1)
    else:
        pred_last = pred
    total = (
        sk.binary_crossentropy(target, pred_last, from_logits=True).sum()
        + sk.binary_focal_crossentropy(target, pred_last, from_logits=True, apply_class_balancing=True).sum()
    )
    if problem.form != "multilabel":
        total = (
            total
            + sk.categorical_crossentropy(target, pred_last, from_logits=True).sum()
            + sk.categorical_focal_crossentropy(target, pred_last, from_logits=True).sum()
        )
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(pred.grad).all()
