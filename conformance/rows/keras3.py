"""Keras 3 (``keras.losses``, ``keras.metrics``) on its torch backend, and its NumPy backend where that differs.

Names in the calls: ``z`` logits, ``p`` probabilities (the sigmoid of ``z`` for the
binary losses, the softmax for the others), ``y`` the binary targets (binary losses) or
the integer labels, ``y_1h`` the one-hot labels, all channels-first ``(N, C, *spatial)``;
``*_last`` is the same array channels-last (``np.moveaxis(a, 1, -1)``), the layout
Keras expects. Keras' loss classes cast their inputs to ``keras.config.floatx()``,
float32, and reduce with "sum_over_batch_size" (the mean) in float32; the bare functions
keep float64 on the torch backend, except that the binary ones take their final mean
over the last axis in float32 (Keras' type promotion turns float64 into float32).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import segref
import segref.keras

from ..frameworks import keras3
from ..model import CLASS_WEIGHTS, IGNORE_INDEX, Case, Row, all_ignored, cases, make_case

KERAS = "https://github.com/keras-team/keras/blob/250b42181ce9f37df68319d8f4753ec89a349a43/keras/src/"
FLOAT32 = {"rtol": 1e-6, "atol": 1e-7}  # float32 arithmetic on one side
FOCAL32 = {"rtol": 1e-5, "atol": 1e-7}  # float32 focal factors: 1 - p_t loses digits as p_t nears 1
EPSILON = 1e-7  # keras.config.epsilon()


def src(path: str, first: int, last: int) -> str:
    return f"{KERAS}{path}#L{first}-L{last}"


def k() -> Any:
    return keras3()


def last(a: np.ndarray) -> np.ndarray:
    return np.moveaxis(a, 1, -1)


def spatial(a: np.ndarray) -> tuple[int, ...]:
    """The spatial axes of a channels-last array."""
    return tuple(range(1, a.ndim - 1))


def batch_and_spatial(a: np.ndarray) -> tuple[int, ...]:
    return tuple(range(a.ndim - 1))


def pooled(a: np.ndarray) -> np.ndarray:
    """Everything in one image and one channel: how Keras' ``axis=None`` overlap losses pool."""
    return a.reshape(1, 1, -1)


def clip(p: np.ndarray) -> np.ndarray:
    return np.clip(p, EPSILON, 1 - EPSILON)


def p_true(case: Case, p: np.ndarray) -> np.ndarray:
    """The probability of the true class at each pixel, ``(N, *spatial)``."""
    return np.take_along_axis(p, case.labels[:, None], axis=1)[:, 0]


