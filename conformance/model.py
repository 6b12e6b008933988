"""The row type, the inputs the rows run on, and the check each row must pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

#: Columns of the matrix, in order: key -> (display name, distribution on PyPI or None).
FRAMEWORKS: dict[str, tuple[str, str | None]] = {
    "pytorch": ("PyTorch", "torch"),
    "keras3": ("Keras 3", "keras"),
    "keras2": ("Keras 2 (tf-keras)", "tf-keras"),
    "monai": ("MONAI", "monai"),
    "smp": ("SMP", "segmentation-models-pytorch"),
    "kornia": ("kornia", "kornia"),
    "torchmetrics": ("torchmetrics", "torchmetrics"),
    "optax": ("optax", "optax"),
    "nnunet": ("nnU-Net v2", "nnunetv2"),
}

#: Rows of the matrix, in order: page key -> display name (each page is docs/losses/<key>.md
#: except the metrics, which live on docs/dice-vs-iou.md).
LOSSES: dict[str, str] = {
    "binary-cross-entropy": "Binary cross-entropy",
    "categorical-cross-entropy": "Categorical cross-entropy",
    "dice": "Soft Dice loss",
    "jaccard": "Soft Jaccard loss",
    "focal": "Focal loss",
    "dice-ce": "Dice + cross-entropy",
    "tversky": "Tversky and focal Tversky losses",
    "generalized-dice": "Generalised Dice loss",
    "topk": "TopK and bootstrapped cross-entropy",
    "poly": "Poly-1 loss",
    "compound": "Dice + focal, Dice + TopK and other weighted sums",
    "log-cosh-dice": "Log-cosh Dice loss",
    "mcc": "Matthews correlation coefficient (MCC) loss",
    "sensitivity-specificity": "Sensitivity-specificity loss",
    "metrics": "Hard Dice and IoU metrics",
}

IGNORE_INDEX = 255


@dataclasses.dataclass(frozen=True)
class Case:
    """One input: logits, labels, binary targets and the derived probabilities, float64.

    ``labels`` hold class indices ``0..C-1``; where ``ignore_index`` is set, some pixels
    hold it instead. ``targets`` are independent 0/1 maps with the shape of ``logits``
    (for the binary and multi-label losses).
    """

    name: str
    logits: np.ndarray  # (N, C, *spatial)
    labels: np.ndarray  # (N, *spatial), int64
    targets: np.ndarray  # (N, C, *spatial), 0.0 / 1.0
    ignore_index: int | None = None

    @property
    def num_classes(self) -> int:
        return self.logits.shape[1]

    @property
    def probs(self) -> np.ndarray:
        """Softmax of ``logits`` over the class axis."""
        shifted = self.logits - self.logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)

    @property
    def sigmoid(self) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits))

    @property
    def valid(self) -> np.ndarray:
        """True where a pixel is not ignored, shape of ``labels``."""
        if self.ignore_index is None:
            return np.ones(self.labels.shape, dtype=bool)
        return self.labels != self.ignore_index

    @property
    def one_hot(self) -> np.ndarray:
        """One-hot of ``labels``, ``(N, C, *spatial)``; ignored pixels are all zero."""
        classes = np.arange(self.num_classes).reshape((1, -1) + (1,) * (self.labels.ndim - 1))
        return (self.labels[:, None] == classes).astype(np.float64)

    def channels_last(self, array: np.ndarray) -> np.ndarray:
        return np.moveaxis(array, 1, -1)

    def with_labels(self, labels: np.ndarray, name: str) -> Case:
        return dataclasses.replace(self, labels=labels, name=name)


def make_case(
    name: str,
    *,
    n: int,
    c: int,
    spatial: tuple[int, ...],
    seed: int,
    absent: bool = False,
    ignore: bool = False,
    scale: float = 2.0,
) -> Case:
    """A random case; ``absent`` removes the last class from the first image's labels,
    ``ignore`` marks about a fifth of the pixels with ``IGNORE_INDEX``."""
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, c) + spatial)
    labels = rng.integers(0, c, size=(n,) + spatial)
    if absent:
        first = labels[0]
        first[first == c - 1] = rng.integers(0, c - 1, size=int((first == c - 1).sum()))
    if ignore:
        labels = np.where(rng.random(labels.shape) < 0.2, IGNORE_INDEX, labels)
    targets = (rng.random((n, c) + spatial) < 0.4).astype(np.float64)
    return Case(name, logits, labels.astype(np.int64), targets, IGNORE_INDEX if ignore else None)


def example() -> Case:
    """The shared example the pages show: 2 images, 3 classes, 4 x 4 pixels; class 2
    appears only in the first image."""
    rng = np.random.default_rng(20261130)
    logits = rng.standard_normal((2, 3, 4, 4))
    labels = rng.integers(0, 2, size=(2, 4, 4))
    labels[0, 1:3, 1:3] = 2
    targets = (rng.random((2, 3, 4, 4)) < 0.4).astype(np.float64)
    return Case("example", logits, labels.astype(np.int64), targets)


def cases(*, ignore: bool = False) -> Iterator[Case]:
    """The random inputs every row runs on: 2D and 3D, 1 to 3 images, 2 to 5 classes,
    with and without a class absent from an image; with ignored pixels when ``ignore``."""
    shapes = [
        (1, 2, (5, 6)),
        (2, 3, (4, 7)),
        (3, 5, (6, 5)),
        (2, 4, (3, 4, 5)),
        (1, 3, (4, 3, 3)),
    ]
    for seed, (n, c, spatial) in enumerate(shapes):
        for absent in (False, True):
            label = f"{len(spatial)}d-n{n}-c{c}{'-absent' if absent else ''}{'-ignore' if ignore else ''}"
            yield make_case(label, n=n, c=c, spatial=spatial, seed=100 * seed + absent, absent=absent, ignore=ignore)


#: Class weights the rows pass (the first C entries): distinct, one below 1, none 0.
CLASS_WEIGHTS = np.array([0.5, 2.0, 1.0, 3.0, 0.25])


def all_ignored() -> list[Case]:
    """Two cases whose every pixel is ignored, then the cases with some pixels ignored."""
    runs = [c.with_labels(np.full_like(c.labels, IGNORE_INDEX), c.name + "-all-ignored") for c in cases(ignore=True)]
    return runs[:2] + list(cases(ignore=True))


def first_image_ignored() -> list[Case]:
    """The cases with ignored pixels, their first image ignored entirely; a batch of several
    images first (the one shown on the site), where that image changes the batch's sums."""
    runs = []
    for c in cases(ignore=True):
        labels = c.labels.copy()
        labels[0] = IGNORE_INDEX
        runs.append(c.with_labels(labels, c.name + "-first-all-ignored"))
    return sorted(runs, key=lambda c: -c.logits.shape[0])


