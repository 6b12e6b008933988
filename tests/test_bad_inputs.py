"""The bad-input matrix: every category of bad input x every public function.

Each bad call must raise ValueError or TypeError with a message that names the
argument, what was received and what was expected (with the digits that show the
violation). Functions: the losses, the metrics and the Dice-Jaccard identities,
``segref.keras`` and the ``segref.nn`` modules (called as modules, and built with bad
options, which they refuse at construction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import segref
import segref.nn as snn
from segref import keras as sk

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(2, 3, 4, 4))
LABELS = RNG.integers(0, 3, size=(2, 4, 4))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
PROBS_LAST = np.moveaxis(PROBS, 1, -1)  # (2, 4, 4, 3) for segref.keras
ONE_HOT_LAST = np.eye(3)[LABELS]


@dataclass
class Fn:
    """A public function, how it is called, and the names its message uses for (pred, target)."""

    name: str
    call: Callable[..., Any]  # call(pred, target, **options)
    # "class", "binary", "metric", "identity", "keras-binary", "keras-categorical", "keras-sparse", "keras-dice"
    kind: str
    pred: np.ndarray
    target: np.ndarray | None
    options: dict
    names: tuple[str, str] = ("pred", "target")

    @property
    def from_logits(self) -> bool:
        return bool(self.options.get("from_logits"))


def _class(name: str, fn: Callable, **options: Any) -> Fn:
    return Fn(name, fn, "class", LOGITS, LABELS, {"from_logits": True, **options})


def _keras(name: str, fn: Callable, kind: str, target: np.ndarray, **options: Any) -> Fn:
    return Fn(
        name, lambda pred, target, **kw: fn(target, pred, **kw), kind, PROBS_LAST, target, options, ("y_pred", "y_true")
    )


def _module(cls: type, **options: Any) -> Callable:
    return lambda pred, target, **kw: cls(**{**options, **kw})(pred, target)


FUNCTIONS = [
    _class("categorical_cross_entropy", segref.categorical_cross_entropy),
    _class("focal_loss", segref.focal_loss),
    _class("dice_loss", segref.dice_loss),
    _class("jaccard_loss", segref.jaccard_loss),
    _class("soft_dice_coefficient", segref.soft_dice_coefficient),
    _class("soft_jaccard_index", segref.soft_jaccard_index),
    _class("dice_ce_loss", segref.dice_ce_loss),
    _class("tversky_index", segref.tversky_index),
    _class("tversky_loss", segref.tversky_loss),
    _class("focal_tversky_loss", segref.focal_tversky_loss),
    _class("generalized_dice_loss", segref.generalized_dice_loss),
    _class("topk_cross_entropy", segref.topk_cross_entropy),
    _class("bootstrapped_cross_entropy", segref.bootstrapped_cross_entropy, threshold=0.5),
    _class("poly_loss", segref.poly_loss),
    _class("dice_focal_loss", segref.dice_focal_loss),
    _class("dice_topk_loss", segref.dice_topk_loss),
    _class("log_cosh_dice_loss", segref.log_cosh_dice_loss),
    _class("mcc_loss", segref.mcc_loss),
    _class("sensitivity_specificity_loss", segref.sensitivity_specificity_loss),
    _class("combined_loss", segref.combined_loss, terms=[(1.0, "dice_loss"), (0.5, "topk_cross_entropy", {"k": 20.0})]),
    Fn(
        "binary_cross_entropy",
        segref.binary_cross_entropy,
        "binary",
        LOGITS[:, :1],
        (LABELS[:, None] > 0) * 1.0,
        {"from_logits": True},
    ),
    Fn(
        "binary_focal_loss",
        segref.binary_focal_loss,
        "binary",
        LOGITS[:, :1],
        (LABELS[:, None] > 0) * 1.0,
        {"from_logits": True},
    ),
    Fn("dice_score", segref.dice_score, "metric", LABELS[::-1].copy(), LABELS, {"num_classes": 3}),
    Fn("iou_score", segref.iou_score, "metric", LABELS[::-1].copy(), LABELS, {"num_classes": 3}),
    Fn(
        "dice_from_jaccard",
        lambda value, _target, **kw: segref.dice_from_jaccard(value, **kw),
        "identity",
        RNG.random(5),
        None,
        {},
        ("jaccard", ""),
    ),
    Fn(
        "jaccard_from_dice",
        lambda value, _target, **kw: segref.jaccard_from_dice(value, **kw),
        "identity",
        RNG.random(5),
        None,
        {},
        ("dice", ""),
    ),
    _keras("keras.binary_crossentropy", sk.binary_crossentropy, "keras-binary", ONE_HOT_LAST),
    _keras("keras.binary_focal_crossentropy", sk.binary_focal_crossentropy, "keras-binary", ONE_HOT_LAST),
    _keras("keras.categorical_crossentropy", sk.categorical_crossentropy, "keras-categorical", ONE_HOT_LAST),
    _keras(
        "keras.categorical_focal_crossentropy", sk.categorical_focal_crossentropy, "keras-categorical", ONE_HOT_LAST
    ),
    _keras("keras.sparse_categorical_crossentropy", sk.sparse_categorical_crossentropy, "keras-sparse", LABELS),
    _keras("keras.dice", sk.dice, "keras-dice", ONE_HOT_LAST),
    _keras("keras.tversky", sk.tversky, "keras-dice", ONE_HOT_LAST),
    Fn("nn.CrossEntropyLoss", _module(snn.CrossEntropyLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.FocalLoss", _module(snn.FocalLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.DiceLoss", _module(snn.DiceLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.JaccardLoss", _module(snn.JaccardLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.DiceCELoss", _module(snn.DiceCELoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.TverskyLoss", _module(snn.TverskyLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.FocalTverskyLoss", _module(snn.FocalTverskyLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.GeneralizedDiceLoss", _module(snn.GeneralizedDiceLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.LogCoshDiceLoss", _module(snn.LogCoshDiceLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.MCCLoss", _module(snn.MCCLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn(
        "nn.SensitivitySpecificityLoss",
        _module(snn.SensitivitySpecificityLoss, from_logits=True),
        "class",
        LOGITS,
        LABELS,
        {},
    ),
    Fn("nn.TopKCrossEntropyLoss", _module(snn.TopKCrossEntropyLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn(
        "nn.BootstrappedCrossEntropyLoss",
        _module(snn.BootstrappedCrossEntropyLoss, from_logits=True, num_kept=3),
        "class",
        LOGITS,
        LABELS,
        {},
    ),
    Fn("nn.PolyLoss", _module(snn.PolyLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.DiceFocalLoss", _module(snn.DiceFocalLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn("nn.DiceTopKLoss", _module(snn.DiceTopKLoss, from_logits=True), "class", LOGITS, LABELS, {}),
    Fn(
        "nn.CombinedLoss",
        _module(snn.CombinedLoss, from_logits=True, terms=[(1.0, "dice_loss"), (1.0, "poly_loss")]),
        "class",
        LOGITS,
        LABELS,
        {},
    ),
    Fn(
        "nn.BinaryCrossEntropyLoss",
        _module(snn.BinaryCrossEntropyLoss, from_logits=True),
        "binary",
        LOGITS[:, :1],
        (LABELS[:, None] > 0) * 1.0,
        {},
    ),
    Fn(
        "nn.BinaryFocalLoss",
        _module(snn.BinaryFocalLoss, from_logits=True),
        "binary",
        LOGITS[:, :1],
        (LABELS[:, None] > 0) * 1.0,
        {},
    ),
]
MODULES = {fn.name for fn in FUNCTIONS if fn.name.startswith("nn.")}
KERAS = {"keras-binary", "keras-categorical", "keras-sparse", "keras-dice"}
LOSSES = {"class", "binary"}
PROBABILITY_INPUTS = LOSSES | KERAS - {"keras-dice"}


def _torch(x: Any) -> Any:
    return torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x


def _probability_call(fn: Fn) -> tuple[np.ndarray, dict]:
    """fn's good call with probabilities instead of logits."""
    options = dict(fn.options)
    if fn.kind in LOSSES:
        options["from_logits"] = False
        if fn.name.startswith("nn."):
            return (PROBS if fn.kind == "class" else PROBS[:, :1]), {"from_logits": False}
        return (PROBS if fn.kind == "class" else PROBS[:, :1]), options
    return fn.pred, options


