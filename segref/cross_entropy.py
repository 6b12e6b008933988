r"""Cross-entropy losses: binary (sigmoid) and categorical (softmax), and the losses built on
the per-pixel categorical cross-entropy: TopK and bootstrapped cross-entropy (the hardest
pixels only), Poly-1, and the class-frequency weights that a weighted cross-entropy takes.

Both take logits or probabilities, chosen by the required ``from_logits``
keyword. From logits they work in log space (``log_sigmoid``, ``log_softmax``),
so they stay finite for logits of any finite magnitude. From probabilities they
compute the exact formula: a probability of exactly 0 for a labelled class gives
``inf``, as the formula does (Keras clips instead; see ``segref.keras``).
"""

from __future__ import annotations

import math
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
from ._reduction import finish, reduce, safe_divide
from ._types import AnyArray, Array, ArrayInput

__all__ = [
    "binary_cross_entropy",
    "bootstrapped_cross_entropy",
    "categorical_cross_entropy",
    "class_frequency_weights",
    "poly_loss",
    "topk_cross_entropy",
]


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


def topk_cross_entropy(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    k: float = 10.0,
    per_image: bool = False,
    label_smoothing: float = 0.0,
    class_weights: ArrayInput | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""The mean cross-entropy of the $k$ percent of pixels with the largest loss (nnU-Net's ``TopKLoss``).

    $$
    L = \frac{1}{m} \sum_{i \in \mathcal{T}} \ell_i,
    \qquad m = \max\!\Big(1, \Big\lfloor \frac{k\, M}{100} \Big\rfloor\Big)
    $$

    where:

    - $\ell_i$ is the per-pixel categorical cross-entropy of
      [`categorical_cross_entropy`][segref.categorical_cross_entropy] (with its class
      weights and label smoothing);
    - $M$ is the number of counted (not ignored) pixels of the batch, or of one image with
      ``per_image=True``;
    - $k$ is the percentage kept; $\mathcal{T}$ the $m$ counted pixels with the largest
      $\ell_i$ (ties broken in any order: the sum is the same).

    The batch pools every image, as nnU-Net and the Loss Odyssey do; ``per_image=True``
    keeps $k$ percent of each image and averages the images' losses (an image whose
    pixels are all ignored is left out). $m$ is at least one pixel, where nnU-Net's
    $\lfloor kM/100 \rfloor = 0$ would average no pixel (NaN). Class weights scale
    $\ell_i$ and so which pixels are kept; the mean still divides by $m$, as nnU-Net's.

    The kept set changes only where two losses cross, so the loss is continuous and its
    gradient is that of the kept pixels' cross-entropy (zero for the others); where
    pixels tie at the boundary of $\mathcal{T}$, autograd follows the ones the sort
    put first.

    Args:
        pred: logits or probabilities ``(N, C, *spatial)`` (class axis at ``axis``).
        target: class indices ``(N, *spatial)``, or one-hot / soft labels shaped like ``pred``.
        from_logits: ``True`` for logits.
        k: the percentage of pixels kept, $0 < k \le 100$ (100 is the plain mean).
        per_image: keep $k$ percent of each image instead of the batch.
        label_smoothing: $s \in [0, 1]$, as in ``categorical_cross_entropy``.
        class_weights: optional $C$ non-negative weights $w_c$ of $\ell_i$.
        ignore_index: a target value whose pixels are neither counted nor kept.
        axis: the class axis.
        reduction: ``"mean"`` ($L$, or the mean of the images' $L$ with ``per_image``),
            ``"sum"`` (the kept losses added) or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` the per-pixel losses
        ``(N, *spatial)`` with 0 at the pixels not kept.

    Examples:
        Four pixels whose true classes have probabilities 0.9, 0.5, 0.2 and 0.8:

        >>> import numpy as np
        >>> p_true = np.array([0.9, 0.5, 0.2, 0.8])
        >>> p = np.stack([p_true, 1 - p_true])[None]      # (N=1, C=2, W=4)
        >>> y = np.zeros((1, 4), dtype=int)
        >>> # k = 50 keeps 2 pixels: (-log 0.2 - log 0.5) / 2
        >>> float(topk_cross_entropy(p, y, from_logits=False, k=50))
        1.151293
        >>> topk_cross_entropy(p, y, from_logits=False, k=50, reduction="none").tolist()
        [[0.0, 0.6931472, 1.6094379, 0.0]]
        >>> # k = 10 of 4 pixels rounds down to 0; one pixel is kept: -log 0.2
        >>> float(topk_cross_entropy(p, y, from_logits=False, k=10))
        1.609438

    References:
        Z. Wu, C. Shen, A. van den Hengel, "Bridging Category-level and Instance-level
        Semantic Image Segmentation", arXiv:1605.06885, 2016 (online bootstrapping);
        J. Ma et al., "Loss odyssey in medical image segmentation", Medical Image Analysis 71,
        2021, doi:10.1016/j.media.2021.102035 (TopK, k = 10); nnU-Net ``TopKLoss``.
    """
    V.check_reduction(reduction)
    k = V.check_bounded("k", k)
    V.check_flag("per_image", per_image)

    def kept(counted: Any, values: Any) -> Any:
        if isinstance(counted, int):
            return max(1, math.floor(k * counted / 100))
        xp = B.namespace(counted)
        share = xp.floor(B.to_float(xp, counted, B.counting_dtype(counted)) * k / 100)
        return xp.where(counted > 0, xp.clip(share, 1, None), xp.zeros_like(share))

    return _mean_of_largest(
        pred, target, kept, from_logits, per_image, label_smoothing, class_weights, ignore_index, axis, reduction
    )


def bootstrapped_cross_entropy(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    num_kept: int = 512,
    threshold: float | None = None,
    per_image: bool = True,
    label_smoothing: float = 0.0,
    class_weights: ArrayInput | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Online bootstrapping: the mean cross-entropy of a fixed number of the hardest pixels.

    $$
    L = \frac{1}{m} \sum_{i \in \mathcal{T}} \ell_i,
    \qquad m = \min\!\Big(M,\; \max\big(K,\; \big|\{\, i : \ell_i > t \,\}\big|\big)\Big)
    $$

    where:

    - $\ell_i$ is the per-pixel categorical cross-entropy of
      [`categorical_cross_entropy`][segref.categorical_cross_entropy];
    - $M$ is the number of counted pixels of one image (of the batch with ``per_image=False``);
    - $K$ is ``num_kept``; $t$ is ``threshold`` (no threshold: $m = \min(M, K)$);
    - $\mathcal{T}$ holds the $m$ counted pixels with the largest $\ell_i$.

    Without a threshold it keeps the $K$ hardest pixels of each image; with one, every
    pixel whose loss exceeds $t$ and at least $K$. A threshold on the true class's
    probability $p$ is $t = -\log p$ (without class weights or smoothing). The mean over
    images leaves out an image whose pixels are all ignored. Where the loss is not
    differentiable, see [`topk_cross_entropy`][segref.topk_cross_entropy].

    Args:
        pred: logits or probabilities ``(N, C, *spatial)`` (class axis at ``axis``).
        target: class indices ``(N, *spatial)``, or one-hot / soft labels shaped like ``pred``.
        from_logits: ``True`` for logits.
        num_kept: $K \ge 1$, the pixels kept per image (per batch with ``per_image=False``).
        threshold: $t \ge 0$ in nats, or ``None``.
        per_image: count $K$ and $t$ per image (the default) or over the batch.
        label_smoothing: $s \in [0, 1]$, as in ``categorical_cross_entropy``.
        class_weights: optional $C$ non-negative weights $w_c$ of $\ell_i$.
        ignore_index: a target value whose pixels are neither counted nor kept.
        axis: the class axis.
        reduction: ``"mean"``, ``"sum"`` (the kept losses added) or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` the per-pixel losses
        ``(N, *spatial)`` with 0 at the pixels not kept.

    Examples:
        The four pixels of ``topk_cross_entropy``'s example (true-class probabilities
        0.9, 0.5, 0.2, 0.8):

        >>> import numpy as np
        >>> p_true = np.array([0.9, 0.5, 0.2, 0.8])
        >>> p = np.stack([p_true, 1 - p_true])[None]
        >>> y = np.zeros((1, 4), dtype=int)
        >>> float(bootstrapped_cross_entropy(p, y, from_logits=False, num_kept=1))  # -log 0.2
        1.609438
        >>> # losses above t = 0.2 nats: -log 0.5, -log 0.2 and -log 0.8, more than K = 1
        >>> float(bootstrapped_cross_entropy(p, y, from_logits=False, num_kept=1, threshold=0.2))
        0.84191

    References:
        Z. Wu, C. Shen, A. van den Hengel, "Bridging Category-level and Instance-level
        Semantic Image Segmentation", arXiv:1605.06885, 2016.
    """
    V.check_reduction(reduction)
    num_kept = V.check_count("num_kept", num_kept)
    threshold = V.check_bounded("threshold", threshold)
    V.check_flag("per_image", per_image)

    def kept(counted: Any, values: Any) -> Any:
        if threshold is None and isinstance(counted, int):
            return min(counted, num_kept)
        # a mask, without sorting: every loss above t if there are at least K of them, else the K
        # largest (ignored pixels hold -1, below every loss and threshold, and are masked out)
        xp = B.namespace(values)
        _, order = B.largest_first(values, min(num_kept, values.shape[1]))
        kept = B.place_in_rows(values, order, xp.ones(order.shape, dtype=values.dtype, device=B.device(values)))
        if threshold is not None:
            above = xp.astype(values > threshold, values.dtype)
            kept = xp.where(xp.sum(above, axis=1, keepdims=True) >= num_kept, above, kept)
        return kept if isinstance(counted, int) else kept * xp.astype(values >= 0, values.dtype)

    return _mean_of_largest(
        pred, target, kept, from_logits, per_image, label_smoothing, class_weights, ignore_index, axis, reduction
    )


def _mean_of_largest(
    pred: Array,
    target: ArrayInput,
    kept: Any,
    from_logits: bool,
    per_image: bool,
    smoothing: float,
    class_weights: ArrayInput | None,
    ignore_index: int | None,
    axis: int,
    reduction: str,
) -> Array:
    """The per-pixel cross-entropy's largest values in each group (the batch, or each image),
    averaged over their number (TopK and bootstrapping). ``kept(counted, values)`` says which:
    a number of them (an int, or one count per group), or a 0/1 mask shaped like ``values``."""
    smoothing = V.check_number("label_smoothing", smoothing, low=0.0, high=1.0)
    inputs = prepare_classes(
        pred,
        target,
        from_logits=from_logits,
        axis=axis,
        ignore_index=ignore_index,
        class_vectors={"class_weights": class_weights},
    )
    xp = inputs.xp
    weights = inputs.vectors["class_weights"]
    terms = None
    if inputs.fused:
        terms = softmax_terms(inputs, overlap=False, class_vector=smoothing_vector(inputs, weights, smoothing))
    loss, _ = cross_entropy_step(inputs, weights, smoothing, terms)
    groups = loss.shape[0] if per_image else 1
    values = xp.reshape(loss, (groups, -1))
    if inputs.valid is None:
        counted: Any = values.shape[1]
    else:
        valid = xp.reshape(inputs.valid, (groups, -1))
        counted = xp.sum(valid, axis=1)
        values = xp.where(valid != 0, values, -xp.ones_like(values))  # ignored pixels sort last
    count = kept(counted, values)
    if isinstance(count, int):
        largest, order = B.largest_first(values, count)
    elif count.ndim == 2:  # a 0/1 mask of the kept pixels (where, not a product: an infinite loss not kept is 0)
        largest, order, count = xp.where(count != 0, values, xp.zeros_like(values)), None, xp.sum(count, axis=1)
    else:
        largest, order = B.largest_first(values)
        rank = xp.arange(values.shape[1], device=B.device(values))
        largest = xp.where(rank < count[:, None], largest, xp.zeros_like(largest))
    if reduction == "none":
        kept_values = largest if order is None else B.place_in_rows(values, order, largest)
        return finish(xp, xp.reshape(kept_values, loss.shape), inputs.out_dtype)
    total = xp.sum(largest, axis=1)
    if reduction == "sum":
        return finish(xp, xp.sum(total), inputs.out_dtype)
    if isinstance(count, int):
        return finish(xp, xp.mean(total / count), inputs.out_dtype)
    means = safe_divide(xp, total, B.to_float(xp, count, total.dtype), when_zero=0.0)
    if isinstance(counted, int):
        return finish(xp, xp.mean(means), inputs.out_dtype)
    images = B.to_float(xp, counted > 0, total.dtype)  # an image whose pixels are all ignored is left out
    return finish(xp, safe_divide(xp, xp.sum(means), xp.sum(images), when_zero=0.0), inputs.out_dtype)


def poly_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    epsilon: float = 1.0,
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Poly-1 loss: the cross-entropy plus $\varepsilon$ times its first polynomial term, $1 - p_t$.

    $$
    \ell_i = -\sum_{c=1}^{C} \tilde y_{ic} \log p_{ic} + \varepsilon\,\big(1 - p_{t,i}\big),
    \qquad p_{t,i} = \sum_{c=1}^{C} \tilde y_{ic}\, p_{ic},
    \qquad \tilde y_{ic} = (1 - s)\, y_{ic} + \frac{s}{C}
    $$

    where:

    - $i$ runs over the counted pixels; $p_{ic} = \operatorname{softmax}(z_i)_c$, given
      directly or as logits $z_{ic}$;
    - $y_{ic}$ is the one-hot (or soft) target, $s$ is ``label_smoothing`` and $\tilde y$
      the smoothed target;
    - $p_{t,i}$ is the probability of the target: $p_{i, y_i}$ for an index target
      without smoothing;
    - $\varepsilon$ is ``epsilon``.

    The cross-entropy is $-\log p_t = \sum_{j \ge 1} (1 - p_t)^j / j$; Poly-1 adds
    $\varepsilon$ to the coefficient of the first term. $\varepsilon \ge -1$ keeps
    $\ell_i \ge 0$, since $-\log p \ge 1 - p$. ``epsilon=0`` is the cross-entropy. The
    paper's best value depends on the task (2 for ImageNet, $-1$ for detection); optax
    defaults to 2.

    Args:
        pred: logits or probabilities ``(N, C, *spatial)`` (class axis at ``axis``).
        target: class indices ``(N, *spatial)``, or one-hot / soft labels shaped like ``pred``.
        from_logits: ``True`` for logits.
        epsilon: $\varepsilon \ge -1$.
        label_smoothing: $s \in [0, 1]$.
        ignore_index: a target value whose pixels are left out (index targets).
        axis: the class axis.
        reduction: ``"mean"`` (over the counted pixels), ``"sum"`` or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; for ``"none"`` the per-pixel losses
        ``(N, *spatial)`` (0 at ignored pixels).

    Examples:
        A pixel whose true class has probability 0.5: $-\log 0.5 + 1 \cdot 0.5$.

        >>> import numpy as np
        >>> p = np.array([[0.5, 0.3, 0.2]])       # (N=1, C=3)
        >>> float(poly_loss(p, np.array([0]), from_logits=False))
        1.193147

        Equal logits over three classes: $\log 3 + 2\,(1 - \tfrac13)$.

        >>> import torch
        >>> round(poly_loss(torch.zeros(1, 3), torch.tensor([1]), from_logits=True, epsilon=2.0).item(), 6)
        2.431946

    References:
        Z. Leng, M. Tan, C. Liu, E. D. Cubuk, X. Shi, S. Cheng, D. Anguelov, "PolyLoss: A
        Polynomial Expansion Perspective of Classification Loss Functions", ICLR 2022,
        arXiv:2204.12511.
    """
    V.check_reduction(reduction)
    epsilon = V.check_bounded("epsilon", epsilon)
    smoothing = V.check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    inputs = prepare_classes(pred, target, from_logits=from_logits, axis=axis, ignore_index=ignore_index)
    xp, num_classes, valid = inputs.xp, inputs.num_classes, inputs.valid
    terms = None
    if inputs.fused:
        terms = softmax_terms(inputs, overlap=False, class_vector=smoothing_vector(inputs, None, smoothing))
    ce, _ = cross_entropy_step(inputs, None, smoothing, terms)
    if epsilon:
        if inputs.kind == "index":
            if terms is not None:
                miss = -xp.expm1(terms.log_p_true)  # 1 - p_y, exact near p_y = 1
            elif inputs.from_logits:
                miss = -xp.expm1(B.take_class(xp, inputs.log_probs, inputs.index))
            else:
                miss = 1 - B.take_class(xp, inputs.probs, inputs.index)
            # 1 - p_t = (1 - s)(1 - p_y) + s (1 - 1/C), as the p_c sum to 1
            if smoothing:
                miss = (1 - smoothing) * miss + smoothing * (num_classes - 1) / num_classes
            if valid is not None:
                miss = miss * valid
        else:
            y = inputs.soft * (1 - smoothing) + smoothing / num_classes if smoothing else inputs.soft
            miss = 1 - xp.sum(y * inputs.probs, axis=1)
        ce = ce + epsilon * miss
    return finish(xp, reduce(xp, ce, reduction, counts=valid), inputs.out_dtype)


def class_frequency_weights(
    labels: ArrayInput | Any,
    *,
    num_classes: int,
    scheme: str = "inverse",
    ignore_index: int | None = None,
) -> AnyArray:
    r"""Class weights from how often each class occurs, for a weighted cross-entropy.

    $$
    f_c = \frac{n_c}{\sum_{c'} n_{c'}}, \qquad
    w_c^{\text{inverse}} = \frac{1/f_c}{\sum_{c'} f_{c'} \cdot 1/f_{c'}} = \frac{1}{C'\, f_c}, \qquad
    w_c^{\text{inverse\_sqrt}} = \frac{1/\sqrt{f_c}}{\sum_{c'} f_{c'} / \sqrt{f_{c'}}}, \qquad
    w_c^{\text{median}} = \frac{\operatorname{median}_{c'} \phi_{c'}}{\phi_c},
    \quad \phi_c = \frac{n_c}{P_c}
    $$

    where:

    - $n_c$ is the number of counted pixels of class $c$ in ``labels``;
    - $f_c$ is its frequency; $C'$ the number of classes that occur;
    - $P_c$ is the number of counted pixels of the images in which class $c$ occurs, so
      $\phi_c$ is its frequency in those images (Eigen & Fergus' median-frequency
      balancing; the median runs over the classes that occur);
    - sums and the median run over the classes that occur; a class that does not occur
      gets weight 0 (it has no pixel to weigh).

    ``"inverse"`` and ``"inverse_sqrt"`` are scaled so that a pixel's mean weight
    $\sum_c f_c w_c$ is 1; ``"inverse"`` is then scikit-learn's ``"balanced"`` weights,
    $n / (C' n_c)$. Pass ``labels`` as one array (a batch: weights per batch) or as an
    iterable of arrays (a dataset: the counts are added up first). Like the losses, it
    checks the labels' values unless [`value_checks`][segref.value_checks] turns that off
    (then the label range is not checked, and labels with no counted pixel give all zeros).

    Args:
        labels: integer class indices ``(N, *spatial)`` (first axis: images), or an
            iterable of such arrays.
        num_classes: $C$, the length of the returned weights.
        scheme: ``"inverse"``, ``"inverse_sqrt"`` or ``"median"``.
        ignore_index: a label value that is not counted.

    Returns:
        The $C$ weights: float64 for NumPy labels, float32 on the labels' device for
        torch tensors (counted in float64, or float32 on Apple's MPS, which lacks it); pass
        them as ``class_weights``.

    Examples:
        Two images, four pixels each: class 0 has 5 pixels, class 1 one, class 2 two.

        >>> import numpy as np
        >>> y = np.array([[0, 0, 0, 1], [0, 0, 2, 2]])
        >>> class_frequency_weights(y, num_classes=3).tolist()  # 8 / (3 n_c)
        [0.533333, 2.666667, 1.333333]
        >>> # phi = 5/8, 1/4, 2/4 (classes 1 and 2 occur in one image of 4 pixels); median 1/2
        >>> class_frequency_weights(y, num_classes=3, scheme="median").tolist()
        [0.8, 2.0, 1.0]
        >>> class_frequency_weights([y[:1], y[1:]], num_classes=4).tolist()  # a dataset; class 3 absent
        [0.533333, 2.666667, 1.333333, 0.0]

    References:
        D. Eigen, R. Fergus, "Predicting Depth, Surface Normals and Semantic Labels with a
        Common Multi-Scale Convolutional Architecture", ICCV 2015, arXiv:1411.4734 (median
        frequency balancing); scikit-learn ``compute_class_weight("balanced")``.
    """
    num_classes = V.check_count("num_classes", num_classes)
    scheme = V.check_choice("scheme", scheme)
    ignore_index = V.check_ignore_index(ignore_index)
    batches = [labels] if B.is_numpy(labels) or B.is_torch(labels) else list(labels)
    if not batches:
        raise ValueError("labels is an empty iterable; expected at least one array of class indices")
    kinds = {type(batch).__module__.split(".")[0] for batch in batches}
    if len(batches) > 1 and all(B.is_numpy(b) or B.is_torch(b) for b in batches) and len(kinds) > 1:
        raise TypeError("labels mixes NumPy arrays and torch tensors; expected arrays of one library")
    totals = None
    for position, batch in enumerate(batches):
        name = "labels" if len(batches) == 1 and batches[0] is labels else f"labels[{position}]"
        counts = _class_counts(name, batch, num_classes, ignore_index)
        totals = counts if totals is None else tuple(a + b for a, b in zip(totals, counts, strict=True))
    assert totals is not None
    n, in_images = totals
    xp = B.namespace(n)
    checks = V.ValueChecks()
    checks.require(xp.sum(n) > 0, lambda: "labels holds no counted pixel; expected at least one label")
    checks.run()
    present = n > 0
    if scheme == "median":
        phi = safe_divide(xp, n, in_images, when_zero=0.0)
        middle = B.median_of(xp, phi, present)
        weights = middle / xp.where(present, phi, xp.ones_like(phi))
    else:
        f = n / xp.sum(n)
        raw = 1 / xp.where(present, f, xp.ones_like(f))
        if scheme == "inverse_sqrt":
            raw = xp.sqrt(raw)
        weights = raw / xp.sum(f * raw)
    weights = xp.where(present, weights, xp.zeros_like(weights))
    return weights if B.is_numpy(weights) else B.to_float(xp, weights, xp.float32)


def _class_counts(name: str, labels: Any, num_classes: int, ignore_index: int | None) -> tuple[Any, Any]:
    """(n_c, P_c) of one array of labels: pixels of class c, and pixels of the images where c occurs."""
    V.check_array(name, labels)
    if not B.is_integer(labels):
        raise TypeError(f"{name} must hold integer class indices, got dtype {labels.dtype}")
    if labels.ndim < 1:
        raise ValueError(f"{name} must have an image axis first, got a 0-d array")
    xp = B.namespace(labels)
    dtype = B.counting_dtype(labels)  # float32 would stop counting at 2**24 pixels of a class
    index = B.as_int64(labels)
    counted = xp.ones_like(index) != 0 if ignore_index is None else index != ignore_index
    checks = V.ValueChecks()
    if math.prod(labels.shape) > 0:
        low, high = V.value_range(xp.where(counted, index, xp.zeros_like(index)))
        checks.require(
            (low >= 0) & (high < num_classes),
            lambda: V.index_target_message(xp, labels, num_classes, ignore_index, name),
        )
    checks.run()
    index = xp.where(counted, index, xp.zeros_like(index))
    per_image = B.class_sums(xp, B.to_float(xp, counted, dtype), index, num_classes)  # (N, C)
    total = xp.sum(per_image, axis=0)
    pixels = xp.sum(per_image, axis=1, keepdims=True)
    in_images = xp.sum(xp.where(per_image > 0, pixels, xp.zeros_like(pixels)), axis=0)
    return total, in_images