Fn = Callable[[Case], Any]


@dataclasses.dataclass(frozen=True)
class Row:
    """One stated equality between a framework call and a segref call.

    ``framework_fn`` runs ``framework_call`` and ``segref_fn`` runs ``segref_call`` on a
    case; both return a number or an array of numbers and must agree within ``rtol`` and
    ``atol`` on every case the row runs on. ``framework_default`` / ``segref_default``
    say that the call uses the library's defaults (apart from what the input format
    needs); a row with both is "same by default". A row with ``differs`` set is a known
    difference: the segref side then writes down how the framework's number arises,
    ``differs`` says why segref does not (and cannot be set to) give it, and the
    assertion still checks that explanation exactly.
    """

    loss: str
    framework: str
    setting: str
    framework_call: str
    segref_call: str
    framework_fn: Fn
    segref_fn: Fn
    rtol: float = 1e-10
    atol: float = 1e-12
    framework_default: bool = False
    segref_default: bool = False
    ignore: bool = False  # also runs on cases with ignored pixels (both sides get case.ignore_index)
    inputs: Callable[[], list[Case]] | None = None  # the cases it runs on instead of cases()
    differs: str = ""
    defect: str = ""  # reproduced: the framework disagrees with its own documentation or paper (say where)
    note: str = ""
    source: str = ""  # a link, where the row rests on something read from the framework's source

    @property
    def key(self) -> str:
        return f"{self.loss}|{self.framework}|{self.setting}"

    @property
    def kind(self) -> str:
        if self.differs:
            return "differs"
        if self.framework_default and self.segref_default:
            return "same"
        return "mapped"

    def run_cases(self) -> list[Case]:
        if self.inputs is not None:
            return self.inputs()
        runs = list(cases())
        if self.ignore:
            runs += list(cases(ignore=True))
        return runs


def as_array(value: Any) -> np.ndarray:
    """A framework's or segref's result as a float64 NumPy array (torch, TF, JAX, NumPy)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def max_difference(row: Row, case: Case) -> float:
    """Runs both sides of ``row`` on ``case``; raises AssertionError where they disagree."""
    got = as_array(row.framework_fn(case))
    want = as_array(row.segref_fn(case))
    if got.shape != want.shape:
        raise AssertionError(f"{row.key} on {case.name}: shapes {got.shape} (framework) and {want.shape} (segref)")
    if not np.array_equal(np.isnan(got), np.isnan(want)) or not np.array_equal(np.isinf(got), np.isinf(want)):
        raise AssertionError(f"{row.key} on {case.name}: NaN/inf differ: framework {got}, segref {want}")
    finite = np.isfinite(got)
    if finite.any():
        np.testing.assert_allclose(
            got[finite], want[finite], rtol=row.rtol, atol=row.atol, err_msg=f"{row.key} on {case.name}"
        )
        return float(np.max(np.abs(got[finite] - want[finite])))
    return 0.0