# --- categories: each returns (pred, target, options, exception, message) or None (not applicable)


def wrong_rank(fn: Fn):
    if fn.kind == "class":
        return (
            fn.pred[0, 0, 0],
            fn.target[0, 0],
            fn.options,
            ValueError,
            r"pred must have a batch and a class axis, got shape \(4,\)",
        )
    if fn.kind in ("binary", "keras-binary", "keras-categorical", "keras-dice"):
        return (
            fn.pred,
            fn.target[..., 0],
            fn.options,
            ValueError,
            rf"{fn.names[1]} must have the shape of {fn.names[0]} .*got \(",
        )
    if fn.kind == "metric":
        return fn.pred, fn.target[..., None], fn.options, ValueError, r"target must have the shape of pred"
    if fn.kind == "keras-sparse":  # a size-1 class axis is squeezed, as Keras does; two extra axes are wrong
        return (
            fn.pred,
            fn.target[..., None, None],
            fn.options,
            ValueError,
            r"y_true must have shape \(2, 4, 4\) \(y_pred without axis -1\), got \(2, 4, 4, 1, 1\)",
        )
    return None


def shape_mismatch(fn: Fn):
    if fn.kind == "identity":
        return None
    target = fn.target[:, :3] if fn.kind in KERAS else fn.target[..., :3]
    name = fn.names[1]
    return (
        fn.pred,
        target,
        fn.options,
        ValueError,
        rf"{name} must have (the )?shape.*got \((2, (1, )?3, |2, (1, )?4, 3)",
    )


