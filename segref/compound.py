r"""Compound losses: a weighted sum of an overlap loss and a cross-entropy."""

from __future__ import annotations

from typing import Any

from . import _backend as B
from . import _validation as V
from ._reduction import finish
from .cross_entropy import binary_cross_entropy, categorical_cross_entropy
from .overlap import dice_loss

Array = Any

__all__ = ["dice_ce_loss"]


def dice_ce_loss(
    pred: Array,
    target: Array,
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
    class_weights: Array | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
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
    ``reduction="mean"`` is defined.

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
        ignore_index: target value left out of both terms (index targets).
        axis: the class axis.
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
    dice = dice_loss(
        pred, target, from_logits=from_logits, multilabel=multilabel, smooth=smooth, per_image=per_image,
        include_background=include_background, squared=squared, ignore_index=ignore_index, axis=axis,
    )
    if multilabel:
        if class_weights is not None:
            raise ValueError("class_weights applies to the categorical cross-entropy; use multilabel=False")
        ce = binary_cross_entropy(pred, target, from_logits=from_logits, label_smoothing=label_smoothing)
    else:
        ce = categorical_cross_entropy(
            pred, target, from_logits=from_logits, label_smoothing=label_smoothing,
            class_weights=class_weights, ignore_index=ignore_index, axis=axis,
        )
    total = dice_weight * dice + ce_weight * ce
    return finish(B.namespace(dice), total, dice.dtype)
