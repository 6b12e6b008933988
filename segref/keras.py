r"""Keras 3 semantics, reproduced exactly, on NumPy arrays and PyTorch tensors.

Use these functions to get the number Keras gives and compare it with the exact
formula in ``segref``. They follow ``keras.losses`` (Keras 3, torch and TensorFlow
backends): arguments in Keras' order ``(y_true, y_pred)``, channels-last
(``axis=-1``), and what Keras does beyond the formula:

- probabilities are clipped to $[\varepsilon, 1-\varepsilon]$ with $\varepsilon = 10^{-7}$
  (``keras.config.epsilon()``), so a probability of 0 for a positive pixel costs
  $-\log 10^{-7} \approx 16.118$ instead of $\infty$;
- categorical losses first renormalise probabilities, $p / \sum_c p_c$;
- label smoothing is $y(1-s) + s/2$ for binary and $y(1-s) + s/C$ for categorical
  losses, with $C$ the size of the **last** axis;
- the functions return per-sample values (``reduction="none"``: binary losses take
  the mean over ``axis``, categorical ones the sum over classes); the loss classes
  (``keras.losses.BinaryCrossentropy()`` ...) then apply ``"sum_over_batch_size"``,
  the mean over all remaining values, or over the non-ignored ones with
  ``ignore_class``;
- ``dice`` with ``axis=None`` sums over the whole batch and every channel at once.

From logits, binary and categorical cross-entropy are exact (no clipping); the
focal losses apply the sigmoid or softmax first and then clip.

Keras' loss classes compute in ``keras.config.floatx()`` (float32 by default);
segref keeps the input's precision. Away from the clipping bounds the two agree to
float32 rounding, about 1e-6 relative. At the bounds they differ by more, because
$1 - 10^{-7}$ rounds to $1 - 1.19\times10^{-7}$ in float32: pass float32 arrays to
reproduce the number of a Keras loss class exactly there.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _backend as B
from . import _validation as V
from ._reduction import finish, reduce
from ._types import AnyArray, Array, ArrayInput

EPSILON = 1e-7
"""Keras' fuzz factor, ``keras.config.epsilon()``."""

KERAS_REDUCTIONS = ("none", "sum_over_batch_size", "sum")

__all__ = [
    "EPSILON",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "dice",
    "sparse_categorical_crossentropy",
    "tversky",
]


NAMES = ("y_pred", "y_true")


def _check_axis(y_pred: AnyArray, axis: Any) -> None:
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"axis must be an int (or a tuple of ints for dice), got {axis!r}")
        if not -y_pred.ndim <= a < y_pred.ndim:
            raise ValueError(f"axis={axis} is out of range for y_pred of shape {tuple(y_pred.shape)}")


def _start(
    y_true: AnyArray,
    y_pred: AnyArray,
    reduction: str,
    axis: Any,
    *,
    from_logits: bool | None,
    probabilities: str = "unit",
    labels: str = "unit",
    checks: V.ValueChecks | None = None,
) -> tuple[Any, AnyArray, AnyArray]:
    """Checks shared by every function; ``probabilities`` is what y_pred must hold without
    ``from_logits`` ("unit": values in [0, 1]; "renormalised": non-negative, a positive sum
    along ``axis``, which Keras divides by), ``labels`` what y_true holds ("unit" or "index").

    The value checks run together, one host synchronisation, and not at all under
    ``segref.value_checks(False)``; pass ``checks`` to add more before running them yourself.
    """
    V.check_reduction(reduction, KERAS_REDUCTIONS)
    xp = V.check_arrays(y_pred, y_true, NAMES)
    _check_axis(y_pred, axis)
    if from_logits is not None:
        V.check_from_logits(from_logits)
    if labels == "unit":
        V.check_target_dtype(y_true, "y_true")
    run_now = checks is None
    checks = V.ValueChecks() if checks is None else checks
    if checks.enabled:
        if labels == "unit":
            checks.unit_interval("y_true", y_true, V.value_range(y_true), "labels")
        elif B.is_floating(y_true):
            checks.finite("y_true", y_true, V.value_range(y_true))
        span = V.value_range(y_pred)
        if not from_logits and probabilities == "unit":
            checks.unit_interval("y_pred", y_pred, span, "probabilities", V.LOGITS_HINT)
        else:
            checks.finite("y_pred", y_pred, span)
        if not from_logits and probabilities == "renormalised":
            host = y_pred.detach() if B.is_torch(y_pred) else y_pred
            smallest_sum = xp.min(xp.sum(host, axis=axis))
            checks.require(
                (span[0] >= 0) & (smallest_sum > 0),
                lambda: (
                    f"y_pred must hold non-negative probabilities with a positive sum along axis={axis} (Keras "
                    f"divides by it), got a minimum of {float(span[0]):g} and a smallest sum of "
                    f"{float(smallest_sum):g}; "
                    "pass from_logits=True for logits"
                ),
            )
    if run_now:
        checks.run()
    dtype = B.compute_dtype(xp, y_pred)
    return xp, B.to_float(xp, y_pred, dtype), y_true


