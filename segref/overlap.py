r"""Overlap losses: the soft Dice coefficient, the soft Jaccard index (IoU), the
Tversky index and the losses built from them (focal Tversky).

All are built from three per-class statistics, summed over the pixels of each
image (``per_image=True``) or of the whole batch (``per_image=False``):

$$
I_c = \sum_i p_{ic}\, g_{ic}, \qquad P_c = \sum_i p_{ic}^{k}, \qquad G_c = \sum_i g_{ic}^{k}
$$

with $k = 1$, or $k = 2$ for the squared (V-Net) denominator. The soft false
positives and false negatives are $P_c - I_c$ and $G_c - I_c$ (with $k = 1$). For an integer
target the statistics come from gathering the true-class probability and
per-class sums over the label map: no one-hot tensor is built.

Empty masks: when $P_c + G_c + \text{smooth} = 0$ (nothing predicted, nothing
there, no smoothing) the coefficient is defined as 1, perfect agreement; when only
the target is empty the formula gives 0.
"""

from __future__ import annotations

from typing import Any

from . import _backend as B
from . import _validation as V
from ._inputs import ClassInputs, prepare_classes, softmax_terms
from ._reduction import finish, reduce, safe_divide
from ._types import AnyArray, Array, ArrayInput

__all__ = [
    "soft_dice_coefficient",
    "dice_loss",
    "soft_jaccard_index",
    "jaccard_loss",
    "tversky_index",
    "tversky_loss",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "log_cosh_dice_loss",
]


def overlap_statistics(
    inputs: ClassInputs, *, squared: bool, per_image: bool, distributed: bool = False, terms: Any = None
) -> tuple[AnyArray, AnyArray, AnyArray]:
    """(I, P, G) of shape (N, C), or (C,) when ``per_image`` is False.

    ``terms`` are the fused kernel's ``SoftmaxTerms`` (computed with ``overlap=True``),
    read instead of the probabilities when given.
    """
    xp = inputs.xp
    n, num_classes = inputs.scores.shape[0], inputs.num_classes
    valid = None if inputs.valid is None else xp.reshape(inputs.valid, (n, -1))
    if terms is not None:
        intersection, pred_sum = terms.intersection, terms.pred_sum
        index = xp.reshape(inputs.index, (n, -1))
        # bincount is the fastest count on the CPU; on a GPU it reads the labels' range on the host
        # (its output size depends on the data), so there the counts are scattered
        if valid is None and not B.compiling() and index.device.type == "cpu":
            target_sum = B.label_counts(index, num_classes, pred_sum.dtype)
        else:
            target_sum = B.class_sums(xp, _counts(xp, valid, index, pred_sum.dtype), index, num_classes)
    else:
        flat_p = xp.reshape(inputs.probs, (n, num_classes, -1))
        p_power = flat_p * flat_p if squared else flat_p
        if valid is not None:
            p_power = p_power * xp.expand_dims(valid, axis=1)
        pred_sum = xp.sum(p_power, axis=2)
        if inputs.kind == "index":
            index = xp.reshape(inputs.index, (n, -1))
            counted = _counts(xp, valid, index, flat_p.dtype)
            intersection = B.class_sums(xp, B.take_class(xp, flat_p, index) * counted, index, num_classes)
            target_sum = B.class_sums(xp, counted, index, num_classes)
        else:
            g = xp.reshape(inputs.soft, (n, num_classes, -1))
            intersection = xp.sum(flat_p * g, axis=2)
            target_sum = xp.sum(g * g if squared else g, axis=2)
    if not per_image:
        intersection, pred_sum, target_sum = (xp.sum(s, axis=0) for s in (intersection, pred_sum, target_sum))
        if distributed:
            intersection, pred_sum, target_sum = all_reduce_sum(xp.stack((intersection, pred_sum, target_sum)))
    return intersection, pred_sum, target_sum


def _counts(xp: Any, valid: AnyArray | None, index: AnyArray, dtype: Any) -> AnyArray:
    """How much each pixel counts: ``valid``, or ones shaped like the flat ``index`` map."""
    if valid is not None:
        return valid
    if B.is_torch(index):  # a broadcast 1, not a tensor of ones
        return index.new_ones((), dtype=dtype).expand(index.shape)
    return xp.ones(index.shape, dtype=dtype)


def all_reduce_sum(values: AnyArray) -> AnyArray:
    """Sum over the ranks of the default process group, differentiably (each rank's gradient is summed too)."""
    import torch.distributed.nn.functional as distributed_functional

    return distributed_functional.all_reduce(values)