def class_count(fn: Fn):
    if fn.kind in ("class", "metric", "keras-sparse"):
        target = fn.target.copy()
        target[0, 0, 0] = 3
        return (
            fn.pred,
            target,
            fn.options,
            ValueError,
            rf"{fn.names[1]} holds class indices in \[0, 3\]; expected \[0, 2\]",
        )
    return None


def negative_label(fn: Fn):
    if fn.kind in ("class", "metric", "keras-sparse"):
        target = fn.target.copy()
        target[0, 0, 0] = -1
        return (
            fn.pred,
            target,
            fn.options,
            ValueError,
            rf"{fn.names[1]} holds class indices in \[-1, 2\]; expected \[0, 2\]",
        )
    if fn.kind in ("binary", "keras-binary", "keras-categorical", "keras-dice"):
        target = fn.target.copy()
        target.flat[0] = -0.5
        return (
            fn.pred,
            target,
            fn.options,
            ValueError,
            rf"{fn.names[1]} must hold (soft labels|labels) in \[0, 1\], got values in \[-0.5, 1\]",
        )
    return None


def probability_outside_unit_interval(fn: Fn):
    if fn.kind not in PROBABILITY_INPUTS | {"identity"} or fn.kind in ("keras-categorical", "keras-sparse"):
        return None
    pred, options = _probability_call(fn)
    pred = pred.copy()
    pred.flat[0] = 1.5
    what = "scores" if fn.kind == "identity" else "probabilities"
    return (
        pred,
        fn.target,
        options,
        ValueError,
        rf"{fn.names[0]} must hold {what} in \[0, 1\], got values in \[.*, 1.5\]",
    )


def negative_probability(fn: Fn):
    if fn.kind not in ("keras-categorical", "keras-sparse"):
        return None
    pred = fn.pred.copy()
    pred.flat[0] = -0.25
    return (
        pred,
        fn.target,
        fn.options,
        ValueError,
        r"y_pred must hold non-negative probabilities .*got a minimum of -0.25",
    )


