r"""Focal losses (Lin et al., 2017): cross-entropy scaled by $(1 - p_t)^\gamma$.

The modulating factor shrinks the loss of pixels that are already classified
well, so training concentrates on the hard ones. With $\gamma = 0$ and no
$\alpha$ the losses equal the binary and categorical cross-entropy.

On $\alpha$: Lin et al. give weight $\alpha$ to the positive class (target 1) and
$1-\alpha$ to the negative class; their best setting, $\alpha = 0.25$, therefore
*down*-weights positives. segref's ``binary_focal_loss`` follows the paper; the
default ``alpha=None`` applies no weighting (torchvision defaults to 0.25, fvcore
to none, Keras applies it only with ``apply_class_balancing=True``). The
multiclass ``focal_loss`` takes one weight per class, or one number for all.
"""

from __future__ import annotations

from typing import Any

from . import _backend as B
from . import _validation as V
from ._inputs import (
    broadcast_class_vector,
    class_weights_per_pixel,
    prepare_binary,
    prepare_classes,
    softmax_terms,
)
from ._reduction import finish, reduce
from ._types import Array, ArrayInput

__all__ = ["binary_focal_loss", "focal_loss"]


def binary_focal_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    gamma: float = 2.0,
    alpha: float | None = None,
    reduction: str = "mean",
) -> Array:
    r"""Binary (sigmoid) focal loss.

    $$
    \ell_i = -\Big[\alpha\, y_i\,(1-p_i)^{\gamma}\log p_i
                  + (1-\alpha)\,(1-y_i)\,p_i^{\gamma}\log(1-p_i)\Big]
    $$

    where:

    - $i$ runs over every element of ``pred``;
    - $p_i = \sigma(z_i)$ is the predicted probability of the positive class;
    - $y_i \in [0, 1]$ the target; for $y_i \in \{0, 1\}$ this is
      $-\alpha_t (1-p_t)^\gamma \log p_t$ with $p_t = p_i$ if $y_i = 1$, else $1 - p_i$;
    - $\gamma \ge 0$ is ``gamma``; $\alpha \in [0, 1]$ is ``alpha``, the weight of
      the positive class, and $1-\alpha$ that of the negative class. With
      ``alpha=None`` both weights are 1 (not $\tfrac12$).

    Args:
        pred: logits or probabilities, any shape ``(N, *)``.
        target: labels in $[0, 1]$ with the shape of ``pred``.
        from_logits: ``True`` for logits, ``False`` for probabilities.
        gamma: focusing parameter $\gamma \ge 0$.
        alpha: positive-class weight $\alpha \in [0, 1]$, or ``None`` for no weighting.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` over elements.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; the per-element losses with the
        shape of ``pred`` for ``"none"``.

    Examples:
        $p_t = 0.9$: the focal loss is $(0.1)^2 = 1/100$ of the cross-entropy $-\log 0.9$.

        >>> import numpy as np
        >>> p = np.array([[0.9], [0.1]])
        >>> y = np.array([[1.0], [0.0]])
        >>> float(binary_focal_loss(p, y, from_logits=False, gamma=2.0))  # 0.01 * 0.1053605
        0.00105361
        >>> # alpha = 0.25 weights the positive pixel, 0.75 the negative one
        >>> binary_focal_loss(p, y, from_logits=False, gamma=2.0, alpha=0.25, reduction="none").tolist()
        [[0.00026340], [0.00079020]]

        From logits in float32, stable far from zero:

        >>> import torch
        >>> z = torch.tensor([-1e4, 1e4], requires_grad=True)
        >>> loss = binary_focal_loss(z, torch.tensor([1.0, 1.0]), from_logits=True, reduction="none")
        >>> loss.detach()
        tensor([10000.,     0.])
        >>> loss.sum().backward(); z.grad
        tensor([-1., -0.])

    References:
        T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
        Detection", ICCV 2017, arXiv:1708.02002.
    """
    V.check_reduction(reduction)
    gamma = V.check_number("gamma", gamma, low=0.0)
    weight_pos, weight_neg = (1.0, 1.0) if alpha is None else _alpha_pair(alpha)
    inputs = prepare_binary(pred, target, from_logits=from_logits)
    xp, y = inputs.xp, inputs.target
    if from_logits:
        z = inputs.pred
        log_p, log_q = B.log_sigmoid(xp, z), B.log_sigmoid(xp, -z)
        positive = y * xp.exp(gamma * log_q) * log_p
        negative = (1 - y) * xp.exp(gamma * log_p) * log_q
    else:
        p = inputs.pred
        positive = B.power(xp, 1 - p, gamma) * B.xlogy(xp, y, p)
        negative = B.power(xp, p, gamma) * B.xlogy(xp, 1 - y, 1 - p)
    loss = -(weight_pos * positive + weight_neg * negative)
    return finish(xp, reduce(xp, loss, reduction), inputs.out_dtype)


def _alpha_pair(alpha: Any) -> tuple[float, float]:
    alpha = V.check_number("alpha", alpha, low=0.0, high=1.0)
    return alpha, 1.0 - alpha


