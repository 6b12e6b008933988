"""Input checks shared by every loss.

Each check raises ``TypeError`` (wrong kind of object or dtype) or ``ValueError``
(wrong shape or values) with a message that names the argument, what was
received and what was expected.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _backend as B
from ._types import AnyArray

REDUCTIONS = ("mean", "sum", "none")

_value_checks = True


def value_checks_enabled() -> bool:
    """Whether losses check the values of their inputs (finite, label range, probability range).

    Examples:
        >>> import segref
        >>> segref.value_checks_enabled()
        True
    """
    return _value_checks


class value_checks:
    """Turn the value checks of every loss on or off, for the program or inside a ``with`` block.

    Shape, dtype, device and option checks always run: they cost nothing. Value checks
    (finite predictions, labels in range, probabilities in $[0, 1]$ that sum to 1)
    read the data: each loss runs all of them together and waits for one combined
    answer, one host synchronisation per call. Turn them off for training after a
    first checked step, as ``torch.set_grad_enabled`` turns off autograd. Under
    ``torch.compile`` they are skipped (a compiled graph holds no data-dependent
    branch); run the first step eagerly to have them.

    Args:
        enabled: ``True`` to check values (the default), ``False`` to skip the checks.

    Examples:
        >>> import torch, segref
        >>> nan = torch.tensor([[float("nan"), 0.0]])
        >>> with segref.value_checks(False):
        ...     segref.binary_cross_entropy(nan, torch.ones(1, 2), from_logits=True).item()
        nan
        >>> segref.binary_cross_entropy(nan, torch.ones(1, 2), from_logits=True)
        Traceback (most recent call last):
        ...
        ValueError: pred contains 1 NaN or infinite value(s); expected finite values
    """

    def __init__(self, enabled: bool) -> None:
        global _value_checks
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be True or False, got {enabled!r}")
        self.previous = _value_checks
        _value_checks = enabled

    def __enter__(self) -> value_checks:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        global _value_checks
        _value_checks = self.previous


class ValueChecks:
    """The value checks of one call, run together: at most one host synchronisation.

    ``require(ok, message)`` records a 0-d boolean ``ok`` (a tensor that may still be
    on the GPU); ``run()`` combines them all into one flag and reads it once. Only
    when that flag is false are the checks read one by one, and the first failing
    one raises ``ValueError(message())``, so messages may compute details freely.
    """

    def __init__(self) -> None:
        self.enabled = _value_checks and not B.compiling()
        self._checks: list[tuple[Any, Any]] = []

    def require(self, ok: Any, message: Any) -> None:
        if self.enabled:
            self._checks.append((ok, message))

    def run(self) -> None:
        if not self._checks:
            return
        flags = [ok for ok, _ in self._checks if B.is_torch(ok)]
        passed = all(bool(ok) for ok, _ in self._checks if not B.is_torch(ok))
        if passed and flags:
            import torch

            passed = bool(torch.stack([flag.to(flags[0].device) for flag in flags]).all())
        if not passed:
            for ok, message in self._checks:
                if not bool(ok):
                    raise ValueError(message())

    def finite(self, name: str, x: AnyArray, span: tuple[AnyArray, AnyArray]) -> None:
        """``x`` holds no NaN or infinity, given ``span = value_range(x)``."""
        low, high = span
        self.require(B.isfinite(low) & B.isfinite(high), lambda: _non_finite_message(name, x))

    def finite_through(self, name: str, x: AnyArray, total: AnyArray) -> None:
        """``x`` holds no NaN or infinity, read from ``total``: a sum of terms each of which is
        non-finite exactly where its element of ``x`` is (so no separate pass over ``x``)."""

        def message() -> str:
            if _all_finite(x):
                return f"the loss overflowed to {float(total)} although {name} is finite; its values are too large"
            return _non_finite_message(name, x)

        self.require(B.isfinite(_host(total)), message)

    def unit_interval(self, name: str, x: AnyArray, span: tuple[AnyArray, AnyArray], what: str, hint: str = "") -> None:
        """``x`` lies in [0, 1] (NaN fails too), given ``span = value_range(x)``."""
        low, high = span

        def message() -> str:
            if B.is_floating(x) and not _all_finite(x):
                return _non_finite_message(name, x)
            return f"{name} must hold {what} in [0, 1], got values in [{float(low):g}, {float(high):g}]{hint}"

        self.require((low >= 0) & (high <= 1), message)


def _host(x: AnyArray) -> AnyArray:
    return x.detach() if B.is_torch(x) else x


def _all_finite(x: AnyArray) -> bool:
    return bool(B.namespace(x).all(B.isfinite(_host(x))))


def _non_finite_message(name: str, x: AnyArray) -> str:
    xp = B.namespace(x)
    bad = int(xp.sum(xp.astype(~xp.isfinite(_host(x)), xp.int64)))
    return f"{name} contains {bad} NaN or infinite value(s); expected finite values"


def value_range(x: AnyArray) -> tuple[AnyArray, AnyArray]:
    """(min, max) of ``x`` as 0-d arrays, in one pass on torch; NaN propagates to both."""
    x = _host(x)
    if B.is_torch(x):
        import torch

        if x.dtype == torch.bool or x.dtype in (torch.uint16, torch.uint32, torch.uint64):
            x = x.to(torch.int64)  # aminmax has no kernel for bool and the wide unsigned types
        return torch.aminmax(x)
    if x.dtype == bool:
        x = x.astype(np.uint8)
    return np.min(x), np.max(x)


def check_array(name: str, x: AnyArray) -> None:
    """A NumPy array or torch tensor of a supported dtype (no masked arrays, no float128, float8 or complex)."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a numpy masked array; its mask would be ignored. Pass np.ma.filled({name}, value) "
            "for an ordinary array, and ignore_index (class-index targets) to leave pixels out"
        )
    if not (B.is_numpy(x) or B.is_torch(x)):
        raise TypeError(f"{name} must be a numpy.ndarray or a torch.Tensor, got {type(x).__name__}")
    if B.is_floating(x) and not B.is_supported_float(x):
        raise TypeError(f"{name} has dtype {x.dtype}; expected {B.supported_floats(x)}")
    if not (B.is_floating(x) or B.is_integer(x) or B.is_bool(x)):
        what = "complex numbers are not supported" if "complex" in str(x.dtype) else "not numbers"
        raise TypeError(
            f"{name} has dtype {x.dtype}; {what} (expected real numbers: floating point for "
            "predictions, integer or boolean labels)"
        )