def _reduce(xp: Any, values: AnyArray, reduction: str, out_dtype: Any, valid: AnyArray | None = None) -> AnyArray:
    """Keras' "sum_over_batch_size" is the mean, over the non-ignored values when ``valid`` is given."""
    counts = None if valid is None else B.to_float(xp, valid, values.dtype)
    mean_or_sum = "mean" if reduction == "sum_over_batch_size" else reduction
    return finish(xp, reduce(xp, values, mean_or_sum, counts=counts), out_dtype)


def _smooth(y: AnyArray, smoothing: float, classes: int) -> AnyArray:
    smoothing = V.check_number("label_smoothing", smoothing, low=0.0, high=1.0)
    return y * (1.0 - smoothing) + smoothing / classes if smoothing else y


def _clip(xp: Any, p: AnyArray) -> AnyArray:
    return xp.clip(p, EPSILON, 1.0 - EPSILON)


def binary_crossentropy(
    y_true: ArrayInput,
    y_pred: Array,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> Array:
    r"""Keras 3 ``keras.losses.binary_crossentropy``.

    $$
    \begin{gathered}
    \ell = \frac{1}{K}\sum_{k=1}^{K} -\big[\tilde y_k \log \hat p_k + (1-\tilde y_k)\log(1-\hat p_k)\big],
    \\[4pt]
    \hat p_k = \operatorname{clip}(p_k, \varepsilon, 1-\varepsilon),\qquad
    \tilde y_k = y_k(1-s) + \tfrac{s}{2}
    \end{gathered}
    $$

    where $k$ runs along ``axis`` ($K$ entries), $\varepsilon = 10^{-7}$ and $s$ is
    ``label_smoothing``. From logits, $\log\hat p_k$ is the exact $\log\sigma(z_k)$.

    Args:
        y_true: labels, same shape as ``y_pred``.
        y_pred: probabilities, or logits with ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: $s \in [0, 1]$.
        axis: the axis averaged over (Keras: the last).
        reduction: ``"none"`` (the Keras function), ``"sum_over_batch_size"`` (the
            Keras class ``BinaryCrossentropy``) or ``"sum"``.

    Returns:
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a 0-d array.

    Examples:
        A positive pixel predicted with probability 0: Keras clips to $10^{-7}$.

        >>> import numpy as np
        >>> float(binary_crossentropy(np.array([1.0]), np.array([0.0])))  # -log(1e-7)
        16.118096
    """
    xp, pred, y_true = _start(y_true, y_pred, reduction, axis, from_logits=from_logits)
    V.check_same_shape(pred, y_true, NAMES)
    y = _smooth(B.to_float(xp, y_true, pred.dtype), label_smoothing, 2)
    if from_logits:
        values = -(y * B.log_sigmoid(xp, pred) + (1 - y) * B.log_sigmoid(xp, -pred))
    else:
        p = _clip(xp, pred)
        values = -(y * xp.log(p) + (1 - y) * xp.log(1 - p))
    return _reduce(xp, xp.mean(values, axis=axis), reduction, y_pred.dtype)


def categorical_crossentropy(
    y_true: ArrayInput,
    y_pred: Array,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> Array:
    r"""Keras 3 ``keras.losses.categorical_crossentropy``.

    $$
    \ell = -\sum_{c=1}^{C} \tilde y_c \log \hat p_c,\qquad
    \hat p_c = \operatorname{clip}\Big(\frac{p_c}{\sum_{c'} p_{c'}}, \varepsilon, 1-\varepsilon\Big),\qquad
    \tilde y_c = y_c(1-s) + \frac{s}{C}
    $$

    where $c$ runs along ``axis``, $\varepsilon = 10^{-7}$, and $C$ is the size of the
    last axis (Keras' choice, whatever ``axis`` is). From logits, $\log \hat p_c$ is
    the exact log-softmax.

    Args:
        y_true: one-hot or soft labels, same shape as ``y_pred``.
        y_pred: probabilities (renormalised), or logits with ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: $s \in [0, 1]$.
        axis: the class axis.
        reduction: ``"none"``, ``"sum_over_batch_size"`` or ``"sum"``.

    Returns:
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a 0-d array.

    Examples:
        Unnormalised "probabilities" are rescaled: (2, 6) becomes (0.25, 0.75).

        >>> import numpy as np
        >>> float(categorical_crossentropy(np.array([0.0, 1.0]), np.array([2.0, 6.0])))  # -log 0.75
        0.287682
    """
    xp, pred, y_true = _start(y_true, y_pred, reduction, axis, from_logits=from_logits, probabilities="renormalised")
    V.check_same_shape(pred, y_true, NAMES)
    y = _smooth(B.to_float(xp, y_true, pred.dtype), label_smoothing, pred.shape[-1])
    if from_logits:
        log_p = B.log_softmax(xp, pred, axis=axis)
    else:
        log_p = xp.log(_clip(xp, pred / xp.sum(pred, axis=axis, keepdims=True)))
    return _reduce(xp, -xp.sum(y * log_p, axis=axis), reduction, y_pred.dtype)


def sparse_categorical_crossentropy(
    y_true: ArrayInput,
    y_pred: Array,
    *,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
    reduction: str = "none",
) -> Array:
    r"""Keras 3 ``keras.losses.sparse_categorical_crossentropy``.

    $$
    \ell = -\log \hat p_{y},\qquad
    \hat p_c = \operatorname{clip}\Big(\frac{p_c}{\sum_{c'} p_{c'}}, \varepsilon, 1-\varepsilon\Big)
    $$

    with $y$ the integer label. With ``ignore_class``, pixels labelled with it get
    loss 0, and ``"sum_over_batch_size"`` averages over the other pixels only.

    Args:
        y_true: integer labels, ``y_pred``'s shape without ``axis`` (or with size 1 there).
        y_pred: probabilities (renormalised), or logits with ``from_logits``.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label whose pixels are left out.
        axis: the class axis.
        reduction: ``"none"``, ``"sum_over_batch_size"`` or ``"sum"``.

    Returns:
        ``y_true``'s shape for ``"none"``, else a 0-d array.

    Examples:
        >>> import numpy as np
        >>> y_pred = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
        >>> y_true = np.array([0, 7, 1])
        >>> # mean of -log 0.9 and -log 0.8 over the two pixels that are not ignored
        >>> float(sparse_categorical_crossentropy(y_true, y_pred, ignore_class=7, reduction="sum_over_batch_size"))
        0.164252
    """
    checks = V.ValueChecks()
    xp, pred, y_true = _start(
        y_true,
        y_pred,
        reduction,
        axis,
        from_logits=from_logits,
        probabilities="renormalised",
        labels="index",
        checks=checks,
    )
    class_axis = V.check_axis(pred, axis) if pred.ndim > 1 else 0
    if y_true.ndim == pred.ndim and y_true.shape[class_axis] == 1:
        y_true = xp.squeeze(y_true, axis=class_axis)
    if B.is_floating(y_true) or B.is_bool(y_true):  # Keras casts labels to int, as here
        y_true = B.as_int64(y_true)
    if not B.is_integer(y_true):
        raise TypeError(f"y_true must hold integer class labels, got dtype {y_true.dtype}")
    expected = tuple(s for i, s in enumerate(pred.shape) if i != class_axis)
    if tuple(y_true.shape) != expected:
        raise ValueError(f"y_true must have shape {expected} (y_pred without axis {axis}), got {tuple(y_true.shape)}")
    ignore_class = V.check_ignore_index(ignore_class, "ignore_class")
    valid = None
    labels = y_true
    if ignore_class is not None:
        valid = y_true != ignore_class
        labels = xp.where(valid, y_true, xp.zeros_like(y_true))
    if checks.enabled:
        low, high = V.value_range(B.as_int64(labels))
        classes = pred.shape[class_axis]
        checks.require(
            (low >= 0) & (high < classes),
            lambda: V.index_target_message(xp, y_true, classes, ignore_class, name="y_true"),
        )
    checks.run()
    if from_logits:
        log_p = B.log_softmax(xp, pred, axis=class_axis)
    else:
        log_p = xp.log(_clip(xp, pred / xp.sum(pred, axis=class_axis, keepdims=True)))
    labels = B.as_int64(labels)
    values = -B.take_class(
        xp,
        xp.moveaxis(log_p, class_axis, 1) if pred.ndim > 1 else log_p[None],
        labels if pred.ndim > 1 else labels[None],
    )
    if pred.ndim == 1:
        values = values[0]
    if valid is not None:
        values = xp.where(valid, values, xp.zeros_like(values))
    return _reduce(xp, values, reduction, y_pred.dtype, valid)


def _overlap_inputs(y_true: ArrayInput, y_pred: Array, axis: Any) -> tuple[Any, AnyArray, AnyArray, Any]:
    """The checks and casts of Keras' overlap losses: (xp, y_true, y_pred as floats, axis as Keras reads it)."""
    if isinstance(axis, list):
        axis = tuple(axis)
    xp, _, _ = _start(y_true, y_pred, "none", -1 if axis is None else axis, from_logits=None, probabilities="any")
    V.check_same_shape(y_pred, y_true, NAMES)
    pred = B.to_float(xp, y_pred, B.compute_dtype(xp, y_pred))
    return xp, B.to_float(xp, y_true, pred.dtype), pred, axis


def dice(y_true: ArrayInput, y_pred: Array, *, axis: int | tuple[int, ...] | list[int] | None = None) -> Array:
    r"""Keras 3 ``keras.losses.dice``.

    $$
    \ell = 1 - \frac{2\sum y\,p}{\sum y + \sum p + \varepsilon}
    $$

    with the sums over ``axis`` and $\varepsilon = 10^{-7}$ in the denominator only.
    With ``axis=None`` (the default) they run over **every element of the batch**:
    one number for the whole batch, all images and channels pooled.

    Args:
        y_true: targets, same shape as ``y_pred``.
        y_pred: predictions (used as given: no activation, no clipping).
        axis: the axis or axes (an int, a tuple or a list, as Keras accepts) summed over,
            or ``None`` for all.

    Returns:
        A 0-d array for ``axis=None``, else ``y_pred``'s shape without ``axis``.

    Examples:
        >>> import numpy as np
        >>> y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
        >>> y_pred = np.array([[0.9, 0.8, 0.1, 0.4]])
        >>> float(dice(y_true, y_pred))  # 1 - 3.4 / (2 + 2.2 + 1e-7)
        0.190476
    """
    xp, y, pred, axis = _overlap_inputs(y_true, y_pred, axis)
    intersection = xp.sum(y * pred, axis=axis)
    return finish(xp, 1 - 2.0 * intersection / (xp.sum(y, axis=axis) + xp.sum(pred, axis=axis) + EPSILON), y_pred.dtype)


def tversky(
    y_true: ArrayInput,
    y_pred: Array,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    axis: int | tuple[int, ...] | list[int] | None = None,
) -> Array:
    r"""Keras 3 ``keras.losses.tversky``, as its code computes it (3.15.1).

    $$
    \ell = 1 - \frac{\sum y\,p}{\sum y\,p + \alpha_K \sum y\,(1 - p) + \beta_K \sum (1 - y)\,p + \varepsilon}
    $$

    with the sums over ``axis`` (``None``: every element of the batch, classes pooled) and
    $\varepsilon = 10^{-7}$ in the denominator only. Keras' ``alpha`` ($\alpha_K$) multiplies
    the **false negatives** $\sum y(1 - p)$ and its ``beta`` the false positives, although its
    docstring, like Salehi et al., puts ``alpha`` on the false positives; this function
    reproduces the code. [`segref.tversky_loss`][segref.tversky_loss] uses the paper's
    convention: ``alpha`` on the false positives.

    Args:
        y_true: targets, same shape as ``y_pred``.
        y_pred: predictions (used as given: no activation, no clipping).
        alpha: Keras' ``alpha``, the weight of the false negatives in its code.
        beta: Keras' ``beta``, the weight of the false positives in its code.
        axis: the axis or axes (an int, a tuple or a list) summed over, or ``None`` for all.

    Returns:
        A 0-d array for ``axis=None``, else ``y_pred``'s shape without ``axis``.

    Examples:
        One false negative, no false positive: Keras' ``alpha`` is the one that counts.

        >>> import numpy as np
        >>> y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
        >>> y_pred = np.array([[1.0, 0.0, 0.0, 0.0]])
        >>> float(tversky(y_true, y_pred, alpha=0.9, beta=0.1))  # 1 - 1 / (1 + 0.9 + 1e-7)
        0.473684
    """
    alpha = V.check_number("alpha", alpha, low=0.0)
    beta = V.check_number("beta", beta, low=0.0)
    xp, y, pred, axis = _overlap_inputs(y_true, y_pred, axis)
    true_positives = xp.sum(y * pred, axis=axis)
    false_negatives = xp.sum(y * (1 - pred), axis=axis)
    false_positives = xp.sum((1 - y) * pred, axis=axis)
    denominator = true_positives + alpha * false_negatives + beta * false_positives + EPSILON
    return finish(xp, 1 - true_positives / denominator, y_pred.dtype)


def binary_focal_crossentropy(
    y_true: ArrayInput,
    y_pred: Array,
    *,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> Array:
    r"""Keras 3 ``keras.losses.binary_focal_crossentropy``.

    $$
    \ell = \frac{1}{K}\sum_{k} w_k\,(1 - p_{t,k})^{\gamma}\; \mathrm{BCE}_\varepsilon(\tilde y_k, p_k),
    \qquad p_{t,k} = \tilde y_k p_k + (1-\tilde y_k)(1-p_k)
    $$

    where $p_k$ is the probability (the sigmoid of the logit with ``from_logits``),
    $\mathrm{BCE}_\varepsilon$ the clipped binary cross-entropy of
    [`binary_crossentropy`][segref.keras.binary_crossentropy] (clipped even from
    logits), $\tilde y$ the smoothed label, and $w_k = \tilde y_k\alpha + (1-\tilde y_k)(1-\alpha)$
    only with ``apply_class_balancing`` (else 1): by default ``alpha`` has no effect.

    Args:
        y_true: labels, same shape as ``y_pred``.
        y_pred: probabilities, or logits with ``from_logits``.
        apply_class_balancing: apply the $\alpha$ weights.
        alpha: weight of class 1 (class 0 gets $1 - \alpha$).
        gamma: focusing parameter.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: $s \in [0, 1]$.
        axis: the axis averaged over.
        reduction: ``"none"``, ``"sum_over_batch_size"`` or ``"sum"``.

    Returns:
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a 0-d array.

    Examples:
        >>> import numpy as np
        >>> # p_t = 0.9: (0.1 ** 2) * -log 0.9
        >>> float(binary_focal_crossentropy(np.array([1.0]), np.array([0.9])))
        0.00105361
    """
    xp, pred, y_true = _start(y_true, y_pred, reduction, axis, from_logits=from_logits)
    V.check_flag("apply_class_balancing", apply_class_balancing)
    alpha = V.check_number("alpha", alpha, low=0.0, high=1.0)  # checked even when unused
    V.check_same_shape(pred, y_true, NAMES)
    gamma = V.check_number("gamma", gamma, low=0.0)
    y = _smooth(B.to_float(xp, y_true, pred.dtype), label_smoothing, 2)
    p = (
        B.sigmoid(xp, pred) if from_logits else pred
    )  # as keras.ops.sigmoid: 1 / (1 + exp(-z)) has a NaN gradient below -88 in float32
    clipped = _clip(xp, p)
    bce = -(y * xp.log(clipped) + (1 - y) * xp.log(1 - clipped))
    p_t = y * p + (1 - y) * (1 - p)
    values = B.power(xp, 1 - p_t, gamma) * bce
    if apply_class_balancing:
        values = (y * alpha + (1 - y) * (1 - alpha)) * values
    return _reduce(xp, xp.mean(values, axis=axis), reduction, y_pred.dtype)


def categorical_focal_crossentropy(
    y_true: ArrayInput,
    y_pred: Array,
    *,
    alpha: float | ArrayInput = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
    reduction: str = "none",
) -> Array:
    r"""Keras 3 ``keras.losses.categorical_focal_crossentropy``.

    $$
    \ell = -\sum_{c} \alpha\,(1-\hat p_c)^{\gamma}\, \tilde y_c \log \hat p_c,\qquad
    \hat p_c = \operatorname{clip}\Big(\frac{p_c}{\sum_{c'} p_{c'}}, \varepsilon, 1-\varepsilon\Big)
    $$

    with $p$ the softmax of the logits under ``from_logits``. A scalar $\alpha$ (the default
    0.25) multiplies every class alike: it only rescales the loss. A list of $C$ weights
    ($\alpha_c$ in place of $\alpha$) weighs the classes; Keras multiplies it against the
    *last* axis, so it needs ``axis=-1`` (channels-last), which segref requires for it.

    Args:
        y_true: one-hot or soft labels, same shape as ``y_pred``.
        y_pred: probabilities, or logits with ``from_logits``.
        alpha: one weight for all classes, or one per class (a list, array or tensor of
            length $C$, with ``axis=-1``).
        gamma: focusing parameter.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: $s \in [0, 1]$, with $C$ the size of the last axis.
        axis: the class axis.
        reduction: ``"none"``, ``"sum_over_batch_size"`` or ``"sum"``.

    Returns:
        ``y_pred``'s shape without ``axis`` for ``"none"``, else a 0-d array.

    Examples:
        >>> import numpy as np
        >>> # 0.25 * (1 - 0.9) ** 2 * -log 0.9
        >>> float(categorical_focal_crossentropy(np.array([1.0, 0.0]), np.array([0.9, 0.1])))
        0.000263401
    """
    xp, pred, y_true = _start(y_true, y_pred, reduction, axis, from_logits=from_logits, probabilities="renormalised")
    V.check_same_shape(pred, y_true, NAMES)
    gamma = V.check_number("gamma", gamma, low=0.0)
    alpha = _focal_alpha(xp, alpha, pred, axis)
    y = _smooth(B.to_float(xp, y_true, pred.dtype), label_smoothing, pred.shape[-1])
    p = xp.exp(B.log_softmax(xp, pred, axis=axis)) if from_logits else pred
    clipped = _clip(xp, p / xp.sum(p, axis=axis, keepdims=True))
    values = alpha * B.power(xp, 1 - clipped, gamma) * (-y * xp.log(clipped))
    return _reduce(xp, xp.sum(values, axis=axis), reduction, y_pred.dtype)


def _focal_alpha(xp: Any, alpha: Any, pred: AnyArray, axis: int) -> Any:
    """A number, or a per-class vector along the last axis (where Keras broadcasts it)."""
    value = V.scalar_value(alpha)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return V.check_number("alpha", value, low=0.0)
    if axis not in (-1, pred.ndim - 1):
        raise ValueError(
            f"a per-class alpha needs the classes on the last axis (axis=-1), got axis={axis}: "
            "Keras multiplies alpha against the last axis whatever axis is"
        )
    if isinstance(alpha, (list, tuple)):  # Keras makes a Python list a float32 tensor, whatever floatx is
        alpha = [float(np.float32(v)) if isinstance(v, numbers.Real) else v for v in alpha]
    checks = V.ValueChecks()
    vector = V.check_class_vector(xp, "alpha", alpha, pred.shape[-1], pred, checks)
    checks.run()
    return vector