def focal_loss(
    pred: Array,
    target: ArrayInput,
    *,
    from_logits: bool,
    gamma: float = 2.0,
    alpha: float | ArrayInput | None = None,
    ignore_index: int | None = None,
    axis: int = 1,
    reduction: str = "mean",
) -> Array:
    r"""Multiclass (softmax) focal loss.

    $$
    \ell_i = -\sum_{c=1}^{C} \alpha_c\, y_{ic}\,(1-p_{ic})^{\gamma}\log p_{ic}
    $$

    where:

    - $i$ runs over the pixels that are not ignored, $c$ over the $C$ classes;
    - $p_{ic} = \operatorname{softmax}(z_i)_c$ (or given directly);
    - $y_{ic}$ the one-hot or soft target; for an index target only the true class
      $c = y_i$ contributes: $\ell_i = -\alpha_{y_i}(1-p_{i y_i})^\gamma \log p_{i y_i}$;
    - $\gamma \ge 0$ is ``gamma``; $\alpha_c$ the weight of class $c$: ``alpha`` as a
      sequence of $C$ weights, one number for every class (Keras'
      ``CategoricalFocalCrossentropy``), or 1 when ``None``.

    ``mean`` divides by the number of counted pixels (0 when none is counted),
    not by the summed weights.

    Args:
        pred: logits or probabilities of shape ``(N, C, *spatial)`` (class axis at ``axis``).
        target: integer class indices ``(N, *spatial)`` or one-hot / soft labels shaped like ``pred``.
        from_logits: ``True`` for logits, ``False`` for probabilities that sum to 1 over classes.
        gamma: focusing parameter $\gamma \ge 0$.
        alpha: per-class weights, a single weight, or ``None``.
        ignore_index: a target value whose pixels are left out (index targets).
        axis: the class axis of ``pred``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        A 0-d array for ``"mean"`` and ``"sum"``; per-pixel losses ``(N, *spatial)`` for ``"none"``.

    Examples:
        >>> import numpy as np
        >>> p = np.array([[[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]]])  # (N=1, C=3, W=2)
        >>> y = np.array([[0, 2]])
        >>> # pixel 1: -(0.3**2) log 0.7; pixel 2: -(0.7**2) log 0.3
        >>> focal_loss(p, y, from_logits=False, gamma=2.0, reduction="none").tolist()
        [[0.0321007, 0.5899467]]

        With $\gamma = 0$ it is the categorical cross-entropy, here $\log 3$:

        >>> import torch
        >>> round(focal_loss(torch.zeros(2, 3), torch.tensor([0, 2]), from_logits=True, gamma=0.0).item(), 6)
        1.098612

    References:
        T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss for Dense Object
        Detection", ICCV 2017, arXiv:1708.02002.
    """
    V.check_reduction(reduction)
    gamma = V.check_number("gamma", gamma, low=0.0)
    alpha = V.scalar_value(alpha)
    uniform = isinstance(alpha, (int, float)) and not isinstance(alpha, bool)
    if uniform:
        alpha = V.check_number("alpha", alpha, low=0.0)
    inputs = prepare_classes(
        pred,
        target,
        from_logits=from_logits,
        axis=axis,
        ignore_index=ignore_index,
        class_vectors={} if uniform else {"alpha": alpha},
    )
    xp = inputs.xp
    weights = inputs.vectors.get("alpha")
    if uniform:
        weights = xp.full((inputs.num_classes,), alpha, dtype=inputs.scores.dtype, device=B.device(inputs.scores))
    if inputs.kind == "index":
        counted = inputs.valid
        if inputs.from_logits:
            if inputs.fused:
                log_p_true = softmax_terms(inputs, overlap=False).log_p_true
            else:
                log_p_true = B.take_class(xp, inputs.log_probs, inputs.index)
            ce = -log_p_true if counted is None else -counted * log_p_true
            modulation = B.power(xp, -xp.expm1(log_p_true), gamma)
        else:
            p_true = B.take_class(xp, inputs.probs, inputs.index)
            # ignored pixels get coefficient 0, so their log p never enters (no 0 * log 0 = NaN)
            ce = -B.xlogy(xp, xp.ones_like(p_true) if counted is None else counted, p_true)
            modulation = B.power(xp, 1 - p_true, gamma)
        loss = modulation * ce
        if weights is not None:
            loss = loss * class_weights_per_pixel(inputs, weights)
    else:
        y = inputs.soft if weights is None else inputs.soft * broadcast_class_vector(inputs, weights)
        if inputs.from_logits:
            cross = -y * inputs.log_probs
            modulation = B.power(xp, -xp.expm1(inputs.log_probs), gamma)
        else:
            cross = -B.xlogy(xp, y, inputs.probs)
            modulation = B.power(xp, 1 - inputs.probs, gamma)
        loss = xp.sum(modulation * cross, axis=1)
    return finish(xp, reduce(xp, loss, reduction, counts=inputs.valid), inputs.out_dtype)