def p_t(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The probability given to the right answer, for hard or soft binary targets."""
    return y * p + (1 - y) * (1 - p)


def smoothed(y: np.ndarray, s: float = 0.1) -> np.ndarray:
    return y * (1 - s) + s / 2


def sigmoid32(z: np.ndarray) -> np.ndarray:
    """The NumPy backend's sigmoid, in float32 as that backend computes it."""
    z32 = z.astype(np.float32)
    return np.float32(1) / (np.float32(1) + np.exp(-z32))


def iou_of_seen_classes(case: Case, y_hat: np.ndarray, **options: Any) -> np.ndarray:
    """segref's whole-batch IoU averaged over the classes that occur in the prediction or
    the (non-ignored) target, the classes Keras' ``MeanIoU`` counts."""
    iou = segref.iou_score(
        y_hat, case.labels, num_classes=case.num_classes, per_image=False, reduction="none", **options
    )
    valid = case.valid
    seen = np.isin(np.arange(case.num_classes), np.concatenate([y_hat[valid], case.labels[valid]]))
    return iou[seen].mean()


# ---------------------------------------------------------------------------------------
# Inputs at the edges


def saturated() -> list[Case]:
    """Sigmoid probabilities at exactly 0 and 1 (logits of -inf and +inf), each met by a
    target of 0 and of 1, next to interior ones."""
    case = make_case("saturated", n=2, c=2, spatial=(3, 4), seed=7)
    logits, targets = case.logits.copy(), case.targets.copy()
    logits[:, :, 0, 0], logits[:, :, 1, 1] = -np.inf, np.inf
    targets[:, :, 0, 0] = targets[:, :, 1, 1] = [[1.0, 0.0], [0.0, 1.0]]
    return [Case("saturated", logits, case.labels, targets)]


def saturated_logits() -> list[Case]:
    """Logits of magnitude 30 to 40: probabilities within 1e-13 of 0 or 1."""
    runs = []
    for seed, (n, c, shape) in enumerate([(2, 3, (4, 5)), (1, 4, (3, 3, 4))]):
        case = make_case(f"saturated-logits-{len(shape)}d", n=n, c=c, spatial=shape, seed=40 + seed)
        size = np.random.default_rng(seed).uniform(30.0, 40.0, size=case.logits.shape)
        runs.append(Case(case.name, np.sign(case.logits) * size, case.labels, case.targets))
    return runs


def zero_probability() -> list[Case]:
    """Softmax probabilities of exactly 0: the true class at some pixels, another class at others."""
    case = make_case("zero-probability", n=2, c=3, spatial=(4, 5), seed=11)
    logits = case.logits.copy()
    n, i, j = np.nonzero(np.random.default_rng(3).random(case.labels.shape) < 0.3)
    logits[n, case.labels[n, i, j], i, j] = -np.inf
    n, i, j = np.nonzero(np.random.default_rng(4).random(case.labels.shape) < 0.3)
    logits[n, (case.labels[n, i, j] + 1) % 3, i, j] = -np.inf
    return [Case("zero-probability", logits, case.labels, case.targets)]


def empty_pairs() -> list[Case]:
    """Hard (one-hot) predictions, each image's labels shifted by one pixel: the class
    missing from the first image's labels is missing from its prediction too."""
    runs = []
    for case in cases():
        if case.name.endswith("absent"):
            predicted = np.roll(case.labels, 1, axis=-1)
            classes = np.arange(case.num_classes).reshape((1, -1) + (1,) * (case.labels.ndim - 1))
            logits = np.where(predicted[:, None] == classes, 0.0, -1e4)  # softmax: exactly one-hot
            runs.append(Case(f"{case.name}-hard", logits, case.labels, case.targets))
    return runs


def with_cases(special: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
    """The edge inputs first (the data file shows a row's first input), then the random cases."""
    return lambda: special() + list(cases())


# ---------------------------------------------------------------------------------------
# Keras' NumPy backend, run for real in a subprocess

NUMPY_BACKEND_SCRIPT = """
import json, os, sys
os.environ["KERAS_BACKEND"] = sys.argv[5] if len(sys.argv) > 5 else "numpy"
import numpy as np
import keras
call, names, source, target = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
data = np.load(source)
results = {}
for index, name in enumerate(names):
    arrays = {key.split(".", 1)[1]: data[key] for key in data.files if key.startswith(f"{index}.")}
    results[str(index)] = np.asarray(eval(call, {"keras": keras, "np": np, **arrays}), dtype=np.float64)
np.savez(target, **results)
"""

_numpy_backend_results: dict[tuple[str, str], np.ndarray] = {}


def numpy_backend(
    call: str,
    arrays: Callable[[Case], dict[str, np.ndarray]],
    inputs: Callable[[], list[Case]],
    backend: str = "numpy",
) -> Callable[[Case], np.ndarray]:
    """A framework_fn that evaluates ``call`` under ``KERAS_BACKEND=<backend>`` (NumPy unless
    told): one interpreter for all the cases of ``inputs`` (results kept by case name), on the
    named ``arrays``."""

    def run(case: Case) -> np.ndarray:
        if (call, case.name) not in _numpy_backend_results:
            batch = inputs()
            if case.name not in [c.name for c in batch]:
                batch = [case]
            with tempfile.TemporaryDirectory() as folder:
                source, target = Path(folder, "inputs.npz"), Path(folder, "results.npz")
                named = {f"{i}.{key}": value for i, c in enumerate(batch) for key, value in arrays(c).items()}
                np.savez(source, **named)
                names = json.dumps([c.name for c in batch])
                script = NUMPY_BACKEND_SCRIPT
                command = [sys.executable, "-c", script, call, names, str(source), str(target), backend]
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                if done.returncode:
                    raise RuntimeError(f"Keras' {backend} backend failed on {call!r}:\n{done.stderr[-2000:]}")
                with np.load(target) as results:
                    for i, c in enumerate(batch):
                        _numpy_backend_results[(call, c.name)] = results[str(i)]
        return _numpy_backend_results[(call, case.name)]

    return run


NUMPY_BCE_LOGITS = "keras.losses.binary_crossentropy(y_last, z_last, from_logits=True)"
NUMPY_SPARSE = "keras.losses.sparse_categorical_crossentropy(y, z_last, from_logits=True)"
TF_BCE_OF_SIGMOID = "keras.losses.binary_crossentropy(y_last, keras.activations.sigmoid(z_last))"
TF_CCE_OF_SOFTMAX = "keras.losses.categorical_crossentropy(y_1h_last, keras.activations.softmax(z_last))"


# ---------------------------------------------------------------------------------------

BCE_ROWS = [
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="probabilities",
        framework_call="keras.losses.BinaryCrossentropy()(y_last, p_last)",
        segref_call="segref.binary_cross_entropy(p, y, from_logits=False)",
        framework_fn=lambda c: k().losses.BinaryCrossentropy()(last(c.targets), last(c.sigmoid)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.sigmoid, c.targets, from_logits=False),
        **FLOAT32,
        framework_default=True,
        segref_default=True,
        note="Keras computes in float32. Equal while every p stays inside Keras' clip [1e-7, 1 - 1e-7].",
        source=src("losses/losses.py", 2380, 2417),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="logits",
        framework_call="keras.losses.BinaryCrossentropy(from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.BinaryCrossentropy(from_logits=True)(last(c.targets), last(c.logits)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        **FLOAT32,
        framework_default=True,
        segref_default=True,
        note="Keras computes in float32. From logits the torch backend calls PyTorch's exact "
        "binary_cross_entropy_with_logits: no clipping.",
        source=src("backend/torch/nn.py", 924, 956),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="label_smoothing",
        framework_call="keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(y_last, z_last)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: k().losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(
            last(c.targets), last(c.logits)
        ),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, label_smoothing=0.1),
        **FLOAT32,
        note="Both smooth towards 1/2: y (1 - s) + s / 2. Keras computes in float32.",
        source=src("losses/losses.py", 2408, 2417),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="function, per pixel",
        framework_call="keras.losses.binary_crossentropy(y_last, z_last, from_logits=True)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, reduction='none').mean(axis=1)",
        framework_fn=lambda c: k().losses.binary_crossentropy(last(c.targets), last(c.logits), from_logits=True),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, reduction="none").mean(
            axis=1
        ),
        **FLOAT32,
        note="The bare function averages over the last axis (the channels here) and returns one value per "
        "pixel; that mean runs in float32 even for float64 input.",
        source=src("losses/losses.py", 2414, 2417),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="probabilities at 0 and 1",
        framework_call="keras.losses.binary_crossentropy(y_last, p_last)",
        segref_call="segref.binary_cross_entropy(np.clip(p, 1e-7, 1 - 1e-7), y, from_logits=False, "
        "reduction='none').mean(axis=1)",
        framework_fn=lambda c: k().losses.binary_crossentropy(last(c.targets), last(c.sigmoid)),
        segref_fn=lambda c: segref.binary_cross_entropy(
            clip(c.sigmoid), c.targets, from_logits=False, reduction="none"
        ).mean(axis=1),
        **FLOAT32,
        inputs=saturated,
        differs="Keras clips probabilities to [1e-7, 1 - 1e-7] before the log, so a certain miss costs "
        "-log(1e-7) = 16.118; the formula (and segref) gives infinity there.",
        note="With float32 input (any loss class) the upper bound rounds to 1 - 1.19e-7 and the other miss "
        "costs 15.942.",
        source=src("backend/torch/nn.py", 952, 956),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="segref.keras",
        framework_call="keras.losses.binary_crossentropy(y_last, p_last, label_smoothing=0.1)",
        segref_call="segref.keras.binary_crossentropy(y_last, p_last, label_smoothing=0.1)",
        framework_fn=lambda c: k().losses.binary_crossentropy(last(c.targets), last(c.sigmoid), label_smoothing=0.1),
        segref_fn=lambda c: segref.keras.binary_crossentropy(last(c.targets), last(c.sigmoid), label_smoothing=0.1),
        **FLOAT32,
        inputs=with_cases(saturated),
        note="segref.keras reproduces Keras, clip included; Keras takes the final mean in float32.",
        source=src("losses/losses.py", 2380, 2417),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="segref.keras, loss class in float32",
        framework_call="keras.losses.BinaryCrossentropy()(y_last, p_last)",
        segref_call="segref.keras.binary_crossentropy(y_last.astype(np.float32), p_last.astype(np.float32), "
        "reduction='sum_over_batch_size')",
        framework_fn=lambda c: k().losses.BinaryCrossentropy()(last(c.targets), last(c.sigmoid)),
        segref_fn=lambda c: segref.keras.binary_crossentropy(
            last(c.targets).astype(np.float32), last(c.sigmoid).astype(np.float32), reduction="sum_over_batch_size"
        ),
        **FLOAT32,
        inputs=with_cases(saturated),
        note="The loss class casts to float32, where the clip's upper bound is 1 - 1.19e-7: pass float32 arrays "
        "to segref.keras to get its number at the bounds (15.942 for p = 1, y = 0).",
        source=src("losses/loss.py", 56, 85),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="NumPy backend, logits",
        framework_call=f"{NUMPY_BCE_LOGITS}  # KERAS_BACKEND=numpy",
        segref_call="segref.keras.binary_crossentropy(y_last.astype(np.float32), sigmoid32(z_last))",
        framework_fn=numpy_backend(
            NUMPY_BCE_LOGITS,
            lambda c: {"y_last": last(c.targets), "z_last": last(c.logits)},
            with_cases(saturated_logits),
        ),
        segref_fn=lambda c: segref.keras.binary_crossentropy(
            last(c.targets).astype(np.float32), sigmoid32(last(c.logits))
        ),
        inputs=with_cases(saturated_logits),
        differs="Keras' NumPy backend applies the sigmoid and then the probability clip even from logits, and "
        "converts float64 input to float32: a logit of 40 on a negative pixel costs -log(1.19e-7) = 15.942 "
        "there, 40 on the torch backend and in segref.",
        note="sigmoid32(z) = 1 / (1 + exp(-z)) computed in float32, the NumPy backend's sigmoid; the "
        "probabilities are then clipped to [1e-7, 1 - 1e-7] in float32. Runs in a subprocess with "
        "KERAS_BACKEND=numpy.",
        source=src("backend/numpy/nn.py", 912, 929),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="logits of magnitude 30 to 40",
        framework_call="keras.losses.BinaryCrossentropy(from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.BinaryCrossentropy(from_logits=True)(last(c.targets), last(c.logits)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        **FLOAT32,
        inputs=saturated_logits,
        note="On the torch backend the logits go to PyTorch's binary_cross_entropy_with_logits: no clip, so a "
        "wrong logit of magnitude |z| costs |z|. Keras computes in float32.",
        source=src("backend/torch/nn.py", 924, 956),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="sigmoid output, torch backend",
        framework_call="keras.losses.binary_crossentropy(y_last, keras.activations.sigmoid(z_last))",
        segref_call="segref.keras.binary_crossentropy(y_last, sigmoid(z_last))",
        framework_fn=lambda c: k().losses.binary_crossentropy(
            last(c.targets), k().activations.sigmoid(k().ops.convert_to_tensor(last(c.logits)))
        ),
        segref_fn=lambda c: segref.keras.binary_crossentropy(last(c.targets), last(c.sigmoid)),
        **FLOAT32,
        inputs=saturated_logits,
        differs="The torch backend sees only the probabilities: they are clipped to [1e-7, 1 - 1e-7], so a "
        "wrong logit of 30 to 40 costs about 16.1, not |z| as from the logits (segref, and the TensorFlow "
        "backend in the next row).",
        note="sigmoid(z) = 1 / (1 + exp(-z)); segref.keras.binary_crossentropy applies Keras' clip.",
        source=src("backend/torch/nn.py", 924, 956),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras3",
        setting="sigmoid output, TensorFlow backend",
        framework_call=f"{TF_BCE_OF_SIGMOID}  # KERAS_BACKEND=tensorflow",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, reduction='none').mean(axis=1)",
        framework_fn=numpy_backend(
            TF_BCE_OF_SIGMOID,
            lambda c: {"y_last": last(c.targets), "z_last": last(c.logits)},
            saturated_logits,
            backend="tensorflow",
        ),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, reduction="none").mean(
            axis=1
        ),
        inputs=saturated_logits,
        note="keras.activations.sigmoid on the TensorFlow backend attaches its input to its output "
        "(_keras_logits), and binary_crossentropy then computes from those logits even with "
        "from_logits=False: exact, where the torch backend clips (previous row). Runs in a subprocess with "
        "KERAS_BACKEND=tensorflow.",
        source=src("backend/tensorflow/nn.py", 1262, 1295),
    ),
]