def check_distributed(distributed: Any, per_image: bool, pred: AnyArray) -> bool:
    V.check_flag("distributed", distributed)
    if not distributed:
        return False
    if per_image:
        raise ValueError(
            "distributed=True sums whole-batch statistics over ranks and needs per_image=False; "
            "per-image statistics are complete on each rank already"
        )
    if not B.is_torch(pred):
        raise TypeError(f"distributed=True needs torch tensors, got pred of type {type(pred).__name__}")
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        raise ValueError("distributed=True needs an initialised process group (torch.distributed.init_process_group)")
    return True


def overlap_scores(
    inputs: ClassInputs,
    kind: str,
    *,
    smooth: float,
    squared: bool,
    per_image: bool,
    include_background: bool,
    ignore_index: int | None = None,
    distributed: bool = False,
    terms: Any = None,
    weights: tuple[float, float] = (0.5, 0.5),
) -> AnyArray:
    """Dice, Jaccard or Tversky per (image, class), or per class, of the classes ``kept_classes`` keeps."""
    statistics = overlap_statistics(inputs, squared=squared, per_image=per_image, distributed=distributed, terms=terms)
    score = score_from_statistics(inputs.xp, kind, *statistics, smooth=smooth, weights=weights)
    return kept_classes(inputs.xp, score, include_background=include_background, ignore_index=ignore_index)


def kept_classes(xp: Any, score: AnyArray, *, include_background: bool, ignore_index: int | None) -> AnyArray:
    """The class columns of ``score`` (last axis) that have a score: not class 0 without
    ``include_background``, and not a class named by ``ignore_index`` (no target pixel of it
    counts, so its score would be a constant)."""
    num_classes = score.shape[-1]
    runs, start = [], 0
    for c in dropped_classes(num_classes, include_background=include_background, ignore_index=ignore_index):
        if c > start:
            runs.append(score[..., start:c])
        start = c + 1
    if start < num_classes:
        runs.append(score[..., start:])
    return runs[0] if len(runs) == 1 else xp.concat(runs, axis=-1)


def dropped_classes(num_classes: int, *, include_background: bool, ignore_index: int | None) -> list[int]:
    """The classes without a score, in order: 0 without ``include_background``, and the one ``ignore_index`` names."""
    dropped = set() if include_background else {0}
    if ignore_index is not None and 0 <= ignore_index < num_classes:
        dropped.add(ignore_index)
    return sorted(dropped)


def counted_images(xp: Any, valid: AnyArray | None, per_image: bool) -> AnyArray | None:
    """(N, 1): 1 for an image with at least one counted pixel, 0 for one whose pixels are all
    ignored (per-image scores only; None when every image counts)."""
    if valid is None or not per_image:
        return None
    n = valid.shape[0]
    counted = xp.reshape(valid, (n, -1))
    return xp.astype(
        xp.any(counted != 0, axis=1, keepdims=True), counted.dtype if B.is_floating(counted) else xp.float64
    )


def reduce_scores(xp: Any, values: AnyArray, reduction: str, images: AnyArray | None, *, empty: float) -> AnyArray:
    """Reduce (image, class) scores, leaving out the images of ``counted_images`` that have no
    counted pixel; the mean of no score at all is ``empty`` (1 for a coefficient, 0 for a loss)."""
    if images is None or reduction == "none":
        return reduce(xp, values, reduction)
    images = B.to_float(xp, images, values.dtype)
    total = xp.sum(values * images)
    if reduction == "sum":
        return total
    return safe_divide(xp, total, xp.sum(images) * values.shape[-1], when_zero=empty)


def score_from_statistics(
    xp: Any,
    kind: str,
    intersection: AnyArray,
    pred_sum: AnyArray,
    target_sum: AnyArray,
    *,
    smooth: float,
    weights: tuple[float, float] = (0.5, 0.5),
) -> AnyArray:
    """Dice (2I + e) / (P + G + e), Jaccard (I + e) / (P + G - I + e) or Tversky
    (I + e) / (I + a FP + b FN + e) with (a, b) = ``weights``; 1 where the denominator is 0.

    The soft losses pass sums of probabilities; the hard metrics pass pixel counts
    (I = TP, P = TP + FP, G = TP + FN), which gives 2TP / (2TP + FP + FN) and TP / (TP + FP + FN).
    """
    if kind == "dice":
        return safe_divide(xp, 2 * intersection + smooth, pred_sum + target_sum + smooth, when_zero=1.0)
    if kind == "tversky":
        # P - I and G - I are sums of p(1 - g) and g(1 - p): never negative but for rounding
        false_positives = clamped_keep_gradient(xp, pred_sum - intersection)
        false_negatives = clamped_keep_gradient(xp, target_sum - intersection)
        alpha, beta = weights
        denominator = intersection + alpha * false_positives + beta * false_negatives + smooth
        return safe_divide(xp, intersection + smooth, denominator, when_zero=1.0)
    union = pred_sum + target_sum - intersection
    return safe_divide(xp, intersection + smooth, union + smooth, when_zero=1.0)


