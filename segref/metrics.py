r"""Hard overlap metrics on label maps, and the Dice–Jaccard identities.

Naming follows scikit-learn: ``*_score`` is higher-is-better. These metrics count
pixels of integer label maps (take the ``argmax`` of a network's output first);
they are not differentiable and are meant for evaluation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _backend as B
from . import _validation as V
from ._reduction import finish
from ._types import AnyArray, Array, ArrayInput
from .overlap import check_overlap_options, counted_images, kept_classes, reduce_scores, score_from_statistics

__all__ = ["dice_score", "iou_score", "dice_from_jaccard", "jaccard_from_dice"]


def _confusion(
    pred: AnyArray, target: AnyArray, num_classes: Any, ignore_index: Any
) -> tuple[Any, AnyArray, AnyArray, AnyArray, AnyArray]:
    """Per-image (TP, FP, FN) of shape (N, C) from two integer label maps, and the map of counted pixels."""
    xp = V.check_library(pred, target)
    for name, x in (("pred", pred), ("target", target)):
        if not (B.is_integer(x) or B.is_bool(x)):
            raise TypeError(
                f"{name} must be an integer (or boolean) label map, got dtype {x.dtype}; "
                "for scores or probabilities take the argmax over classes first"
            )
    # int64 labels: a boolean mask is the map of classes {0, 1}, and target * C + pred
    # (the confusion-matrix index) would overflow in uint8
    pred, target = B.as_int64(pred), B.as_int64(target)
    V.check_same_shape(pred, target)
    if pred.ndim < 1 or pred.shape[0] == 0 or min(pred.shape) == 0:
        raise ValueError(f"pred is empty or has no batch axis (shape {tuple(pred.shape)})")
    num_classes = V.scalar_value(num_classes)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"num_classes must be a positive int, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    V.check_index_target(xp, target, num_classes, ignore_index)
    valid = xp.ones_like(target, dtype=xp.bool) if ignore_index is None else target != ignore_index
    pred_values = pred[valid]
    if pred_values.shape[0]:
        low, high = int(xp.min(pred_values)), int(xp.max(pred_values))
        if low < 0 or high >= num_classes:
            raise ValueError(f"pred holds class indices in [{low}, {high}]; expected [0, {num_classes - 1}]")
    matrix = B.confusion_counts(xp, pred, target, valid, num_classes)  # ignored pixels count nowhere
    true_positive = xp.sum(matrix * xp.eye(num_classes, dtype=matrix.dtype, device=B.device(matrix)), axis=2)
    false_negative = xp.sum(matrix, axis=2) - true_positive
    false_positive = xp.sum(matrix, axis=1) - true_positive
    return xp, true_positive, false_positive, false_negative, valid


def _hard_overlap(
    kind: str,
    pred: AnyArray,
    target: AnyArray,
    *,
    num_classes: int,
    include_background: bool,
    ignore_index: int | None,
    per_image: bool,
    reduction: str,
) -> AnyArray:
    V.check_reduction(reduction)
    ignore_index = V.check_ignore_index(ignore_index)
    xp, tp, fp, fn, valid = _confusion(pred, target, num_classes, ignore_index)
    check_overlap_options(
        smooth=0.0,
        per_image=per_image,
        include_background=include_background,
        squared=False,
        num_classes=num_classes,
        ignore_index=ignore_index,
    )
    if not per_image:
        tp, fp, fn = (xp.sum(s, axis=0) for s in (tp, fp, fn))
    score = score_from_statistics(xp, kind, tp, tp + fp, tp + fn, smooth=0.0)
    score = kept_classes(xp, score, include_background=include_background, ignore_index=ignore_index)
    images = counted_images(xp, None if ignore_index is None else valid, per_image)
    return finish(xp, reduce_scores(xp, score, reduction, images, empty=1.0), score.dtype)


def dice_score(
    pred: Array,
    target: ArrayInput,
    *,
    num_classes: int,
    include_background: bool = True,
    ignore_index: int | None = None,
    per_image: bool = True,
    reduction: str = "mean",
) -> Array:
    r"""Dice score (F1) of two label maps, per image and class.

    $$
    D_{nc} = \frac{2\,TP_{nc}}{2\,TP_{nc} + FP_{nc} + FN_{nc}}
    $$

    where $TP_{nc}$, $FP_{nc}$, $FN_{nc}$ count the pixels of image $n$ that are class
    $c$ in both maps, only in ``pred``, and only in ``target``. A class absent from
    both maps scores 1. ``per_image=False`` counts over the whole batch first.

    Args:
        pred: predicted labels, integer array ``(N, *spatial)``.
        target: true labels, integer array of the same shape.
        num_classes: $C$; labels must lie in ``[0, C)``.
        include_background: keep class 0.
        ignore_index: a target value whose pixels are not counted. If it names a class,
            that class has no score and leaves the result; with ``per_image=True`` an image
            whose pixels are all ignored leaves the mean and sum.
        per_image: score each image (``True``) or the whole batch (``False``).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over (image, class) scores.

    Returns:
        A 0-d float64 array for ``"mean"``/``"sum"``; ``(N, K)`` (or ``(K,)``) for ``"none"``,
        with the $K$ kept classes of [`soft_dice_coefficient`][segref.soft_dice_coefficient].

    Examples:
        >>> import numpy as np
        >>> target = np.array([[0, 1, 1, 1]])
        >>> pred = np.array([[0, 1, 1, 0]])
        >>> # class 0: TP 1, FP 1, FN 0 -> 2/3; class 1: TP 2, FN 1 -> 4/5
        >>> dice_score(pred, target, num_classes=2, reduction="none").tolist()
        [[0.666667, 0.8]]
    """
    return _hard_overlap(
        "dice",
        pred,
        target,
        num_classes=num_classes,
        include_background=include_background,
        ignore_index=ignore_index,
        per_image=per_image,
        reduction=reduction,
    )


def iou_score(
    pred: Array,
    target: ArrayInput,
    *,
    num_classes: int,
    include_background: bool = True,
    ignore_index: int | None = None,
    per_image: bool = True,
    reduction: str = "mean",
) -> Array:
    r"""Intersection over union (Jaccard index) of two label maps, per image and class.

    $$
    J_{nc} = \frac{TP_{nc}}{TP_{nc} + FP_{nc} + FN_{nc}}
    $$

    with the counts of [`dice_score`][segref.dice_score]. A class absent from both maps
    scores 1. Arguments and return shapes are those of ``dice_score``.

    Args:
        pred: predicted labels, integer array ``(N, *spatial)``.
        target: true labels, integer array of the same shape.
        num_classes: $C$; labels must lie in ``[0, C)``.
        include_background: keep class 0.
        ignore_index: a target value whose pixels are not counted. If it names a class,
            that class has no score and leaves the result; with ``per_image=True`` an image
            whose pixels are all ignored leaves the mean and sum.
        per_image: score each image (``True``) or the whole batch (``False``).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over (image, class) scores.

    Returns:
        A 0-d float64 array for ``"mean"``/``"sum"``; ``(N, K)`` (or ``(K,)``) for ``"none"``,
        with the $K$ kept classes of [`soft_dice_coefficient`][segref.soft_dice_coefficient].

    Examples:
        >>> import torch
        >>> target = torch.tensor([[0, 1, 1, 1]])
        >>> pred = torch.tensor([[0, 1, 1, 0]])
        >>> # class 0: 1 / (1 + 1) ; class 1: 2 / (2 + 1)
        >>> iou_score(pred, target, num_classes=2, reduction="none").tolist()
        [[0.5, 0.666667]]
    """
    return _hard_overlap(
        "iou",
        pred,
        target,
        num_classes=num_classes,
        include_background=include_background,
        ignore_index=ignore_index,
        per_image=per_image,
        reduction=reduction,
    )


def _check_unit(name: str, given: Any) -> tuple[Any, Any]:
    number = V.scalar_value(given)
    plain = isinstance(number, (int, float)) and not isinstance(number, bool)
    value: Any = np.asarray(float(number)) if plain else number
    if not (B.is_numpy(value) or B.is_torch(value)):
        raise TypeError(f"{name} must be a number, numpy.ndarray or torch.Tensor, got {type(value).__name__}")
    V.check_array(name, value)
    if not B.is_floating(value):
        raise TypeError(f"{name} must be floating point, got dtype {value.dtype}")
    xp = B.namespace(value)
    if math.prod(value.shape) == 0:  # an elementwise map of nothing is nothing
        return xp, value
    V.check_finite(xp, name, value)
    V.check_unit_interval(xp, name, value, "scores")
    return xp, value
    V.check_finite(xp, name, value)
    V.check_unit_interval(xp, name, value, "scores")
    return xp, value


def dice_from_jaccard(jaccard: Array | float) -> Array:
    r"""Dice from Jaccard: $D = \dfrac{2J}{1 + J}$, elementwise.

    For one pair of sets, $D = 2|A\cap B|/(|A|+|B|)$ and $J = |A\cap B|/|A\cup B|$ with
    $|A|+|B| = |A\cup B| + |A\cap B|$, which gives the identity. It holds per
    (image, class) pair, not between averages over several pairs.

    Args:
        jaccard: Jaccard values in $[0, 1]$.

    Returns:
        Dice values, same shape and library (an empty array for an empty one).

    Examples:
        >>> float(dice_from_jaccard(0.5))  # 1 / 1.5
        0.666667
    """
    xp, j = _check_unit("jaccard", jaccard)
    return 2 * j / (1 + j)


def jaccard_from_dice(dice: Array | float) -> Array:
    r"""Jaccard from Dice: $J = \dfrac{D}{2 - D}$, elementwise (inverse of ``dice_from_jaccard``).

    Args:
        dice: Dice values in $[0, 1]$.

    Returns:
        Jaccard values, same shape and library (an empty array for an empty one).

    Examples:
        >>> float(jaccard_from_dice(0.8))  # 0.8 / 1.2
        0.666667
    """
    xp, d = _check_unit("dice", dice)
    return d / (2 - d)