CE_ROWS = [
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="logits, integer labels",
        framework_call="keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.SparseCategoricalCrossentropy(from_logits=True)(c.labels, last(c.logits)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        **FLOAT32,
        framework_default=True,
        segref_default=True,
        note="Keras computes in float32.",
        source=src("backend/torch/nn.py", 875, 921),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="probabilities, one-hot",
        framework_call="keras.losses.CategoricalCrossentropy()(y_1h_last, p_last)",
        segref_call="segref.categorical_cross_entropy(p, y, from_logits=False)",
        framework_fn=lambda c: k().losses.CategoricalCrossentropy()(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.probs, c.labels, from_logits=False),
        **FLOAT32,
        framework_default=True,
        segref_default=True,
        note="Keras computes in float32. Equal while every probability stays inside Keras' clip [1e-7, 1 - 1e-7].",
        source=src("backend/torch/nn.py", 849, 872),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="channels-first (axis=1)",
        framework_call="keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True, axis=1)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: k().losses.sparse_categorical_crossentropy(c.labels, c.logits, from_logits=True, axis=1),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        note="The bare function keeps float64 and returns one value per pixel.",
        source=src("losses/losses.py", 2313, 2371),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="ignore_class",
        framework_call="keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255)",
        framework_fn=lambda c: k().losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_INDEX)(
            c.labels, last(c.logits)
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX
        ),
        **FLOAT32,
        ignore=True,
        note="The function sets the loss of ignored pixels to 0 and attaches a mask, which the loss class turns "
        "into a mean over the other pixels; averaging the bare function's output yourself divides by all "
        "pixels instead. Keras computes in float32.",
        source=src("losses/loss.py", 164, 226),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="label_smoothing",
        framework_call="keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(y_1h_last, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: k().losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(
            last(c.one_hot), last(c.logits)
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, label_smoothing=0.1),
        **FLOAT32,
        note="Channels-last, where the last axis is the class axis: y (1 - s) + s / C. Keras computes in float32.",
        source=src("losses/losses.py", 2200, 2208),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="label_smoothing, channels-first (axis=1)",
        framework_call="keras.losses.categorical_crossentropy(y_1h, z, from_logits=True, label_smoothing=0.1, axis=1)",
        segref_call="segref.categorical_cross_entropy(z, y_1h * 0.9 + 0.1 / z.shape[-1], from_logits=True, "
        "reduction='none')",
        framework_fn=lambda c: k().losses.categorical_crossentropy(
            c.one_hot, c.logits, from_logits=True, label_smoothing=0.1, axis=1
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.one_hot * 0.9 + 0.1 / c.logits.shape[-1], from_logits=True, reduction="none"
        ),
        differs="Keras 3.15.1 smooths with C read from the last axis whatever `axis` is: channels-first, that is "
        "the image width, and the smoothed target no longer sums to 1. segref reads C from the class axis; "
        "use channels-last data with Keras.",
        defect="keras.losses.categorical_crossentropy's docstring says label smoothing uses "
        "`label_smoothing / num_classes`, but with axis=1 the code divides by y_true.shape[-1] "
        "(losses.py L2200-L2204).",
        note="Minimal example: y_1h of shape (1, 3, 2) (class 0 at both pixels), p = 1/3 everywhere, "
        "categorical_crossentropy(y_1h, p, label_smoothing=0.3, axis=1) gives 1.15 log 3 = 1.263404 per "
        "pixel, not log 3 = 1.098612 (Keras 3.15.1).",
        source=src("losses/losses.py", 2200, 2208),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="probabilities not summing to 1",
        framework_call="keras.losses.categorical_crossentropy(y_1h_last, q_last)",
        segref_call="segref.categorical_cross_entropy(q / q.sum(axis=1, keepdims=True), y, from_logits=False, "
        "reduction='none')",
        framework_fn=lambda c: k().losses.categorical_crossentropy(last(c.one_hot), last(c.sigmoid)),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.sigmoid / c.sigmoid.sum(axis=1, keepdims=True), c.labels, from_logits=False, reduction="none"
        ),
        note="q = sigmoid(z), per-channel probabilities that do not sum to 1 over the classes: Keras divides "
        "them by their sum silently, segref raises a ValueError unless you renormalise yourself.",
        source=src("backend/torch/nn.py", 866, 872),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="probability 0 for the true class",
        framework_call="keras.losses.categorical_crossentropy(y_1h_last, p_last)",
        segref_call="-np.log(np.clip(p_true, 1e-7, 1 - 1e-7))",
        framework_fn=lambda c: k().losses.categorical_crossentropy(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: -np.log(clip(p_true(c, c.probs))),
        inputs=zero_probability,
        differs="Keras renormalises and then clips probabilities to [1e-7, 1 - 1e-7], so a true class given "
        "probability 0 costs -log(1e-7) = 16.118; the formula (and segref) gives infinity.",
        note="p_true: the probability of the true class at each pixel. The bare function keeps float64.",
        source=src("backend/torch/nn.py", 866, 872),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="segref.keras",
        framework_call="keras.losses.categorical_crossentropy(y_1h, p, label_smoothing=0.1, axis=1)",
        segref_call="segref.keras.categorical_crossentropy(y_1h, p, label_smoothing=0.1, axis=1)",
        framework_fn=lambda c: k().losses.categorical_crossentropy(c.one_hot, c.probs, label_smoothing=0.1, axis=1),
        segref_fn=lambda c: segref.keras.categorical_crossentropy(c.one_hot, c.probs, label_smoothing=0.1, axis=1),
        inputs=with_cases(zero_probability),
        note="segref.keras reproduces the clip and the smoothing with C read from the last axis.",
        source=src("losses/losses.py", 2154, 2208),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="segref.keras, sparse with ignore_class",
        framework_call="keras.losses.SparseCategoricalCrossentropy(ignore_class=255)(y, p_last)",
        segref_call="segref.keras.sparse_categorical_crossentropy(y, p_last, ignore_class=255, "
        "reduction='sum_over_batch_size')",
        framework_fn=lambda c: k().losses.SparseCategoricalCrossentropy(ignore_class=IGNORE_INDEX)(
            c.labels, last(c.probs)
        ),
        segref_fn=lambda c: segref.keras.sparse_categorical_crossentropy(
            c.labels, last(c.probs), ignore_class=IGNORE_INDEX, reduction="sum_over_batch_size"
        ),
        **FLOAT32,
        ignore=True,
        note="Keras computes in float32.",
        source=src("losses/losses.py", 2313, 2371),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="NumPy backend",
        framework_call=f"{NUMPY_SPARSE}  # KERAS_BACKEND=numpy",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=numpy_backend(
            NUMPY_SPARSE, lambda c: {"y": c.labels, "z_last": last(c.logits)}, lambda: list(cases())
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        inputs=lambda: list(cases()),
        note="The same numbers as the torch backend (this function keeps float64 there too), but only "
        "channels-last: with axis=1 the NumPy backend raises a ValueError, its shape check assumes the class "
        "axis is last. Runs in a subprocess with KERAS_BACKEND=numpy.",
        source=src("backend/numpy/nn.py", 884, 909),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="logits of magnitude 30 to 40",
        framework_call="keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.SparseCategoricalCrossentropy(from_logits=True)(c.labels, last(c.logits)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        **FLOAT32,
        inputs=saturated_logits,
        note="From logits the torch backend takes the log-softmax: no clip, exact where the softmax itself "
        "rounds to 0. Keras computes in float32.",
        source=src("backend/torch/nn.py", 875, 921),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="ignore_class names a class",
        framework_call="keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=1)",
        framework_fn=lambda c: k().losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1)(
            c.labels, last(c.logits)
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, ignore_index=1),
        **FLOAT32,
        note="The pixels labelled 1 leave the mean; the softmax keeps class 1's channel. Keras computes in float32.",
        source=src("losses/loss.py", 164, 226),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="ignore_class, every pixel ignored",
        framework_call="keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255)",
        framework_fn=lambda c: k().losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_INDEX)(
            c.labels, last(c.logits)
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX
        ),
        **FLOAT32,
        inputs=all_ignored,
        note="When every pixel is ignored both return 0 (PyTorch's cross_entropy returns NaN there). The "
        "cases with some pixels ignored follow. Keras computes in float32.",
        source=src("losses/loss.py", 164, 226),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="softmax output, torch backend",
        framework_call="keras.losses.categorical_crossentropy(y_1h_last, keras.activations.softmax(z_last))",
        segref_call="-np.log(np.clip(p_true, 1e-7, 1 - 1e-7))",
        framework_fn=lambda c: k().losses.categorical_crossentropy(
            last(c.one_hot), k().activations.softmax(k().ops.convert_to_tensor(last(c.logits)))
        ),
        segref_fn=lambda c: -np.log(clip(p_true(c, c.probs))),
        inputs=saturated_logits,
        differs="The torch backend sees only the probabilities: renormalised and clipped to [1e-7, 1 - 1e-7], "
        "a true class given a probability below 1e-7 costs 16.118, not -log p (up to 80 here), which segref "
        "gives from the logits and the TensorFlow backend recovers (next row).",
        note="p_true: the softmax probability of the true class at each pixel.",
        source=src("backend/torch/nn.py", 849, 872),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras3",
        setting="softmax output, TensorFlow backend",
        framework_call=f"{TF_CCE_OF_SOFTMAX}  # KERAS_BACKEND=tensorflow",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=numpy_backend(
            TF_CCE_OF_SOFTMAX,
            lambda c: {"y_1h_last": last(c.one_hot), "z_last": last(c.logits)},
            saturated_logits,
            backend="tensorflow",
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        inputs=saturated_logits,
        note="keras.activations.softmax on the TensorFlow backend attaches its input to its output "
        "(_keras_logits), and categorical_crossentropy then computes from those logits: exact, where the "
        "torch backend clips (previous row). Runs in a subprocess with KERAS_BACKEND=tensorflow.",
        source=src("backend/tensorflow/nn.py", 1262, 1295),
    ),
]