def clamped_keep_gradient(xp: Any, x: AnyArray) -> AnyArray:
    """max(x, 0) for a quantity that is never negative but for rounding, with the derivative of x
    (a false-positive sum rounded to 0 at a perfect prediction still grows with each p)."""
    clamped = xp.where(x > 0, x, xp.zeros_like(x))
    return B.with_gradient_of(clamped, x) if B.differentiating(x) else clamped


def check_overlap_options(
    *,
    smooth: Any,
    per_image: Any,
    include_background: Any,
    squared: Any,
    num_classes: int,
    ignore_index: int | None = None,
) -> float:
    smooth = V.check_number("smooth", smooth, low=0.0)
    for name, flag in (("per_image", per_image), ("include_background", include_background), ("squared", squared)):
        V.check_flag(name, flag)
    if not include_background and num_classes < 2:
        raise ValueError("include_background=False needs at least 2 classes (class 0 is the background)")
    if (
        len(dropped_classes(num_classes, include_background=include_background, ignore_index=ignore_index))
        == num_classes
    ):
        raise ValueError(
            f"no class is left to score: ignore_index={ignore_index} names a class of the {num_classes} and "
            f"include_background={include_background}"
        )
    return smooth


def _overlap(
    kind: str,
    as_loss: bool,
    pred: AnyArray,
    target: AnyArray,
    *,
    from_logits: bool,
    multilabel: bool,
    smooth: float,
    per_image: bool,
    include_background: bool,
    squared: bool,
    ignore_index: int | None,
    axis: int,
    distributed: bool,
    reduction: str,
    weights: tuple[float, float] = (0.5, 0.5),
    exponent: float = 1.0,
    log_cosh: bool = False,
) -> AnyArray:
    """The score of ``kind`` per (image, class), or ``(1 - score) ** exponent`` (``log cosh(1 - score)``
    with ``log_cosh``) when ``as_loss``, reduced."""
    V.check_reduction(reduction)
    inputs = prepare_classes(
        pred, target, from_logits=from_logits, axis=axis, ignore_index=ignore_index, multilabel=multilabel
    )
    smooth = check_overlap_options(
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=squared,
        num_classes=inputs.num_classes,
        ignore_index=ignore_index,
    )
    distributed = check_distributed(distributed, per_image, pred)
    terms = softmax_terms(inputs, overlap=True, log_terms=False) if inputs.fused and not squared else None
    score = overlap_scores(
        inputs,
        kind,
        smooth=smooth,
        squared=squared,
        per_image=per_image,
        include_background=include_background,
        ignore_index=ignore_index,
        distributed=distributed,
        terms=terms,
        weights=weights,
    )
    value = score
    if as_loss:
        # T <= 1 exactly (FP, FN >= 0); B.power gives a base <= 0 the value 0 and a zero gradient
        value = 1 - score if exponent == 1 else B.power(inputs.xp, 1 - score, exponent)
        if log_cosh:
            value = log_cosh_of(inputs.xp, value)
    images = counted_images(inputs.xp, inputs.valid, per_image)
    return finish(
        inputs.xp, reduce_scores(inputs.xp, value, reduction, images, empty=0.0 if as_loss else 1.0), inputs.out_dtype
    )


