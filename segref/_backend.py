"""AnyArray-library plumbing shared by every loss.

Losses are written once against the Python array API standard (through
``array_api_compat``), so the same code runs on NumPy arrays and on PyTorch
tensors on any device. The few operations the standard lacks or that deserve a
memory-friendly torch path (gathering the true-class value, per-class sums over
an integer label map) live here, each computing the same function on both
libraries.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import array_api_compat
import numpy as np

from ._types import AnyArray


def namespace(*arrays: AnyArray) -> Any:
    """Return the array-API namespace shared by ``arrays`` (NumPy or torch)."""
    if arrays and all(is_torch(x) for x in arrays):
        # the namespace array_namespace would return, without its generic dispatch (which torch.compile warns on)
        from array_api_compat import torch as torch_namespace

        return torch_namespace
    return array_api_compat.array_namespace(*arrays)


def is_torch(x: AnyArray) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def is_numpy(x: AnyArray) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def is_floating(x: AnyArray) -> bool:
    if is_torch(x):
        return x.is_floating_point()
    return np.issubdtype(x.dtype, np.floating)


def is_supported_float(x: AnyArray) -> bool:
    """float16, float32 or float64 (and bfloat16 on torch): not float128, float8 or complex."""
    if is_torch(x):
        torch = _torch()
        return x.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64)
    return x.dtype in (np.float16, np.float32, np.float64)


def supported_floats(x: AnyArray) -> str:
    return "float16, bfloat16, float32 or float64" if is_torch(x) else "float16, float32 or float64"


def is_integer(x: AnyArray) -> bool:
    if is_torch(x):
        return not x.is_floating_point() and not x.is_complex() and x.dtype != _torch().bool
    return np.issubdtype(x.dtype, np.integer)


def is_bool(x: AnyArray) -> bool:
    if is_torch(x):
        return x.dtype == _torch().bool
    return x.dtype == np.bool_


def isfinite(x: AnyArray) -> AnyArray:
    """Elementwise finiteness, with torch's own kernel for tensors (one operation, not four)."""
    return _torch().isfinite(x) if is_torch(x) else np.isfinite(x)


def is_half(x: AnyArray) -> bool:
    """True for 16-bit floats, which segref upcasts to float32 internally."""
    if is_torch(x):
        return x.dtype in (_torch().float16, _torch().bfloat16)
    return x.dtype == np.float16


def machine_epsilon(x: AnyArray) -> float:
    """The spacing of floats near 1 in x's dtype (2**-7 for bfloat16, 2**-10 for float16, ...)."""
    if is_torch(x):
        return float(_torch().finfo(x.dtype).eps)
    return float(np.finfo(x.dtype).eps)


def compiling() -> bool:
    """True while a transform traces the calling code: ``torch.compile``, ``torch.export``,
    ``torch.jit.trace`` or ``torch.func.vmap``. Data-dependent checks must not run then (a
    traced graph holds no data-dependent branch, and vmap cannot read a batched value), and
    shapes must not depend on the data."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    return torch.compiler.is_compiling() or torch.jit.is_tracing() or vmapping()


def vmapping() -> bool:
    """True inside ``torch.func.vmap`` (the fused kernel has no batching rule: the losses take the array-API path)."""
    torch = sys.modules.get("torch")
    if torch is None or torch.compiler.is_compiling():  # Dynamo cannot trace the interpreter stack
        return False
    stack_of = getattr(torch._C._functorch, "get_interpreter_stack", None)  # no public API tells whether vmap is on
    stack = stack_of() if stack_of is not None else None
    if not stack:  # None outside every torch.func transform (the common case: 0.1 us)
        return False
    from torch._C._functorch import TransformType

    return any(interpreter.key() == TransformType.Vmap for interpreter in stack)


def _torch() -> Any:
    import torch

    return torch


def as_int64(x: AnyArray) -> AnyArray:
    """Labels as int64 (from bool, uint8, int32, ... or float), so index arithmetic cannot overflow."""
    return x.long() if is_torch(x) else x.astype(np.int64, copy=False)


def device(x: AnyArray) -> Any:
    return x.device if is_torch(x) else array_api_compat.device(x)


def compute_dtype(xp: Any, pred: AnyArray) -> Any:
    """Working precision: float32 for half inputs (their sums overflow), else pred's dtype."""
    return xp.float32 if is_half(pred) else pred.dtype


def to_float(xp: Any, x: AnyArray, dtype: Any) -> AnyArray:
    return x if x.dtype == dtype else xp.astype(x, dtype)


def softplus(xp: Any, z: AnyArray) -> AnyArray:
    """log(1 + exp(z)), without overflow for any finite z."""
    if is_torch(z):
        # torch returns z itself above `threshold`; at 40 the neglected log1p(exp(-40)) = 4e-18
        # is below float64 resolution, and exp(40) still fits in float32
        return _torch().nn.functional.softplus(z, threshold=40.0)
    return np.logaddexp(0.0, z)