DICE_ROWS = [
    Row(
        loss="dice",
        framework="keras3",
        setting="Dice() pools everything",
        framework_call="keras.losses.Dice()(y_1h_last, p_last)",
        segref_call="segref.dice_loss(p.reshape(1, 1, -1), y_1h.reshape(1, 1, -1), from_logits=False, multilabel=True)",
        framework_fn=lambda c: k().losses.Dice()(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: segref.dice_loss(pooled(c.probs), pooled(c.one_hot), from_logits=False, multilabel=True),
        **FLOAT32,
        framework_default=True,
        note="axis=None sums over every element of the batch, images and classes alike: one coefficient, "
        "which for softmax output and one-hot targets is 1 minus the mean probability of the true class. "
        "Keras adds 1e-7 to the denominator only and computes in float32.",
        source=src("losses/losses.py", 2564, 2612),
    ),
    Row(
        loss="dice",
        framework="keras3",
        setting="per image and class",
        framework_call="keras.losses.Dice(axis=tuple(range(1, p_last.ndim - 1)))(y_1h_last, p_last)",
        segref_call="segref.dice_loss(p, y, from_logits=False)",
        framework_fn=lambda c: k().losses.Dice(axis=spatial(last(c.probs)))(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: segref.dice_loss(c.probs, c.labels, from_logits=False),
        **FLOAT32,
        segref_default=True,
        note="Summing over the spatial axes gives one loss per (image, class), which the class averages. "
        "Keras adds 1e-7 to the denominator only and computes in float32.",
        source=src("losses/losses.py", 1303, 1373),
    ),
    Row(
        loss="dice",
        framework="keras3",
        setting="multi-label, per image",
        framework_call="keras.losses.dice(y_last, p_last, axis=tuple(range(1, p_last.ndim - 1)))",
        segref_call="segref.dice_loss(p, y, from_logits=False, multilabel=True, reduction='none')",
        framework_fn=lambda c: k().losses.dice(last(c.targets), last(c.sigmoid), axis=spatial(last(c.sigmoid))),
        segref_fn=lambda c: segref.dice_loss(
            c.sigmoid, c.targets, from_logits=False, multilabel=True, reduction="none"
        ),
        rtol=1e-7,
        note="y: independent 0/1 maps, p = sigmoid(z); one value per (image, channel). The bare function keeps "
        "float64; Keras' 1e-7 in the denominator changes the result by about 1e-7 / (P + G) relative.",
        source=src("losses/losses.py", 2564, 2612),
    ),
    Row(
        loss="dice",
        framework="keras3",
        setting="per class, whole batch",
        framework_call="keras.losses.dice(y_1h_last, p_last, axis=tuple(range(p_last.ndim - 1)))",
        segref_call="segref.dice_loss(p, y, from_logits=False, per_image=False, reduction='none')",
        framework_fn=lambda c: k().losses.dice(last(c.one_hot), last(c.probs), axis=batch_and_spatial(last(c.probs))),
        segref_fn=lambda c: segref.dice_loss(c.probs, c.labels, from_logits=False, per_image=False, reduction="none"),
        rtol=1e-7,
        note="One value per class. The bare function keeps float64; Keras' 1e-7 in the denominator changes "
        "the result by about 1e-7 / (P + G) relative.",
        source=src("losses/losses.py", 2564, 2612),
    ),
    Row(
        loss="dice",
        framework="keras3",
        setting="class absent from prediction and target",
        framework_call="keras.losses.dice(y_1h_last, p_last, axis=tuple(range(1, p_last.ndim - 1)))",
        segref_call="np.where(empty, 1.0, segref.dice_loss(p, y, from_logits=False, reduction='none'))",
        framework_fn=lambda c: k().losses.dice(last(c.one_hot), last(c.probs), axis=spatial(last(c.probs))),
        segref_fn=lambda c: np.where(
            (c.probs + c.one_hot).sum(axis=tuple(range(2, c.probs.ndim))) == 0,
            1.0,
            segref.dice_loss(c.probs, c.labels, from_logits=False, reduction="none"),
        ),
        rtol=1e-7,
        atol=1e-8,
        inputs=empty_pairs,
        differs="Keras has no smoothing in the numerator: an (image, class) pair with no predicted and no true "
        "pixel scores 1 - 0 / (0 + 1e-7) = 1, the worst loss; segref scores it 0 (D = 1, perfect agreement).",
        note="empty: the (image, class) pairs where both sums are 0. Hard one-hot predictions, where such "
        "pairs occur; the bare function keeps float64.",
        source=src("losses/losses.py", 2598, 2612),
    ),
    Row(
        loss="dice",
        framework="keras3",
        setting="Tversky() default",
        framework_call="keras.losses.Tversky()(y_1h_last, p_last)",
        segref_call="segref.dice_loss(p.reshape(1, 1, -1), y_1h.reshape(1, 1, -1), from_logits=False, multilabel=True)",
        framework_fn=lambda c: k().losses.Tversky()(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: segref.dice_loss(pooled(c.probs), pooled(c.one_hot), from_logits=False, multilabel=True),
        **FLOAT32,
        note="alpha = beta = 0.5 makes the Tversky loss the pooled Dice loss of Dice() (with 2e-7 in the "
        "denominator). Keras computes in float32.",
        source=src("losses/losses.py", 2616, 2654),
    ),
    Row(
        loss="dice",
        framework="keras3",
        setting="segref.keras",
        framework_call="keras.losses.dice(y_1h_last, p_last, axis=tuple(range(1, p_last.ndim - 1)))",
        segref_call="segref.keras.dice(y_1h_last, p_last, axis=tuple(range(1, p_last.ndim - 1)))",
        framework_fn=lambda c: k().losses.dice(last(c.one_hot), last(c.probs), axis=spatial(last(c.probs))),
        segref_fn=lambda c: segref.keras.dice(last(c.one_hot), last(c.probs), axis=spatial(last(c.probs))),
        inputs=with_cases(empty_pairs),
        note="segref.keras reproduces Keras' 1e-7 and its loss of 1 for empty pairs.",
        source=src("losses/losses.py", 2564, 2612),
    ),
]

JACCARD_ROWS = [
    Row(
        loss="jaccard",
        framework="keras3",
        setting="Tversky(1, 1) per image and class",
        framework_call="keras.losses.Tversky(alpha=1.0, beta=1.0, axis=tuple(range(1, p_last.ndim - 1)))(y_1h_last, "
        "p_last)",
        segref_call="segref.jaccard_loss(p, y, from_logits=False)",
        framework_fn=lambda c: k().losses.Tversky(alpha=1.0, beta=1.0, axis=spatial(last(c.probs)))(
            last(c.one_hot), last(c.probs)
        ),
        segref_fn=lambda c: segref.jaccard_loss(c.probs, c.labels, from_logits=False),
        **FLOAT32,
        segref_default=True,
        note="Keras has no Jaccard loss; with alpha = beta = 1 the Tversky loss is 1 - I / (P + G - I + 1e-7). "
        "Keras computes in float32.",
        source=src("losses/losses.py", 2616, 2654),
    ),
    Row(
        loss="jaccard",
        framework="keras3",
        setting="Tversky(1, 1), class absent from prediction and target",
        framework_call="keras.losses.tversky(y_1h_last, p_last, alpha=1.0, beta=1.0, "
        "axis=tuple(range(1, p_last.ndim - 1)))",
        segref_call="np.where(empty, 1.0, segref.jaccard_loss(p, y, from_logits=False, reduction='none'))",
        framework_fn=lambda c: k().losses.tversky(
            last(c.one_hot), last(c.probs), alpha=1.0, beta=1.0, axis=spatial(last(c.probs))
        ),
        segref_fn=lambda c: np.where(
            (c.probs + c.one_hot).sum(axis=tuple(range(2, c.probs.ndim))) == 0,
            1.0,
            segref.jaccard_loss(c.probs, c.labels, from_logits=False, reduction="none"),
        ),
        rtol=1e-7,
        atol=1e-8,
        inputs=empty_pairs,
        differs="Keras has no smoothing in the numerator: an (image, class) pair with no predicted and no true "
        "pixel scores 1 - 0 / (0 + 1e-7) = 1, the worst loss; segref scores it 0 (J = 1, perfect agreement).",
        note="empty: the (image, class) pairs where both sums are 0. Hard one-hot predictions, where such "
        "pairs occur; the bare function keeps float64.",
        source=src("losses/losses.py", 2616, 2654),
    ),
    Row(
        loss="jaccard",
        framework="keras3",
        setting="Tversky(1, 1) pools everything",
        framework_call="keras.losses.Tversky(alpha=1.0, beta=1.0)(y_1h_last, p_last)",
        segref_call="segref.jaccard_loss(p.reshape(1, 1, -1), y_1h.reshape(1, 1, -1), from_logits=False, "
        "multilabel=True)",
        framework_fn=lambda c: k().losses.Tversky(alpha=1.0, beta=1.0)(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: segref.jaccard_loss(pooled(c.probs), pooled(c.one_hot), from_logits=False, multilabel=True),
        **FLOAT32,
        note="The default axis=None pools every element of the batch, classes included. Keras computes in float32.",
        source=src("losses/losses.py", 1377, 1441),
    ),
    Row(
        loss="jaccard",
        framework="keras3",
        setting="multi-label, per class, whole batch",
        framework_call="keras.losses.tversky(y_last, p_last, alpha=1.0, beta=1.0, axis=tuple(range(p_last.ndim - 1)))",
        segref_call="segref.jaccard_loss(p, y, from_logits=False, multilabel=True, per_image=False, reduction='none')",
        framework_fn=lambda c: k().losses.tversky(
            last(c.targets), last(c.sigmoid), alpha=1.0, beta=1.0, axis=batch_and_spatial(last(c.sigmoid))
        ),
        segref_fn=lambda c: segref.jaccard_loss(
            c.sigmoid, c.targets, from_logits=False, multilabel=True, per_image=False, reduction="none"
        ),
        rtol=1e-7,
        note="y: independent 0/1 maps, p = sigmoid(z). The bare function keeps float64; Keras' 1e-7 changes the "
        "result by about 1e-7 / U relative.",
        source=src("losses/losses.py", 2616, 2654),
    ),
]

FOCAL_ROWS = [
    Row(
        loss="focal",
        framework="keras3",
        setting="binary, probabilities",
        framework_call="keras.losses.BinaryFocalCrossentropy()(y_last, p_last)",
        segref_call="segref.binary_focal_loss(p, y, from_logits=False)",
        framework_fn=lambda c: k().losses.BinaryFocalCrossentropy()(last(c.targets), last(c.sigmoid)),
        segref_fn=lambda c: segref.binary_focal_loss(c.sigmoid, c.targets, from_logits=False),
        **FOCAL32,
        framework_default=True,
        segref_default=True,
        note="Keras' default alpha=0.25 is not applied unless apply_class_balancing=True, so both defaults are "
        "the unweighted focal loss with gamma = 2. Keras computes in float32.",
        source=src("losses/losses.py", 2497, 2522),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="binary, logits",
        framework_call="keras.losses.BinaryFocalCrossentropy(from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.BinaryFocalCrossentropy(from_logits=True)(last(c.targets), last(c.logits)),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        **FOCAL32,
        framework_default=True,
        segref_default=True,
        note="Keras applies the sigmoid and then clips; equal while every sigmoid stays inside [1e-7, 1 - 1e-7] "
        "(|z| < 16). Keras computes in float32.",
        source=src("losses/losses.py", 2497, 2522),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="binary, apply_class_balancing",
        framework_call="keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=1.5, "
        "from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, alpha=0.25, gamma=1.5)",
        framework_fn=lambda c: k().losses.BinaryFocalCrossentropy(
            apply_class_balancing=True, alpha=0.25, gamma=1.5, from_logits=True
        )(last(c.targets), last(c.logits)),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=0.25, gamma=1.5),
        **FOCAL32,
        note="alpha on the positives, 1 - alpha on the negatives, as in Lin et al. Keras computes in float32.",
        source=src("losses/losses.py", 2518, 2522),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="binary, alpha without class balancing",
        framework_call="keras.losses.BinaryFocalCrossentropy(alpha=0.9, from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.BinaryFocalCrossentropy(alpha=0.9, from_logits=True)(
            last(c.targets), last(c.logits)
        ),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        **FOCAL32,
        note="alpha does nothing unless apply_class_balancing=True. Keras computes in float32.",
        source=src("losses/losses.py", 2518, 2522),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="binary, saturated logits",
        framework_call="keras.losses.binary_focal_crossentropy(y_last, z_last, from_logits=True)",
        segref_call="((1 - p_t) ** 2 * segref.binary_cross_entropy(np.clip(p, 1e-7, 1 - 1e-7), y, "
        "from_logits=False, reduction='none')).mean(axis=1)",
        framework_fn=lambda c: k().losses.binary_focal_crossentropy(last(c.targets), last(c.logits), from_logits=True),
        segref_fn=lambda c: (
            (1 - p_t(c.targets, c.sigmoid)) ** 2
            * segref.binary_cross_entropy(clip(c.sigmoid), c.targets, from_logits=False, reduction="none")
        ).mean(axis=1),
        **FLOAT32,
        inputs=saturated_logits,
        differs="From logits Keras applies the sigmoid first and then uses its clipped probability BCE, so a "
        "confidently wrong logit costs at most -log(1e-7) = 16.118; segref (and Keras' own "
        "binary_crossentropy from logits) give the exact |z|.",
        note="p = sigmoid(z), p_t = y p + (1 - y)(1 - p) from the unclipped p. The function's final mean over "
        "the channels runs in float32.",
        source=src("losses/losses.py", 2497, 2522),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="binary, label_smoothing",
        framework_call="keras.losses.BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.1)(y_last, z_last)",
        segref_call="((1 - p_t) ** 2 * segref.binary_cross_entropy(z, y_s, from_logits=True, reduction='none')).mean()",
        framework_fn=lambda c: k().losses.BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.1)(
            last(c.targets), last(c.logits)
        ),
        segref_fn=lambda c: (
            (1 - p_t(smoothed(c.targets), c.sigmoid)) ** 2
            * segref.binary_cross_entropy(c.logits, smoothed(c.targets), from_logits=True, reduction="none")
        ).mean(),
        **FOCAL32,
        differs="With a soft target Keras multiplies the whole cross-entropy by one factor (1 - p_t)^gamma, "
        "p_t = y_s p + (1 - y_s)(1 - p); segref's binary_focal_loss gives each term its own factor, "
        "(1 - p)^gamma and p^gamma. No segref setting gives Keras' variant.",
        note="y_s = 0.9 y + 0.05, the smoothed target; p = sigmoid(z). Equal to the formula for hard targets "
        "(label_smoothing=0). Keras computes in float32.",
        source=src("losses/losses.py", 2497, 2516),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="categorical, logits",
        framework_call="keras.losses.CategoricalFocalCrossentropy(from_logits=True)(y_1h_last, z_last)",
        segref_call="segref.focal_loss(z, y, from_logits=True, alpha=0.25)",
        framework_fn=lambda c: k().losses.CategoricalFocalCrossentropy(from_logits=True)(
            last(c.one_hot), last(c.logits)
        ),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True, alpha=0.25),
        **FLOAT32,
        framework_default=True,
        note="Keras' scalar alpha=0.25 multiplies every class alike: a quarter of the unweighted loss. Equal "
        "while every softmax probability stays inside Keras' clip. Keras computes in float32.",
        source=src("losses/losses.py", 2217, 2304),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="categorical, saturated logits",
        framework_call="keras.losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(y_1h_last, z_last)",
        segref_call="((1 - p_hat) ** 2 * -np.log(p_hat)).mean()",
        framework_fn=lambda c: k().losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(
            last(c.one_hot), last(c.logits)
        ),
        segref_fn=lambda c: ((1 - clip(p_true(c, c.probs))) ** 2 * -np.log(clip(p_true(c, c.probs)))).mean(),
        **FLOAT32,
        inputs=saturated_logits,
        differs="From logits Keras takes the softmax and then clips the probabilities to [1e-7, 1 - 1e-7]: a "
        "true class given a probability below 1e-7 costs at most 16.118, where segref's focal_loss from "
        "logits gives -log p (up to 80 here).",
        note="p_hat = np.clip(p_true, 1e-7, 1 - 1e-7), p_true the softmax probability of the true class at each "
        "pixel: the focal factor too is taken of the clipped probability. Keras computes in float32.",
        source=src("losses/losses.py", 2217, 2304),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="categorical, alpha=1",
        framework_call="keras.losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(y_1h_last, z_last)",
        segref_call="segref.focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: k().losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(
            last(c.one_hot), last(c.logits)
        ),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True),
        **FLOAT32,
        segref_default=True,
        note="Keras computes in float32.",
        source=src("losses/losses.py", 2217, 2304),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="categorical, per-class alpha",
        framework_call="keras.losses.categorical_focal_crossentropy(y_1h_last, z_last, alpha=w, from_logits=True)",
        segref_call="segref.focal_loss(z, y, from_logits=True, alpha=w, reduction='none')",
        framework_fn=lambda c: k().losses.categorical_focal_crossentropy(
            last(c.one_hot), last(c.logits), alpha=list(CLASS_WEIGHTS[: c.num_classes]), from_logits=True
        ),
        segref_fn=lambda c: segref.focal_loss(
            c.logits, c.labels, from_logits=True, alpha=CLASS_WEIGHTS[: c.num_classes], reduction="none"
        ),
        note="w: one weight per class, a list; Keras broadcasts it against the last axis, so it needs "
        "channels-last data. The bare function keeps float64, but rounds alpha to floatx (float32): weights "
        "that float32 does not hold exactly (0.4) move the result by about 1e-8 relative.",
        source=src("losses/losses.py", 2294, 2304),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="segref.keras, binary",
        framework_call="keras.losses.binary_focal_crossentropy(y_last, z_last, apply_class_balancing=True, "
        "alpha=0.3, gamma=1.5, from_logits=True, label_smoothing=0.1)",
        segref_call="segref.keras.binary_focal_crossentropy(y_last, z_last, apply_class_balancing=True, alpha=0.3, "
        "gamma=1.5, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: k().losses.binary_focal_crossentropy(
            last(c.targets),
            last(c.logits),
            apply_class_balancing=True,
            alpha=0.3,
            gamma=1.5,
            from_logits=True,
            label_smoothing=0.1,
        ),
        segref_fn=lambda c: segref.keras.binary_focal_crossentropy(
            last(c.targets),
            last(c.logits),
            apply_class_balancing=True,
            alpha=0.3,
            gamma=1.5,
            from_logits=True,
            label_smoothing=0.1,
        ),
        **FLOAT32,
        inputs=with_cases(saturated_logits),
        note="The clip from logits and the soft-target focal factor included. Keras takes the final mean in float32.",
        source=src("losses/losses.py", 2426, 2522),
    ),
    Row(
        loss="focal",
        framework="keras3",
        setting="segref.keras, categorical",
        framework_call="keras.losses.categorical_focal_crossentropy(y_1h, p, alpha=0.5, gamma=1.5, "
        "label_smoothing=0.1, axis=1)",
        segref_call="segref.keras.categorical_focal_crossentropy(y_1h, p, alpha=0.5, gamma=1.5, label_smoothing=0.1, "
        "axis=1)",
        framework_fn=lambda c: k().losses.categorical_focal_crossentropy(
            c.one_hot, c.probs, alpha=0.5, gamma=1.5, label_smoothing=0.1, axis=1
        ),
        segref_fn=lambda c: segref.keras.categorical_focal_crossentropy(
            c.one_hot, c.probs, alpha=0.5, gamma=1.5, label_smoothing=0.1, axis=1
        ),
        rtol=1e-8,
        inputs=with_cases(zero_probability),
        note="segref.keras reproduces the clip and the smoothing with C read from the last axis (the same slip "
        "as categorical_crossentropy's). The bare function keeps float64, but it rounds alpha and the clip "
        "bounds to floatx (float32): 0.5 is exact there, the lower bound becomes 1.0000000117e-7, which moves "
        "a clipped pixel's loss by about 1e-9 relative.",
        source=src("losses/losses.py", 2217, 2304),
    ),
]

