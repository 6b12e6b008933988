r"""Cross-entropy losses: binary (sigmoid) and categorical (softmax).

Both take logits or probabilities, chosen by the required ``from_logits``
keyword. From logits they work in log space (``log_sigmoid``, ``log_softmax``),
so they stay finite for logits of any finite magnitude. From probabilities they
compute the exact formula: a probability of exactly 0 for a labelled class gives
``inf``, as the formula does (Keras clips instead; see ``segref.keras``).
"""

from __future__ import annotations

from typing import Any

from . import _backend as B
from . import _validation as V
from ._inputs import (
    ClassInputs,
    binary_value_checks,
    broadcast_class_vector,
    class_term,
    class_weights_per_pixel,
    prepare_binary,
    prepare_classes,
    softmax_terms,
    true_class_term,
)
from ._reduction import finish, reduce
from ._types import AnyArray, Array, ArrayInput

__all__ = ["binary_cross_entropy", "categorical_cross_entropy"]


def binary_cross_entropy(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    label_smoothing: float = 0.0,
    pos_weight: float | ArrayInput | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Binary cross-entropy between per-pixel probabilities and binary (or soft) labels.

    $$
    \ell_i = -\big[\, w_+\,\tilde y_i \log p_i + (1-\tilde y_i)\log(1-p_i) \,\big],
    \qquad \tilde y_i = y_i\,(1-s) + \tfrac{s}{2}
    $$

    where:

    - $i$ runs over every element of ``pred`` (images, channels and pixels alike);
    - $p_i = \sigma(z_i) = 1/(1+e^{-z_i})$ is the predicted probability, given
      directly or as the logit $z_i$;
    - $y_i \in [0, 1]$ is the target; $\tilde y_i$ the target after label smoothing;
    - $s$ is ``label_smoothing``, which pulls targets towards $\tfrac12$;
    - $w_+$ is ``pos_weight``, the weight of the positive term (1 when not given).

    ``mean`` averages $\ell_i$ over all elements, ``sum`` adds them.

    Args:
        pred: logits or probabilities, any shape ``(N, *)``.
        target: labels in $[0, 1]$ with the shape of ``pred``; float, integer or bool.
        from_logits: ``True`` if ``pred`` holds logits $z$, ``False`` for probabilities $p$.
        label_smoothing: $s \in [0, 1]$.
        pos_weight: $w_+ \ge 0$, a number or a 1-D array with one weight per channel
            along ``axis``, or with one entry for all channels (a one-element tensor, as
            PyTorch broadcasts it). (``torch.nn.BCEWithLogitsLoss`` broadcasts a 1-D
            ``pos_weight`` against the *last* axis; pass ``axis=-1`` to get its behaviour.)
        axis: the channel axis that a per-channel ``pos_weight`` runs along.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` the per-element
        losses with the shape of ``pred``. Same library, device and dtype as ``pred``.

    Examples:
        >>> import numpy as np
        >>> p = np.array([[0.9, 0.2], [0.6, 0.5]])
        >>> y = np.array([[1.0, 0.0], [1.0, 0.0]])
        >>> # -(log 0.9 + log 0.8 + log 0.6 + log 0.5) / 4
        >>> float(binary_cross_entropy(p, y, from_logits=False))
        0.383119
        >>> binary_cross_entropy(p, y, from_logits=False, reduction="none").tolist()
        [[0.1054, 0.2231], [0.5108, 0.6931]]

        From logits, with PyTorch: $z = \log 4$ gives $p = 0.8$, so the loss is $-\log 0.8$.

        >>> import math, torch
        >>> z = torch.tensor([math.log(4.0)], requires_grad=True)
        >>> loss = binary_cross_entropy(z, torch.tensor([1.0]), from_logits=True)
        >>> round(loss.item(), 6)
        0.223144
        >>> loss.backward(); round(z.grad.item(), 6)  # d loss / dz = p - y
        -0.2

        A logit of $-10^4$ for a positive pixel costs $10^4$, with no overflow:

        >>> float(binary_cross_entropy(np.float32([[-1e4]]), np.float32([[1]]), from_logits=True))
        10000.0

    References:
        Keras ``binary_crossentropy`` (label smoothing towards 1/2);
        PyTorch ``BCEWithLogitsLoss`` (``pos_weight``).
    """
    V.check_reduction(reduction)
    smoothing = V.check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    # torch from logits: the loss is computed before the values are read (nothing to warn about, no
    # log of an invalid probability), and its mean or sum stands in for a pass over the logits
    inputs = prepare_binary(
        pred,
        target,
        from_logits=from_logits,
        pos_weight=pos_weight,
        axis=axis,
        defer_value_checks=from_logits is True and B.is_torch(pred),
    )
    loss = binary_cross_entropy_step(inputs, smoothing, reduction)
    if inputs.checks is not None:
        binary_value_checks(
            inputs.checks, pred, target, from_logits=True, reduced_loss=None if reduction == "none" else loss
        )
        inputs.checks.run()
    return finish(inputs.xp, loss, inputs.out_dtype)


def binary_cross_entropy_step(inputs: Any, smoothing: float, reduction: str) -> AnyArray:
    """The reduced binary cross-entropy of prepared inputs (also the CE term of multilabel Dice+CE)."""
    xp, y, weight = inputs.xp, inputs.target, inputs.pos_weight
    if smoothing:
        y = y * (1 - smoothing) + smoothing / 2
    learned_weight = B.is_torch(weight) and weight.requires_grad  # torch's kernel has no gradient for it
    if inputs.from_logits and B.is_torch(inputs.pred) and not learned_weight:
        # PyTorch's fused kernel computes exactly the formula below (one softplus, same pos_weight)
        import torch

        if not torch.is_tensor(weight):
            weight = None if weight == 1.0 else torch.full((), weight, dtype=y.dtype, device=y.device)
        return torch.nn.functional.binary_cross_entropy_with_logits(
            inputs.pred, y, pos_weight=weight, reduction=reduction
        )
    if inputs.from_logits:
        # -log sigma(z) = softplus(-z) and -log(1 - sigma(z)) = z + softplus(-z): one softplus
        z = inputs.pred
        loss = (1 - y) * z + (weight * y + 1 - y) * B.softplus(xp, -z)
    else:
        p = inputs.pred
        loss = -(weight * B.xlogy(xp, y, p) + B.xlogy(xp, 1 - y, 1 - p))
    return reduce(xp, loss, reduction)


def categorical_cross_entropy(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    label_smoothing: float = 0.0,
    class_weights: ArrayInput | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Categorical (softmax) cross-entropy with index or one-hot / soft targets.

    $$
    \ell_i = -\sum_{c=1}^{C} w_c\, \tilde y_{ic} \log p_{ic},
    \qquad \tilde y_{ic} = (1-s)\, y_{ic} + \frac{s}{C},
    \qquad L_{\text{mean}} = \frac{\sum_{i} \ell_i}{\sum_{i} w_{y_i}}
    $$

    where:

    - $i$ runs over the pixels of all images that are not ignored;
    - $c = 1..C$ over classes; $p_{ic} = \operatorname{softmax}(z_i)_c$, given directly
      or as logits $z_{ic}$;
    - $y_{ic}$ is the one-hot (or soft) target; for an index target $y_i$,
      $y_{ic} = [c = y_i]$ (never materialised);
    - $s$ is ``label_smoothing``; $w_c$ the class weight (1 when not given).

    The ``mean`` is PyTorch's: for index targets it divides by the summed weight
    $\sum_i w_{y_i}$ of the counted pixels (their number when unweighted), for
    soft targets by the number of pixels. When every pixel is ignored the mean is
    0 (PyTorch returns NaN).

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
        target: integer class indices of shape ``(N, *spatial)``, or one-hot / soft
            labels with the shape of ``pred``.
        from_logits: ``True`` for logits, ``False`` for probabilities that sum to 1 over classes.
        label_smoothing: $s \in [0, 1]$.
        class_weights: optional 1-D sequence of $C$ non-negative weights $w_c$.
        ignore_index: a target value whose pixels are left out (index targets only).
        axis: the class axis of ``pred`` (1 for PyTorch layout, -1 for Keras' channels-last).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` the per-pixel losses
        of shape ``(N, *spatial)`` (0 at ignored pixels).

    Examples:
        Two pixels, three classes, probabilities given directly:

        >>> import numpy as np
        >>> p = np.array([[[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]]])  # (N=1, C=3, W=2)
        >>> y = np.array([[0, 2]])                                  # true classes
        >>> # -(log 0.7 + log 0.3) / 2
        >>> float(categorical_cross_entropy(p, y, from_logits=False))
        0.780324
        >>> one_hot = np.array([[[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]])
        >>> float(categorical_cross_entropy(p, one_hot, from_logits=False))
        0.780324

        Ignoring the second pixel leaves $-\log 0.7$:

        >>> float(categorical_cross_entropy(p, np.array([[0, 255]]), from_logits=False, ignore_index=255))
        0.356675

        Channels-last logits with PyTorch; equal logits give $\log 3$ per pixel:

        >>> import torch
        >>> z = torch.zeros(1, 2, 2, 3)                        # (N, H, W, C)
        >>> labels = torch.tensor([[[0, 1], [2, 0]]])
        >>> round(categorical_cross_entropy(z, labels, from_logits=True, axis=-1).item(), 6)
        1.098612

    References:
        PyTorch ``torch.nn.functional.cross_entropy`` (same weights, smoothing and mean);
        C. Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
        CVPR 2016, arXiv:1512.00567 (label smoothing).
    """
    V.check_reduction(reduction)
    smoothing = V.check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    inputs = prepare_classes(
        pred,
        target,
        from_logits=from_logits,
        axis=axis,
        ignore_index=ignore_index,
        class_vectors={"class_weights": class_weights},
    )
    weights = inputs.vectors["class_weights"]
    terms = None
    if inputs.fused:
        terms = softmax_terms(inputs, overlap=False, class_vector=smoothing_vector(inputs, weights, smoothing))
    loss, counts = cross_entropy_step(inputs, weights, smoothing, terms)
    return finish(inputs.xp, reduce(inputs.xp, loss, reduction, counts=counts), inputs.out_dtype)


def smoothing_vector(inputs: ClassInputs, weights: AnyArray | None, smoothing: float) -> AnyArray | None:
    """w_c s / C, the coefficients of log p_ic in the label-smoothing term (None without smoothing)."""
    if not smoothing or inputs.kind != "index":
        return None
    xp = inputs.xp
    if weights is None:
        return xp.full(
            (inputs.num_classes,),
            smoothing / inputs.num_classes,
            dtype=inputs.scores.dtype,
            device=B.device(inputs.scores),
        )
    return weights * (smoothing / inputs.num_classes)


def cross_entropy_step(
    inputs: ClassInputs, weights: AnyArray | None, smoothing: float, terms: Any = None
) -> tuple[AnyArray, AnyArray | None]:
    """Per-pixel categorical cross-entropy (N, *spatial) and the counts its mean divides by.

    ``terms`` are the fused kernel's ``SoftmaxTerms`` (with the smoothing vector as
    ``class_vector``) when ``inputs.fused``; the compound losses pass theirs.
    """
    xp, num_classes, valid = inputs.xp, inputs.num_classes, inputs.valid
    if inputs.kind != "index":
        y = inputs.soft * (1 - smoothing) + smoothing / num_classes if smoothing else inputs.soft
        weight_c = 1.0 if weights is None else broadcast_class_vector(inputs, weights)
        return -class_term(inputs, weight_c * y), None
    pixel_weight = None if weights is None else class_weights_per_pixel(inputs, weights)
    counts = pixel_weight if valid is None else (valid if pixel_weight is None else pixel_weight * valid)
    # ignored pixels get coefficient 0, so their log p never enters (no 0 * log 0 = NaN)
    coefficient = (1.0 - smoothing) * (1.0 if counts is None else counts)
    loss = -true_class_term(inputs, coefficient, terms)
    if smoothing:
        if terms is not None:
            smoothed = terms.weighted_log_sum if valid is None else terms.weighted_log_sum * valid
        else:
            class_coefficient = broadcast_class_vector(inputs, smoothing_vector(inputs, weights, smoothing))
            if valid is not None:
                class_coefficient = class_coefficient * xp.expand_dims(valid, axis=1)
            smoothed = class_term(inputs, class_coefficient)
        loss = loss - smoothed
    return loss, counts
