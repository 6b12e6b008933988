"""Turning (pred, target) into the quantities every loss formula uses: one prepared input.

Every check lives here and runs once per call, however many terms a loss
combines: shapes, dtypes, devices and options always; the values (finite,
labels in range, probabilities in [0, 1] summing to 1) through one
``ValueChecks``, at most one host synchronisation. Class-wise losses then see the
class axis at position 1 in the compute precision (float32 for half inputs).
Integer targets stay integer maps: only the true-class value is gathered, never
a one-hot tensor.

The steps (cross-entropy term, overlap statistics, focal term) read a prepared
input. On torch with logits and an index target they read one fused softmax
(``SoftmaxTerms``, computed once and shared by compound losses); otherwise they
compute the same formulas with array-API operations on NumPy or torch.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import _backend as B
from . import _validation as V
from ._types import AnyArray


@dataclass
class BinaryInputs:
    xp: Any
    pred: AnyArray  # logits or probabilities, compute dtype
    target: AnyArray  # soft labels in [0, 1], compute dtype
    out_dtype: Any
    from_logits: bool
    pos_weight: Any = 1.0  # a number, or an array broadcasting against pred
    checks: V.ValueChecks | None = None  # still to run, when prepare_binary deferred them


def prepare_binary(
    pred: AnyArray,
    target: AnyArray,
    *,
    from_logits: bool,
    pos_weight: Any = None,
    axis: int = 1,
    defer_value_checks: bool = False,
) -> BinaryInputs:
    """Validate an element-wise (pred, target) pair; ``pos_weight`` is a number or one weight per ``axis`` entry.

    With ``defer_value_checks`` the values are not read here: the caller computes its
    loss, then calls ``binary_value_checks`` with the reduced loss and runs
    ``inputs.checks`` (an element-wise loss indexes nothing, so computing it first is
    safe; reading the data after the loss's kernels measured faster on CPU).
    """
    xp = V.check_arrays(pred, target)
    V.check_from_logits(from_logits)
    V.check_same_shape(pred, target)
    V.check_target_dtype(target)
    dtype = B.compute_dtype(xp, pred)
    inputs = BinaryInputs(xp, B.to_float(xp, pred, dtype), B.to_float(xp, target, dtype), pred.dtype, from_logits)
    checks = V.ValueChecks()
    if pos_weight is not None:
        inputs.pos_weight = _pos_weight(inputs, pos_weight, axis, checks)
    if defer_value_checks:
        inputs.checks = checks
    else:
        binary_value_checks(checks, pred, target, from_logits=from_logits)
        checks.run()
    return inputs


def binary_value_checks(
    checks: V.ValueChecks, pred: AnyArray, target: AnyArray, *, from_logits: bool, reduced_loss: AnyArray | None = None
) -> None:
    """Add the value checks of an element-wise pair to ``checks``.

    For targets in [0, 1] (checked first, so that a NaN target is reported as such),
    a mean or sum of binary cross-entropy terms is non-finite exactly when a logit is
    (a NaN or infinite logit makes its own term NaN or infinite, and no finite terms
    cancel it) or when finite logits near float's maximum overflow the sum, which is
    reported as such; so ``reduced_loss`` stands in for a pass over the logits.
    """
    if not checks.enabled:
        return
    checks.unit_interval("target", target, V.value_range(target), "soft labels")  # first: see below
    if from_logits and reduced_loss is not None:
        checks.finite_through("pred", pred, reduced_loss)
    else:
        _check_pred_values(checks, pred, from_logits)


def _pos_weight(inputs: BinaryInputs, pos_weight: Any, axis: Any, checks: V.ValueChecks) -> Any:
    xp, like = inputs.xp, inputs.pred
    pos_weight = V.scalar_value(pos_weight)
    if isinstance(pos_weight, (int, float)) and not isinstance(pos_weight, bool):
        return V.check_number("pos_weight", pos_weight, low=0.0)
    axis = V.check_axis(like, axis)
    # one entry applies to every channel, as a one-element pos_weight broadcasts in PyTorch
    entries = 1 if _length(pos_weight) == 1 else like.shape[axis]
    vector = V.check_class_vector(xp, "pos_weight", pos_weight, entries, like, checks)
    shape = tuple(entries if i == axis else 1 for i in range(like.ndim))
    return xp.reshape(vector, shape)


def _length(value: Any) -> int | None:
    """The number of entries of a 1-D sequence, array or tensor; None for anything else."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) == 1 else None
    return len(value) if isinstance(value, (list, tuple)) else None


def _check_pred_values(checks: V.ValueChecks, pred: AnyArray, from_logits: bool) -> None:
    span = V.value_range(pred)
    if from_logits:
        checks.finite("pred", pred, span)
    else:
        checks.unit_interval("pred", pred, span, "probabilities", V.LOGITS_HINT)


@dataclass
class ClassInputs:
    xp: Any
    scores: AnyArray  # (N, C, *spatial): logits, or probabilities when not from_logits; compute dtype
    from_logits: bool
    multilabel: bool
    kind: str  # "index" or "soft"
    # AnyArray is Any: None where noted
    index: AnyArray  # (N, *spatial) int64 map, ignored pixels replaced by class 0; None for a soft target
    soft: AnyArray  # (N, C, *spatial) soft / one-hot target; None for an index target
    valid: AnyArray  # (N, *spatial) 1 for counted pixels, 0 for ignored; None without ignore_index
    num_classes: int
    out_dtype: Any
    vectors: dict[str, AnyArray | None] = field(default_factory=dict)
    _log_probs: AnyArray | None = field(default=None, repr=False)
    _probs: AnyArray | None = field(default=None, repr=False)
    _shared_terms: Any = field(default=None, repr=False)  # the fused kernel's terms, for the terms of a combined loss

    @property
    def fused(self) -> bool:
        """Whether the steps read the fused softmax kernel (torch, logits, softmax, index target); the
        terms of a combined loss (``shared_inputs``) share one evaluation of it."""
        return (
            B.is_torch(self.scores)
            and self.from_logits
            and not self.multilabel
            and self.kind == "index"
            and not B.vmapping()
        )

    @property
    def log_probs(self) -> AnyArray:
        """log p (N, C, *spatial) from logits, computed once; None for probability inputs."""
        if self.from_logits and self._log_probs is None:
            z = self.scores
            self._log_probs = B.log_sigmoid(self.xp, z) if self.multilabel else B.log_softmax(self.xp, z, axis=1)
        return self._log_probs

    @property
    def probs(self) -> AnyArray:
        """p (N, C, *spatial), computed once."""
        if self._probs is None:
            self._probs = self.xp.exp(self.log_probs) if self.from_logits else self.scores
        return self._probs


#: while ``shared_inputs`` is active: prepared inputs by (pred, target, options), so that the terms
#: of a combined loss are checked once and share one softmax
_SHARED: contextvars.ContextVar[dict[tuple, ClassInputs] | None] = contextvars.ContextVar("segref_shared", default=None)


@contextlib.contextmanager
def shared_inputs() -> Iterator[None]:
    """Inside, ``prepare_classes`` prepares each (pred, target) pair once: later calls with the same
    arrays and options get the same ``ClassInputs`` (its cached log-probabilities included), with
    their own class vectors; ``finish`` leaves results in the compute dtype for the caller to sum.
    Under ``torch.compile`` it does nothing: the compiler merges the terms' work itself (and
    cannot trace a context variable)."""
    if B.compiling():
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def sharing_inputs() -> bool:
    return not B.compiling() and _SHARED.get() is not None


def _move_class_axis(xp: Any, x: AnyArray, axis: int) -> AnyArray:
    return x if axis == 1 else xp.moveaxis(x, axis, 1)


def prepare_classes(
    pred: AnyArray,
    target: AnyArray,
    *,
    from_logits: bool,
    axis: int,
    ignore_index: int | None = None,
    multilabel: bool = False,
    class_vectors: dict[str, Any] | None = None,
) -> ClassInputs:
    """Validate a class-wise (pred, target) pair and bring it to the (N, C, *spatial) layout.

    ``class_vectors`` maps option names to per-class values (a sequence or array of
    C values, or None); they are checked with the call's value checks and returned
    in ``inputs.vectors`` as (C,) arrays.
    """
    shared = _SHARED.get() if sharing_inputs() else None
    key = (id(pred), id(target), from_logits, axis, ignore_index, multilabel)
    if shared is not None and key in shared:
        inputs = shared[key]
        checks = V.ValueChecks()
        inputs.vectors = {
            name: None
            if value is None
            else V.check_class_vector(inputs.xp, name, value, inputs.num_classes, inputs.scores, checks)
            for name, value in (class_vectors or {}).items()
        }
        checks.run()
        return inputs
    xp = V.check_arrays(pred, target)
    axis = V.check_axis(pred, axis)
    ignore_index = V.check_ignore_index(ignore_index)
    V.check_from_logits(from_logits)
    V.check_flag("multilabel", multilabel)
    kind = V.classify_target(pred, target, axis)
    num_classes = pred.shape[axis]
    if num_classes < 2 and not multilabel:
        raise ValueError(
            f"pred has a single class along axis {axis} (shape {tuple(pred.shape)}): a softmax over one "
            "class is 1 everywhere and the loss would not depend on pred; use multilabel=True (a sigmoid "
            "per channel) or the binary losses for a single foreground class"
        )
    if multilabel and kind == "index":
        raise ValueError(
            f"multilabel=True needs a target shaped like pred {tuple(pred.shape)}, "
            f"got a class-index map of shape {tuple(target.shape)}"
        )
    if ignore_index is not None and kind != "index":
        raise ValueError("ignore_index applies to class-index targets only; got a target shaped like pred")
    if kind == "soft":
        V.check_target_dtype(target)
    dtype = B.compute_dtype(xp, pred)
    scores = _move_class_axis(xp, B.to_float(xp, pred, dtype), axis)

    checks = V.ValueChecks()
    if checks.enabled:
        _check_pred_values(checks, pred, from_logits)
        if not from_logits and not multilabel:
            _check_distribution(checks, xp, scores, pred, axis)
    index = soft = valid = None
    if kind == "index":
        index = B.as_int64(target)
        if ignore_index is not None:
            counted = index != ignore_index
            valid = B.to_float(xp, counted, dtype)
            index = xp.where(counted, index, xp.zeros_like(index))
        if checks.enabled:
            low, high = V.value_range(index)
            checks.require(
                (low >= 0) & (high < num_classes), lambda: V.index_target_message(xp, target, num_classes, ignore_index)
            )
    else:
        if checks.enabled:
            checks.unit_interval("target", target, V.value_range(target), "soft labels")
        soft = _move_class_axis(xp, B.to_float(xp, target, dtype), axis)
    vectors = {}
    for name, value in (class_vectors or {}).items():
        vectors[name] = None if value is None else V.check_class_vector(xp, name, value, num_classes, scores, checks)
    checks.run()
    out_dtype = pred.dtype
    inputs = ClassInputs(xp, scores, from_logits, multilabel, kind, index, soft, valid, num_classes, out_dtype, vectors)
    if shared is not None:
        shared[key] = inputs
    return inputs


def probability_sum_tolerance(pred: AnyArray, compute_eps: float, num_classes: int) -> float:
    """How far from 1 a sum of C probabilities may be: the rounding of the probabilities plus that of the sum.

    Rounding each p_c to pred's dtype moves it by at most p_c eps/2, so the sum by at most
    eps/2 whatever C is; 2 eps allows for the softmax that produced them. Summing C terms
    in the compute dtype (float32 for half inputs) adds at most C eps_compute. Below
    float64, at least 1e-3 (probabilities written by hand with three decimals).
    """
    eps = B.machine_epsilon(pred)
    floor = 1e-6 if eps < 1e-10 else 1e-3
    return max(floor, 2 * eps) + num_classes * compute_eps


def _check_distribution(checks: V.ValueChecks, xp: Any, probs: AnyArray, pred: AnyArray, axis: int) -> None:
    """Sums over classes equal 1 up to ``probability_sum_tolerance``."""
    sums = xp.sum(probs.detach() if B.is_torch(probs) else probs, axis=1)
    tolerance = probability_sum_tolerance(pred, B.machine_epsilon(probs), probs.shape[1])
    low, high = V.value_range(sums)

    def message() -> str:
        return (
            f"pred holds probabilities that must sum to 1 over the class axis (axis={axis}), got sums in "
            f"[{float(low):.6g}, {float(high):.6g}]; pass from_logits=True for logits"
        )

    checks.require((low >= 1 - tolerance) & (high <= 1 + tolerance), message)


def class_weights_per_pixel(inputs: ClassInputs, weights: AnyArray) -> AnyArray:
    """w[y_i] for every pixel of an index target, shape (N, *spatial)."""
    xp = inputs.xp
    return xp.reshape(xp.take(weights, xp.reshape(inputs.index, (-1,)), axis=0), inputs.index.shape)


def broadcast_class_vector(inputs: ClassInputs, vector: AnyArray) -> AnyArray:
    """A (C,) vector reshaped to (1, C, 1, ...) against (N, C, *spatial)."""
    shape = (1, inputs.num_classes) + (1,) * (inputs.scores.ndim - 2)
    return inputs.xp.reshape(vector, shape)


def softmax_terms(
    inputs: ClassInputs, *, overlap: bool, class_vector: AnyArray | None = None, log_terms: bool = True
) -> Any:
    """The fused kernel's ``SoftmaxTerms`` for ``inputs.fused`` inputs; shapes (N, *spatial) and (N, C).

    The terms of a combined loss (``shared_inputs``) share one evaluation with every statistic,
    except a term that needs its own class vector (label smoothing), which gets its own."""
    if class_vector is None and sharing_inputs():
        if inputs._shared_terms is None:
            inputs._shared_terms = softmax_terms_once(inputs, overlap=True, class_vector=None, log_terms=True)
        return inputs._shared_terms
    return softmax_terms_once(inputs, overlap=overlap, class_vector=class_vector, log_terms=log_terms)


def softmax_terms_once(inputs: ClassInputs, *, overlap: bool, class_vector: AnyArray | None, log_terms: bool) -> Any:
    from ._torch_kernels import SoftmaxTerms, softmax_index_terms

    z, index, valid = inputs.scores, inputs.index, inputs.valid
    n, c = z.shape[0], z.shape[1]
    terms = softmax_index_terms(
        z.reshape(n, c, -1),
        index.reshape(n, -1),
        None if valid is None else valid.reshape(n, -1),
        overlap=overlap,
        class_vector=class_vector,
        log_terms=log_terms,
    )
    log_p_true, weighted = (None if t is None else t.reshape(index.shape) for t in terms[:2])
    return SoftmaxTerms(log_p_true, weighted, terms.intersection, terms.pred_sum)


def true_class_term(inputs: ClassInputs, coefficient: Any, terms: Any = None) -> AnyArray:
    """a_i log p_{i, y_i} for an index target, shape (N, *spatial); 0 where a_i = 0."""
    xp = inputs.xp
    if terms is not None:
        return coefficient * terms.log_p_true
    if inputs.from_logits:
        return coefficient * B.take_class(xp, inputs.log_probs, inputs.index)
    p_true = B.take_class(xp, inputs.probs, inputs.index)
    return B.xlogy(xp, coefficient * xp.ones_like(p_true), p_true)


def class_term(inputs: ClassInputs, coefficient: Any) -> AnyArray:
    """sum_c a_ic log p_ic, shape (N, *spatial); terms with a_ic = 0 count 0."""
    xp = inputs.xp
    if inputs.from_logits:
        return xp.sum(coefficient * inputs.log_probs, axis=1)
    return xp.sum(B.xlogy(xp, coefficient * xp.ones_like(inputs.probs), inputs.probs), axis=1)