DICE_CE_ROWS = [
    Row(
        loss="dice-ce",
        framework="keras3",
        setting="Dice(axis=spatial) + CategoricalCrossentropy()",
        framework_call="keras.losses.Dice(axis=tuple(range(1, p_last.ndim - 1)))(y_1h_last, p_last) + "
        "keras.losses.CategoricalCrossentropy()(y_1h_last, p_last)",
        segref_call="segref.dice_ce_loss(p, y, from_logits=False)",
        framework_fn=lambda c: (
            k().losses.Dice(axis=spatial(last(c.probs)))(last(c.one_hot), last(c.probs))
            + k().losses.CategoricalCrossentropy()(last(c.one_hot), last(c.probs))
        ),
        segref_fn=lambda c: segref.dice_ce_loss(c.probs, c.labels, from_logits=False),
        **FLOAT32,
        segref_default=True,
        note="Keras has no compound loss; the sum of two loss objects, the Dice one per image and class. "
        "Keras computes in float32.",
        source=src("losses/losses.py", 1303, 1373),
    ),
    Row(
        loss="dice-ce",
        framework="keras3",
        setting="Dice() + CategoricalCrossentropy()",
        framework_call="keras.losses.Dice()(y_1h_last, p_last) + keras.losses.CategoricalCrossentropy()(y_1h_last, "
        "p_last)",
        segref_call="segref.dice_loss(p.reshape(1, 1, -1), y_1h.reshape(1, 1, -1), from_logits=False, "
        "multilabel=True) + segref.categorical_cross_entropy(p, y, from_logits=False)",
        framework_fn=lambda c: (
            k().losses.Dice()(last(c.one_hot), last(c.probs))
            + k().losses.CategoricalCrossentropy()(last(c.one_hot), last(c.probs))
        ),
        segref_fn=lambda c: (
            segref.dice_loss(pooled(c.probs), pooled(c.one_hot), from_logits=False, multilabel=True)
            + segref.categorical_cross_entropy(c.probs, c.labels, from_logits=False)
        ),
        **FLOAT32,
        framework_default=True,
        note="With the default axis=None the Dice term pools the batch and the classes into one coefficient. "
        "Keras computes in float32.",
        source=src("losses/losses.py", 2564, 2612),
    ),
]

