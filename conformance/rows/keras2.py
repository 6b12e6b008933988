"""Keras 2 as TensorFlow ships it now: ``tf_keras`` (``tf_keras.losses``, ``tf_keras.metrics``).

The calls take float64 tensors, ``tf.constant(x, tf.float64)``, and tf_keras keeps that
precision in its functions and loss classes (only its metrics default to float32).
Names as in :mod:`conformance.rows.keras3`: ``z`` logits, ``p`` probabilities (sigmoid
for the binary losses, softmax otherwise), ``y`` binary targets or integer labels,
``y_1h`` one-hot labels, ``*_last`` channels-last.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import segref

from ..frameworks import keras2
from ..model import IGNORE_INDEX, Case, Row
from .keras3 import iou_of_seen_classes, last, p_true, saturated, saturated_logits, with_cases, zero_probability

EPSILON = 1e-7  # tf_keras.backend.epsilon()
TF_KERAS = "https://github.com/keras-team/tf-keras/blob/631ed411d9e55e40b1ecaae7b046bba14752f46e/tf_keras/"
FLOAT32 = {"rtol": 1e-6, "atol": 1e-7}  # tf_keras' metrics compute in float32


def src(path: str, first: int, last_line: int) -> str:
    return f"{TF_KERAS}{path}#L{first}-L{last_line}"


def tfk() -> Any:
    return keras2()


def tf() -> Any:
    import tensorflow

    return tensorflow


def T(a: np.ndarray) -> Any:  # noqa: N802 - reads like the tf.constant it is
    """A float64 TensorFlow tensor (integer arrays stay integer)."""
    if np.issubdtype(a.dtype, np.integer):
        return tf().constant(a)
    return tf().constant(a, tf().float64)


def p_hat(p: np.ndarray) -> np.ndarray:
    return np.clip(p, EPSILON, 1 - EPSILON)


def tf_keras_bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """tf.keras' binary cross-entropy on probabilities, element by element: clipped to
    [eps, 1 - eps], and then eps added again inside both logarithms."""
    clipped = p_hat(p)
    return -(y * np.log(clipped + EPSILON) + (1 - y) * np.log(1 - clipped + EPSILON))


def graph_bce_of_sigmoid(c: Case) -> Any:
    """binary_crossentropy of tf.sigmoid(z) inside tf.function (graph mode)."""
    fn = tf().function(lambda y, z: tfk().losses.binary_crossentropy(y, tf().sigmoid(z)))
    return fn(T(last(c.targets)), T(last(c.logits)))


def graph_focal_of_sigmoid(c: Case) -> Any:
    """binary_focal_crossentropy of tf.sigmoid(z) inside tf.function (graph mode)."""
    fn = tf().function(lambda y, z: tfk().losses.binary_focal_crossentropy(y, tf().sigmoid(z)))
    return fn(T(last(c.targets)), T(last(c.logits)))


def graph_cce_of_softmax(c: Case) -> Any:
    """categorical_crossentropy of tf.nn.softmax(z) inside tf.function (graph mode)."""
    fn = tf().function(lambda y, z: tfk().losses.categorical_crossentropy(y, tf().nn.softmax(z)))
    return fn(T(last(c.one_hot)), T(last(c.logits)))


BCE_ROWS = [
    Row(
        loss="binary-cross-entropy",
        framework="keras2",
        setting="logits",
        framework_call="tf_keras.losses.BinaryCrossentropy(from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: tfk().losses.BinaryCrossentropy(from_logits=True)(T(last(c.targets)), T(last(c.logits))),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="TensorFlow's sigmoid_cross_entropy_with_logits: exact.",
        source=src("backend.py", 5804, 5834),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras2",
        setting="probabilities",
        framework_call="tf_keras.losses.BinaryCrossentropy()(y_last, p_last)",
        segref_call="tf_keras_bce(p, y).mean()",
        framework_fn=lambda c: tfk().losses.BinaryCrossentropy()(T(last(c.targets)), T(last(c.sigmoid))),
        segref_fn=lambda c: tf_keras_bce(c.sigmoid, c.targets).mean(),
        framework_default=True,
        differs="tf.keras clips p to [1e-7, 1 - 1e-7] and then adds 1e-7 again inside the logarithms, "
        "-[y log(p + 1e-7) + (1 - y) log(1 - p + 1e-7)]: even interior probabilities move (a pixel at "
        "p = 3e-4 by about 3e-4 in absolute terms), so no segref setting gives its number.",
        note="tf_keras_bce(p, y) = -(y log(p_hat + eps) + (1 - y) log(1 - p_hat + eps)), p_hat = clip(p, eps, "
        "1 - eps), eps = 1e-7, written out at the top of conformance/rows/keras2.py.",
        source=src("backend.py", 5827, 5834),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras2",
        setting="probabilities at 0 and 1",
        framework_call="tf_keras.backend.binary_crossentropy(y, p)",
        segref_call="tf_keras_bce(p, y)",
        framework_fn=lambda c: tfk().backend.binary_crossentropy(T(c.targets), T(c.sigmoid)),
        segref_fn=lambda c: tf_keras_bce(c.sigmoid, c.targets),
        inputs=saturated,
        differs="At p = 0 for a positive pixel tf.keras gives -log(1e-7 + 1e-7) = -log(2e-7) = 15.4249 (Keras 3: "
        "-log(1e-7) = 16.118); the exact formula, and segref.binary_cross_entropy, give infinity.",
        note="The backend function returns one value per element. tf_keras_bce as in the 'probabilities' row.",
        source=src("backend.py", 5827, 5834),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras2",
        setting="label_smoothing",
        framework_call="tf_keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(y_last, z_last)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: tfk().losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)(
            T(last(c.targets)), T(last(c.logits))
        ),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, label_smoothing=0.1),
        note="Both smooth towards 1/2: y (1 - s) + s / 2.",
        source=src("losses.py", 2492, 2534),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras2",
        setting="sigmoid output, graph mode",
        framework_call="tf.function(lambda y, z: tf_keras.losses.binary_crossentropy(y, tf.sigmoid(z)))"
        "(y_last, z_last)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, reduction='none').mean(axis=1)",
        framework_fn=graph_bce_of_sigmoid,
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, reduction="none").mean(
            axis=1
        ),
        inputs=with_cases(saturated_logits),
        note="Inside tf.function, tf.keras sees that its input is the output of a Sigmoid op, takes that op's "
        "input and computes from the logits: exact, even at logits of 30 to 40 where the same call run "
        "eagerly clips (next row).",
        source=src("backend.py", 5492, 5524),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="keras2",
        setting="sigmoid output, eager",
        framework_call="tf_keras.losses.binary_crossentropy(y_last, tf.sigmoid(z_last))",
        segref_call="tf_keras_bce(p, y).mean(axis=1)",
        framework_fn=lambda c: tfk().losses.binary_crossentropy(T(last(c.targets)), tf().sigmoid(T(last(c.logits)))),
        segref_fn=lambda c: tf_keras_bce(c.sigmoid, c.targets).mean(axis=1),
        inputs=saturated_logits,
        differs="Eagerly there is no op to look through: the probabilities go through the clip and the second "
        "1e-7, and a wrong logit of magnitude 30 to 40 costs -log(2e-7) = 15.42 instead of |z| (the graph-mode "
        "row above, and segref from logits).",
        note="p = sigmoid(z); tf_keras_bce as in the 'probabilities' row.",
        source=src("backend.py", 5492, 5524),
    ),
]

CE_ROWS = [
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="logits, integer labels",
        framework_call="tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: tfk().losses.SparseCategoricalCrossentropy(from_logits=True)(
            T(c.labels), T(last(c.logits))
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        framework_default=True,
        segref_default=True,
        source=src("backend.py", 5697, 5798),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="probabilities, one-hot",
        framework_call="tf_keras.losses.CategoricalCrossentropy()(y_1h_last, p_last)",
        segref_call="segref.categorical_cross_entropy(p, y, from_logits=False)",
        framework_fn=lambda c: tfk().losses.CategoricalCrossentropy()(T(last(c.one_hot)), T(last(c.probs))),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.probs, c.labels, from_logits=False),
        framework_default=True,
        segref_default=True,
        note="Renormalise, clip to [1e-7, 1 - 1e-7], log: no second epsilon here, unlike the binary loss. Equal "
        "while every probability stays inside the clip.",
        source=src("backend.py", 5530, 5594),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="label_smoothing, channels-first (axis=1)",
        framework_call="tf_keras.losses.categorical_crossentropy(y_1h, z, from_logits=True, label_smoothing=0.1, "
        "axis=1)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=0.1, reduction='none')",
        framework_fn=lambda c: tfk().losses.categorical_crossentropy(
            T(c.one_hot), T(c.logits), from_logits=True, label_smoothing=0.1, axis=1
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, label_smoothing=0.1, reduction="none"
        ),
        note="tf.keras reads C from the class axis (Keras 3.15.1 reads it from the last axis).",
        source=src("losses.py", 2164, 2224),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="channels-first (axis=1)",
        framework_call="tf_keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True, axis=1)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: tfk().losses.sparse_categorical_crossentropy(
            T(c.labels), T(c.logits), from_logits=True, axis=1
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        source=src("backend.py", 5697, 5798),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="ignore_class",
        framework_call="tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)(y, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255)",
        framework_fn=lambda c: tfk().losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_INDEX)(
            T(c.labels), T(last(c.logits))
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX
        ),
        ignore=True,
        note="The loss class averages over the pixels that are not ignored (a mask on the per-pixel losses).",
        source=src("backend.py", 5697, 5798),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="softmax output, graph mode",
        framework_call="tf.function(lambda y, z: tf_keras.losses.categorical_crossentropy(y, tf.nn.softmax(z)))"
        "(y_1h_last, z_last)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=graph_cce_of_softmax,
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        inputs=with_cases(saturated_logits),
        note="Inside tf.function tf.keras takes the logits from the Softmax op and uses TensorFlow's exact "
        "softmax_cross_entropy_with_logits, even at logits of 30 to 40 where the eager call clips (next row).",
        source=src("backend.py", 5492, 5524),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="softmax output, eager",
        framework_call="tf_keras.losses.categorical_crossentropy(y_1h_last, tf.nn.softmax(z_last))",
        segref_call="-np.log(np.clip(p_true, 1e-7, 1 - 1e-7))",
        framework_fn=lambda c: tfk().losses.categorical_crossentropy(
            T(last(c.one_hot)), tf().nn.softmax(T(last(c.logits)))
        ),
        segref_fn=lambda c: -np.log(p_hat(p_true(c, c.probs))),
        inputs=saturated_logits,
        differs="Eagerly the probabilities are renormalised and clipped to [1e-7, 1 - 1e-7]: a true class given "
        "a probability below 1e-7 costs 16.118, not -log p (up to 70 here), which segref gives from the logits "
        "and tf.keras gives in graph mode.",
        note="p = softmax(z); p_true: the probability of the true class at each pixel.",
        source=src("backend.py", 5586, 5594),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="keras2",
        setting="sparse, probability 0 for the true class",
        framework_call="tf_keras.losses.sparse_categorical_crossentropy(y, p_last)",
        segref_call="-np.log(p_true_hat / p_hat.sum(axis=1))",
        framework_fn=lambda c: tfk().losses.sparse_categorical_crossentropy(T(c.labels), T(last(c.probs))),
        segref_fn=lambda c: -np.log(p_true(c, p_hat(c.probs)) / p_hat(c.probs).sum(axis=1)),
        inputs=zero_probability,
        differs="The sparse loss clips first, [1e-7, 1 - 1e-7], and renormalises after (the log of the clipped "
        "probabilities goes through TensorFlow's softmax cross-entropy), the one-hot loss renormalises first and "
        "clips after: a true class at probability 0 costs -log(1e-7 / (1 + k 1e-7)) here, k the number of clipped "
        "classes, and infinity in segref.",
        note="p_hat = clip(p, 1e-7, 1 - 1e-7); p_true_hat: its entry for the true class.",
        source=src("backend.py", 5747, 5790),
    ),
]

FOCAL_ROWS = [
    Row(
        loss="focal",
        framework="keras2",
        setting="binary, logits",
        framework_call="tf_keras.losses.BinaryFocalCrossentropy(from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: tfk().losses.BinaryFocalCrossentropy(from_logits=True)(
            T(last(c.targets)), T(last(c.logits))
        ),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        inputs=with_cases(saturated_logits),
        framework_default=True,
        segref_default=True,
        note="alpha=0.25 is not applied without apply_class_balancing=True. From logits the cross-entropy factor "
        "is the exact sigmoid_cross_entropy_with_logits, so unlike Keras 3 the loss stays exact at logits of "
        "30 to 40.",
        source=src("backend.py", 5840, 5902),
    ),
    Row(
        loss="focal",
        framework="keras2",
        setting="binary, probabilities",
        framework_call="tf_keras.losses.BinaryFocalCrossentropy()(y_last, p_last)",
        segref_call="((1 - p_t) ** 2 * tf_keras_bce(p, y)).mean()",
        framework_fn=lambda c: tfk().losses.BinaryFocalCrossentropy()(T(last(c.targets)), T(last(c.sigmoid))),
        segref_fn=lambda c: (
            (1 - (c.targets * c.sigmoid + (1 - c.targets) * (1 - c.sigmoid))) ** 2 * tf_keras_bce(c.sigmoid, c.targets)
        ).mean(),
        framework_default=True,
        differs="The cross-entropy factor is tf.keras' probability BCE, with 1e-7 added inside the logarithms "
        "after clipping; no segref setting gives it.",
        note="p_t = y p + (1 - y)(1 - p) from the unclipped p; tf_keras_bce as in the binary cross-entropy rows.",
        source=src("backend.py", 5840, 5902),
    ),
    Row(
        loss="focal",
        framework="keras2",
        setting="binary, apply_class_balancing",
        framework_call="tf_keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=1.5, "
        "from_logits=True)(y_last, z_last)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, alpha=0.25, gamma=1.5)",
        framework_fn=lambda c: tfk().losses.BinaryFocalCrossentropy(
            apply_class_balancing=True, alpha=0.25, gamma=1.5, from_logits=True
        )(T(last(c.targets)), T(last(c.logits))),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=0.25, gamma=1.5),
        source=src("backend.py", 5895, 5902),
    ),
    Row(
        loss="focal",
        framework="keras2",
        setting="binary, sigmoid output, graph mode",
        framework_call="tf.function(lambda y, z: tf_keras.losses.binary_focal_crossentropy(y, tf.sigmoid(z)))"
        "(y_last, z_last)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, reduction='none').mean(axis=1)",
        framework_fn=graph_focal_of_sigmoid,
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True, reduction="none").mean(
            axis=1
        ),
        inputs=with_cases(saturated_logits),
        note="Inside tf.function the cross-entropy factor finds the Sigmoid op behind its input and computes "
        "from the logits, as the binary cross-entropy does: exact at logits of 30 to 40, where Keras 3 clips.",
        source=src("backend.py", 5840, 5902),
    ),
    Row(
        loss="focal",
        framework="keras2",
        setting="categorical, logits",
        framework_call="tf_keras.losses.CategoricalFocalCrossentropy(from_logits=True)(y_1h_last, z_last)",
        segref_call="segref.focal_loss(z, y, from_logits=True, alpha=0.25)",
        framework_fn=lambda c: tfk().losses.CategoricalFocalCrossentropy(from_logits=True)(
            T(last(c.one_hot)), T(last(c.logits))
        ),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True, alpha=0.25),
        framework_default=True,
        note="The scalar alpha=0.25 scales every class alike. Softmax, renormalise, clip: equal while every "
        "probability stays inside [1e-7, 1 - 1e-7].",
        source=src("backend.py", 5600, 5691),
    ),
    Row(
        loss="focal",
        framework="keras2",
        setting="categorical, alpha=1",
        framework_call="tf_keras.losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(y_1h_last, z_last)",
        segref_call="segref.focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: tfk().losses.CategoricalFocalCrossentropy(alpha=1.0, from_logits=True)(
            T(last(c.one_hot)), T(last(c.logits))
        ),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        source=src("backend.py", 5600, 5691),
    ),
]

METRIC_ROWS = [
    Row(
        loss="metrics",
        framework="keras2",
        setting="MeanIoU",
        framework_call="tf_keras.metrics.MeanIoU(num_classes=C)(y, z.argmax(1))",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, per_image=False, reduction='none')[seen].mean()",
        framework_fn=lambda c: tfk().metrics.MeanIoU(num_classes=c.num_classes)(c.labels, c.logits.argmax(1)),
        segref_fn=lambda c: iou_of_seen_classes(c, c.logits.argmax(1)),
        **FLOAT32,
        framework_default=True,
        note="seen: the classes present in the prediction or the target. One confusion matrix over everything "
        "seen, the IoU averaged over those classes, in float32 (the metric's default dtype), without Keras 3's "
        "1e-7.",
        source=src("metrics/iou_metrics.py", 266, 295),
    ),
    Row(
        loss="metrics",
        framework="keras2",
        setting="MeanIoU, ignore_class",
        framework_call="tf_keras.metrics.MeanIoU(num_classes=C, ignore_class=255)(y, z.argmax(1))",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, ignore_index=255, per_image=False, "
        "reduction='none')[seen].mean()",
        framework_fn=lambda c: tfk().metrics.MeanIoU(num_classes=c.num_classes, ignore_class=IGNORE_INDEX)(
            c.labels, c.logits.argmax(1)
        ),
        segref_fn=lambda c: iou_of_seen_classes(c, c.logits.argmax(1), ignore_index=IGNORE_INDEX),
        **FLOAT32,
        ignore=True,
        note="seen: the classes present in the prediction or the target at non-ignored pixels; float32.",
        source=src("metrics/iou_metrics.py", 98, 148),
    ),
    Row(
        loss="metrics",
        framework="keras2",
        setting="MeanIoU from logits, channels-first (axis=1)",
        framework_call="tf_keras.metrics.MeanIoU(num_classes=C, sparse_y_pred=False, axis=1)(y, z)",
        segref_call="segref.iou_score(z.argmax(1), y, num_classes=C, per_image=False, reduction='none')[seen].mean()",
        framework_fn=lambda c: tfk().metrics.MeanIoU(num_classes=c.num_classes, sparse_y_pred=False, axis=1)(
            c.labels, T(c.logits)
        ),
        segref_fn=lambda c: iou_of_seen_classes(c, c.logits.argmax(1)),
        **FLOAT32,
        note="The argmax runs over axis=1; this works in tf.keras (Keras 3.15.1 fails in result() with axis=1). "
        "seen: the classes present in the prediction or the target; float32.",
        source=src("metrics/iou_metrics.py", 98, 148),
    ),
]

ROWS = BCE_ROWS + CE_ROWS + FOCAL_ROWS + METRIC_ROWS

NOT_PROVIDED = {
    "dice": "no Dice loss in tf_keras (keras.losses.Dice came with Keras 3)",
    "jaccard": "no Jaccard or Tversky loss in tf_keras, only hard IoU metrics",
    "dice-ce": "no Dice loss in tf_keras to add to its cross-entropy",
    "tversky": "no Tversky loss in tf_keras (keras.losses.Tversky came with Keras 3)",
    "generalized-dice": "no generalised Dice loss in tf_keras",
    "topk": "no TopK or bootstrapped cross-entropy in tf_keras",
    "poly": "no PolyLoss in tf_keras",
    "compound": "no compound loss in tf_keras",
    "log-cosh-dice": "no log-cosh Dice loss in tf_keras",
    "mcc": "no MCC loss in tf_keras",
    "sensitivity-specificity": "no sensitivity-specificity loss in tf_keras",
}