def soft_dice_coefficient(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Soft Dice coefficient (Sørensen–Dice) per image and class; higher is better.

    $$
    D_{nc} = \frac{2\,I_{nc} + \epsilon}{P_{nc} + G_{nc} + \epsilon},\qquad
    I_{nc} = \sum_{i\in\Omega} p_{nic}\,g_{nic},\quad
    P_{nc} = \sum_{i\in\Omega} p_{nic},\quad
    G_{nc} = \sum_{i\in\Omega} g_{nic}
    $$

    where:

    - $n$ indexes images, $c$ classes and $i \in \Omega$ the pixels of one image
      (with ``per_image=False`` the sums also run over $n$, giving $D_c$);
    - $p_{nic}$ is the predicted probability of class $c$ at pixel $i$;
    - $g_{nic} \in [0, 1]$ the target (one-hot of an index map, or soft);
    - $\epsilon$ is ``smooth``; with ``squared=True``, $P$ and $G$ sum squares.

    When $P_{nc} + G_{nc} + \epsilon = 0$ the class is absent from both prediction and
    target, and $D_{nc} = 1$. ``mean`` averages $D_{nc}$ over images and classes.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator (MONAI uses 1e-5).
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, SMP's and Keras' choice).
        include_background: keep class 0 in the result.
        squared: use $P_c=\sum_i p_{ic}^2$ and $G_c=\sum_i g_{ic}^2$ in the denominator (V-Net).
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients, so that every
            rank computes the loss of the global batch (see the page on distributed training).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names (a column index is then not a class index).

    Examples:
        One image, four pixels, a binary foreground map ($C = 1$, ``multilabel``):

        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])     # (N=1, C=1, W=4)
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> # I = 1.7, P = 2.2, G = 2: D = 3.4 / 4.2
        >>> float(soft_dice_coefficient(p, g, from_logits=False, multilabel=True))
        0.809524

        Both masks empty: defined as perfect agreement.

        >>> float(soft_dice_coefficient(np.zeros((1, 1, 4)), np.zeros((1, 1, 4)), from_logits=False, multilabel=True))
        1.0

    References:
        L. R. Dice, "Measures of the Amount of Ecologic Association Between Species",
        Ecology 26(3), 1945; F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net", 3DV 2016,
        arXiv:1606.04797 (squared denominator).
    """
    return _overlap(
        "dice",
        False,
        pred,
        target,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=squared,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


def dice_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Soft Dice loss $1 - D$ per image and class; lower is better.

    $$
    L_{nc} = 1 - \frac{2\,I_{nc} + \epsilon}{P_{nc} + G_{nc} + \epsilon}
    $$

    where $I$, $P$, $G$ and $\epsilon$ are as in
    [`soft_dice_coefficient`][segref.soft_dice_coefficient]. The loss of a class
    absent from prediction and target is 0.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator (MONAI uses 1e-5).
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, SMP's and Keras' choice).
        include_background: keep class 0 in the result.
        squared: use $P_c=\sum_i p_{ic}^2$ and $G_c=\sum_i g_{ic}^2$ in the denominator (V-Net).
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients, so that every
            rank computes the loss of the global batch (see the page on distributed training).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names (a column index is then not a class index).

    Examples:
        Two classes, two pixels, integer targets (PyTorch, from logits). Equal logits
        give $p = \tfrac12$ everywhere; with one pixel per class,
        $D_c = 2 \cdot 0.5 / (1 + 1) = 0.5$ for both classes:

        >>> import torch
        >>> z = torch.zeros(1, 2, 2, requires_grad=True)    # (N=1, C=2, W=2)
        >>> y = torch.tensor([[0, 1]])
        >>> loss = dice_loss(z, y, from_logits=True)
        >>> round(loss.item(), 6)
        0.5
        >>> loss.backward(); bool(torch.isfinite(z.grad).all())
        True

        Whole-batch statistics and no background, per class:

        >>> dice_loss(z, y, from_logits=True, per_image=False, include_background=False, reduction="none")
        tensor([0.5000], grad_fn=<RsubBackward1>)

    References:
        F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks
        for Volumetric Medical Image Segmentation", 3DV 2016, arXiv:1606.04797.
    """
    return _overlap(
        "dice",
        True,
        pred,
        target,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=squared,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


def log_cosh_of(xp: Any, x: AnyArray) -> AnyArray:
    """log cosh x as log1p(2 sinh(x/2)^2): cosh x - 1 = 2 sinh(x/2)^2 keeps the x^2/2 of a small x
    that 1 + x^2/2 would round away in float32."""
    half = xp.sinh(x / 2)
    return xp.log1p(2 * half * half)


def log_cosh_dice_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Log-cosh Dice loss (Jadon 2020): $\log\cosh$ of the soft Dice loss per image and
    class; lower is better.

    $$
    L_{nc} = \log\cosh\left(1 - D_{nc}\right), \qquad
    D_{nc} = \frac{2\,I_{nc} + \epsilon}{P_{nc} + G_{nc} + \epsilon}
    $$

    where:

    - $D$, $I$, $P$, $G$ and $\epsilon$ are as in
      [`soft_dice_coefficient`][segref.soft_dice_coefficient];
    - $\log\cosh x = \log\tfrac{e^{x} + e^{-x}}{2}$, close to $x^2/2$ for a small $x$; its
      derivative is $\tanh x$.

    On $[0, 1]$, where $1 - D$ lies, $\log\cosh$ grows from 0 to $\log\cosh 1 = 0.433781$ and
    its slope $\tanh(1 - D)$ falls to 0 as $D \to 1$: a smoothed Dice loss whose gradient fades
    near a perfect overlap. Jadon's code takes one $D$ for the whole batch with
    $\epsilon = 1$ (``per_image=False, smooth=1.0``); segref takes the mean of the
    per-(image, class) values, as [`dice_loss`][segref.dice_loss] does.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator (Jadon's code uses 1).
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, Jadon's choice).
        include_background: keep class 0 in the result.
        squared: use $P_c=\sum_i p_{ic}^2$ and $G_c=\sum_i g_{ic}^2$ in the denominator (V-Net).
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names.

    Examples:
        The four pixels of the Dice example, $D = 3.4/4.2$, so $1 - D = 0.190476$ and
        $\log\cosh 0.190476 = \log 1.018196 = 0.018032$ (by hand,
        $\cosh x = 1 + x^2/2 + x^4/24 + \dots$):

        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])     # (N=1, C=1, W=4)
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> float(log_cosh_dice_loss(p, g, from_logits=False, multilabel=True))
        0.018032

        A prediction with no overlap at all, $D = 0$: $\log\cosh 1$:

        >>> float(log_cosh_dice_loss(1 - g, g, from_logits=False, multilabel=True))
        0.433781

    References:
        S. Jadon, "A survey of loss functions for semantic segmentation", IEEE CIBCB 2020,
        doi:10.1109/CIBCB48159.2020.9277638, arXiv:2006.14822.
    """
    return _overlap(
        "dice",
        True,
        pred,
        target,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=squared,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
        log_cosh=True,
    )


def soft_jaccard_index(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Soft Jaccard index (IoU) per image and class; higher is better.

    $$
    J_{nc} = \frac{I_{nc} + \epsilon}{P_{nc} + G_{nc} - I_{nc} + \epsilon}
    $$

    where $I$, $P$, $G$ and $\epsilon$ are as in
    [`soft_dice_coefficient`][segref.soft_dice_coefficient]: the soft union is
    $P + G - I = \sum_i (p_i + g_i - p_i g_i)$. A class absent from both gives 1.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator (MONAI uses 1e-5).
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, SMP's and Keras' choice).
        include_background: keep class 0 in the result.
        squared: use $P_c=\sum_i p_{ic}^2$ and $G_c=\sum_i g_{ic}^2$ in the denominator (V-Net).
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients, so that every
            rank computes the loss of the global batch (see the page on distributed training).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names (a column index is then not a class index).

    Examples:
        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> # I = 1.7, union = 2.2 + 2 - 1.7 = 2.5
        >>> float(soft_jaccard_index(p, g, from_logits=False, multilabel=True))
        0.68

    References:
        M. A. Rahman, Y. Wang, "Optimizing Intersection-Over-Union in Deep Neural Networks
        for Image Segmentation", ISVC 2016, doi:10.1007/978-3-319-50835-1_22.
    """
    return _overlap(
        "jaccard",
        False,
        pred,
        target,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=squared,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


def jaccard_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Soft Jaccard (IoU) loss $1 - J$ per image and class; lower is better.

    $$
    L_{nc} = 1 - \frac{I_{nc} + \epsilon}{P_{nc} + G_{nc} - I_{nc} + \epsilon}
    $$

    where $I$, $P$, $G$ and $\epsilon$ are as in
    [`soft_dice_coefficient`][segref.soft_dice_coefficient].

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator (MONAI uses 1e-5).
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, SMP's and Keras' choice).
        include_background: keep class 0 in the result.
        squared: use $P_c=\sum_i p_{ic}^2$ and $G_c=\sum_i g_{ic}^2$ in the denominator (V-Net).
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients, so that every
            rank computes the loss of the global batch (see the page on distributed training).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names (a column index is then not a class index).

    Examples:
        >>> import torch
        >>> p = torch.tensor([[[0.9, 0.8, 0.1, 0.4]]], dtype=torch.float64)
        >>> g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]], dtype=torch.float64)
        >>> round(jaccard_loss(p, g, from_logits=False, multilabel=True).item(), 6)  # 1 - 1.7/2.5
        0.32

    References:
        M. A. Rahman, Y. Wang, ISVC 2016, doi:10.1007/978-3-319-50835-1_22.
    """
    return _overlap(
        "jaccard",
        True,
        pred,
        target,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=squared,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


def check_tversky_options(alpha: Any, beta: Any, gamma: Any = 1.0) -> tuple[float, float, float]:
    """alpha, beta >= 0 and not both 0 (the index would be 1 for every input), gamma > 0."""
    alpha = V.check_number("alpha", alpha, low=0.0)
    beta = V.check_number("beta", beta, low=0.0)
    if alpha == 0 and beta == 0:
        raise ValueError("alpha and beta are both 0: the Tversky index is then 1 for every input; give either a weight")
    return alpha, beta, V.check_number("gamma", gamma, low=0.0, low_open=True)


def _tversky(
    as_loss: bool,
    pred: AnyArray,
    target: AnyArray,
    *,
    alpha: Any,
    beta: Any,
    gamma: Any = 1.0,
    **options: Any,
) -> AnyArray:
    alpha, beta, gamma = check_tversky_options(alpha, beta, gamma)
    return _overlap(
        "tversky", as_loss, pred, target, squared=False, weights=(alpha, beta), exponent=1 / gamma, **options
    )


def tversky_index(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    alpha: float = 0.3,
    beta: float = 0.7,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Soft Tversky index per image and class: Dice with the false positives and the
    false negatives weighted apart; higher is better.

    $$
    T_{nc} = \frac{I_{nc} + \epsilon}{I_{nc} + \alpha\,(P_{nc} - I_{nc}) + \beta\,(G_{nc} - I_{nc}) + \epsilon}
    $$

    where:

    - $I$, $P$, $G$ are the soft intersection and the sums of prediction and target, as in
      [`soft_dice_coefficient`][segref.soft_dice_coefficient];
      $P - I = \sum_i p_i(1 - g_i)$ are the soft false positives and
      $G - I = \sum_i g_i(1 - p_i)$ the soft false negatives;
    - $\alpha$ weighs the false positives and $\beta$ the false negatives;
    - $\epsilon$ is ``smooth``.

    $\alpha = \beta = \tfrac12$ gives the Dice coefficient (with $2\epsilon$ for $\epsilon$)
    and $\alpha = \beta = 1$ the Jaccard index. When the denominator is 0 (nothing
    predicted, nothing there, no smoothing) $T_{nc} = 1$.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        alpha: $\alpha \ge 0$, the weight of the **false positives** $P - I$ (Salehi et al.;
            Keras 3.15.1's ``Tversky`` puts its ``alpha`` on the false negatives).
        beta: $\beta \ge 0$, the weight of the **false negatives** $G - I$.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator.
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, the choice of Abraham & Khan's code, SMP and Keras).
        include_background: keep class 0 in the result.
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names.

    Examples:
        The four pixels of the Dice example: $I = 1.7$, $P - I = 0.5$, $G - I = 0.3$, so
        $T = 1.7 / (1.7 + 0.3 \cdot 0.5 + 0.7 \cdot 0.3) = 1.7 / 2.06$:

        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])     # (N=1, C=1, W=4)
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> float(tversky_index(p, g, from_logits=False, multilabel=True))
        0.825243
        >>> float(tversky_index(p, g, from_logits=False, multilabel=True, alpha=0.5, beta=0.5))  # Dice 3.4/4.2
        0.809524

    References:
        S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image
        segmentation using 3D fully convolutional deep networks", MLMI 2017,
        arXiv:1706.05721; A. Tversky, "Features of similarity", Psychological Review
        84(4), 1977.
    """
    return _tversky(
        False,
        pred,
        target,
        alpha=alpha,
        beta=beta,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


def tversky_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    alpha: float = 0.3,
    beta: float = 0.7,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Tversky loss $1 - T$ per image and class; lower is better.

    $$
    L_{nc} = 1 - T_{nc}
    = 1 - \frac{I_{nc} + \epsilon}{I_{nc} + \alpha\,(P_{nc} - I_{nc}) + \beta\,(G_{nc} - I_{nc}) + \epsilon}
    $$

    where $T$, $I$, $P$, $G$, $\alpha$, $\beta$ and $\epsilon$ are as in
    [`tversky_index`][segref.tversky_index]. The defaults $\alpha = 0.3$, $\beta = 0.7$
    are the best setting of Salehi et al.: a missed pixel costs more than a spurious one,
    which raises recall on small structures.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        alpha: $\alpha \ge 0$, the weight of the **false positives** $P - I$ (Salehi et al.;
            Keras 3.15.1's ``Tversky`` puts its ``alpha`` on the false negatives).
        beta: $\beta \ge 0$, the weight of the **false negatives** $G - I$.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator.
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, the choice of Abraham & Khan's code, SMP and Keras).
        include_background: keep class 0 in the result.
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names.

    Examples:
        >>> import torch
        >>> p = torch.tensor([[[0.9, 0.8, 0.1, 0.4]]], dtype=torch.float64)
        >>> g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]], dtype=torch.float64)
        >>> round(tversky_loss(p, g, from_logits=False, multilabel=True).item(), 6)  # 1 - 1.7/2.06
        0.174757

    References:
        S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image
        segmentation using 3D fully convolutional deep networks", MLMI 2017, arXiv:1706.05721.
    """
    return _tversky(
        True,
        pred,
        target,
        alpha=alpha,
        beta=beta,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


def focal_tversky_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    alpha: float = 0.3,
    beta: float = 0.7,
    gamma: float = 4 / 3,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Focal Tversky loss $(1 - T)^{1/\gamma}$ per image and class; lower is better.

    $$
    L_{nc} = \left(1 - T_{nc}\right)^{1/\gamma}
    $$

    where $T$ is the Tversky index of [`tversky_index`][segref.tversky_index] (with its
    $\alpha$, $\beta$ and $\epsilon$) and $\gamma > 0$. With $\gamma > 1$ (the authors use
    $4/3$) the exponent is below 1: a class that is already well segmented ($T$ near 1)
    keeps a larger loss than $1 - T$, and the gradient grows as $T \to 1$. At $T = 1$ exactly
    the derivative $-\tfrac1\gamma (1 - T)^{1/\gamma - 1}$ is infinite; segref returns a
    bounded gradient there (exact for $1 - T$ above $10^{-19}$ in float32, 0 below).

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        alpha: $\alpha \ge 0$, the weight of the **false positives** $P - I$ (Salehi et al.;
            Keras 3.15.1's ``Tversky`` puts its ``alpha`` on the false negatives).
        beta: $\beta \ge 0$, the weight of the **false negatives** $G - I$.
        gamma: $\gamma > 0$; the loss is $(1 - T)^{1/\gamma}$ (Abraham & Khan's code uses
            $\gamma = 4/3$, exponent 0.75; SMP's ``gamma`` is the exponent itself).
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator.
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``, the choice of Abraham & Khan's code, SMP and Keras).
        include_background: keep class 0 in the result.
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names.

    Examples:
        The Tversky loss of the example above is $0.174757$; to the power $3/4$:

        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> float(focal_tversky_loss(p, g, from_logits=False, multilabel=True))
        0.270288
        >>> float(focal_tversky_loss(p, g, from_logits=False, multilabel=True, gamma=1.0))  # the Tversky loss
        0.174757

    References:
        N. Abraham, N. M. Khan, "A Novel Focal Tversky loss function with improved
        Attention U-Net for lesion segmentation", ISBI 2019, arXiv:1810.07842.
    """
    return _tversky(
        True,
        pred,
        target,
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        from_logits=from_logits,
        multilabel=multilabel,
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        ignore_index=ignore_index,
        axis=axis,
        distributed=distributed,
        reduction=reduction,
    )