METRIC_ROWS = [
    Row(
        loss="metrics",
        framework="keras3",
        setting="MeanIoU",
        framework_call="keras.metrics.MeanIoU(num_classes=C)(y, z.argmax(1))",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, per_image=False, reduction='none')[seen].mean()",
        framework_fn=lambda c: k().metrics.MeanIoU(num_classes=c.num_classes)(c.labels, c.logits.argmax(1)),
        segref_fn=lambda c: iou_of_seen_classes(c, c.logits.argmax(1)),
        **FLOAT32,
        framework_default=True,
        note="seen: the classes present in the prediction or the target. Keras accumulates one confusion "
        "matrix over everything it sees and averages the IoU over those classes, in float32; segref scores "
        "a class absent from both maps 1. Keras' argmax option, MeanIoU(sparse_y_pred=False, axis=1) for "
        "channels-first logits, fails in result() with an IndexError in 3.15.1: result() sums the 1-D "
        "per-class IoU along the same axis.",
        source=src("metrics/iou_metrics.py", 282, 327),
    ),
    Row(
        loss="metrics",
        framework="keras3",
        setting="MeanIoU, ignore_class",
        framework_call="keras.metrics.MeanIoU(num_classes=C, ignore_class=255)(y, z.argmax(1))",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, ignore_index=255, per_image=False, "
        "reduction='none')[seen].mean()",
        framework_fn=lambda c: k().metrics.MeanIoU(num_classes=c.num_classes, ignore_class=IGNORE_INDEX)(
            c.labels, c.logits.argmax(1)
        ),
        segref_fn=lambda c: iou_of_seen_classes(c, c.logits.argmax(1), ignore_index=IGNORE_INDEX),
        **FLOAT32,
        ignore=True,
        note="seen: the classes present in the prediction or the target at non-ignored pixels. Keras "
        "computes in float32.",
        source=src("metrics/iou_metrics.py", 77, 169),
    ),
    Row(
        loss="metrics",
        framework="keras3",
        setting="IoU of one class",
        framework_call="keras.metrics.IoU(num_classes=C, target_class_ids=[1])(y, z.argmax(1))",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, per_image=False, reduction='none')[1]",
        framework_fn=lambda c: k().metrics.IoU(num_classes=c.num_classes, target_class_ids=[1])(
            c.labels, c.logits.argmax(1)
        ),
        segref_fn=lambda c: segref.iou_score(
            c.logits.argmax(1), c.labels, num_classes=c.num_classes, per_image=False, reduction="none"
        )[1],
        **FLOAT32,
        note="Keras computes in float32 and adds 1e-7 to the union; a class absent from both maps scores 0 "
        "there, 1 in segref.",
        source=src("metrics/iou_metrics.py", 282, 327),
    ),
    Row(
        loss="metrics",
        framework="keras3",
        setting="MeanIoU from logits, channels-last",
        framework_call="keras.metrics.MeanIoU(num_classes=C, sparse_y_pred=False)(y, z_last)",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, per_image=False, reduction='none')[seen].mean()",
        framework_fn=lambda c: k().metrics.MeanIoU(num_classes=c.num_classes, sparse_y_pred=False)(
            c.labels, last(c.logits)
        ),
        segref_fn=lambda c: iou_of_seen_classes(c, c.logits.argmax(1)),
        **FLOAT32,
        note="sparse_y_pred=False takes the argmax over the last axis. seen: the classes present in the "
        "prediction or the target. Keras computes in float32.",
        source=src("metrics/iou_metrics.py", 77, 169),
    ),
]

