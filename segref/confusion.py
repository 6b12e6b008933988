r"""Confusion-matrix losses: the losses that count the true negatives too, the Matthews
correlation coefficient loss and the sensitivity–specificity loss.

Per image (``per_image=True``) or over the whole batch, and per class (one class
against the rest), from soft counts over the $n$ counted pixels:

$$
\mathrm{TP}_c = I_c, \quad \mathrm{FP}_c = P_c - I_c, \quad \mathrm{FN}_c = G_c - I_c, \quad
\mathrm{TN}_c = n - P_c - G_c + I_c
$$

with $I$, $P$, $G$ the soft intersection and sums of prediction and target of the
overlap losses ($\mathrm{TN}_c = \sum_i (1 - p_{ic})(1 - g_{ic})$ expands to it).
"""

from __future__ import annotations

from typing import Any

from . import _backend as B
from . import _validation as V
from ._inputs import ClassInputs, prepare_classes, softmax_terms
from ._reduction import finish, safe_divide
from ._types import AnyArray, Array, ArrayInput
from .overlap import (
    all_reduce_sum,
    check_distributed,
    check_overlap_options,
    clamped_keep_gradient,
    counted_images,
    kept_classes,
    overlap_statistics,
    reduce_scores,
)

__all__ = ["mcc_loss", "sensitivity_specificity_loss"]


def pixel_counts(inputs: ClassInputs, *, per_image: bool) -> AnyArray:
    """n: the counted pixels of each image, shape (N, 1), or of the batch, shape (1,), in the compute dtype."""
    xp = inputs.xp
    n = inputs.scores.shape[0]
    if inputs.valid is None:
        pixels = 1
        for size in inputs.scores.shape[2:]:
            pixels *= size
        if B.is_torch(inputs.scores):  # filled on the device: a host tensor copied over would synchronise
            counts = inputs.scores.new_full((n, 1), float(pixels))
        else:
            counts = xp.full((n, 1), float(pixels), dtype=inputs.scores.dtype)
    else:
        counts = xp.sum(xp.reshape(inputs.valid, (n, -1)), axis=1, keepdims=True)
    return counts if per_image else xp.sum(counts, axis=0)


def _prepare(
    pred: AnyArray,
    target: AnyArray,
    *,
    from_logits: bool,
    multilabel: bool,
    smooth: Any,
    per_image: Any,
    include_background: Any,
    ignore_index: int | None,
    axis: int,
    distributed: Any,
    reduction: str,
) -> tuple[ClassInputs, float, bool]:
    V.check_reduction(reduction)
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
    return inputs, smooth, check_distributed(distributed, per_image, pred)


def _finish(
    inputs: ClassInputs,
    loss: AnyArray,
    *,
    per_image: bool,
    include_background: bool,
    ignore_index: int | None,
    reduction: str,
) -> AnyArray:
    xp = inputs.xp
    loss = kept_classes(xp, loss, include_background=include_background, ignore_index=ignore_index)
    images = counted_images(xp, inputs.valid, per_image)
    return finish(xp, reduce_scores(xp, loss, reduction, images, empty=0.0), inputs.out_dtype)


def matthews_correlation(
    xp: Any,
    intersection: AnyArray,
    pred_sum: AnyArray,
    target_sum: AnyArray,
    pixels: AnyArray,
    *,
    smooth: float,
) -> AnyArray:
    """(TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN)) with ``smooth`` added to each count.

    The counts are divided by n (the ratio does not change, and the product of four fractions
    cannot overflow). With ``smooth`` 0, a class whose target is constant (G = 0 or G = n) has the
    accuracy 1 - (FP + FN) / n instead, and one whose prediction alone is constant (P = 0 or
    P = n) the limit 0, with a zero gradient.
    """

    # soft FP, FN and TN are sums of non-negative terms: below 0 only by rounding, where they keep the
    # derivative of the sums (a false-positive sum rounded to 0 at a confident prediction still grows with each p)
    others = pixels - target_sum
    fp = clamped_keep_gradient(xp, pred_sum - intersection)
    fn = clamped_keep_gradient(xp, target_sum - intersection)
    # TN = (n - G) - FP: exactly 0 where the class covers every pixel (n - G = 0 for an index target),
    # where n - P - G + I would leave a rounding error that the square root below would magnify
    tn = clamped_keep_gradient(xp, others - fp)
    scale = 1 / xp.where(pixels > 0, pixels, xp.ones_like(pixels))
    tp, fp, fn, tn = (x * scale for x in (intersection, fp, fn, tn))
    if smooth:
        tp, fp, fn, tn = (x + smooth * scale for x in (tp, fp, fn, tn))
    numerator = tp * tn - fp * fn
    positives, negatives = (tp + fp) * (tp + fn), (tn + fp) * (tn + fn)  # P G and (n - P)(n - G), over n^2
    defined = (positives > 0) & (negatives > 0)
    # sqrt is taken of 1 where a factor is 0: its derivative there is infinite, and 0 * inf is NaN
    one = xp.ones_like(positives)
    roots = xp.sqrt(xp.where(defined, positives, one)) * xp.sqrt(xp.where(defined, negatives, one))
    correlation = safe_divide(xp, numerator, xp.where(defined, roots, xp.zeros_like(roots)), when_zero=0.0)
    if smooth:
        return correlation
    constant_target = (target_sum <= 0) | (others <= 0)
    return xp.where(constant_target, 1 - (fp + fn), correlation)


