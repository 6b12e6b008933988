r"""Compound losses: weighted sums of segref's losses, checked once and sharing one softmax."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _backend as B
from . import _validation as V
from ._inputs import BinaryInputs, prepare_classes, shared_inputs, softmax_terms
from ._reduction import finish, reduce, safe_divide
from ._types import Array, ArrayInput
from .confusion import mcc_loss, sensitivity_specificity_loss
from .cross_entropy import (
    binary_cross_entropy,
    binary_cross_entropy_step,
    bootstrapped_cross_entropy,
    categorical_cross_entropy,
    cross_entropy_step,
    poly_loss,
    smoothing_vector,
    topk_cross_entropy,
)
from .focal import binary_focal_loss, focal_loss
from .overlap import (
    all_reduce_sum,
    check_distributed,
    check_overlap_options,
    counted_images,
    dice_loss,
    focal_tversky_loss,
    generalized_dice_loss,
    jaccard_loss,
    log_cosh_dice_loss,
    overlap_scores,
    reduce_scores,
    tversky_loss,
)

__all__ = ["combined_loss", "dice_ce_loss", "dice_focal_loss", "dice_topk_loss"]

#: the losses a combined loss can sum, by name
TERMS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        categorical_cross_entropy,
        focal_loss,
        topk_cross_entropy,
        bootstrapped_cross_entropy,
        poly_loss,
        dice_loss,
        jaccard_loss,
        tversky_loss,
        focal_tversky_loss,
        generalized_dice_loss,
        log_cosh_dice_loss,
        mcc_loss,
        sensitivity_specificity_loss,
        binary_cross_entropy,
        binary_focal_loss,
    )
}
_PARAMETERS = {name: set(inspect.signature(fn).parameters) for name, fn in TERMS.items()}
#: set once for every term by ``combined_loss``, not per term
SHARED_OPTIONS = ("pred", "target", "from_logits", "multilabel", "ignore_index", "axis", "reduction")


def check_terms(terms: Any, *, multilabel: bool, ignore_index: int | None) -> list[tuple[float, str, dict]]:
    """``terms`` as (weight, name, options) triples: known names, weights >= 0, options each loss takes."""
    if isinstance(terms, (str, bytes, Mapping)) or not isinstance(terms, Sequence) or not terms:
        raise TypeError(
            f"terms must be a non-empty sequence of (weight, name) or (weight, name, options) tuples, got {terms!r}"
        )
    checked = []
    for position, term in enumerate(terms):
        where = f"terms[{position}]"
        if not isinstance(term, (tuple, list)) or len(term) not in (2, 3):
            raise TypeError(f"{where} must be (weight, name) or (weight, name, options), got {term!r}")
        weight = V.check_number(f"{where} weight", term[0], low=0.0)
        name = term[1]
        if name not in TERMS:
            raise ValueError(f"{where} names {name!r}; expected one of {', '.join(sorted(TERMS))}")
        options = dict(term[2]) if len(term) == 3 else {}
        if len(term) == 3 and not isinstance(term[2], Mapping):
            raise TypeError(f"{where} options must be a dict of keyword options, got {term[2]!r}")
        shared = sorted(set(options) & set(SHARED_OPTIONS))
        if shared:
            raise TypeError(
                f"{where} sets {', '.join(shared)}: pass it to the combined loss, which sets it for every term"
            )
        unknown = sorted(set(options) - _PARAMETERS[name])
        if unknown:
            raise TypeError(f"{where}: {name} takes no option {', '.join(unknown)}")
        if not B.compiling():  # a compiled graph reads no tensor option on the host (modules check at construction)
            V.check_options(options)  # here, also for a term of weight 0, which is never called
        binary = name.startswith("binary_")
        if multilabel and "multilabel" not in _PARAMETERS[name] and not binary:
            raise ValueError(
                f"{where}: {name} is a softmax loss; with multilabel=True use a binary_* term or an overlap loss"
            )
        if binary and not multilabel:
            raise ValueError(f"{where}: {name} takes one sigmoid per channel; set multilabel=True")
        if ignore_index is not None and "ignore_index" not in _PARAMETERS[name]:
            raise ValueError(f"{where}: {name} has no ignore_index; leave ignore_index out or drop the term")
        checked.append((weight, name, options))
    return checked


def combined_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    terms: Sequence[tuple[float, str] | tuple[float, str, Mapping[str, Any]]],
    multilabel: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""A weighted sum of segref losses on one input, checked once and sharing one softmax.

    $$
    L = \sum_{k} \lambda_k\, L_k(p, y)
    $$

    where:

    - $L_k$ is the segref loss named by term $k$ (its default ``"mean"``), called with the
      term's own options and the shared ``from_logits``, ``multilabel``, ``ignore_index``
      and ``axis``;
    - $\lambda_k \ge 0$ is its weight; a term of weight 0 is left out (its value is not
      computed, so an infinite cross-entropy cannot make $0 \cdot \infty$ a NaN).

    The input is checked once for all softmax and overlap terms (one host synchronisation
    for its values), and from logits they read one softmax (on torch, one evaluation of the
    fused kernel; a term with label smoothing needs its own); a term given class
    weights as a tensor adds a check of those, and each binary term checks its input itself.
    Terms that take a sigmoid per channel (``binary_cross_entropy``, ``binary_focal_loss``)
    need ``multilabel=True`` and a target shaped like ``pred``; overlap losses then use a
    sigmoid too. Only ``reduction="mean"`` is defined: the terms have different units.

    Args:
        pred: logits or probabilities ``(N, C, *spatial)``.
        target: class indices ``(N, *spatial)`` or a map shaped like ``pred``.
        from_logits: ``True`` for logits.
        terms: ``(weight, name)`` or ``(weight, name, options)`` for each term; ``name`` is
            one of ``categorical_cross_entropy``, ``focal_loss``, ``topk_cross_entropy``,
            ``bootstrapped_cross_entropy``, ``poly_loss``, ``dice_loss``, ``jaccard_loss``,
            ``tversky_loss``, ``focal_tversky_loss``, ``generalized_dice_loss``,
            ``log_cosh_dice_loss``, ``mcc_loss``, ``sensitivity_specificity_loss``,
            ``binary_cross_entropy``, ``binary_focal_loss``; ``options`` are that function's
            keyword options except the shared ones.
        multilabel: sigmoid channels instead of a softmax.
        ignore_index: a target value left out of every term (index targets).
        axis: the class axis.
        reduction: ``"mean"``.

    Returns:
        A 0-d array, in the dtype of ``pred``.

    Examples:
        Dice + TopK, as the Loss Odyssey and nnU-Net combine them; with equal logits over two
        classes the Dice loss is 0.5 and every pixel's cross-entropy is $\log 2$:

        >>> import torch
        >>> z = torch.zeros(1, 2, 2)
        >>> y = torch.tensor([[0, 1]])
        >>> terms = [(1.0, "dice_loss"), (1.0, "topk_cross_entropy", {"k": 10})]
        >>> round(combined_loss(z, y, from_logits=True, terms=terms).item(), 6)  # 0.5 + log 2
        1.193147
        >>> round(combined_loss(z, y, from_logits=True, terms=[(0.3, "dice_loss"), (2.0, "poly_loss")]).item(), 6)
        2.536294

        The second: $0.3 \cdot 0.5 + 2(\log 2 + 0.5) = 2.536294$.

    References:
        J. Ma et al., "Loss odyssey in medical image segmentation", Medical Image Analysis 71,
        2021, doi:10.1016/j.media.2021.102035 (compound losses).
    """
    V.check_reduction(reduction, ("mean",))
    V.check_from_logits(from_logits)
    V.check_flag("multilabel", multilabel)
    ignore_index = V.check_ignore_index(ignore_index)
    checked = check_terms(terms, multilabel=multilabel, ignore_index=ignore_index)
    shared = {"from_logits": from_logits, "axis": axis, "ignore_index": ignore_index, "multilabel": multilabel}
    total = None
    with shared_inputs():
        for weight, name, options in checked:
            if weight == 0:
                continue
            keywords = {key: value for key, value in shared.items() if key in _PARAMETERS[name]}
            if not multilabel:
                keywords.pop("multilabel", None)
            value = weight * TERMS[name](pred, target, **keywords, **options)
            total = value if total is None else total + value
    V.check_arrays(pred, target)
    xp = B.namespace(pred)
    if total is None:  # every weight 0: a zero joined to the graph
        total = xp.sum(B.to_float(xp, pred, B.compute_dtype(xp, pred)) * 0)
    return finish(xp, total, pred.dtype)


