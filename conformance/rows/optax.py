"""optax's losses (``optax.losses``), in float64 (``jax_enable_x64``).

optax returns element-wise or per-example values and leaves the reduction to the caller:
each mapping below is a mean over the right axes (written out in the call). Its
cross-entropies and Dice loss take the class axis last by default; ``*_last`` is an
array moved to channels-last (``np.moveaxis(a, 1, -1)``). Names as in
:mod:`conformance.rows.keras3`: ``z`` logits, ``p`` probabilities, ``y`` binary targets
or integer labels, ``y_1h`` one-hot labels, ``w`` one weight per class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import segref

from ..frameworks import jax_x64
from ..model import CLASS_WEIGHTS, IGNORE_INDEX, Case, Row
from .keras3 import last, p_t, saturated_logits, smoothed, with_cases

OPTAX = "https://github.com/google-deepmind/optax/blob/107e9ad20ca62bcbee1a8c016daab71c690a678c/optax/losses/"


def src(path: str, first: int, last_line: int) -> str:
    return f"{OPTAX}{path}#L{first}-L{last_line}"


def ox() -> Any:
    return jax_x64()[1]


def weights(c: Case) -> np.ndarray:
    return CLASS_WEIGHTS[: c.num_classes]


def generalized_dice_weights(c: Case) -> np.ndarray:
    """optax's class weights: 1 / (f^2 + 1e-7), f the class's pixel count over the batch,
    scaled to sum to C."""
    counts = c.one_hot.sum(axis=tuple(i for i in range(c.one_hot.ndim) if i != 1))
    raw = 1.0 / (counts**2 + 1e-7)
    return raw / raw.sum() * c.num_classes


def two_channels(a: np.ndarray) -> np.ndarray:
    """A foreground map ``(N, *spatial)`` as channels-last background and foreground."""
    return np.stack([1 - a, a], axis=-1)


BCE_ROWS = [
    Row(
        loss="binary-cross-entropy",
        framework="optax",
        setting="logits, mean",
        framework_call="optax.losses.sigmoid_binary_cross_entropy(z, y).mean()",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: ox().losses.sigmoid_binary_cross_entropy(c.logits, c.targets).mean(),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="optax returns one value per element, in any layout; the mean over all of them is segref's default.",
        source=src("_classification.py", 47, 83),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="optax",
        setting="per element, saturated logits",
        framework_call="optax.losses.sigmoid_binary_cross_entropy(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: ox().losses.sigmoid_binary_cross_entropy(c.logits, c.targets),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, reduction="none"),
        inputs=with_cases(saturated_logits),
        note="Both use log-sigmoid, exact at logits of 30 to 40.",
        source=src("_classification.py", 47, 83),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="optax",
        setting="label smoothing",
        framework_call="optax.losses.sigmoid_binary_cross_entropy(z, y * 0.9 + 0.05).mean()",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: ox().losses.sigmoid_binary_cross_entropy(c.logits, smoothed(c.targets)).mean(),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, label_smoothing=0.1),
        note="Smooth the targets yourself, y (1 - s) + s / 2: optax.smooth_labels is for one-hot labels and "
        "divides s by the size of the axis it is given, not by 2.",
        source=src("_classification.py", 47, 83),
    ),
]

CE_ROWS = [
    Row(
        loss="categorical-cross-entropy",
        framework="optax",
        setting="integer labels, mean",
        framework_call="optax.losses.softmax_cross_entropy_with_integer_labels(z_last, y).mean()",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: ox().losses.softmax_cross_entropy_with_integer_labels(last(c.logits), c.labels).mean(),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="One value per pixel, class axis last by default; the mean over pixels is segref's default.",
        source=src("_classification.py", 299, 407),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="optax",
        setting="one-hot, channels-first (axis=1)",
        framework_call="optax.losses.softmax_cross_entropy(z, y_1h, axis=1)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: ox().losses.softmax_cross_entropy(c.logits, c.one_hot, axis=1),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        note="axis names the class axis, so no transpose is needed.",
        source=src("_classification.py", 227, 296),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="optax",
        setting="label smoothing (smooth_labels)",
        framework_call="optax.losses.softmax_cross_entropy(z_last, optax.smooth_labels(y_1h_last, 0.1)).mean()",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: (
            ox().losses.softmax_cross_entropy(last(c.logits), ox().smooth_labels(last(c.one_hot), 0.1)).mean()
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, label_smoothing=0.1),
        note="smooth_labels gives y (1 - s) + s / C, C the size of its axis (the last by default).",
        source=src("_smoothing.py", 24, 55),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="optax",
        setting="ignored pixels (where=)",
        framework_call="optax.losses.softmax_cross_entropy_with_integer_labels(z_last, y, where=valid).sum() / "
        "valid.sum()",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255)",
        framework_fn=lambda c: (
            ox()
            .losses.softmax_cross_entropy_with_integer_labels(last(c.logits), c.labels, where=c.labels != IGNORE_INDEX)
            .sum()
            / (c.labels != IGNORE_INDEX).sum()
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX
        ),
        ignore=True,
        note="valid = y != 255. With a where mask of one value per pixel optax returns 0 at the pixels left out; "
        "dividing the sum by the number of valid pixels gives segref's mean.",
        source=src("_classification.py", 379, 407),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="optax",
        setting="class weights",
        framework_call="(w[y] * optax.losses.softmax_cross_entropy_with_integer_labels(z_last, y)).sum() / w[y].sum()",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=w)",
        framework_fn=lambda c: (
            (
                weights(c)[c.labels] * ox().losses.softmax_cross_entropy_with_integer_labels(last(c.logits), c.labels)
            ).sum()
            / weights(c)[c.labels].sum()
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, class_weights=weights(c)
        ),
        note="optax has no class weights: weight each pixel by its class and divide by the summed weights "
        "(PyTorch's and segref's weighted mean).",
        source=src("_classification.py", 299, 407),
    ),
]

FOCAL_ROWS = [
    Row(
        loss="focal",
        framework="optax",
        setting="sigmoid_focal_loss",
        framework_call="optax.losses.sigmoid_focal_loss(z, y).mean()",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: ox().losses.sigmoid_focal_loss(c.logits, c.targets).mean(),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        inputs=with_cases(saturated_logits),
        framework_default=True,
        segref_default=True,
        note="Same defaults: gamma = 2, no alpha weighting. optax returns one value per element. Both stay exact "
        "at logits of 30 to 40 (optax computes the focal factor in log space).",
        source=src("_classification.py", 842, 927),
    ),
    Row(
        loss="focal",
        framework="optax",
        setting="alpha, gamma",
        framework_call="optax.losses.sigmoid_focal_loss(z, y, alpha=0.25, gamma=1.5).mean()",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, alpha=0.25, gamma=1.5)",
        framework_fn=lambda c: ox().losses.sigmoid_focal_loss(c.logits, c.targets, alpha=0.25, gamma=1.5).mean(),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=0.25, gamma=1.5),
        note="alpha on the positives, 1 - alpha on the negatives, as in Lin et al.",
        source=src("_classification.py", 920, 927),
    ),
    Row(
        loss="focal",
        framework="optax",
        setting="soft labels",
        framework_call="optax.losses.sigmoid_focal_loss(z, y_s).mean()",
        segref_call="((1 - p_t) ** 2 * segref.binary_cross_entropy(z, y_s, from_logits=True, reduction='none')).mean()",
        framework_fn=lambda c: ox().losses.sigmoid_focal_loss(c.logits, smoothed(c.targets)).mean(),
        segref_fn=lambda c: (
            (1 - p_t(smoothed(c.targets), c.sigmoid)) ** 2
            * segref.binary_cross_entropy(c.logits, smoothed(c.targets), from_logits=True, reduction="none")
        ).mean(),
        differs="For a soft target optax multiplies the whole cross-entropy by one factor (1 - p_t)^gamma, "
        "p_t = y_s p + (1 - y_s)(1 - p) (as Keras does); segref's binary_focal_loss gives each term its own "
        "factor. Equal for hard targets.",
        note="y_s = 0.9 y + 0.05, smoothed targets; p = sigmoid(z). optax has no softmax (multi-class) focal loss.",
        source=src("_classification.py", 905, 921),
    ),
]

DICE_ROWS = [
    Row(
        loss="dice",
        framework="optax",
        setting="dice_loss default",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last)",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=2.0, reduction='none').mean(axis=1)",
        framework_fn=lambda c: ox().losses.dice_loss(last(c.logits), last(c.one_hot)),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=2.0, reduction="none").mean(
            axis=1
        ),
        framework_default=True,
        note="Softmax, sums over the spatial axes (per image), mean over classes: one value per image. optax "
        "writes Dice in Tversky form, (I + s) / (I + 0.5 (P - I) + 0.5 (G - I) + s) = (2I + 2s) / (P + G + 2s), "
        "so its default smooth=1 is segref's smooth=2.",
        source=src("_segmentation.py", 37, 205),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="smooth=0, mean",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, smooth=0.0).mean()",
        segref_call="segref.dice_loss(z, y, from_logits=True)",
        framework_fn=lambda c: ox().losses.dice_loss(last(c.logits), last(c.one_hot), smooth=0.0).mean(),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="The mean of the per-image means over classes is the mean over (image, class) pairs.",
        source=src("_segmentation.py", 182, 205),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="ignore_background",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, smooth=0.0, ignore_background=True)",
        segref_call="segref.dice_loss(z, y, from_logits=True, include_background=False, reduction='none').mean(axis=1)",
        framework_fn=lambda c: ox().losses.dice_loss(
            last(c.logits), last(c.one_hot), smooth=0.0, ignore_background=True
        ),
        segref_fn=lambda c: segref.dice_loss(
            c.logits, c.labels, from_logits=True, include_background=False, reduction="none"
        ).mean(axis=1),
        note="The softmax still runs over all classes; class 0 leaves the mean only.",
        source=src("_segmentation.py", 195, 205),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="probabilities (apply_softmax=False)",
        framework_call="optax.losses.dice_loss(p_last, y_1h_last, smooth=0.0, apply_softmax=False)",
        segref_call="segref.dice_loss(p, y, from_logits=False, reduction='none').mean(axis=1)",
        framework_fn=lambda c: ox().losses.dice_loss(last(c.probs), last(c.one_hot), smooth=0.0, apply_softmax=False),
        segref_fn=lambda c: segref.dice_loss(c.probs, c.labels, from_logits=False, reduction="none").mean(axis=1),
        note="With apply_softmax=False optax checks, on concrete values, that the probabilities sum to 1 over the "
        "last axis: the call raises a ValueError otherwise and cannot run under jax.jit "
        "(TracerBoolConversionError).",
        source=src("_segmentation.py", 152, 161),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="whole batch",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, smooth=0.0, axis=tuple(range(z_last.ndim - 1)))",
        segref_call="segref.dice_loss(z, y, from_logits=True, per_image=False)",
        framework_fn=lambda c: ox().losses.dice_loss(
            last(c.logits), last(c.one_hot), smooth=0.0, axis=tuple(range(c.logits.ndim - 1))
        ),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True, per_image=False),
        note="Summing over the batch axis too gives one coefficient per class, then the mean over classes.",
        source=src("_segmentation.py", 173, 179),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="class_weights",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, smooth=0.0, class_weights=w)",
        segref_call="(segref.dice_loss(z, y, from_logits=True, reduction='none') * w).mean(axis=1)",
        framework_fn=lambda c: ox().losses.dice_loss(
            last(c.logits), last(c.one_hot), smooth=0.0, class_weights=weights(c)
        ),
        segref_fn=lambda c: (
            segref.dice_loss(c.logits, c.labels, from_logits=True, reduction="none") * weights(c)
        ).mean(axis=1),
        note="optax multiplies each class's loss by its weight and then divides by the number of classes, not "
        "by the summed weights; segref's dice_loss has no class weights.",
        source=src("_segmentation.py", 191, 205),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="binary_dice_loss",
        framework_call="optax.losses.binary_dice_loss(z[:, 0], y[:, 0])",
        segref_call="segref.dice_loss(z[:, :1], y[:, :1], from_logits=True, multilabel=True, smooth=2.0, "
        "reduction='none')[:, 0]",
        framework_fn=lambda c: ox().losses.binary_dice_loss(c.logits[:, 0], c.targets[:, 0]),
        segref_fn=lambda c: segref.dice_loss(
            c.logits[:, :1], c.targets[:, :1], from_logits=True, multilabel=True, smooth=2.0, reduction="none"
        )[:, 0],
        note="One foreground map (N, *spatial), y its 0/1 target: a sigmoid, then one Dice loss per image, with "
        "optax's smooth=1 equal to segref's smooth=2 as in dice_loss.",
        source=src("_segmentation.py", 263, 292),
    ),
    Row(
        loss="dice",
        framework="optax",
        setting="binary, probabilities (two channels)",
        framework_call="optax.losses.dice_loss(two_channels(p[:, 0]), two_channels(y[:, 0]), smooth=0.0, "
        "apply_softmax=False, ignore_background=True)",
        segref_call="segref.dice_loss(p[:, :1], y[:, :1], from_logits=False, multilabel=True, reduction='none')[:, 0]",
        framework_fn=lambda c: ox().losses.dice_loss(
            two_channels(c.sigmoid[:, 0]),
            two_channels(c.targets[:, 0]),
            smooth=0.0,
            apply_softmax=False,
            ignore_background=True,
        ),
        segref_fn=lambda c: segref.dice_loss(
            c.sigmoid[:, :1], c.targets[:, :1], from_logits=False, multilabel=True, reduction="none"
        )[:, 0],
        defect="binary_dice_loss documents apply_sigmoid as 'Whether to apply sigmoid to predictions', but with "
        "apply_sigmoid=False it passes the single-channel map to dice_loss(apply_softmax=False), whose check that "
        "predictions sum to 1 over the last axis rejects any probability map (_segmentation.py L152-L161, "
        "L286-L292).",
        note="two_channels(a) = np.stack([1 - a, a], axis=-1): background and foreground, which do sum to 1; "
        "ignore_background keeps the foreground's loss. p = sigmoid(z). Minimal example (optax 0.2.8): "
        "optax.losses.binary_dice_loss(np.array([[0.2, 0.9]]), np.array([[0.0, 1.0]]), apply_sigmoid=False) "
        "raises ValueError: 'When apply_softmax=False, predictions must be valid probability distributions "
        "that sum to 1 along the class axis'.",
        source=src("_segmentation.py", 263, 292),
    ),
]

JACCARD_ROWS = [
    Row(
        loss="jaccard",
        framework="optax",
        setting="dice_loss(alpha=1, beta=1), smooth=0, mean",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, alpha=1.0, beta=1.0, smooth=0.0).mean()",
        segref_call="segref.jaccard_loss(z, y, from_logits=True)",
        framework_fn=lambda c: (
            ox().losses.dice_loss(last(c.logits), last(c.one_hot), alpha=1.0, beta=1.0, smooth=0.0).mean()
        ),
        segref_fn=lambda c: segref.jaccard_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="optax has no Jaccard loss; its Tversky-form dice_loss with alpha = beta = 1 is "
        "1 - (I + s) / (P + G - I + s). alpha weighs the false positives P - I, as documented and as in "
        "Salehi et al.",
        source=src("_segmentation.py", 182, 190),
    ),
    Row(
        loss="jaccard",
        framework="optax",
        setting="dice_loss(alpha=1, beta=1)",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, alpha=1.0, beta=1.0)",
        segref_call="segref.jaccard_loss(z, y, from_logits=True, smooth=1.0, reduction='none').mean(axis=1)",
        framework_fn=lambda c: ox().losses.dice_loss(last(c.logits), last(c.one_hot), alpha=1.0, beta=1.0),
        segref_fn=lambda c: segref.jaccard_loss(
            c.logits, c.labels, from_logits=True, smooth=1.0, reduction="none"
        ).mean(axis=1),
        note="With the default smooth=1, per image, mean over classes: for the Jaccard form optax's smooth is "
        "segref's.",
        source=src("_segmentation.py", 182, 205),
    ),
]

DICE_CE_ROWS = [
    Row(
        loss="dice-ce",
        framework="optax",
        setting="dice_loss + softmax_cross_entropy_with_integer_labels",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, smooth=0.0).mean() + "
        "optax.losses.softmax_cross_entropy_with_integer_labels(z_last, y).mean()",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True)",
        framework_fn=lambda c: (
            ox().losses.dice_loss(last(c.logits), last(c.one_hot), smooth=0.0).mean()
            + ox().losses.softmax_cross_entropy_with_integer_labels(last(c.logits), c.labels).mean()
        ),
        segref_fn=lambda c: segref.dice_ce_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="optax has no compound loss; the sum of its two losses, each averaged.",
        source=src("_segmentation.py", 37, 205),
    ),
]

GENERALIZED_DICE_ROWS = [
    Row(
        loss="generalized-dice",
        framework="optax",
        setting="multiclass_generalized_dice_loss",
        framework_call="optax.losses.multiclass_generalized_dice_loss(z_last, y_1h_last)",
        segref_call="(segref.dice_loss(z, y, from_logits=True, smooth=2.0, reduction='none') * w_gd).mean()",
        framework_fn=lambda c: ox().losses.multiclass_generalized_dice_loss(last(c.logits), last(c.one_hot)),
        segref_fn=lambda c: (
            segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=2.0, reduction="none")
            * generalized_dice_weights(c)
        ).mean(),
        differs="optax's generalised Dice is a weighted mean of per-class Dice losses, not Sudre et al.'s ratio of "
        "weighted sums; no setting of segref.generalized_dice_loss gives it, and the weighted mean of segref's "
        "Dice losses shown does.",
        defect="The docstring calls it the Generalized Dice Loss of Sudre et al. (2017), 1 - 2 sum_c w_c I_c / "
        "sum_c w_c (P_c + G_c); the code takes a weighted mean of per-image, per-class Dice losses instead "
        "(_segmentation.py L240-L260). Minimal example (optax 0.2.8, one image, 4 pixels, labels [0, 0, 0, 1], "
        "foreground probabilities [0.1, 0.2, 0.3, 0.6], apply_softmax=False, smooth=0): optax gives 0.426332, "
        "Sudre's formula 0.390625.",
        note="w_gd = 1 / (f^2 + 1e-7) scaled to sum to C, f the class's pixel count over the whole batch. A "
        "class absent from the batch gets almost all the weight (about C, the others about 0), so the loss "
        "becomes that class's Dice loss alone (the 1-image cases with an absent class).",
        source=src("_segmentation.py", 208, 260),
    ),
]

TVERSKY_ROWS = [
    Row(
        loss="tversky",
        framework="optax",
        setting="dice_loss(alpha=0.3, beta=0.7), smooth=0, mean",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last, alpha=0.3, beta=0.7, smooth=0.0).mean()",
        segref_call="segref.tversky_loss(z, y, from_logits=True)",
        framework_fn=lambda c: (
            ox().losses.dice_loss(last(c.logits), last(c.one_hot), alpha=0.3, beta=0.7, smooth=0.0).mean()
        ),
        segref_fn=lambda c: segref.tversky_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="optax's dice_loss is a Tversky loss, (I + s) / (I + alpha (P - I) + beta (G - I) + s) per image and "
        "class, with alpha on the false positives as in Salehi et al.; its reduction='mean' averages the "
        "classes of each image, and .mean() the images.",
        source=src("_segmentation.py", 37, 205),
    ),
    Row(
        loss="tversky",
        framework="optax",
        setting="dice_loss defaults",
        framework_call="optax.losses.dice_loss(z_last, y_1h_last)",
        segref_call="segref.tversky_loss(z, y, from_logits=True, alpha=0.5, beta=0.5, smooth=1.0, "
        "reduction='none').mean(axis=1)",
        framework_fn=lambda c: ox().losses.dice_loss(last(c.logits), last(c.one_hot)),
        segref_fn=lambda c: segref.tversky_loss(
            c.logits, c.labels, from_logits=True, alpha=0.5, beta=0.5, smooth=1.0, reduction="none"
        ).mean(axis=1),
        framework_default=True,
        note="The defaults alpha = beta = 0.5 (a Dice loss with smoothing 2) and smooth = 1: one value per image.",
        source=src("_segmentation.py", 37, 205),
    ),
]

POLY_SRC = src("_classification.py", 468, 525)

POLY_ROWS = [
    Row(
        loss="poly",
        framework="optax",
        setting="epsilon=1, mean",
        framework_call="optax.losses.poly_loss_cross_entropy(z_last, y_1h_last, epsilon=1.0).mean()",
        segref_call="segref.poly_loss(z, y, from_logits=True)",
        framework_fn=lambda c: ox().losses.poly_loss_cross_entropy(last(c.logits), last(c.one_hot), epsilon=1.0).mean(),
        segref_fn=lambda c: segref.poly_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="optax returns one value per pixel; their mean is segref's default reduction.",
        source=POLY_SRC,
    ),
    Row(
        loss="poly",
        framework="optax",
        setting="poly_loss_cross_entropy defaults, mean",
        framework_call="optax.losses.poly_loss_cross_entropy(z_last, y_1h_last).mean()",
        segref_call="segref.poly_loss(z, y, from_logits=True, epsilon=2.0)",
        framework_fn=lambda c: ox().losses.poly_loss_cross_entropy(last(c.logits), last(c.one_hot)).mean(),
        segref_fn=lambda c: segref.poly_loss(c.logits, c.labels, from_logits=True, epsilon=2.0),
        framework_default=True,
        note="optax's default epsilon is 2 (the paper's ImageNet value), segref's 1; both compute "
        "softmax cross-entropy + epsilon * sum_c y_c (1 - p_c) per pixel.",
        source=POLY_SRC,
    ),
    Row(
        loss="poly",
        framework="optax",
        setting="epsilon=1, per pixel",
        framework_call="optax.losses.poly_loss_cross_entropy(z_last, y_1h_last, epsilon=1.0)",
        segref_call="segref.poly_loss(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: ox().losses.poly_loss_cross_entropy(last(c.logits), last(c.one_hot), epsilon=1.0),
        segref_fn=lambda c: segref.poly_loss(c.logits, c.labels, from_logits=True, reduction="none"),
        note="One value per pixel, (N, *spatial), in both.",
        source=POLY_SRC,
    ),
    Row(
        loss="poly",
        framework="optax",
        setting="epsilon=-1, smoothed labels",
        framework_call="optax.losses.poly_loss_cross_entropy(z_last, 0.9 * y_1h_last + 0.1 / C, epsilon=-1.0)",
        segref_call="segref.poly_loss(z, y, from_logits=True, epsilon=-1.0, label_smoothing=0.1, reduction='none')",
        framework_fn=lambda c: ox().losses.poly_loss_cross_entropy(
            last(c.logits), last(0.9 * c.one_hot + 0.1 / c.num_classes), epsilon=-1.0
        ),
        segref_fn=lambda c: segref.poly_loss(
            c.logits, c.labels, from_logits=True, epsilon=-1.0, label_smoothing=0.1, reduction="none"
        ),
        note="optax has no label smoothing of its own: it takes the smoothed distribution as labels, and "
        "p_t = sum_c y_c p_c is then the smoothed target's probability, as in the paper's pseudocode and segref. "
        "epsilon = -1 is the paper's value for detection.",
        source=POLY_SRC,
    ),
    Row(
        loss="poly",
        framework="optax",
        setting="soft labels",
        framework_call="optax.losses.poly_loss_cross_entropy(z_last, q_last, epsilon=1.0)",
        segref_call="segref.poly_loss(z, q, from_logits=True, reduction='none')",
        framework_fn=lambda c: ox().losses.poly_loss_cross_entropy(last(c.logits), last(soft_labels(c)), epsilon=1.0),
        segref_fn=lambda c: segref.poly_loss(c.logits, soft_labels(c), from_logits=True, reduction="none"),
        note="q: a soft target that sums to 1 over the classes (a softmax of other random numbers).",
        source=POLY_SRC,
    ),
]


def soft_labels(c: Case) -> np.ndarray:
    """A soft target for ``c``: a softmax over the classes of other random numbers."""
    q = np.exp(np.random.default_rng(c.logits.size).standard_normal(c.logits.shape))
    return q / q.sum(axis=1, keepdims=True)


ROWS = (
    BCE_ROWS
    + CE_ROWS
    + FOCAL_ROWS
    + DICE_ROWS
    + JACCARD_ROWS
    + DICE_CE_ROWS
    + TVERSKY_ROWS
    + GENERALIZED_DICE_ROWS
    + POLY_ROWS
)

NOT_PROVIDED = {
    "metrics": "no hard Dice or IoU metrics in optax (an optimisation library)",
    "topk": "no TopK or bootstrapped cross-entropy in optax.losses",
    "compound": "no compound loss in optax.losses",
    "log-cosh-dice": "no log-cosh Dice loss in optax.losses",
    "mcc": "no MCC loss in optax.losses",
    "sensitivity-specificity": "no sensitivity-specificity loss in optax.losses",
}