def probabilities_not_summing_to_one(fn: Fn, dtype: str = "float64"):
    if fn.kind != "class":
        return None
    pred, options = _probability_call(fn)
    pred = pred * 1.1
    pred = _torch(pred).to(getattr(torch, dtype))
    return (
        pred,
        _torch(fn.target),
        options,
        ValueError,
        r"pred holds probabilities that must sum to 1 over the class axis \(axis=1\), got sums in \[1\.(09|1)",
    )


def non_floating_prediction(fn: Fn):
    if fn.kind in ("metric",):
        return (
            fn.pred.astype(np.float64),
            fn.target,
            fn.options,
            TypeError,
            r"pred must be an integer \(or boolean\) label map, got dtype float64",
        )
    if fn.kind == "identity":
        return np.ones(3, dtype=np.int64), None, fn.options, TypeError, r"must be floating point, got dtype int64"
    return (
        (fn.pred * 10).astype(np.int64),
        fn.target,
        fn.options,
        TypeError,
        rf"{fn.names[0]} must be a floating-point array .*got dtype (torch\.)?int64",
    )


def nan_prediction(fn: Fn, value: float = float("nan")):
    if fn.kind == "metric":
        return None
    pred = fn.pred.copy()
    pred.flat[3] = value
    return (
        pred,
        fn.target,
        fn.options,
        ValueError,
        rf"{fn.names[0]} contains 1 NaN or infinite value\(s\); expected finite values",
    )


def inf_prediction(fn: Fn):
    return nan_prediction(fn, float("inf"))


def nan_target(fn: Fn):
    if fn.kind in ("class", "binary", "keras-binary", "keras-categorical", "keras-dice", "keras-sparse"):
        target = fn.target.astype(np.float64)
        if fn.kind == "class":  # a soft target
            target = np.moveaxis(np.eye(3)[fn.target], -1, 1)
        target.flat[2] = float("nan")
        return fn.pred, target, fn.options, ValueError, rf"{fn.names[1]} contains 1 NaN or infinite value\(s\)"
    return None


def unknown_reduction(fn: Fn):
    if fn.kind in ("identity", "keras-dice"):
        return None
    return fn.pred, fn.target, {**fn.options, "reduction": "avg"}, ValueError, r"reduction must be one of .*got 'avg'"


def string_from_logits(fn: Fn):
    if fn.kind in ("metric", "identity", "keras-dice"):
        return None
    return (
        fn.pred,
        fn.target,
        {**fn.options, "from_logits": "yes"},
        TypeError,
        r"from_logits must be True or False, got 'yes'",
    )


OPTION_FOR_KIND = {
    "categorical_cross_entropy": "label_smoothing",
    "focal_loss": "gamma",
    "dice_loss": "smooth",
    "jaccard_loss": "smooth",
    "soft_dice_coefficient": "smooth",
    "soft_jaccard_index": "smooth",
    "dice_ce_loss": "dice_weight",
    "tversky_index": "alpha",
    "tversky_loss": "beta",
    "focal_tversky_loss": "gamma",
    "generalized_dice_loss": "smooth",
    "topk_cross_entropy": "label_smoothing",
    "bootstrapped_cross_entropy": "label_smoothing",
    "poly_loss": "label_smoothing",
    "dice_focal_loss": "focal_weight",
    "dice_topk_loss": "topk_weight",
    "log_cosh_dice_loss": "smooth",
    "mcc_loss": "smooth",
    "sensitivity_specificity_loss": "sensitivity_weight",
    "binary_cross_entropy": "pos_weight",
    "binary_focal_loss": "gamma",
    "keras.binary_crossentropy": "label_smoothing",
    "keras.binary_focal_crossentropy": "gamma",
    "keras.categorical_crossentropy": "label_smoothing",
    "keras.categorical_focal_crossentropy": "alpha",
    "keras.tversky": "beta",
    "nn.CrossEntropyLoss": "label_smoothing",
    "nn.FocalLoss": "gamma",
    "nn.DiceLoss": "smooth",
    "nn.JaccardLoss": "smooth",
    "nn.DiceCELoss": "ce_weight",
    "nn.TverskyLoss": "alpha",
    "nn.FocalTverskyLoss": "beta",
    "nn.GeneralizedDiceLoss": "smooth",
    "nn.TopKCrossEntropyLoss": "label_smoothing",
    "nn.BootstrappedCrossEntropyLoss": "label_smoothing",
    "nn.PolyLoss": "label_smoothing",
    "nn.DiceFocalLoss": "dice_weight",
    "nn.DiceTopKLoss": "label_smoothing",
    "nn.LogCoshDiceLoss": "smooth",
    "nn.MCCLoss": "smooth",
    "nn.SensitivitySpecificityLoss": "sensitivity_weight",
    "nn.BinaryCrossEntropyLoss": "pos_weight",
    "nn.BinaryFocalLoss": "gamma",
}