def sigmoid(xp: Any, z: AnyArray) -> AnyArray:
    """1 / (1 + exp(-z)), with exp of a non-positive number only (finite value and gradient for every z)."""
    if is_torch(z):
        return _torch().sigmoid(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def log_sigmoid(xp: Any, z: AnyArray) -> AnyArray:
    """log(1 / (1 + exp(-z))) = -softplus(-z)."""
    return -softplus(xp, -z)


def log_softmax(xp: Any, z: AnyArray, axis: int) -> AnyArray:
    """z - log(sum(exp(z))) along ``axis``, shifted by the maximum for stability."""
    if is_torch(z):
        return _torch().log_softmax(z, dim=axis)
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def negligible(dtype: Any) -> float:
    """The square root of the smallest normal number of ``dtype``: 1.1e-19 in float32, 1.5e-154 in float64.

    Derivatives are taken at no less than this (values stay exact): 1/x and the
    gradients built from it then stay below 1e19 in float32, so no factor of a gradient
    overflows to infinity and no infinity meets a zero to make a NaN (the soft Dice of a
    class absent from the target, with a predicted mass of 1e-39, once did).
    """
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        tiny = float(np.finfo(dtype).tiny)
    else:
        import torch

        tiny = float(torch.finfo(dtype).tiny)
    return tiny**0.5


def xlogy(xp: Any, y: AnyArray, p: AnyArray) -> AnyArray:
    """y * log(p) with 0 * log 0 = 0, and a zero (not NaN) gradient wherever y = 0.

    When torch differentiates (``differentiating``), the value stays exact and the
    derivative of log p is 1/p for p >= s = ``negligible`` (1.1e-19 in float32) and 0
    below, where 1/p would overflow (a subnormal probability, 1e-45, gives 1e45 > 3e38).
    """
    absent = y == 0
    # NumPy would warn about log 0 = -inf, which is the formula's value here, not an accident
    with np.errstate(divide="ignore") if is_numpy(p) else contextlib.nullcontext():
        log_p = xp.log(xp.where(absent, xp.ones_like(p), p))
    if differentiating(p):
        log_p = with_gradient_of(log_p, xp.log(p.clamp_min(negligible(p.dtype))))
    return xp.where(absent, xp.zeros_like(p), y * log_p)


def power(xp: Any, base: AnyArray, exponent: float) -> AnyArray:
    """base ** exponent for base >= 0 with 0 ** 0 = 1 and a finite gradient at base = 0.

    For 0 < exponent < 1 the derivative exponent * base**(exponent - 1) grows without bound
    as base -> 0; when torch differentiates it is exact for base >= s = ``negligible`` and
    0 below, as in ``xlogy`` (the value stays exact).
    """
    if exponent == 0:
        return xp.ones_like(base)
    positive = base > 0
    safe = xp.where(positive, base, xp.ones_like(base))
    value = xp.where(positive, safe**exponent, xp.zeros_like(base))
    if exponent < 1 and differentiating(base):
        value = with_gradient_of(value, base.clamp_min(negligible(base.dtype)) ** exponent)
    return value


def differentiating(x: AnyArray) -> bool:
    """Whether torch may differentiate through ``x``: it requires grad, a forward-mode dual
    level is open, or a ``torch.func`` transform is active."""
    if not is_torch(x):
        return False
    if x.requires_grad:
        return True
    torch = _torch()
    if torch.compiler.is_compiling():
        return False  # compiled graphs differentiate through requires_grad, seen above
    if torch.autograd.forward_ad._current_level >= 0:
        return True
    stack_of = getattr(torch._C._functorch, "get_interpreter_stack", None)
    return bool(stack_of()) if stack_of is not None else False


def with_gradient_of(value: AnyArray, surrogate: AnyArray) -> AnyArray:
    """``value`` exactly (a finite surrogate minus itself adds an exact 0), with the first and
    second derivatives of ``surrogate``."""
    return value.detach() + (surrogate - surrogate.detach())


def take_class(xp: Any, x: AnyArray, index: AnyArray) -> AnyArray:
    """x[n, index[n, ...], ...]: the value of the class named by an integer map (class axis 1)."""
    if is_torch(x):
        return x.gather(1, index.unsqueeze(1)).squeeze(1)
    return np.take_along_axis(x, np.expand_dims(index, 1), axis=1)[:, 0]


def without_class(xp: Any, x: AnyArray, index: AnyArray) -> AnyArray:
    """``x`` (class axis 1) with 0 at the class named by the integer map ``index``: each pixel's other classes."""
    if is_torch(x):
        return x.scatter(1, index.unsqueeze(1), 0.0)
    out = np.array(x, copy=True)
    np.put_along_axis(out, np.expand_dims(index, 1), 0.0, axis=1)
    return out


def class_sums(xp: Any, values: AnyArray, labels: AnyArray, num_classes: int) -> AnyArray:
    """Per-image, per-class sums of ``values`` over the pixels where ``labels == c``.

    ``values`` and ``labels`` have shape (N, *spatial); the result has shape (N, C).
    No one-hot tensor is built: torch scatters into (N, C), NumPy uses bincount.
    """
    n = values.shape[0]
    if is_torch(values):
        flat_values = values.reshape(n, -1)
        if flat_values.shape[1] > 2**24 and flat_values.dtype == _torch().float32:
            # scatter_add adds one value at a time: a float32 sum of ones stops growing at 2**24, and a
            # larger image's sums drift; accumulate in float64 where the device has it
            wide = flat_values.to(counting_dtype(flat_values))
            summed = wide.new_zeros((n, num_classes)).scatter_add(1, labels.reshape(n, -1), wide)
            return summed.to(values.dtype)
        out = values.new_zeros((n, num_classes))
        return out.scatter_add(1, labels.reshape(n, -1), flat_values)
    offsets = (np.arange(n) * num_classes).reshape((n,) + (1,) * (labels.ndim - 1))
    flat = (labels + offsets).reshape(-1)
    sums = np.bincount(flat, weights=values.reshape(-1), minlength=n * num_classes)
    return sums.reshape(n, num_classes).astype(values.dtype, copy=False)


def label_counts(labels: AnyArray, num_classes: int, dtype: Any) -> AnyArray:
    """How many pixels of each image carry each class: (N, S) torch labels -> (N, C) counts.

    ``bincount`` without weights, about 3x faster than scattering ones on CPU; its
    output size depends on the data (on CUDA it reads the labels' minimum and maximum on
    the host), so compiled code and GPUs use ``class_sums`` instead.
    """
    n = labels.shape[0]
    offsets = _torch().arange(n, device=labels.device).unsqueeze(1) * num_classes
    counts = _torch().bincount((labels + offsets).reshape(-1), minlength=n * num_classes)
    return counts.reshape(n, num_classes).to(dtype)


def confusion_counts(xp: Any, pred: AnyArray, target: AnyArray, valid: AnyArray, num_classes: int) -> AnyArray:
    """Per-image confusion matrices (N, C, C) of two integer label maps; rows are targets."""
    n = pred.shape[0]
    pair = target * num_classes + pred
    pair = xp.where(valid, pair, xp.zeros_like(pair))
    weights = xp.astype(valid, xp.float64)
    counts = class_sums(xp, weights, pair, num_classes * num_classes)
    return xp.reshape(counts, (n, num_classes, num_classes))


def largest_first(x: AnyArray, count: int | None = None) -> tuple[AnyArray, AnyArray]:
    """The values of each row of a 2-D ``x`` in decreasing order, and their column indices;
    only the ``count`` largest, in any order, when ``count`` is given (torch's ``topk``: no sort)."""
    if is_torch(x):
        if count is not None:
            return _torch().topk(x, count, dim=1, sorted=False)
        return _torch().sort(x, dim=1, descending=True)
    order = np.argsort(-x, axis=1, kind="stable")[:, :count]
    return np.take_along_axis(x, order, axis=1), order


def place_in_rows(like: AnyArray, index: AnyArray, values: AnyArray) -> AnyArray:
    """A zero array shaped like the 2-D ``like`` with ``values`` at the columns ``index`` of each row."""
    if is_torch(like):
        return _torch().zeros_like(like).scatter(1, index, values)
    out = np.zeros_like(like)
    np.put_along_axis(out, index, values, axis=1)
    return out


def counting_dtype(x: AnyArray) -> Any:
    """float64 where the library and device have it (exact pixel counts), else float32."""
    if is_torch(x):
        torch = _torch()
        return torch.float32 if x.device.type == "mps" else torch.float64
    return np.float64


def median_of(xp: Any, values: AnyArray, present: AnyArray) -> AnyArray:
    """The median of the entries of the 1-D ``values`` where ``present`` (the mean of the two
    middle ones for an even count, as NumPy's), without reading the count on the host."""
    if is_numpy(values):
        return np.median(values[present])
    ordered = xp.sort(xp.where(present, values, xp.full_like(values, float("inf"))))
    count = xp.clip(xp.sum(xp.astype(present, xp.int64)), 1, None)
    middle = xp.stack(((count - 1) // 2, count // 2))  # an index tensor: a 0-d one would be read on the host
    return xp.mean(xp.take(ordered, middle))
