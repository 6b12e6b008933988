"""The reduction step shared by every loss."""

from __future__ import annotations

from typing import Any

from . import _backend as B
from ._types import AnyArray


def safe_divide(xp: Any, numerator: AnyArray, denominator: AnyArray, *, when_zero: float) -> AnyArray:
    """numerator / denominator for a non-negative denominator, and ``when_zero`` (with a zero
    gradient) where it is 0. The value is exact; when torch differentiates, the derivatives
    are taken with the denominator raised to at least s = ``negligible`` (1.1e-19 in
    float32): exact above s, bounded below, where 1/denominator and 1/denominator**2 could
    overflow and, multiplied by a zero, make a NaN."""
    nonzero = denominator != 0  # a NaN denominator stays NaN
    ratio = numerator / xp.where(nonzero, denominator, xp.ones_like(denominator))
    # full_like fills on the device; a scalar tensor made on the host would be copied over, and on
    # CUDA a copy from the host waits for the GPU (a synchronisation)
    exact = xp.where(nonzero, ratio, xp.full_like(ratio, when_zero))
    if not (B.differentiating(numerator) or B.differentiating(denominator)):
        return exact
    bounded = numerator / denominator.clamp_min(B.negligible(denominator.dtype))
    # an infinite ratio (an infinite cross-entropy sum) keeps its value; inf - inf would make it NaN
    differentiable = nonzero & B.isfinite(bounded)
    return B.with_gradient_of(exact, xp.where(differentiable, bounded, xp.zeros_like(bounded)))


def reduce(xp: Any, values: AnyArray, reduction: str, *, counts: AnyArray | None = None) -> AnyArray:
    """Reduce per-element losses.

    ``mean`` is sum(values) / sum(counts) when ``counts`` is given (the weight or
    validity of each element; 0 when all counts are 0, e.g. every pixel ignored),
    the plain mean otherwise.
    """
    if reduction == "none":
        return values
    if reduction == "sum":
        return xp.sum(values)
    if counts is None:
        return xp.mean(values)
    return safe_divide(xp, xp.sum(values), xp.sum(counts), when_zero=0.0)


def finish(xp: Any, value: AnyArray, out_dtype: Any) -> AnyArray:
    """Cast back to the caller's dtype; NumPy scalars become 0-d arrays so the type is preserved.
    The terms of a combined loss (``shared_inputs``) stay in the compute dtype until their sum."""
    from ._inputs import sharing_inputs

    if not sharing_inputs():
        value = B.to_float(xp, value, out_dtype)
    if B.is_numpy(value) or not hasattr(value, "ndim"):
        import numpy as np

        return np.asarray(value)
    return value