def infinite_option(fn: Fn):
    option = OPTION_FOR_KIND.get(fn.name)
    if option is None:
        return None
    return (
        fn.pred,
        fn.target,
        {**fn.options, option: float("inf")},
        ValueError,
        rf"{option} must be a finite number in (\[|\()0, (1|inf)(\]|\)), got inf",
    )


def string_option(fn: Fn):
    option = OPTION_FOR_KIND.get(fn.name)
    if option is None:
        if fn.kind == "metric":
            return (
                fn.pred,
                fn.target,
                {**fn.options, "include_background": "no"},
                TypeError,
                r"include_background must be True or False, got 'no'",
            )
        return None
    return (
        fn.pred,
        fn.target,
        {**fn.options, option: "0.5"},
        TypeError,
        rf"{option} must be (a real number|a sequence of numbers).*got '0.5'",
    )


def negative_option(fn: Fn):
    option = OPTION_FOR_KIND.get(fn.name)
    if option is None:
        return None
    return (
        fn.pred,
        fn.target,
        {**fn.options, option: -0.5},
        ValueError,
        rf"{option} must be a finite number in (\[|\()0, (1|inf)(\]|\)), got -0.5",
    )


def bad_ignore_index(fn: Fn):
    if fn.kind not in ("class", "metric", "keras-sparse"):
        return None
    option = "ignore_class" if fn.kind == "keras-sparse" else "ignore_index"
    return fn.pred, fn.target, {**fn.options, option: 1.5}, TypeError, rf"{option} must be an int or None, got 1.5"


def mixed_libraries(fn: Fn):
    if fn.kind == "identity":
        return None
    return (
        fn.pred,
        _torch(fn.target),
        fn.options,
        TypeError,
        rf"{fn.names[0]} and {fn.names[1]} must come from the same library, got {fn.names[0]} ndarray and "
        rf"{fn.names[1]} Tensor",
    )


def different_devices(fn: Fn):
    if fn.kind == "identity":
        return None
    return (
        _torch(fn.pred),
        _torch(fn.target).to("meta"),
        fn.options,
        ValueError,
        rf"{fn.names[0]} and {fn.names[1]} must be on the same device, got cpu and meta",
    )


def empty_input(fn: Fn):
    if fn.kind == "identity":
        return None  # an elementwise map of nothing is nothing (tested in test_robustness)
    pred, target = fn.pred[:0], fn.target[:0]
    return pred, target, fn.options, ValueError, r"(pred|y_pred|target|y_true) is empty .*shape \(0,"


def complex_prediction(fn: Fn):
    pred = fn.pred.astype(np.complex128)
    if fn.kind == "identity":
        return pred, None, fn.options, TypeError, r"(jaccard|dice) has dtype complex128; complex numbers"
    return (
        pred,
        fn.target,
        fn.options,
        TypeError,
        rf"{fn.names[0]} has dtype complex128; complex numbers are not supported",
    )


def float128_prediction(fn: Fn):
    if not hasattr(np, "float128") or fn.kind == "metric":
        return None
    return (
        fn.pred.astype(np.float128),
        fn.target,
        fn.options,
        TypeError,
        rf"{fn.names[0]} has dtype float128; expected float16, float32 or float64",
    )