def dice_focal_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    dice_weight: float = 1.0,
    focal_weight: float = 1.0,
    gamma: float = 2.0,
    alpha: float | ArrayInput | None = None,
    multilabel: bool = False,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Dice loss plus focal loss, each weighted (MONAI ``DiceFocalLoss``; the Loss Odyssey's DiceFocal).

    $$
    L = \lambda_{\text{Dice}}\, L_{\text{Dice}} + \lambda_{\text{focal}}\, L_{\text{focal}}
    $$

    where:

    - $L_{\text{Dice}}$ is [`dice_loss`][segref.dice_loss] with ``smooth``, ``per_image``,
      ``include_background`` and ``squared``;
    - $L_{\text{focal}}$ is [`focal_loss`][segref.focal_loss] (softmax) with ``gamma`` and
      ``alpha``, or [`binary_focal_loss`][segref.binary_focal_loss] (a sigmoid per channel)
      with ``multilabel=True``;
    - $\lambda_{\text{Dice}}$ is ``dice_weight`` and $\lambda_{\text{focal}}$ ``focal_weight``.

    It is [`combined_loss`][segref.combined_loss] with these two terms: one check of the
    input, one softmax. MONAI's ``DiceFocalLoss(softmax=True)`` pairs a softmax Dice with a
    *sigmoid* focal loss on the same logits; see the page for the mapping.

    Args:
        pred: logits or probabilities ``(N, C, *spatial)``.
        target: class indices ``(N, *spatial)`` or a map shaped like ``pred``.
        from_logits: ``True`` for logits.
        dice_weight: $\lambda_{\text{Dice}} \ge 0$.
        focal_weight: $\lambda_{\text{focal}} \ge 0$.
        gamma: the focal exponent $\gamma \ge 0$.
        alpha: the focal class weight (see ``focal_loss`` and ``binary_focal_loss``).
        multilabel: sigmoid channels: multi-label Dice and the binary focal loss.
        smooth: Dice smoothing $\epsilon$.
        per_image: Dice statistics per image or over the batch.
        include_background: keep class 0 in the Dice term.
        squared: V-Net squared denominator in the Dice term.
        ignore_index: target value left out of both terms (index targets).
        axis: the class axis.
        reduction: ``"mean"``.

    Returns:
        A 0-d array.

    Examples:
        Equal logits over two classes: Dice loss 0.5, and each pixel's focal loss
        $(1 - \tfrac12)^2 \log 2$:

        >>> import torch
        >>> z = torch.zeros(1, 2, 2)
        >>> y = torch.tensor([[0, 1]])
        >>> round(dice_focal_loss(z, y, from_logits=True).item(), 6)  # 0.5 + log(2) / 4
        0.673287

    References:
        J. Ma et al., "Loss odyssey in medical image segmentation", Medical Image Analysis 71, 2021;
        T.-Y. Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017.
    """
    dice_weight = V.check_number("dice_weight", dice_weight, low=0.0)
    focal_weight = V.check_number("focal_weight", focal_weight, low=0.0)
    focal = "binary_focal_loss" if multilabel is True else "focal_loss"
    dice_options = {
        "smooth": smooth,
        "per_image": per_image,
        "include_background": include_background,
        "squared": squared,
    }
    return combined_loss(
        pred,
        target,
        from_logits=from_logits,
        terms=[(dice_weight, "dice_loss", dice_options), (focal_weight, focal, {"gamma": gamma, "alpha": alpha})],
        multilabel=multilabel,
        ignore_index=ignore_index,
        axis=axis,
        reduction=reduction,
    )


def dice_topk_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    dice_weight: float = 1.0,
    topk_weight: float = 1.0,
    k: float = 10.0,
    smooth: float = 0.0,
    per_image: bool = True,
    include_background: bool = True,
    squared: bool = False,
    label_smoothing: float = 0.0,
    class_weights: ArrayInput | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Dice loss plus TopK cross-entropy, each weighted (nnU-Net ``DC_and_topk_loss``; the Loss Odyssey's DiceTopK).

    $$
    L = \lambda_{\text{Dice}}\, L_{\text{Dice}} + \lambda_{\text{TopK}}\, L_{\text{TopK}}
    $$

    where:

    - $L_{\text{Dice}}$ is [`dice_loss`][segref.dice_loss] with ``smooth``, ``per_image``,
      ``include_background`` and ``squared``;
    - $L_{\text{TopK}}$ is [`topk_cross_entropy`][segref.topk_cross_entropy] with ``k``,
      ``label_smoothing`` and ``class_weights`` (the $k$ percent of the batch's pixels with
      the largest cross-entropy);
    - $\lambda_{\text{Dice}}$ is ``dice_weight`` and $\lambda_{\text{TopK}}$ ``topk_weight``.

    It is [`combined_loss`][segref.combined_loss] with these two terms. nnU-Net's version
    leaves the background out of the Dice term and uses $-D$ instead of $1 - D$:
    ``dice_topk_loss(..., include_background=False, smooth=1e-5) - 1``, with
    ``per_image=False`` where its plans set ``batch_dice`` (2D, and 3D full resolution with
    a cascade).

    Args:
        pred: logits or probabilities ``(N, C, *spatial)``.
        target: class indices ``(N, *spatial)`` or one-hot / soft labels shaped like ``pred``.
        from_logits: ``True`` for logits.
        dice_weight: $\lambda_{\text{Dice}} \ge 0$.
        topk_weight: $\lambda_{\text{TopK}} \ge 0$.
        k: the percentage of pixels the TopK term keeps, $0 < k \le 100$.
        smooth: Dice smoothing $\epsilon$.
        per_image: Dice statistics per image or over the batch.
        include_background: keep class 0 in the Dice term.
        squared: V-Net squared denominator in the Dice term.
        label_smoothing: the cross-entropy's label smoothing.
        class_weights: the cross-entropy's class weights.
        ignore_index: target value left out of both terms (index targets).
        axis: the class axis.
        reduction: ``"mean"``.

    Returns:
        A 0-d array.

    Examples:
        Equal logits over two classes: Dice loss 0.5, and every pixel's cross-entropy is $\log 2$:

        >>> import torch
        >>> z = torch.zeros(1, 2, 2)
        >>> y = torch.tensor([[0, 1]])
        >>> round(dice_topk_loss(z, y, from_logits=True).item(), 6)  # 0.5 + log 2
        1.193147

    References:
        J. Ma et al., "Loss odyssey in medical image segmentation", Medical Image Analysis 71, 2021;
        F. Isensee et al., "nnU-Net", Nature Methods 18, 2021 (``DC_and_topk_loss``).
    """
    dice_options = {
        "smooth": smooth,
        "per_image": per_image,
        "include_background": include_background,
        "squared": squared,
    }
    dice_weight = V.check_number("dice_weight", dice_weight, low=0.0)
    topk_weight = V.check_number("topk_weight", topk_weight, low=0.0)
    topk_options = {"k": k, "label_smoothing": label_smoothing, "class_weights": class_weights}
    return combined_loss(
        pred,
        target,
        from_logits=from_logits,
        terms=[(dice_weight, "dice_loss", dice_options), (topk_weight, "topk_cross_entropy", topk_options)],
        ignore_index=ignore_index,
        axis=axis,
        reduction=reduction,
    )


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