def check_library(pred: AnyArray, target: AnyArray, names: tuple[str, str] = ("pred", "target")) -> Any:
    """Both arrays NumPy or both torch tensors on the same device. Returns xp."""
    pred_name, target_name = names
    for name, x in ((pred_name, pred), (target_name, target)):
        check_array(name, x)
    if B.is_torch(pred) != B.is_torch(target):
        raise TypeError(
            f"{pred_name} and {target_name} must come from the same library, got {pred_name} "
            f"{type(pred).__name__} and {target_name} {type(target).__name__}"
        )
    if B.is_torch(pred) and pred.device != target.device:
        raise ValueError(
            f"{pred_name} and {target_name} must be on the same device, got {pred.device} and {target.device}"
        )
    return B.namespace(pred, target)


def check_arrays(pred: AnyArray, target: AnyArray, names: tuple[str, str] = ("pred", "target")) -> Any:
    """Both arrays NumPy or both torch (same device); pred floating and non-empty. Returns xp."""
    xp = check_library(pred, target, names)
    pred_name, target_name = names
    if not B.is_floating(pred):
        raise TypeError(
            f"{pred_name} must be a floating-point array of logits or probabilities, got dtype {pred.dtype}; "
            "convert it with .astype(float) / .float()"
        )
    for name, x in ((pred_name, pred), (target_name, target)):
        if math.prod(x.shape) == 0:
            raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); expected at least one element")
    return xp