def mcc_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Matthews correlation coefficient (MCC) loss $1 - \mathrm{MCC}$ per image and class
    (Abhishek & Hamarneh 2021); lower is better.

    $$
    \begin{gathered}
    L_{nc} = 1 - \mathrm{MCC}_{nc}, \\
    \mathrm{MCC}_{nc} = \frac{\mathrm{TP}\,\mathrm{TN} - \mathrm{FP}\,\mathrm{FN}}{\sqrt{
    (\mathrm{TP} + \mathrm{FP})(\mathrm{TP} + \mathrm{FN})(\mathrm{TN} + \mathrm{FP})(\mathrm{TN} + \mathrm{FN})}}
    \end{gathered}
    $$

    where:

    - $\mathrm{TP} = I_{nc} + \epsilon$, $\mathrm{FP} = P_{nc} - I_{nc} + \epsilon$,
      $\mathrm{FN} = G_{nc} - I_{nc} + \epsilon$ and
      $\mathrm{TN} = |\Omega| - P_{nc} - G_{nc} + I_{nc} + \epsilon$ are the soft counts of
      image $n$ and class $c$ against the rest ($\mathrm{TN} = \sum_i (1 - p_{ic})(1 - g_{ic})$
      + $\epsilon$);
    - $I$, $P$, $G$ are the soft intersection and the sums of prediction and target, as in
      [`soft_dice_coefficient`][segref.soft_dice_coefficient], and $|\Omega|$ is the number of
      counted pixels of the image (of the batch with ``per_image=False``);
    - $\epsilon$ is ``smooth``, added to each of the four counts (SMP's ``eps``).

    MCC counts all four cells of the confusion matrix, true negatives included (for 0/1 maps
    it is the Pearson correlation of prediction and target), and lies in $[-1, 1]$: the loss
    lies in $[0, 2]$. Unlike Dice it rewards correctly predicted background.

    With $\epsilon = 0$ the denominator is 0 in two cases, where the formula is $0/0$:

    - the target of class $c$ is constant ($G_{nc} = 0$, the class is absent, or
      $G_{nc} = |\Omega|$, it covers every pixel): there is no correlation to measure, and MCC
      is the accuracy $1 - (\mathrm{FP} + \mathrm{FN})/|\Omega|$, which is 1 for a perfect prediction and falls as
      predicted mass strays into an absent class (so the loss still teaches it to stay absent);
    - only the prediction is constant ($P_{nc} = 0$ or $|\Omega|$): MCC is 0, its limit, with a
      zero gradient.

    With $\epsilon > 0$ the formula holds everywhere, and a perfect prediction scores
    slightly below 1, or about $\tfrac12$ for a class absent from the image (or covering it):
    each such class then adds about 0.5 to the loss, as with SMP's ``eps``.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to each soft count (SMP uses 1e-5).
        per_image: counts over the pixels of each image (``True``) or of the whole batch
            (``False``, the authors' default and SMP's).
        include_background: keep class 0 in the result.
        ignore_index: a target value whose pixels are left out of every count, $n$ included
            (index targets). If it names a class, that class has no score and leaves the
            result; with ``per_image=True`` an image whose pixels are all ignored leaves the
            mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch counts (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names.

    Examples:
        Four pixels, $p = (0.9, 0.8, 0.1, 0.4)$ against $g = (1, 1, 0, 0)$:
        $\mathrm{TP} = 1.7$, $\mathrm{FP} = 0.5$, $\mathrm{FN} = 0.3$, $\mathrm{TN} = 1.5$, so
        $\mathrm{MCC} = (2.55 - 0.15)/\sqrt{2.2 \cdot 2.0 \cdot 2.0 \cdot 1.8} = 2.4/\sqrt{15.84}$:

        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])     # (N=1, C=1, W=4)
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> float(mcc_loss(p, g, from_logits=False, multilabel=True))   # 1 - 2.4 / 3.979950
        0.396977
        >>> float(mcc_loss(1 - g, g, from_logits=False, multilabel=True))  # every pixel wrong: MCC = -1
        2.0

    References:
        K. Abhishek, G. Hamarneh, "Matthews Correlation Coefficient Loss for Deep
        Convolutional Networks: Application to Skin Lesion Segmentation", IEEE ISBI 2021,
        doi:10.1109/ISBI48211.2021.9433782, arXiv:2010.13454; B. W. Matthews, "Comparison
        of the predicted and observed secondary structure of T4 phage lysozyme", Biochimica
        et Biophysica Acta 405(2), 1975.
    """
    inputs, smooth, distributed = _prepare(
        pred,
        target,
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
    xp = inputs.xp
    terms = softmax_terms(inputs, overlap=True, log_terms=False) if inputs.fused else None
    intersection, pred_sum, target_sum = overlap_statistics(inputs, squared=False, per_image=per_image, terms=terms)
    pixels = pixel_counts(inputs, per_image=per_image)
    if distributed:
        pixels = xp.broadcast_to(pixels, intersection.shape)
        intersection, pred_sum, target_sum, pixels = all_reduce_sum(
            xp.stack((intersection, pred_sum, target_sum, pixels))
        )
    score = matthews_correlation(xp, intersection, pred_sum, target_sum, pixels, smooth=smooth)
    return _finish(
        inputs,
        1 - score,
        per_image=per_image,
        include_background=include_background,
        ignore_index=ignore_index,
        reduction=reduction,
    )


def squared_errors(inputs: ClassInputs, *, per_image: bool) -> tuple[AnyArray, AnyArray, AnyArray]:
    """Per-class sums over the counted pixels: of (g - p)^2 where the class is (g weighted), of
    (g - p)^2 where it is not ((1 - g) weighted), and G = sum g; shapes (N, C), or (C,) for the batch."""
    xp = inputs.xp
    n, num_classes = inputs.scores.shape[0], inputs.num_classes
    p = xp.reshape(inputs.probs, (n, num_classes, -1))
    valid = None if inputs.valid is None else xp.reshape(inputs.valid, (n, 1, -1))
    if inputs.kind == "index":
        index = xp.reshape(inputs.index, (n, -1))
        counted = xp.ones_like(index, dtype=p.dtype) if valid is None else valid[:, 0]
        miss = 1 - B.take_class(xp, p, index)
        inside = B.class_sums(xp, miss * miss * counted, index, num_classes)
        others = B.without_class(xp, p, index)
        if valid is not None:
            others = others * valid
        outside = xp.sum(others * others, axis=2)
        target_sum = B.class_sums(xp, counted, index, num_classes)
    else:
        g = xp.reshape(inputs.soft, (n, num_classes, -1))
        error = (g - p) * (g - p)
        if valid is not None:
            error = error * valid
        inside = xp.sum(error * g, axis=2)
        outside = xp.sum(error * (1 - g), axis=2)
        target_sum = xp.sum(g, axis=2)
    if not per_image:
        inside, outside, target_sum = (xp.sum(s, axis=0) for s in (inside, outside, target_sum))
    return inside, outside, target_sum


def sensitivity_specificity_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    sensitivity_weight: float = 0.05,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Sensitivity–specificity loss (Brosch et al. 2015): the mean squared error inside the
    target and outside it, weighted apart, per image and class; lower is better.

    $$
    L_{nc} = r\,\frac{\sum_i (g_{ic} - p_{ic})^2\, g_{ic}}{\sum_i g_{ic} + \epsilon}
    + (1 - r)\,\frac{\sum_i (g_{ic} - p_{ic})^2\,(1 - g_{ic})}{\sum_i (1 - g_{ic}) + \epsilon}
    $$

    where:

    - $i$ runs over the counted pixels of image $n$ (of the batch with ``per_image=False``),
      $p_{ic}$ is the predicted probability of class $c$ and $g_{ic}$ the target;
    - the first term is the sensitivity term (the error on the pixels of class $c$, the
      missed part), the second the specificity term (the error on the other pixels);
    - $r \in [0, 1]$ is ``sensitivity_weight``: Brosch et al. found $0.01$ to $0.10$ to work
      alike, NiftyNet and Sudre et al. use $0.05$;
    - $\epsilon$ is ``smooth``. A term whose denominator is 0 (a class absent from the target,
      or covering every pixel, with $\epsilon = 0$) is 0: there is no pixel to be wrong on.

    A small $r$ weighs the background's error, the specificity, far more per pixel than a
    plain mean squared error would; dividing each term by its own pixel count keeps the
    lesion's error from vanishing among the background's pixels.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
            For a single foreground class use ``C = 1`` with ``multilabel=True``.
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft /
            multi-label maps with the shape of ``pred``.
        from_logits: ``True`` for logits (softmax over classes, or a sigmoid per channel
            when ``multilabel``), ``False`` for probabilities.
        sensitivity_weight: $r \in [0, 1]$, the weight of the sensitivity term.
        multilabel: channels are independent (sigmoid) rather than exclusive (softmax).
        smooth: $\epsilon \ge 0$ added to both denominators (NiftyNet uses 1e-5).
        per_image: sums over the pixels of each image (``True``) or of the whole batch
            (``False``).
        include_background: keep class 0 in the result.
        ignore_index: a target value whose pixels are left out of every sum (index targets).
            If it names a class, that class has no score and leaves the result; with
            ``per_image=True`` an image whose pixels are all ignored leaves the mean and sum.
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        distributed: sum the whole-batch sums (``per_image=False``) over the ranks of
            ``torch.distributed``'s default process group, with their gradients.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values
            (NiftyNet sums over the classes, then averages over the images).

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, K)``, or per class, shape ``(K,)``, when ``per_image=False``: the
        $K$ kept classes in order, all $C$ but class 0 when ``include_background=False``
        and the class ``ignore_index`` names.

    Examples:
        Four pixels, $p = (0.9, 0.8, 0.1, 0.4)$ against $g = (1, 1, 0, 0)$: inside the target
        the squared errors are $0.01 + 0.04$ over 2 pixels, outside $0.01 + 0.16$ over 2, so
        $L = 0.05 \cdot 0.025 + 0.95 \cdot 0.085 = 0.08200$:

        >>> import numpy as np
        >>> p = np.array([[[0.9, 0.8, 0.1, 0.4]]])     # (N=1, C=1, W=4)
        >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
        >>> float(sensitivity_specificity_loss(p, g, from_logits=False, multilabel=True))
        0.082
        >>> float(sensitivity_specificity_loss(p, g, from_logits=False, multilabel=True, sensitivity_weight=0.5))
        0.055

    References:
        T. Brosch, Y. Yoo, L. Y. W. Tang, D. K. B. Li, A. Traboulsee, R. Tam, "Deep
        Convolutional Encoder Networks for Multiple Sclerosis Lesion Segmentation", MICCAI
        2015, doi:10.1007/978-3-319-24574-4_1; C. H. Sudre et al., "Generalised Dice overlap
        as a deep learning loss function for highly unbalanced segmentations", DLMIA 2017,
        arXiv:1707.03237.
    """
    weight = V.check_bounded("sensitivity_weight", sensitivity_weight)
    inputs, smooth, distributed = _prepare(
        pred,
        target,
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
    xp = inputs.xp
    inside, outside, target_sum = squared_errors(inputs, per_image=per_image)
    pixels = pixel_counts(inputs, per_image=per_image)
    if distributed:
        pixels = xp.broadcast_to(pixels, target_sum.shape)
        inside, outside, target_sum, pixels = all_reduce_sum(xp.stack((inside, outside, target_sum, pixels)))
    others = pixels - target_sum
    others = xp.where(others > 0, others, xp.zeros_like(others))
    sensitivity_term = safe_divide(xp, inside, target_sum + smooth, when_zero=0.0)
    specificity_term = safe_divide(xp, outside, others + smooth, when_zero=0.0)
    loss = weight * sensitivity_term + (1 - weight) * specificity_term
    return _finish(
        inputs,
        loss,
        per_image=per_image,
        include_background=include_background,
        ignore_index=ignore_index,
        reduction=reduction,
    )
