"""Checking an implementation against a formula's literal transcription.

These helpers power the executable pages of the segref site, and work for any
implementation: a function ``f(pred, target, **options)`` is evaluated on NumPy
float64 arrays and on float64 torch tensors, and compared with a NumPy
transcription ``spec(pred, target, **options)`` of the same formula.

Examples:
    >>> import numpy as np, segref
    >>> def bce_spec(p, y):  # -(1/|B|) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]
    ...     return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    >>> print(compare(segref.binary_cross_entropy, bce_spec, binary_cases(seed=0),
    ...               implementation_options={"from_logits": False}))
    binary_cross_entropy agrees with bce_spec on 12 cases x 1 option sets (NumPy and PyTorch): max |difference| ...
    >>> def wrong_spec(p, y):
    ...     return -np.mean(1.01 * y * np.log(p) + (1 - y) * np.log(1 - p))
    >>> compare(segref.binary_cross_entropy, wrong_spec, binary_cases(seed=0),
    ...         implementation_options={"from_logits": False})
    Traceback (most recent call last):
    ...
    AssertionError: binary_cross_entropy disagrees with wrong_spec ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Case", "Agreement", "binary_cases", "class_cases", "compare", "compare_gradient"]


@dataclass(frozen=True)
class Case:
    """One input pair, named so that a disagreement says which input caused it."""

    name: str
    pred: np.ndarray
    target: np.ndarray


@dataclass
class Agreement:
    implementation: str
    spec: str
    cases: int
    option_sets: int
    max_abs_difference: float
    rtol: float
    atol: float
    backends: Sequence[str] = field(default_factory=lambda: ("NumPy", "PyTorch"))

    def __str__(self) -> str:
        return (
            f"{self.implementation} agrees with {self.spec} on {self.cases} cases x {self.option_sets} option sets "
            f"({' and '.join(self.backends)}): max |difference| {self.max_abs_difference:.1e}, "
            f"tolerance {self.atol:g} + {self.rtol:g} |expected|"
        )


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def binary_cases(*, seed: int = 0, from_logits: bool = False, shape: tuple[int, ...] = (2, 3, 4, 4)) -> list[Case]:
    """Random and edge-case pairs for element-wise binary losses.

    Examples:
        >>> cases = binary_cases(seed=0)
        >>> len(cases), cases[0].pred.shape, sorted(set(cases[0].target.ravel().tolist()))
        (12, (2, 3, 4, 4), [0.0, 1.0])

    Probabilities stay in the open interval (0, 1) where the exact formula is finite.
    With ``from_logits`` the predictions are the matching logits, limited to
    |z| <= 14: beyond that a float64 transcription that computes 1 - sigmoid(z)
    loses more than 1e-10 to cancellation (segref itself works in log space; its
    behaviour at |z| = 1e4 is tested against closed forms instead).
    """
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(6):
        p = rng.uniform(0.02, 0.98, size=shape)
        y = (rng.uniform(size=shape) < 0.3 + 0.1 * k).astype(np.float64)
        cases.append(Case(f"random {k}", p, y))
    p = rng.uniform(0.02, 0.98, size=shape)
    cases += [
        Case("soft labels", p, rng.uniform(size=shape)),
        Case("all negative", p, np.zeros(shape)),
        Case("all positive", p, np.ones(shape)),
        Case("confident and right", np.where(p > 0.5, 1 - 1e-12, 1e-12), (p > 0.5).astype(np.float64)),
        Case("confident and wrong", np.where(p > 0.5, 1 - 1e-12, 1e-12), (p <= 0.5).astype(np.float64)),
        Case("uncertain", np.full(shape, 0.5), (p > 0.5).astype(np.float64)),
    ]
    if from_logits:
        cases = [Case(c.name, np.clip(_logit(c.pred), -14.0, 14.0), c.target) for c in cases]
    return cases


def class_cases(
    *,
    num_classes: int = 3,
    seed: int = 0,
    from_logits: bool = False,
    index_targets: bool = True,
    shape: tuple[int, ...] = (2, 4, 4),
) -> list[Case]:
    """Random and edge-case pairs for class-wise losses, layout (N, C, *spatial).

    Targets are integer maps ``(N, *spatial)`` or their one-hot ``(N, C, *spatial)``;
    predictions are softmax probabilities, or the logits (|z| <= 30) with ``from_logits``.

    Examples:
        >>> cases = class_cases(num_classes=4, seed=0)
        >>> [c.name for c in cases][5:7]
        ['class absent from the target', 'one class everywhere']
        >>> cases[0].pred.shape, cases[0].target.shape, float(cases[0].pred.sum(axis=1).mean())
        ((2, 4, 4, 4), (2, 4, 4), 1.0)
    """
    rng = np.random.default_rng(seed)
    n, spatial = shape[0], shape[1:]
    logit_shape = (n, num_classes) + spatial

    def labels(probabilities: Sequence[float] | None = None) -> np.ndarray:
        return rng.choice(num_classes, size=shape, p=probabilities)

    raw = [(f"random {k}", rng.normal(scale=1 + k, size=logit_shape), labels()) for k in range(5)]
    last_absent = [1.0 / (num_classes - 1)] * (num_classes - 1) + [0.0]
    y = labels()
    confident = np.where(np.arange(num_classes).reshape((1, -1) + (1,) * len(spatial)) == y[:, None], 30.0, -30.0)
    raw += [
        ("class absent from the target", rng.normal(size=logit_shape), labels(last_absent)),
        ("one class everywhere", rng.normal(size=logit_shape), np.zeros(shape, dtype=np.int64)),
        ("uniform prediction", np.zeros(logit_shape), labels()),
        ("confident and right", confident, y),
        ("confident and wrong", confident, (y + 1) % num_classes),
    ]
    cases = []
    for name, z, target in raw:
        pred = (
            z
            if from_logits
            else np.exp(z - z.max(1, keepdims=True)) / np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)
        )
        if not index_targets:
            target = np.moveaxis(np.eye(num_classes)[target], -1, 1)
        cases.append(Case(name, pred, target.astype(np.int64) if index_targets else target))
    return cases


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _backends() -> list[tuple[str, Callable[[np.ndarray], Any]]]:
    backends: list[tuple[str, Callable[[np.ndarray], Any]]] = [("NumPy", lambda a: a)]
    try:
        import torch
    except ImportError:  # segref's core needs only NumPy
        return backends
    backends.append(("PyTorch", torch.from_numpy))
    return backends


def _check(
    name: str,
    spec_name: str,
    case: Case,
    options: dict,
    backend: str,
    got: np.ndarray,
    want: np.ndarray,
    rtol: float,
    atol: float,
) -> float:
    if got.shape != want.shape:
        raise AssertionError(
            f"{name} disagrees with {spec_name} on case {case.name!r}, options {options} ({backend}): "
            f"shape {got.shape} != {want.shape}"
        )
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=False):
        diff = np.abs(got - want)
        raise AssertionError(
            f"{name} disagrees with {spec_name} on case {case.name!r}, options {options} ({backend}): "
            f"max |difference| {np.nanmax(diff):.3g}; expected {want.ravel()[:4]}, got {got.ravel()[:4]}"
        )
    return float(np.max(np.abs(got - want))) if got.size else 0.0


def compare(
    implementation: Callable[..., Any],
    spec: Callable[..., Any],
    cases: Iterable[Case],
    *,
    options: Sequence[dict] = ({},),
    implementation_options: dict | None = None,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> Agreement:
    """Evaluate ``implementation`` and ``spec`` on every case and option set; raise on disagreement.

    Args:
        implementation: ``f(pred, target, **options)`` taking NumPy arrays or torch tensors.
        spec: the literal NumPy transcription, ``spec(pred, target, **options)``.
        cases: input pairs (``binary_cases``, ``class_cases`` or your own).
        options: keyword option sets passed to both.
        implementation_options: keywords passed to ``implementation`` only, e.g.
            ``{"from_logits": False}``.
        rtol: relative tolerance of ``numpy.allclose``.
        atol: absolute tolerance of ``numpy.allclose``.

    Returns:
        An ``Agreement`` summary whose ``str`` says what was compared.

    Raises:
        AssertionError: naming the case, options and library where they disagree.
    """
    cases, options = list(cases), list(options)
    name, spec_name = implementation.__name__, spec.__name__
    worst = 0.0
    backends = _backends()
    for case in cases:
        for option_set in options:
            want = np.asarray(spec(case.pred, case.target, **option_set), dtype=np.float64)
            for backend, convert in backends:
                got = _to_numpy(
                    implementation(
                        convert(case.pred), convert(case.target), **option_set, **(implementation_options or {})
                    )
                )
                worst = max(worst, _check(name, spec_name, case, option_set, backend, got, want, rtol, atol))
    return Agreement(name, spec_name, len(cases), len(options), worst, rtol, atol, [b for b, _ in backends])


def compare_gradient(
    implementation: Callable[..., Any],
    gradient_spec: Callable[..., Any],
    cases: Iterable[Case],
    *,
    options: Sequence[dict] = ({},),
    implementation_options: dict | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
) -> Agreement:
    """Compare torch autograd's gradient of ``implementation(..., reduction="sum")`` with a formula.

    ``gradient_spec(pred, target, **options)`` returns d(summed loss)/d(pred) as a NumPy array.

    Examples:
        The gradient of binary cross-entropy with respect to the logit is sigmoid(z) - y:

        >>> import numpy as np, segref
        >>> def grad_spec(z, y):
        ...     return 1 / (1 + np.exp(-z)) - y
        >>> print(compare_gradient(segref.binary_cross_entropy, grad_spec, binary_cases(from_logits=True),
        ...                        implementation_options={"from_logits": True}))
        binary_cross_entropy agrees with grad_spec on 12 cases x 1 option sets (PyTorch autograd): max |difference| ...
    """
    import torch

    cases, options = list(cases), list(options)
    worst = 0.0
    for case in cases:
        for option_set in options:
            pred = torch.from_numpy(case.pred).requires_grad_(True)
            loss = implementation(
                pred, torch.from_numpy(case.target), reduction="sum", **option_set, **(implementation_options or {})
            )
            (grad,) = torch.autograd.grad(loss, pred)
            want = np.asarray(gradient_spec(case.pred, case.target, **option_set), dtype=np.float64)
            got = _to_numpy(grad)
            if not np.all(np.isfinite(got)):
                raise AssertionError(f"{implementation.__name__}: non-finite gradient on case {case.name!r}")
            worst = max(
                worst,
                _check(
                    implementation.__name__,
                    gradient_spec.__name__,
                    case,
                    option_set,
                    "PyTorch autograd",
                    got,
                    want,
                    rtol,
                    atol,
                ),
            )
    return Agreement(
        implementation.__name__,
        gradient_spec.__name__,
        len(cases),
        len(options),
        worst,
        rtol,
        atol,
        ["PyTorch autograd"],
    )