def check_finite(xp: Any, name: str, x: AnyArray) -> None:
    if B.is_floating(x):
        finite = xp.isfinite(x.detach() if B.is_torch(x) else x)
        if not bool(xp.all(finite)):
            bad = int(xp.sum(xp.astype(~finite, xp.int64)))
            raise ValueError(f"{name} contains {bad} NaN or infinite value(s); expected finite values")


def check_unit_interval(xp: Any, name: str, x: AnyArray, what: str = "probabilities", hint: str = "") -> None:
    """Values in [0, 1]; reports the range found."""
    values = x.detach() if B.is_torch(x) else x
    if B.is_bool(values):
        return
    low, high = float(xp.min(values)), float(xp.max(values))
    if low < 0 or high > 1:
        raise ValueError(f"{name} must hold {what} in [0, 1], got values in [{low:g}, {high:g}]{hint}")


LOGITS_HINT = "; pass from_logits=True for logits"


def check_from_logits(from_logits: Any) -> None:
    if not isinstance(from_logits, bool):
        raise TypeError(f"from_logits must be True or False, got {from_logits!r}")


def check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def check_same_shape(pred: AnyArray, target: AnyArray, names: tuple[str, str] = ("pred", "target")) -> None:
    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(f"{names[1]} must have the shape of {names[0]} {tuple(pred.shape)}, got {tuple(target.shape)}")


def check_target_dtype(target: AnyArray, name: str = "target") -> None:
    if not (B.is_floating(target) or B.is_integer(target) or B.is_bool(target)):
        raise TypeError(f"{name} must be a floating, integer or boolean array, got dtype {target.dtype}")


def check_index_target(
    xp: Any, target: AnyArray, num_classes: int, ignore_index: int | None, name: str = "target"
) -> None:
    """Class indices in [0, C) (or equal to ignore_index), checked now (metrics and segref.keras)."""
    values = B.as_int64(_host(target))
    if ignore_index is not None:
        values = values[values != ignore_index]
        if math.prod(values.shape) == 0:
            return
    low, high = int(xp.min(values)), int(xp.max(values))
    if low < 0 or high >= num_classes:
        raise ValueError(index_target_message(xp, target, num_classes, ignore_index, name))


def index_target_message(
    xp: Any, target: AnyArray, num_classes: int, ignore_index: int | None, name: str = "target"
) -> str:
    values = B.as_int64(_host(target))
    if ignore_index is not None:
        values = values[values != ignore_index]
    low, high = int(xp.min(values)), int(xp.max(values))
    allowed = f"[0, {num_classes - 1}]"
    if ignore_index is not None:
        allowed += f" or ignore_index={ignore_index}"
    return f"{name} holds class indices in [{low}, {high}]; expected {allowed}"


def classify_target(pred: AnyArray, target: AnyArray, axis: int) -> str:
    """'index' for an integer class map without the class axis, 'soft' for a map shaped like pred."""
    index_shape = tuple(s for i, s in enumerate(pred.shape) if i != axis % pred.ndim)
    if tuple(target.shape) == tuple(pred.shape):
        return "soft"
    if tuple(target.shape) == index_shape:
        if not B.is_integer(target):
            raise TypeError(
                f"target of shape {tuple(target.shape)} is read as a class-index map and must have an "
                f"integer dtype, got {target.dtype}"
            )
        return "index"
    raise ValueError(
        f"target must have shape {tuple(pred.shape)} (one-hot or soft labels) or {index_shape} "
        f"(class indices), got {tuple(target.shape)}"
    )


def check_axis(pred: AnyArray, axis: Any) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if pred.ndim < 2:
        raise ValueError(f"pred must have a batch and a class axis, got shape {tuple(pred.shape)}")
    if not -pred.ndim <= axis < pred.ndim:
        raise ValueError(f"axis={axis} is out of range for pred of shape {tuple(pred.shape)}")
    return axis % pred.ndim


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")