TVERSKY_ROWS = [
    Row(
        loss="tversky",
        framework="keras3",
        setting="alpha and beta swapped",
        framework_call="keras.losses.tversky(y_last, p_last, alpha=0.7, beta=0.3, "
        "axis=tuple(range(1, p_last.ndim - 1)))",
        segref_call='segref.tversky_loss(p, y, from_logits=False, multilabel=True, reduction="none")',
        framework_fn=lambda c: k().losses.tversky(
            last(c.targets), last(c.sigmoid), alpha=0.7, beta=0.3, axis=spatial(last(c.sigmoid))
        ),
        segref_fn=lambda c: segref.tversky_loss(
            c.sigmoid, c.targets, from_logits=False, multilabel=True, reduction="none"
        ),
        rtol=1e-7,
        atol=1e-8,
        defect="Keras' docstring (keras.losses.Tversky / tversky) says alpha is 'the coefficient controlling "
        "incidence of false positives', as in Salehi et al. 2017 (arXiv:1706.05721, eq. 3); the code "
        "(losses.py L2646-L2652) applies alpha to sum(y_true * (1 - y_pred)), the false negatives.",
        note="Keras' alpha multiplies the false negatives and its beta the false positives, so its "
        "tversky(alpha=0.7, beta=0.3) is segref's default alpha=0.3 (false positives), beta=0.7 (false "
        "negatives). Keras adds 1e-7 to the denominator only (about 1e-7 / denominator relative). Minimal "
        "example (Keras 3.15.1): y_true = [[1, 1, 0, 0]], y_pred = [[1, 0, 0, 0]] (one false negative, no "
        "false positive); tversky(y_true, y_pred, alpha=0.9, beta=0.1) is 1 - 1/1.9 = 0.4737, where the "
        "documented weighting gives 1 - 1/1.1 = 0.0909. With alpha = beta (Dice, Jaccard) the swap does not "
        "matter.",
        source=src("losses/losses.py", 2616, 2654),
    ),
    Row(
        loss="tversky",
        framework="keras3",
        setting="Tversky() pools everything",
        framework_call="keras.losses.Tversky()(y_1h_last, p_last)",
        segref_call="segref.tversky_loss(p.reshape(1, 1, -1), y_1h.reshape(1, 1, -1), from_logits=False, "
        "multilabel=True, alpha=0.5, beta=0.5)",
        framework_fn=lambda c: k().losses.Tversky()(last(c.one_hot), last(c.probs)),
        segref_fn=lambda c: segref.tversky_loss(
            pooled(c.probs), pooled(c.one_hot), from_logits=False, multilabel=True, alpha=0.5, beta=0.5
        ),
        **FLOAT32,
        framework_default=True,
        note="The defaults alpha = beta = 0.5 (the Dice loss) and axis=None: one Tversky index over every "
        "element of the batch, classes included. Keras computes in float32.",
        source=src("losses/losses.py", 1377, 1441),
    ),
]

ROWS = BCE_ROWS + CE_ROWS + DICE_ROWS + JACCARD_ROWS + FOCAL_ROWS + DICE_CE_ROWS + TVERSKY_ROWS + METRIC_ROWS

NOT_PROVIDED: dict[str, str] = {
    "generalized-dice": "no generalised Dice loss in keras.losses",
    "topk": "no TopK or bootstrapped cross-entropy in keras.losses",
    "poly": "no PolyLoss in keras.losses",
    "compound": "no compound loss in keras.losses (losses are added by hand)",
    "log-cosh-dice": "no log-cosh Dice loss in keras.losses",
    "mcc": "no MCC loss in keras.losses",
    "sensitivity-specificity": "no sensitivity-specificity loss in keras.losses",
}