def float8_prediction(fn: Fn):
    if fn.kind == "metric":
        return None
    pred = _torch(fn.pred).float().to(torch.float8_e4m3fn)
    target = None if fn.target is None else _torch(fn.target)
    return (
        pred,
        target,
        fn.options,
        TypeError,
        rf"{fn.names[0]} has dtype torch.float8_e4m3fn; expected float16, bfloat16, float32 or float64",
    )


def masked_prediction(fn: Fn):
    pred = np.ma.masked_array(fn.pred, mask=np.zeros(fn.pred.shape, dtype=bool))
    return pred, fn.target, fn.options, TypeError, rf"{fn.names[0]} is a numpy masked array; its mask would be ignored"


def not_an_array(fn: Fn):
    if fn.kind == "identity":
        return "0.5", None, fn.options, TypeError, r"must be a number, numpy.ndarray or torch.Tensor, got str"
    return (
        fn.pred.tolist(),
        fn.target,
        fn.options,
        TypeError,
        rf"{fn.names[0]} must be a numpy.ndarray or a torch.Tensor, got list",
    )


CATEGORIES = [
    wrong_rank,
    shape_mismatch,
    class_count,
    negative_label,
    probability_outside_unit_interval,
    negative_probability,
    non_floating_prediction,
    nan_prediction,
    inf_prediction,
    nan_target,
    unknown_reduction,
    string_from_logits,
    infinite_option,
    string_option,
    negative_option,
    bad_ignore_index,
    mixed_libraries,
    different_devices,
    empty_input,
    complex_prediction,
    float128_prediction,
    float8_prediction,
    masked_prediction,
    not_an_array,
]
CASES = [(fn, category) for fn in FUNCTIONS for category in CATEGORIES if category(fn) is not None]


@pytest.mark.parametrize("fn,category", CASES, ids=[f"{fn.name}-{category.__name__}" for fn, category in CASES])
def test_bad_input_is_refused_clearly(fn, category):
    case = category(fn)
    library = "torch" if fn.name.startswith("nn.") else "numpy"
    pred, target, options, exception, message = case
    if library == "torch" and category is not mixed_libraries:
        if (
            isinstance(pred, np.ndarray)
            and not isinstance(pred, np.ma.MaskedArray)
            and pred.dtype not in (getattr(np, "float128", None), np.complex128)
        ):
            pred = _torch(pred)
        if isinstance(target, np.ndarray):
            target = _torch(target)
    with pytest.raises(exception, match=message):
        fn.call(pred, target, **options)


@pytest.mark.parametrize("fn", [fn for fn in FUNCTIONS if fn.kind not in ("identity",)], ids=lambda fn: fn.name)
def test_the_same_refusals_hold_on_torch_tensors(fn):
    """The categories that read values, run again on torch tensors (the deferred value checks)."""
    for category in (class_count, negative_label, nan_prediction, nan_target, probability_outside_unit_interval):
        case = category(fn)
        if case is None:
            continue
        pred, target, options, exception, message = case
        with pytest.raises(exception, match=message):
            fn.call(_torch(pred), _torch(target), **options)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("fn", [fn for fn in FUNCTIONS if fn.kind == "class"], ids=lambda fn: fn.name)
def test_probabilities_not_summing_to_one_are_refused_in_every_dtype(fn, dtype):
    pred, target, options, exception, message = probabilities_not_summing_to_one(fn, dtype)
    with pytest.raises(exception, match=message):
        fn.call(pred, target, **options)


def test_the_matrix_covers_every_public_function():
    names = {fn.name for fn in FUNCTIONS}
    # class_frequency_weights takes labels alone (no prediction): its bad inputs are checked in
    # tests/test_losses.py::test_class_frequency_weights_reject_bad_input
    helpers = ("Array", "ArrayInput", "value_checks", "value_checks_enabled", "class_frequency_weights")
    public = {name for name in segref.__all__ if name not in helpers}
    public |= {f"keras.{name}" for name in sk.__all__ if name != "EPSILON"}
    public |= {f"nn.{name}" for name in snn.__all__}
    assert public == names, public ^ names
    assert len(CASES) >= 400, len(CASES)
