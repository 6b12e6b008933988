r"""Compound losses: a weighted sum of an overlap loss and a cross-entropy."""

from __future__ import annotations

from . import _validation as V
from ._inputs import BinaryInputs, prepare_classes, softmax_terms
from ._reduction import finish, reduce, safe_divide
from ._types import Array, ArrayInput
from .cross_entropy import binary_cross_entropy_step, cross_entropy_step, smoothing_vector
from .overlap import (
    all_reduce_sum,
    check_distributed,
    check_overlap_options,
    counted_images,
    overlap_scores,
    reduce_scores,
)

__all__ = ["dice_ce_loss"]


def dice_ce_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    dice_weight: float = 1.0,
    ce_weight: float = 1.0,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    label_smoothing: float = 0.0,
    class_weights: ArrayInput | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
    distributed: bool = False,
    reduction: str = "mean",
) -> Array:
    r"""Dice loss plus cross-entropy, each weighted (MONAI ``DiceCELoss``, nnU-Net).

    $$
    L = \lambda_{\text{Dice}}\;\frac{1}{|\mathcal{K}|}\sum_{(n,c)\in\mathcal{K}}\big(1 - D_{nc}\big)
      \;+\; \lambda_{\text{CE}}\; L_{\text{CE}}
    $$

    where:

    - $D_{nc}$ is the soft Dice coefficient of
      [`soft_dice_coefficient`][segref.soft_dice_coefficient] and $\mathcal{K}$ the set
      of (image, class) pairs it returns (classes only with ``per_image=False``);
    - $L_{\text{CE}}$ is the mean
      [`categorical_cross_entropy`][segref.categorical_cross_entropy], or the mean
      [`binary_cross_entropy`][segref.binary_cross_entropy] when ``multilabel``;
    - $\lambda_{\text{Dice}}$ is ``dice_weight`` and $\lambda_{\text{CE}}$ ``ce_weight``.

    The two terms have different units (one per class, one per pixel), so only
    ``reduction="mean"`` is defined. Both terms read one prepared input: one check of
    the values, and on torch with logits and an index target one softmax.

    Args:
        pred: logits or probabilities ``(N, C, *spatial)``.
        target: class indices ``(N, *spatial)`` or a map shaped like ``pred``.
        from_logits: ``True`` for logits.
        dice_weight: $\lambda_{\text{Dice}} \ge 0$.
        ce_weight: $\lambda_{\text{CE}} \ge 0$.
        multilabel: sigmoid channels and binary cross-entropy instead of softmax.
        smooth: Dice smoothing $\epsilon$.
        per_image: Dice statistics per image or over the batch.
        include_background: keep class 0 in the Dice term (the cross-entropy always has it).
        squared: V-Net squared denominator in the Dice term.
        label_smoothing: cross-entropy label smoothing.
        class_weights: cross-entropy class weights (not with ``multilabel``).
        ignore_index: target value left out of both terms (index targets). If it names a
            class, the Dice term leaves that class out (the cross-entropy keeps its channel).
        axis: the class axis.
        distributed: with ``per_image=False``, sum the Dice statistics and the
            cross-entropy's sum and count over the ranks of ``torch.distributed``'s default
            process group, so that every rank computes the loss of the global batch.
        reduction: ``"mean"``.

    Returns:
        A 0-d array.

    Examples:
        Equal logits over two classes: Dice loss 0.5 (see ``dice_loss``) and
        cross-entropy $\log 2$:

        >>> import torch
        >>> z = torch.zeros(1, 2, 2)
        >>> y = torch.tensor([[0, 1]])
        >>> round(dice_ce_loss(z, y, from_logits=True).item(), 6)  # 0.5 + log 2
        1.193147
        >>> round(dice_ce_loss(z, y, from_logits=True, dice_weight=0.2, ce_weight=0.8).item(), 6)
        0.654518

    References:
        F. Isensee et al., "nnU-Net", Nature Methods 18, 2021, doi:10.1038/s41592-020-01008-z.
    """
    V.check_reduction(reduction, ("mean",))
    dice_weight = V.check_number("dice_weight", dice_weight, low=0.0)
    ce_weight = V.check_number("ce_weight", ce_weight, low=0.0)
    smoothing = V.check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    if multilabel and class_weights is not None:
        raise ValueError("class_weights applies to the categorical cross-entropy; use multilabel=False")
    inputs = prepare_classes(
        pred,
        target,
        from_logits=from_logits,
        axis=axis,
        ignore_index=ignore_index,
        multilabel=multilabel,
        class_vectors={"class_weights": class_weights},
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
    xp = inputs.xp
    total = None
    terms = None
    if ce_weight > 0:  # a weight of 0 leaves its term out: 0 * inf (p = 0 at a true class) would be NaN
        if multilabel:
            binary = BinaryInputs(xp, inputs.scores, inputs.soft, inputs.out_dtype, inputs.from_logits)
            ce_values, counts = binary_cross_entropy_step(binary, smoothing, "none"), None
        else:
            weights = inputs.vectors["class_weights"]
            if inputs.fused:
                terms = softmax_terms(
                    inputs,
                    overlap=dice_weight > 0 and not squared,
                    class_vector=smoothing_vector(inputs, weights, smoothing),
                )
            ce_values, counts = cross_entropy_step(inputs, weights, smoothing, terms)
        if distributed:
            ce_total = xp.sum(ce_values)
            count = (
                xp.sum(counts)
                if counts is not None
                else xp.asarray(float(ce_values.numel()), dtype=ce_total.dtype, device=ce_total.device)
            )
            ce_total, count = all_reduce_sum(xp.stack((ce_total, count)))
            ce = safe_divide(xp, ce_total, count, when_zero=0.0)
        else:
            ce = reduce(xp, ce_values, "mean", counts=counts)
        total = ce_weight * ce
    if dice_weight > 0:
        if terms is None and inputs.fused and not squared:
            terms = softmax_terms(inputs, overlap=True, log_terms=False)
        scores = overlap_scores(
            inputs,
            "dice",
            smooth=smooth,
            squared=squared,
            per_image=per_image,
            include_background=include_background,
            ignore_index=ignore_index,
            distributed=distributed,
            terms=None if squared else terms,
        )
        dice = reduce_scores(xp, 1 - scores, "mean", counted_images(xp, inputs.valid, per_image), empty=0.0)
        total = dice_weight * dice if total is None else total + dice_weight * dice
    if total is None:  # both weights 0: a zero joined to the graph
        total = xp.sum(inputs.scores * 0)
    return finish(xp, total, inputs.out_dtype)
