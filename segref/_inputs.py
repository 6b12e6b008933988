"""Turning (pred, target) into the quantities every loss formula uses.

All class-wise losses see the class axis at position 1 and work in the
compute precision (float32 for half inputs). Integer targets stay integer maps:
only the true-class probability is gathered, never a one-hot tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _backend as B
from . import _validation as V

Array = Any


@dataclass
class BinaryInputs:
    xp: Any
    pred: Array  # logits or probabilities, compute dtype
    target: Array  # soft labels in [0, 1], compute dtype
    out_dtype: Any


def prepare_binary(pred: Array, target: Array, *, from_logits: bool) -> BinaryInputs:
    xp = V.check_arrays(pred, target)
    V.check_pred(xp, pred, from_logits)
    V.check_same_shape(pred, target)
    V.check_soft_target(xp, target)
    dtype = B.compute_dtype(xp, pred)
    return BinaryInputs(xp, B.to_float(xp, pred, dtype), B.to_float(xp, target, dtype), pred.dtype)


@dataclass
class ClassInputs:
    xp: Any
    probs: Array  # (N, C, *spatial) probabilities
    log_probs: Array | None  # (N, C, *spatial), only when computed from logits
    kind: str  # "index" or "soft"
    index: Array | None  # (N, *spatial) integer map, ignored pixels replaced by class 0
    soft: Array | None  # (N, C, *spatial) soft / one-hot target
    valid: Array | None  # (N, *spatial) 1 for counted pixels, 0 for ignored; None when none ignored
    num_classes: int
    out_dtype: Any


def _move_class_axis(xp: Any, x: Array, axis: int) -> Array:
    return x if axis == 1 else xp.moveaxis(x, axis, 1)


def prepare_classes(
    pred: Array,
    target: Array,
    *,
    from_logits: bool,
    axis: int,
    ignore_index: int | None = None,
    multilabel: bool = False,
) -> ClassInputs:
    """Validate a class-wise (pred, target) pair and bring it to (N, C, *spatial) probabilities."""
    xp = V.check_arrays(pred, target)
    axis = V.check_axis(pred, axis)
    ignore_index = V.check_ignore_index(ignore_index)
    V.check_pred(xp, pred, from_logits)
    kind = V.classify_target(pred, target, axis)
    num_classes = pred.shape[axis]
    if num_classes < 2 and not multilabel:
        raise ValueError(
            f"pred has a single class along axis {axis} (shape {tuple(pred.shape)}): a softmax over one "
            "class is 1 everywhere and the loss would not depend on pred; use multilabel=True (a sigmoid "
            "per channel) or the binary losses for a single foreground class"
        )
    if multilabel and kind == "index":
        raise ValueError(
            f"multilabel=True needs a target shaped like pred {tuple(pred.shape)}, "
            f"got a class-index map of shape {tuple(target.shape)}"
        )
    if ignore_index is not None and kind != "index":
        raise ValueError("ignore_index applies to class-index targets only; got a target shaped like pred")
    dtype = B.compute_dtype(xp, pred)
    z = _move_class_axis(xp, B.to_float(xp, pred, dtype), axis)

    if not from_logits and not multilabel:
        _check_distribution(xp, z, pred, axis)
    if from_logits:
        log_probs = B.log_sigmoid(xp, z) if multilabel else B.log_softmax(xp, z, axis=1)
        probs = xp.exp(log_probs)
    else:
        log_probs, probs = None, z

    index = soft = valid = None
    if kind == "index":
        V.check_index_target(xp, target, num_classes, ignore_index)
        index = B.as_int64(target)
        if ignore_index is not None:
            ignored = index == ignore_index
            if bool(xp.any(ignored)):
                valid = B.to_float(xp, ~ignored, dtype)
                index = xp.where(ignored, xp.zeros_like(index), index)
    else:
        V.check_soft_target(xp, target)
        soft = _move_class_axis(xp, B.to_float(xp, target, dtype), axis)
    return ClassInputs(xp, probs, log_probs, kind, index, soft, valid, num_classes, pred.dtype)


def _check_distribution(xp: Any, probs: Array, pred: Array, axis: int) -> None:
    """Sums over classes equal 1 up to the rounding of pred's own dtype (C roundings of eps/2 each)."""
    values = probs.detach() if B.is_torch(probs) else probs
    sums = xp.sum(values, axis=1)
    eps = B.machine_epsilon(pred)
    tolerance = max(1e-6 if eps < 1e-10 else 1e-3, probs.shape[1] * eps)
    low, high = float(xp.min(sums)), float(xp.max(sums))
    if low < 1 - tolerance or high > 1 + tolerance:
        raise ValueError(
            f"pred holds probabilities that must sum to 1 over the class axis (axis={axis}), got sums in "
            f"[{low:.6g}, {high:.6g}]; pass from_logits=True for logits"
        )


def class_weights_per_pixel(inputs: ClassInputs, weights: Array) -> Array:
    """w[y_i] for every pixel of an index target, shape (N, *spatial)."""
    xp = inputs.xp
    return xp.take(weights, xp.reshape(inputs.index, (-1,)), axis=0).reshape(inputs.index.shape)


def broadcast_class_vector(inputs: ClassInputs, vector: Array) -> Array:
    """A (C,) vector reshaped to (1, C, 1, ...) against (N, C, *spatial)."""
    shape = (1, inputs.num_classes) + (1,) * (inputs.probs.ndim - 2)
    return inputs.xp.reshape(vector, shape)


def true_class_term(inputs: ClassInputs, coefficient: Any) -> Array:
    """a_i log p_{i, y_i} for an index target, shape (N, *spatial); 0 where a_i = 0."""
    xp = inputs.xp
    if inputs.log_probs is not None:
        return coefficient * B.take_class(xp, inputs.log_probs, inputs.index)
    p_true = B.take_class(xp, inputs.probs, inputs.index)
    return B.xlogy(xp, coefficient * xp.ones_like(p_true), p_true)


def class_term(inputs: ClassInputs, coefficient: Any) -> Array:
    """sum_c a_ic log p_ic, shape (N, *spatial); terms with a_ic = 0 count 0."""
    xp = inputs.xp
    if inputs.log_probs is not None:
        return xp.sum(coefficient * inputs.log_probs, axis=1)
    return xp.sum(B.xlogy(xp, coefficient * xp.ones_like(inputs.probs), inputs.probs), axis=1)
