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
from ._inputs import ClassInputs, prepare_classes
from ._reduction import finish, reduce, safe_divide

Array = Any

__all__ = ["soft_dice_coefficient", "dice_loss", "soft_jaccard_index", "jaccard_loss"]


def overlap_statistics(inputs: ClassInputs, *, squared: bool, per_image: bool) -> tuple[Array, Array, Array]:
    """(I, P, G) of shape (N, C), or (C,) when ``per_image`` is False."""
    xp, p = inputs.xp, inputs.probs
    n = p.shape[0]
    flat_p = xp.reshape(p, (n, inputs.num_classes, -1))
    valid = None if inputs.valid is None else xp.reshape(inputs.valid, (n, 1, -1))
    p_power = flat_p * flat_p if squared else flat_p
    if valid is not None:
        p_power = p_power * valid
    pred_sum = xp.sum(p_power, axis=2)
    if inputs.kind == "index":
        index = xp.reshape(inputs.index, (n, -1))
        counted = xp.ones_like(index, dtype=p.dtype) if valid is None else valid[:, 0, :]
        p_true = B.take_class(xp, flat_p, index) * counted
        intersection = B.class_sums(xp, p_true, index, inputs.num_classes)
        target_sum = B.class_sums(xp, counted, index, inputs.num_classes)
    else:
        g = xp.reshape(inputs.soft, (n, inputs.num_classes, -1))
        intersection = xp.sum(flat_p * g, axis=2)
        target_sum = xp.sum(g * g if squared else g, axis=2)
    if not per_image:
        intersection, pred_sum, target_sum = (xp.sum(s, axis=0) for s in (intersection, pred_sum, target_sum))
    return intersection, pred_sum, target_sum


def _overlap(
    kind: str,
    pred: Array,
    target: Array,
    *,
    from_logits: bool,
    multilabel: bool,
    smooth: float,
    per_image: bool,
    include_background: bool,
    squared: bool,
    ignore_index: int | None,
    axis: int,
    reduction: str,
    as_loss: bool,
) -> Array:
    V.check_reduction(reduction)
    smooth = V.check_number("smooth", smooth, low=0.0)
    for name, flag in (("multilabel", multilabel), ("per_image", per_image),
                       ("include_background", include_background), ("squared", squared)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    inputs = prepare_classes(
        pred, target, from_logits=from_logits, axis=axis, ignore_index=ignore_index, multilabel=multilabel
    )
    if not include_background and inputs.num_classes < 2:
        raise ValueError("include_background=False needs at least 2 classes (class 0 is the background)")
    xp = inputs.xp
    intersection, pred_sum, target_sum = overlap_statistics(inputs, squared=squared, per_image=per_image)
    if kind == "dice":
        score = safe_divide(xp, 2 * intersection + smooth, pred_sum + target_sum + smooth, when_zero=1.0)
    else:
        union = pred_sum + target_sum - intersection
        score = safe_divide(xp, intersection + smooth, union + smooth, when_zero=1.0)
    if not include_background:
        score = score[..., 1:]
    value = 1 - score if as_loss else score
    return finish(xp, reduce(xp, value, reduction), inputs.out_dtype)


_SHARED_ARGS = r"""
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
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for channels-last).
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over the (image, class) values."""

_SHARED_RETURNS = r"""
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` one value per image and
        class, shape ``(N, C)``, or per class, shape ``(C,)``, when ``per_image=False``
        (without class 0 when ``include_background=False``)."""


def _overlap_function(kind: str, as_loss: bool, name: str, doc: str) -> Any:
    """One public function per (Dice | Jaccard) x (score | loss), sharing a single signature."""

    def function(
        pred: Array,
        target: Array,
        *,
        from_logits: bool,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        squared: bool = False,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> Array:
        return _overlap(
            kind, pred, target, from_logits=from_logits, multilabel=multilabel, smooth=smooth,
            per_image=per_image, include_background=include_background, squared=squared,
            ignore_index=ignore_index, axis=axis, reduction=reduction, as_loss=as_loss,
        )

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


_SOFT_DICE_COEFFICIENT_DOC = r"""Soft Dice coefficient (Sørensen–Dice) per image and class; higher is better.

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

    Args:""" + _SHARED_ARGS + r"""

    Returns:""" + _SHARED_RETURNS + r"""

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

_DICE_LOSS_DOC = r"""Soft Dice loss $1 - D$ per image and class; lower is better.

    $$
    L_{nc} = 1 - \frac{2\,I_{nc} + \epsilon}{P_{nc} + G_{nc} + \epsilon}
    $$

    where $I$, $P$, $G$ and $\epsilon$ are as in
    [`soft_dice_coefficient`][segref.soft_dice_coefficient]. The loss of a class
    absent from prediction and target is 0.

    Args:""" + _SHARED_ARGS + r"""

    Returns:""" + _SHARED_RETURNS + r"""

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

_SOFT_JACCARD_INDEX_DOC = r"""Soft Jaccard index (IoU) per image and class; higher is better.

    $$
    J_{nc} = \frac{I_{nc} + \epsilon}{P_{nc} + G_{nc} - I_{nc} + \epsilon}
    $$

    where $I$, $P$, $G$ and $\epsilon$ are as in
    [`soft_dice_coefficient`][segref.soft_dice_coefficient]: the soft union is
    $P + G - I = \sum_i (p_i + g_i - p_i g_i)$. A class absent from both gives 1.

    Args:""" + _SHARED_ARGS + r"""

    Returns:""" + _SHARED_RETURNS + r"""

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

_JACCARD_LOSS_DOC = r"""Soft Jaccard (IoU) loss $1 - J$ per image and class; lower is better.

    $$
    L_{nc} = 1 - \frac{I_{nc} + \epsilon}{P_{nc} + G_{nc} - I_{nc} + \epsilon}
    $$

    where $I$, $P$, $G$ and $\epsilon$ are as in
    [`soft_dice_coefficient`][segref.soft_dice_coefficient].

    Args:""" + _SHARED_ARGS + r"""

    Returns:""" + _SHARED_RETURNS + r"""

    Examples:
        >>> import torch
        >>> p = torch.tensor([[[0.9, 0.8, 0.1, 0.4]]], dtype=torch.float64)
        >>> g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]], dtype=torch.float64)
        >>> round(jaccard_loss(p, g, from_logits=False, multilabel=True).item(), 6)  # 1 - 1.7/2.5
        0.32

    References:
        M. A. Rahman, Y. Wang, ISVC 2016, doi:10.1007/978-3-319-50835-1_22.
    """


soft_dice_coefficient = _overlap_function("dice", False, "soft_dice_coefficient", _SOFT_DICE_COEFFICIENT_DOC)
dice_loss = _overlap_function("dice", True, "dice_loss", _DICE_LOSS_DOC)
soft_jaccard_index = _overlap_function("jaccard", False, "soft_jaccard_index", _SOFT_JACCARD_INDEX_DOC)
jaccard_loss = _overlap_function("jaccard", True, "jaccard_loss", _JACCARD_LOSS_DOC)
