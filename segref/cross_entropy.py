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
    broadcast_class_vector,
    class_term,
    class_weights_per_pixel,
    prepare_binary,
    prepare_classes,
    true_class_term,
)
from ._reduction import finish, reduce

Array = Any

__all__ = ["binary_cross_entropy", "categorical_cross_entropy"]


def binary_cross_entropy(
    pred: Array,
    target: Array,
    *,
    from_logits: bool,
    label_smoothing: float = 0.0,
    pos_weight: float | Array | None = None,
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
            along ``axis``. (``torch.nn.BCEWithLogitsLoss`` broadcasts a 1-D ``pos_weight``
            against the *last* axis; pass ``axis=-1`` to get its behaviour.)
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
    inputs = prepare_binary(pred, target, from_logits=from_logits)
    xp, y = inputs.xp, inputs.target
    if smoothing:
        y = y * (1 - smoothing) + smoothing / 2
    weight = _pos_weight(inputs, pos_weight, axis)
    if from_logits:
        # -log sigma(z) = softplus(-z) and -log(1 - sigma(z)) = z + softplus(-z): one softplus
        z = inputs.pred
        loss = (1 - y) * z + (weight * y + 1 - y) * B.softplus(xp, -z)
    else:
        p = inputs.pred
        loss = -(weight * B.xlogy(xp, y, p) + B.xlogy(xp, 1 - y, 1 - p))
    return finish(xp, reduce(xp, loss, reduction), inputs.out_dtype)


def _pos_weight(inputs: Any, pos_weight: Any, axis: int) -> Any:
    xp, like = inputs.xp, inputs.pred
    if pos_weight is None:
        return 1.0
    pos_weight = V.scalar_value(pos_weight)
    if isinstance(pos_weight, (int, float)) and not isinstance(pos_weight, bool):
        return V.check_number("pos_weight", pos_weight, low=0.0)
    axis = V.check_axis(like, axis)
    vector = V.check_class_vector(xp, "pos_weight", pos_weight, like.shape[axis], like)
    shape = tuple(like.shape[axis] if i == axis else 1 for i in range(like.ndim))
    return xp.reshape(vector, shape)


def categorical_cross_entropy(
    pred: Array,
    target: Array,
    *,
    from_logits: bool,
    label_smoothing: float = 0.0,
    class_weights: Array | None = None,
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
    inputs = prepare_classes(pred, target, from_logits=from_logits, axis=axis, ignore_index=ignore_index)
    xp, num_classes = inputs.xp, inputs.num_classes
    weights = None
    if class_weights is not None:
        weights = V.check_class_vector(xp, "class_weights", class_weights, num_classes, inputs.probs)
    weight_c = 1.0 if weights is None else broadcast_class_vector(inputs, weights)

    if inputs.kind == "index":
        # ignored pixels get coefficient 0, so their log p never enters (no 0 * log 0 = NaN)
        valid = 1.0 if inputs.valid is None else inputs.valid
        loss = -true_class_term(inputs, _true_class_coefficient(inputs, weights, smoothing) * valid)
        if smoothing:
            valid_c = 1.0 if inputs.valid is None else xp.expand_dims(inputs.valid, axis=1)
            loss = loss - class_term(inputs, weight_c * smoothing / num_classes * valid_c)
        pixel_weight = class_weights_per_pixel(inputs, weights) if weights is not None else None
        if inputs.valid is not None:
            pixel_weight = inputs.valid if pixel_weight is None else pixel_weight * inputs.valid
    else:
        y = inputs.soft * (1 - smoothing) + smoothing / num_classes if smoothing else inputs.soft
        loss = -class_term(inputs, weight_c * y)
        pixel_weight = None
    return finish(xp, reduce(xp, loss, reduction, counts=pixel_weight), inputs.out_dtype)


def _true_class_coefficient(inputs: Any, weights: Any, smoothing: float) -> Any:
    """(1 - s) w_{y_i} for every pixel, the coefficient of log p_{i, y_i}."""
    if weights is None:
        return 1.0 - smoothing
    return class_weights_per_pixel(inputs, weights) * (1 - smoothing)