GD_EPSILON = 1e-10  # the boundary-loss authors' term: w_c = 1 / (G_c + 1e-10)^2
GD_WEIGHT_CAP = 1e24  # the largest relative weight (an absent class under "epsilon")


def generalized_dice_score(
    xp: Any,
    intersection: AnyArray,
    pred_sum: AnyArray,
    target_sum: AnyArray,
    *,
    weighting: str,
    absent_classes: str,
    smooth: float,
) -> AnyArray:
    """(2 sum_c w_c I_c + e) / (sum_c w_c (P_c + G_c) + e) over the last (class) axis; 1 where the
    denominator is 0.

    The weights are taken relative to the smallest true volume of the row, so that 1 / G^2 cannot
    overflow for a tiny soft G, and ``smooth`` is scaled by the same factor: the ratio is the
    formula's. The reference is a class that is present, so that the scaled denominator is as large
    as the present classes make it (were it an absent class's 1e-10, the denominator would fall below
    the bound under which ``safe_divide`` bounds the gradient); only when no class is present is it
    the absent classes' own mass. An absent class's relative weight under "epsilon", (G_ref / 1e-10)^k,
    is capped at 1e24 (reached for G_ref above 1e2 pixels with square weights), so that a float32 sum
    weighted by it stays finite: such a class dominates the loss either way."""
    power = {"square": 2, "simple": 1, "uniform": 0}[weighting]
    if power == 0:
        weights, scale = xp.ones_like(target_sum), 1.0
    else:
        mass = target_sum + GD_EPSILON if absent_classes == "epsilon" else target_sum
        present, counted = target_sum > 0, mass > 0
        anything = xp.any(present, axis=-1, keepdims=True)
        candidates = xp.where(present | (~anything & counted), mass, xp.full_like(mass, float("inf")))
        smallest = xp.min(candidates, axis=-1, keepdims=True)
        reference = xp.where(smallest < float("inf"), smallest, xp.ones_like(smallest))  # nothing counted: w = 0
        relative = (reference / xp.where(counted, mass, xp.ones_like(mass))) ** power
        weights = xp.where(
            counted, xp.minimum(relative, xp.full_like(relative, GD_WEIGHT_CAP)), xp.zeros_like(relative)
        )
        if absent_classes == "max":  # NiftyNet and MONAI: an absent class gets the largest weight of its row
            weights = xp.where(present, weights, xp.max(weights, axis=-1, keepdims=True) * xp.ones_like(weights))
        scale = reference[..., 0] ** power
    numerator = 2 * xp.sum(weights * intersection, axis=-1) + smooth * scale
    denominator = xp.sum(weights * (pred_sum + target_sum), axis=-1) + smooth * scale
    return safe_divide(xp, numerator, denominator, when_zero=1.0)