def scalar_value(value: Any) -> Any:
    """A Python number from a number, a NumPy scalar or a 0-d array/tensor; ``value`` itself otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Number):
        item = getattr(value, "item", None)  # a NumPy scalar
        return item() if item is not None else value
    if (B.is_numpy(value) or B.is_torch(value)) and value.ndim == 0:
        return value.item()
    return value


def check_number(name: str, value: Any, *, low: float, high: float = math.inf, low_open: bool = False) -> float:
    """A finite real number in [low, high] (or (low, high] with low_open); NumPy and 0-d scalars accepted."""
    value = scalar_value(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    below = number <= low if low_open else number < low
    if below or number > high or not math.isfinite(number):
        bracket = "(" if low_open else "["
        closing = ")" if math.isinf(high) else "]"
        raise ValueError(f"{name} must be a finite number in {bracket}{low:g}, {high:g}{closing}, got {value!r}")
    return number


def check_class_vector(
    xp: Any, name: str, value: Any, num_classes: int, like: AnyArray, checks: ValueChecks
) -> AnyArray:
    """A per-class vector of length C with finite, non-negative entries, as an array like ``like``.

    A sequence of numbers or a NumPy array is checked in Python, on the host, before
    it becomes an array on ``like``'s device (no synchronisation, and nothing for
    ``torch.compile`` to branch on); a torch tensor (a module buffer, perhaps on the
    GPU) is checked with the call's other value checks.
    """
    if B.is_torch(value) and not B.is_torch(like):
        raise TypeError(f"{name} is a torch.Tensor but pred is a NumPy array; pass a list or a NumPy array")
    if B.is_torch(value) and value.device != like.device:
        raise ValueError(f"{name} must be on pred's device {like.device}, got a tensor on {value.device}")
    parsed = class_vector_values(name, value)
    vector = parsed.to(dtype=like.dtype) if B.is_torch(parsed) else None
    entries: list[float] | None = None if B.is_torch(parsed) else parsed
    shape = tuple(vector.shape) if vector is not None else (len(entries or ()),)
    if len(shape) != 1 or shape[0] != num_classes:
        raise ValueError(f"{name} must be a 1-D sequence with one entry per class ({num_classes}), got shape {shape}")
    if entries is not None:
        if not all(math.isfinite(v) and v >= 0 for v in entries):
            raise ValueError(f"{name} must hold finite, non-negative values, got {entries}")
        return xp.asarray(entries, dtype=like.dtype, device=B.device(like))
    if checks.enabled:
        host = _host(vector)
        checks.require(
            xp.all(B.isfinite(host)) & xp.all(host >= 0),
            lambda: f"{name} must hold finite, non-negative values, got {host.tolist()}",
        )
    return vector


def class_vector_values(name: str, value: Any) -> Any:
    """A per-class option as a torch tensor of real numbers (returned as is) or a list of Python floats."""
    if B.is_torch(value):
        if B.is_bool(value) or not (B.is_supported_float(value) or B.is_integer(value)):
            raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
        return value
    items = value.tolist() if B.is_numpy(value) else value
    if (
        isinstance(items, (str, bytes))
        or not isinstance(items, (list, tuple))
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in map(scalar_value, items))
    ):
        raise TypeError(f"{name} must be a sequence of numbers (one per class), got {value!r}")
    return [float(scalar_value(v)) for v in items]


FLAG_OPTIONS = (
    "from_logits",
    "multilabel",
    "per_image",
    "include_background",
    "squared",
    "distributed",
    "apply_class_balancing",
)
NONNEGATIVE_OPTIONS = ("smooth", "gamma", "dice_weight", "ce_weight", "focal_weight", "topk_weight", "beta")
#: options with their own range: (low, high, whether low itself is excluded, whether None is allowed)
BOUNDED_OPTIONS: dict[str, tuple[float, float, bool, bool]] = {
    "k": (0.0, 100.0, True, False),
    "epsilon": (-1.0, math.inf, False, False),
    "threshold": (0.0, math.inf, False, True),
    "sensitivity_weight": (0.0, 1.0, False, False),
}
#: options that count something: integers >= 1
COUNT_OPTIONS = ("num_kept",)
#: options that name one of a few choices
CHOICE_OPTIONS: dict[str, tuple[str, ...]] = {
    "weighting": ("square", "simple", "uniform"),
    "absent_classes": ("max", "epsilon"),
    "scheme": ("inverse", "inverse_sqrt", "median"),
}


def check_choice(name: str, value: Any) -> str:
    """One of ``CHOICE_OPTIONS[name]``: TypeError for a value that is not a string, ValueError for another string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {CHOICE_OPTIONS[name]}, got {value!r}")
    if value not in CHOICE_OPTIONS[name]:
        raise ValueError(f"{name} must be one of {CHOICE_OPTIONS[name]}, got {value!r}")
    return value


