r"""Overlap losses: the soft Dice coefficient and the soft Jaccard index (IoU).

Both are built from three per-class statistics, summed over the pixels of each
image (``per_image=True``) or of the whole batch (``per_image=False``):

$$
I_c = \sum_i p_{ic}\, g_{ic}, \qquad P_c = \sum_i p_{ic}^{k}, \qquad G_c = \sum_i g_{ic}^{k}
$$

with $k = 1$, or $k = 2$ for the squared (V-Net) denominator. For an integer
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

__all__ = ["soft_dice_coefficient", "dice_loss", "soft_jaccard_index", "jaccard_loss"]


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
        if valid is None and not B.compiling():
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
) -> AnyArray:
    """Dice or Jaccard per (image, class), or per class, of the classes ``kept_classes`` keeps."""
    statistics = overlap_statistics(inputs, squared=squared, per_image=per_image, distributed=distributed, terms=terms)
    score = score_from_statistics(inputs.xp, kind, *statistics, smooth=smooth)
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
    xp: Any, kind: str, intersection: AnyArray, pred_sum: AnyArray, target_sum: AnyArray, *, smooth: float
) -> AnyArray:
    """Dice (2I + e) / (P + G + e) or Jaccard (I + e) / (P + G - I + e); 1 where the denominator is 0.

    The soft losses pass sums of probabilities; the hard metrics pass pixel counts
    (I = TP, P = TP + FP, G = TP + FN), which gives 2TP / (2TP + FP + FN) and TP / (TP + FP + FN).
    """
    if kind == "dice":
        return safe_divide(xp, 2 * intersection + smooth, pred_sum + target_sum + smooth, when_zero=1.0)
    union = pred_sum + target_sum - intersection
    return safe_divide(xp, intersection + smooth, union + smooth, when_zero=1.0)


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
) -> AnyArray:
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
    )
    value = 1 - score if as_loss else score
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