def generalized_dice_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    weighting: str = "square",
    absent_classes: str = "max",
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Generalised Dice loss (Sudre et al. 2017): one Dice over all classes, each class
    weighted by the inverse of its target volume; lower is better.

    $$
    L_n = 1 - \frac{2\sum_{c} w_{nc}\,I_{nc} + \epsilon}{\sum_{c} w_{nc}\,(P_{nc} + G_{nc}) + \epsilon},
    \qquad w_{nc} = \frac{1}{G_{nc}^{\,k}}
    $$

    where:

    - $I$, $P$, $G$ are the soft intersection and the sums of prediction and target per image
      $n$ and class $c$, as in [`soft_dice_coefficient`][segref.soft_dice_coefficient]
      (with ``per_image=False`` summed over the batch: one $L$);
    - $k = 2$ (``weighting="square"``, the paper's), $1$ (``"simple"``) or $0$ (``"uniform"``,
      every $w = 1$: a Dice of all classes pooled);
    - a class absent from the target ($G_{nc} = 0$) has an infinite weight: with
      ``absent_classes="max"`` (NiftyNet's and MONAI's rule) it gets the largest weight of the
      other classes of its image instead; with ``"epsilon"`` (the boundary-loss authors' code)
      every weight is $1/(G_{nc} + 10^{-10})^k$, so an absent class dominates and any mass
      predicted for it costs nearly the whole loss (its weight relative to the smallest present
      class is capped at $10^{24}$, so that float32 sums stay finite);
    - $\epsilon$ is ``smooth``.

    When the denominator is 0 (nothing predicted and nothing there in every class, or no
    class with a weight) the score is 1 and $L_n = 0$. The weights come from the target
    only: they carry no gradient to ``pred``.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        weighting: ``"square"`` ($1/G^2$, Sudre et al.), ``"simple"`` ($1/G$) or ``"uniform"`` (1).
        absent_classes: ``"max"`` (an absent class gets the largest weight of its image) or
            ``"epsilon"`` ($1/(G + 10^{-10})^k$ for every class).
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to numerator and denominator (MONAI uses 1e-5).
        per_image: one loss per image (``True``, NiftyNet's and MONAI's default) or one for the
            whole batch (``False``).
        include_background: keep class 0 in the sums.
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class leaves the sums; with ``per_image=True`` an image
            whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch statistics (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the images.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image, shape
        ``(N,)``, or a 0-d array with ``per_image=False``.

    Examples:
        One image, two classes, four pixels: $G = (3, 1)$, so $w = (1/9, 1)$. With
        $p_1 = (0.1, 0.2, 0.3, 0.6)$ on labels $(0, 0, 0, 1)$: $I = (2.4, 0.6)$, $P + G = (5.8, 2.2)$,
        and $L = 1 - (2 \cdot 2.4/9 + 2 \cdot 0.6)/(5.8/9 + 2.2) = 1 - 1.733333/2.844444$:

        >>> import numpy as np
        >>> p1 = np.array([0.1, 0.2, 0.3, 0.6])
        >>> p = np.stack([1 - p1, p1])[None]                 # (N=1, C=2, W=4)
        >>> y = np.array([[0, 0, 0, 1]])
        >>> float(generalized_dice_loss(p, y, from_logits=False))
        0.390625
        >>> float(generalized_dice_loss(p, y, from_logits=False, weighting="uniform"))  # 1 - (4.8 + 1.2) / 8
        0.25

    References:
        C. H. Sudre, W. Li, T. Vercauteren, S. Ourselin, M. J. Cardoso, "Generalised Dice
        overlap as a deep learning loss function for highly unbalanced segmentations",
        DLMIA 2017, arXiv:1707.03237; W. R. Crum, O. Camara, D. L. G. Hill, "Generalized
        overlap measures for evaluation and validation in medical image analysis", IEEE TMI
        25(11), 2006.
    """
    V.check_reduction(reduction)
    weighting = V.check_choice("weighting", weighting)
    absent_classes = V.check_choice("absent_classes", absent_classes)
    inputs = prepare_classes(
        pred, target, from_logits=from_logits, axis=axis, ignore_index=ignore_index, multilabel=multilabel
    )
    smooth = check_overlap_options(
        smooth=smooth,
        per_image=per_image,
        include_background=include_background,
        squared=False,
        num_classes=inputs.num_classes,
        ignore_index=ignore_index,
    )
    distributed = check_distributed(distributed, per_image, pred)
    xp = inputs.xp
    terms = softmax_terms(inputs, overlap=True, log_terms=False) if inputs.fused else None
    statistics = overlap_statistics(inputs, squared=False, per_image=per_image, distributed=distributed, terms=terms)
    kept = (kept_classes(xp, s, include_background=include_background, ignore_index=ignore_index) for s in statistics)
    score = generalized_dice_score(xp, *kept, weighting=weighting, absent_classes=absent_classes, smooth=smooth)
    loss = 1 - score
    images = counted_images(xp, inputs.valid, per_image)
    if reduction != "none":
        loss = reduce_scores(xp, loss[..., None] if per_image else loss, reduction, images, empty=0.0)
    return finish(xp, loss, inputs.out_dtype)