def check_bounded(name: str, value: Any) -> Any:
    """An option of ``BOUNDED_OPTIONS`` in its range, as a float (None where that option allows it)."""
    low, high, low_open, optional = BOUNDED_OPTIONS[name]
    if value is None and optional:
        return None
    return check_number(name, value, low=low, high=high, low_open=low_open)


def check_count(name: str, value: Any, low: int = 1) -> int:
    """An int >= ``low`` (NumPy integers and 0-d integer arrays accepted)."""
    number = scalar_value(value)
    if isinstance(number, bool) or not isinstance(number, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if number < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(number)


def check_options(
    options: dict[str, Any],
    *,
    reductions: tuple[str, ...] = REDUCTIONS,
    alpha_high: float = math.inf,
    per_class_alpha: bool = True,
) -> None:
    """The checks a loss makes on its keyword options, made without any input (``segref.nn``
    modules call it at construction, so a bad option fails where it is written).

    Per-class options are checked for type and values here, and for their length (the
    number of classes) when the loss is called.
    """
    for name, value in options.items():
        if name in FLAG_OPTIONS:
            check_flag(name, value)
        elif name in NONNEGATIVE_OPTIONS:
            check_number(name, value, low=0.0)
        elif name in CHOICE_OPTIONS:
            check_choice(name, value)
        elif name in BOUNDED_OPTIONS:
            check_bounded(name, value)
        elif name in COUNT_OPTIONS:
            check_count(name, value)
        elif name == "label_smoothing":
            check_number(name, value, low=0.0, high=1.0)
        elif name == "reduction":
            check_reduction(value, reductions)
        elif name == "ignore_index":
            check_ignore_index(value)
        elif name == "axis":
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"axis must be an int, got {value!r}")
        elif name in ("alpha", "pos_weight", "class_weights") and value is not None:
            number = scalar_value(value)
            scalar_only = name == "alpha" and not per_class_alpha
            if scalar_only or (
                isinstance(number, numbers.Real) and not isinstance(number, bool) and name != "class_weights"
            ):
                check_number(name, number, low=0.0, high=alpha_high if name == "alpha" else math.inf)
                continue
            entries = class_vector_values(name, value)
            host = [float(v) for v in _host(entries).reshape(-1).tolist()] if B.is_torch(entries) else entries
            if not all(math.isfinite(v) and v >= 0 for v in host):
                raise ValueError(f"{name} must hold finite, non-negative values, got {host}")


def check_ignore_index(ignore_index: Any, name: str = "ignore_index") -> int | None:
    """An int (NumPy integers and 0-d integer arrays accepted) or None."""
    if ignore_index is None:
        return None
    value = scalar_value(ignore_index)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int or None, got {ignore_index!r}")
    return int(value)
