"""MONAI 1.6.1: ``monai.losses`` (``DiceLoss``, ``FocalLoss``, ``DiceCELoss``) and
``monai.metrics`` (``DiceMetric``, ``MeanIoU``).

In the calls, ``y[:, None]`` is the ``(N, 1, *spatial)`` label map MONAI reads with
``to_onehot_y=True``, ``y_1h`` a one-hot ``(N, C, *spatial)`` float map (all zero at
ignored pixels), ``y_hat`` the predicted labels ``z.argmax(1)``, ``C`` the number of
classes and ``w`` a vector of ``C`` class weights.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import segref

from ..frameworks import tensor as t
from ..model import CLASS_WEIGHTS, IGNORE_INDEX, Case, Row, cases, first_image_ignored
from .keras3 import saturated_logits, with_cases, zero_probability

COMMIT = "7af492176792f9069b8f1253d099abd05c5e769d"  # the 1.6.1 release (monai._version)


def source(path: str, first: int, last: int) -> str:
    return f"https://github.com/Project-MONAI/MONAI/blob/{COMMIT}/monai/{path}#L{first}-L{last}"


DICE_SRC = source("losses/dice.py", 137, 243)
DICE_CE_SRC = source("losses/dice.py", 718, 875)
FOCAL_SRC = source("losses/focal_loss.py", 136, 339)


def loss(name: str, **options):
    """The MONAI loss object ``monai.losses.<name>(**options)``."""
    import monai.losses

    return getattr(monai.losses, name)(**options)


def metric(name: str):
    import monai.metrics

    return getattr(monai.metrics, name)


def aggregated(name: str, pred: np.ndarray, target: np.ndarray, **options):
    """``m = monai.metrics.<name>(**options); m(pred, target); m.aggregate().item()``."""
    m = metric(name)(**options)
    m(t(pred), t(target))
    return m.aggregate().item()


POS_WEIGHT = np.array([2.5])  # one channel: DiceCELoss(sigmoid=True)'s pos_weight
ALPHAS = np.array([0.1, 0.4, 0.25, 0.75, 0.5])  # per-class focal alpha, in [0, 1]
FOREGROUND = 1  # the class the "ignore_index names a class" row ignores


def w(c: Case) -> np.ndarray:
    return CLASS_WEIGHTS[: c.num_classes]


def a(c: Case) -> np.ndarray:
    return ALPHAS[: c.num_classes]


def per_channel(c: Case, v: np.ndarray) -> np.ndarray:
    """A per-class vector shaped ``(C, 1, ...)`` to broadcast against ``(N, C, *spatial)``."""
    return v.reshape((-1,) + (1,) * (c.logits.ndim - 2))


def y1(c: Case):
    """The ``(N, 1, *spatial)`` int64 label map."""
    return t(c.labels[:, None])


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    classes = np.arange(num_classes).reshape((1, -1) + (1,) * (labels.ndim - 1))
    return (labels[:, None] == classes).astype(np.float64)


def predicted(c: Case) -> np.ndarray:
    """The predicted label map ``y_hat = z.argmax(1)``."""
    return c.logits.argmax(1)


def present(c: Case) -> np.ndarray:
    """(N, C): the class has at least one pixel in the image's target."""
    return c.one_hot.reshape(c.one_hot.shape[:2] + (-1,)).sum(-1) > 0


def nanmean_per_image(scores: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """MONAI's "mean" over an (N, C) buffer whose dropped entries are NaN: the mean of
    each image's kept classes, then the mean over the images."""
    return np.nanmean(np.where(keep, scores, np.nan), axis=1).mean()


def dice_formula(p: np.ndarray, g: np.ndarray, *, nr: float, dr: float, squared: bool = False) -> np.ndarray:
    """MONAI's Dice loss written out: mean over (image, class) of 1 - (2 I + nr) / (P + G + dr),
    with the sums taken of whatever ``p`` holds (no activation, no range check)."""
    axes = tuple(range(2, p.ndim))
    power = 2 if squared else 1
    intersection = (p * g).sum(axes)
    return (1 - (2 * intersection + nr) / ((p**power).sum(axes) + (g**power).sum(axes) + dr)).mean()


def zero_weighted_ce(c: Case) -> np.ndarray:
    """MONAI's lambda_dice * Dice + lambda_ce * CE with lambda_ce = 0: the CE computed, then times 0."""
    with np.errstate(invalid="ignore"):
        return segref.dice_loss(c.probs, c.labels, from_logits=False, smooth=1e-5) + 0.0 * np.float64(
            segref.categorical_cross_entropy(c.probs, c.labels, from_logits=False)
        )


def three_classes_or_more() -> list[Case]:
    return [c for c in cases() if c.num_classes > 2]


def one_channel(c: Case) -> Case:
    """The case cut to its first channel (a single foreground map)."""
    return dataclasses.replace(c, logits=c.logits[:, :1], targets=c.targets[:, :1])


def one_channel_cases() -> list[Case]:
    return [one_channel(c) for c in cases()]


SOFTMAX = {"softmax": True, "to_onehot_y": True}
ONE_HOT_NOTE = "MONAI's one_hot is float32; its 0/1 values make the products and sums exact in float64."
FLOAT32 = (
    "FocalLoss casts input and target to float32 (input.float()) whatever their dtype: agreement to float32 rounding."
)
SQUARED_NOTE = (
    "With squared_pred MONAI takes the sums of squares as squared vector norms; the target's norm is "
    "taken of to_onehot_y's float32 one-hot, so G = (sqrt G)^2 carries float32 rounding (about 1e-8 "
    "relative here; a float64 one-hot target gives float64 agreement)."
)
METRIC_FLOAT32 = "do_metric_reduction divides in float32 (.float()): agreement to float32 rounding."

DICE_ROWS = [
    Row(
        loss="dice",
        framework="monai",
        setting="defaults (probabilities, one-hot)",
        framework_call="DiceLoss()(p, y_1h)",
        segref_call="segref.dice_loss(p, y, from_logits=False, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceLoss")(t(c.probs), t(c.one_hot)),
        segref_fn=lambda c: segref.dice_loss(c.probs, c.labels, from_logits=False, smooth=1e-5),
        framework_default=True,
        note="DiceLoss applies no activation by default: give it probabilities, or set softmax=True / "
        "sigmoid=True for logits. smooth_nr = smooth_dr = 1e-5 by default, per image (batch=False), "
        "background included.",
        source=DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="softmax, no smoothing",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, smooth_nr=0, smooth_dr=0)(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, smooth_nr=0.0, smooth_dr=0.0)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="Without smoothing MONAI divides 0 by 0 (NaN) for a class absent from both prediction and "
        "target; softmax probabilities are never exactly 0, so it does not happen here.",
        source=DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="sigmoid (multi-label)",
        framework_call="DiceLoss(sigmoid=True)(z, y)",
        segref_call="segref.dice_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceLoss", sigmoid=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5),
        note="y holds independent 0/1 maps, one per channel.",
        source=DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="batch, no background",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, include_background=False, batch=True)(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, per_image=False)",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, include_background=False, batch=True)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(
            c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, per_image=False
        ),
        note="batch=True sums over the batch before dividing, as per_image=False does. " + ONE_HOT_NOTE,
        source=DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="squared_pred",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, squared_pred=True)(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, squared=True)",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, squared_pred=True)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, squared=True),
        rtol=1e-7,
        note=SQUARED_NOTE,
        source=source("losses/utils.py", 20, 70),
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="weight",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, weight=w)(z, y[:, None])",
        segref_call="(w * segref.dice_loss(z, y, from_logits=True, smooth=1e-5, reduction='none')).mean()",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, weight=w(c))(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            w(c) * segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, reduction="none")
        ).mean(),
        note="MONAI multiplies each class's loss by its weight and then takes the plain mean over "
        "(image, class): the weights are not normalised.",
        source=source("losses/dice.py", 215, 233),
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="ignore_index",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, ignore_index=255)(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, ignore_index=255)",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, ignore_index=c.ignore_index)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(
            c.logits, c.labels, from_logits=True, smooth=1e-5, ignore_index=c.ignore_index
        ),
        ignore=True,
        note="New in MONAI 1.6: an ignore_index outside [0, C) is replaced by 0 before the one-hot, and "
        "prediction and target are then multiplied by the mask of counted pixels, so ignored pixels "
        "leave every sum, as in segref (while some pixel of each image is counted: see the next row).",
        source=source("losses/dice.py", 173, 197),
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="ignore_index, an image all ignored",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, ignore_index=255)(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, ignore_index=255, reduction='none').mean()",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, ignore_index=IGNORE_INDEX)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(
            c.logits, c.labels, from_logits=True, smooth=1e-5, ignore_index=IGNORE_INDEX, reduction="none"
        ).mean(),
        inputs=first_image_ignored,
        differs="An image whose pixels are all ignored has empty sums: MONAI scores each of its classes "
        "1e-5/1e-5, loss 0, and counts them in the mean; segref leaves the image out of the mean "
        "(its reduction='none' row is 0, which the mean over all rows brings back).",
        source=source("losses/dice.py", 192, 232),
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="ignore_index names a class",
        framework_call="DiceLoss(softmax=True, to_onehot_y=True, ignore_index=1)(z, y[:, None])",
        segref_call="segref.dice_loss(p * v, y_1h * v, from_logits=False, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceLoss", **SOFTMAX, ignore_index=FOREGROUND)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(
            c.probs * (c.labels != FOREGROUND)[:, None],
            c.one_hot * (c.labels != FOREGROUND)[:, None],
            from_logits=False,
            multilabel=True,
            smooth=1e-5,
        ),
        differs="MONAI masks the pixels of class 1 out of every channel but keeps class 1's channel: its "
        "target is then empty, so it scores 1 - 1e-5/(P + 1e-5), nearly 1 whatever the prediction, and "
        "counts in the mean. segref's ignore_index=1 leaves class 1 out (no score).",
        note="v = (y != 1)[:, None], the counted pixels; p = softmax(z). The segref side is MONAI's recipe: "
        "zero prediction and target at the ignored pixels, then a Dice per channel.",
        source=source("metrics/utils.py", 89, 132),
    ),
    Row(
        loss="dice",
        framework="monai",
        setting="smooth_nr=0, smooth_dr=1e-5",
        framework_call="DiceLoss(sigmoid=True, squared_pred=True, smooth_nr=0, smooth_dr=1e-5)(z, y)",
        segref_call="dice_formula(sigmoid(z), y, nr=0, dr=1e-5, squared=True)",
        framework_fn=lambda c: loss("DiceLoss", sigmoid=True, squared_pred=True, smooth_nr=0.0, smooth_dr=1e-5)(
            t(c.logits), t(c.targets)
        ),
        segref_fn=lambda c: dice_formula(c.sigmoid, c.targets, nr=0.0, dr=1e-5, squared=True),
        differs="segref has one smoothing constant for numerator and denominator; MONAI's 1 - (2I + "
        "smooth_nr)/(P + G + smooth_dr) with different constants has no segref setting (with smooth_nr=0 "
        "a class absent from prediction and target scores loss 1, the worst).",
        note="dice_formula is the NumPy formula: I, P, G summed over the pixels of each image and "
        "channel (P, G of squares here), 1 - (2I + nr)/(P + G + dr), mean over (image, channel).",
        source=source("losses/dice.py", 205, 213),
    ),
]

JACCARD_ROWS = [
    Row(
        loss="jaccard",
        framework="monai",
        setting="defaults (probabilities, one-hot)",
        framework_call="DiceLoss(jaccard=True)(p, y_1h)",
        segref_call="segref.jaccard_loss(p, y, from_logits=False, smooth=5e-6)",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True)(t(c.probs), t(c.one_hot)),
        segref_fn=lambda c: segref.jaccard_loss(c.probs, c.labels, from_logits=False, smooth=5e-6),
        framework_default=True,
        note="MONAI computes 1 - (2I + s)/(2U + s) with s = smooth_nr = smooth_dr = 1e-5, that is "
        "(I + s/2)/(U + s/2): segref's smooth is half of MONAI's.",
        source=source("losses/dice.py", 205, 213),
    ),
    Row(
        loss="jaccard",
        framework="monai",
        setting="softmax",
        framework_call="DiceLoss(jaccard=True, softmax=True, to_onehot_y=True)(z, y[:, None])",
        segref_call="segref.jaccard_loss(z, y, from_logits=True, smooth=5e-6)",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True, **SOFTMAX)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.jaccard_loss(c.logits, c.labels, from_logits=True, smooth=5e-6),
        note="Per image (batch=False), background included. " + ONE_HOT_NOTE,
        source=source("losses/dice.py", 160, 213),
    ),
    Row(
        loss="jaccard",
        framework="monai",
        setting="softmax, no smoothing",
        framework_call="DiceLoss(jaccard=True, softmax=True, to_onehot_y=True, smooth_nr=0, smooth_dr=0)"
        "(z, y[:, None])",
        segref_call="segref.jaccard_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True, **SOFTMAX, smooth_nr=0.0, smooth_dr=0.0)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.jaccard_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        source=DICE_SRC,
    ),
    Row(
        loss="jaccard",
        framework="monai",
        setting="sigmoid, batch",
        framework_call="DiceLoss(jaccard=True, sigmoid=True, batch=True)(z, y)",
        segref_call="segref.jaccard_loss(z, y, from_logits=True, multilabel=True, per_image=False, smooth=5e-6)",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True, sigmoid=True, batch=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.jaccard_loss(
            c.logits, c.targets, from_logits=True, multilabel=True, per_image=False, smooth=5e-6
        ),
        note="y holds independent 0/1 maps, one per channel.",
        source=DICE_SRC,
    ),
    Row(
        loss="jaccard",
        framework="monai",
        setting="no background, squared_pred",
        framework_call="DiceLoss(jaccard=True, softmax=True, to_onehot_y=True, include_background=False, "
        "squared_pred=True)(z, y[:, None])",
        segref_call="segref.jaccard_loss(z, y, from_logits=True, smooth=5e-6, include_background=False, squared=True)",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True, **SOFTMAX, include_background=False, squared_pred=True)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.jaccard_loss(
            c.logits, c.labels, from_logits=True, smooth=5e-6, include_background=False, squared=True
        ),
        rtol=1e-7,
        note="The union is P + G - I with P, G sums of squares, in both. " + SQUARED_NOTE,
        source=source("losses/utils.py", 20, 70),
    ),
    Row(
        loss="jaccard",
        framework="monai",
        setting="ignore_index, an image all ignored",
        framework_call="DiceLoss(jaccard=True, softmax=True, to_onehot_y=True, ignore_index=255)(z, y[:, None])",
        segref_call="segref.jaccard_loss(z, y, from_logits=True, smooth=5e-6, ignore_index=255, "
        "reduction='none').mean()",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True, **SOFTMAX, ignore_index=IGNORE_INDEX)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.jaccard_loss(
            c.logits, c.labels, from_logits=True, smooth=5e-6, ignore_index=IGNORE_INDEX, reduction="none"
        ).mean(),
        inputs=first_image_ignored,
        differs="An image whose pixels are all ignored has empty sums: MONAI scores each of its classes "
        "1e-5/1e-5, loss 0, and counts them in the mean; segref leaves the image out of the mean "
        "(its reduction='none' row is 0, which the mean over all rows brings back).",
        note="On the other images ignored pixels leave every sum, as in segref.",
        source=source("losses/dice.py", 173, 213),
    ),
    Row(
        loss="jaccard",
        framework="monai",
        setting="ignore_index names a class",
        framework_call="DiceLoss(jaccard=True, softmax=True, to_onehot_y=True, ignore_index=1)(z, y[:, None])",
        segref_call="segref.jaccard_loss(p * v, y_1h * v, from_logits=False, multilabel=True, smooth=5e-6)",
        framework_fn=lambda c: loss("DiceLoss", jaccard=True, **SOFTMAX, ignore_index=FOREGROUND)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.jaccard_loss(
            c.probs * (c.labels != FOREGROUND)[:, None],
            c.one_hot * (c.labels != FOREGROUND)[:, None],
            from_logits=False,
            multilabel=True,
            smooth=5e-6,
        ),
        differs="MONAI masks the pixels of class 1 out of every channel but keeps class 1's channel: its "
        "target is then empty, so it scores 1 - 1e-5/(2P + 1e-5), nearly 1 whatever the prediction, and "
        "counts in the mean. segref's ignore_index=1 leaves class 1 out (no score).",
        note="v = (y != 1)[:, None], the counted pixels; p = softmax(z); P: the predicted mass of class 1 at "
        "the counted pixels. The segref side is MONAI's recipe: zero prediction and target at the ignored "
        "pixels, then a Jaccard loss per channel.",
        source=source("metrics/utils.py", 89, 132),
    ),
]

FOCAL_ROWS = [
    Row(
        loss="focal",
        framework="monai",
        setting="defaults (sigmoid)",
        framework_call="FocalLoss()(z, y)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("FocalLoss")(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        framework_default=True,
        segref_default=True,
        rtol=1e-6,
        note="gamma=2, no alpha, sigmoid per element, mean over every element. " + FLOAT32,
        source=FOCAL_SRC,
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="sigmoid, logits of magnitude 30 to 40",
        framework_call="FocalLoss(reduction='none')(z, y)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: loss("FocalLoss", reduction="none")(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True, reduction="none"),
        inputs=saturated_logits,
        rtol=1e-6,
        note="MONAI's sigmoid focal loss takes logits and works in log space (logsigmoid): a wrong logit of "
        "magnitude |z| costs |z| with gamma = 2, no clip. " + FLOAT32,
        source=source("losses/focal_loss.py", 292, 339),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="sigmoid, gamma, alpha",
        framework_call="FocalLoss(gamma=1.5, alpha=0.25)(z, y)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, gamma=1.5, alpha=0.25)",
        framework_fn=lambda c: loss("FocalLoss", gamma=1.5, alpha=0.25)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True, gamma=1.5, alpha=0.25),
        rtol=1e-6,
        note="A scalar alpha weights positives by alpha and negatives by 1 - alpha, as in Lin et al. " + FLOAT32,
        source=source("losses/focal_loss.py", 292, 339),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="sigmoid, alpha per class",
        framework_call="FocalLoss(alpha=a)(z, y)",
        segref_call="(a_c * segref.binary_focal_loss(z, y, from_logits=True, alpha=1.0, reduction='none') "
        "+ segref.binary_focal_loss(z, y, from_logits=True, alpha=0.0, reduction='none')).mean()",
        framework_fn=lambda c: loss("FocalLoss", alpha=list(a(c)))(t(c.logits), t(c.targets)),
        segref_fn=lambda c: (
            per_channel(c, a(c))
            * segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=1.0, reduction="none")
            + segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=0.0, reduction="none")
        ).mean(),
        rtol=1e-6,
        note="New in MONAI 1.6: a sequence alpha weights the positives of channel c by alpha[c] and leaves "
        "the negatives at weight 1, where a scalar alpha gives negatives 1 - alpha. segref's alpha=1.0 "
        "keeps only the positive term and alpha=0.0 only the negative one; a holds one alpha per channel "
        "and a_c is a shaped (C, 1, ...). " + FLOAT32,
        source=source("losses/focal_loss.py", 315, 337),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="sigmoid, weight",
        framework_call="FocalLoss(weight=w)(z, y)",
        segref_call="(w_c * segref.binary_focal_loss(z, y, from_logits=True, reduction='none')).mean()",
        framework_fn=lambda c: loss("FocalLoss", weight=w(c))(t(c.logits), t(c.targets)),
        segref_fn=lambda c: (
            per_channel(c, w(c)) * segref.binary_focal_loss(c.logits, c.targets, from_logits=True, reduction="none")
        ).mean(),
        rtol=1e-6,
        note="weight multiplies every element of channel c, positive or negative; w_c is w shaped "
        "(C, 1, ...). " + FLOAT32,
        source=source("losses/focal_loss.py", 201, 223),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="softmax",
        framework_call="FocalLoss(use_softmax=True, to_onehot_y=True)(z, y[:, None])",
        segref_call="segref.focal_loss(z, y, from_logits=True) / C",
        framework_fn=lambda c: loss("FocalLoss", use_softmax=True, to_onehot_y=True)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True) / c.num_classes,
        rtol=1e-6,
        note="MONAI's mean runs over the N * C * pixels elements of the one-hot loss map, of which only "
        "the true class's is non-zero: C times smaller than a per-pixel mean. " + FLOAT32,
        source=source("losses/focal_loss.py", 240, 289),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="softmax, alpha",
        framework_call="FocalLoss(use_softmax=True, to_onehot_y=True, alpha=0.25)(z, y[:, None])",
        segref_call="segref.focal_loss(z, y, from_logits=True, alpha=[0.75, 0.25, ..., 0.25]) / C",
        framework_fn=lambda c: loss("FocalLoss", use_softmax=True, to_onehot_y=True, alpha=0.25)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.focal_loss(c.logits, c.labels, from_logits=True, alpha=[0.75] + [0.25] * (c.num_classes - 1))
            / c.num_classes
        ),
        rtol=1e-6,
        note="With softmax a scalar alpha gives 1 - alpha to class 0 (the background) and alpha to every "
        "other class: alpha=0.25 weights the background by 0.75 and every other class by 0.25. " + FLOAT32,
        source=source("losses/focal_loss.py", 268, 287),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="softmax, weight",
        framework_call="FocalLoss(use_softmax=True, to_onehot_y=True, weight=w)(z, y[:, None])",
        segref_call="segref.focal_loss(z, y, from_logits=True, alpha=w) / C",
        framework_fn=lambda c: loss("FocalLoss", use_softmax=True, to_onehot_y=True, weight=w(c))(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True, alpha=w(c)) / c.num_classes,
        rtol=1e-6,
        note="weight multiplies channel c of the one-hot loss map, where only the true class is non-zero: "
        "segref's per-class alpha (MONAI 1.6's sequence alpha does the same). " + FLOAT32,
        source=source("losses/focal_loss.py", 201, 223),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="softmax, ignore_index",
        framework_call="FocalLoss(use_softmax=True, to_onehot_y=True, ignore_index=255)(z, y[:, None])",
        segref_call="segref.focal_loss(z, y, from_logits=True, ignore_index=255)",
        framework_fn=lambda c: loss("FocalLoss", use_softmax=True, to_onehot_y=True, ignore_index=IGNORE_INDEX)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.focal_loss(c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX),
        ignore=True,
        rtol=1e-6,
        defect="With ignore_index set, reduction='mean' divides the sum by the number of counted pixels "
        "(mask.sum() of the (N, 1, ...) mask), not by the number of elements of the (N, C, ...) output as the "
        "docstring says ("
        + source("losses/focal_loss.py", 96, 100)
        + ") and as the same call without ignore_index does: setting ignore_index=255 on labels that hold no "
        "255 multiplies the loss by C.",
        note="Minimal example (MONAI 1.6.1): z = torch.randn(1, 3, 4, 4); y = torch.randint(0, 3, (1, 1, 4, 4)); "
        "FocalLoss(use_softmax=True, to_onehot_y=True, ignore_index=255)(z, y) / "
        "FocalLoss(use_softmax=True, to_onehot_y=True)(z, y) gives 3.0. With the mask the number is "
        "segref's per-pixel mean. " + FLOAT32,
        source=source("losses/focal_loss.py", 240, 245),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="softmax, include_background=False",
        framework_call="FocalLoss(use_softmax=True, to_onehot_y=True, include_background=False)(z, y[:, None])",
        segref_call="segref.focal_loss(z[:, 1:], np.where(y == 0, 255, y - 1), from_logits=True, "
        "ignore_index=255, reduction='sum') / ((C - 1) * y.size)",
        framework_fn=lambda c: loss("FocalLoss", use_softmax=True, to_onehot_y=True, include_background=False)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: (
            segref.focal_loss(
                c.logits[:, 1:],
                np.where(c.labels == 0, IGNORE_INDEX, c.labels - 1),
                from_logits=True,
                ignore_index=IGNORE_INDEX,
                reduction="sum",
            )
            / ((c.num_classes - 1) * c.labels.size)
        ),
        inputs=three_classes_or_more,
        rtol=1e-6,
        differs="MONAI drops channel 0 before the softmax: the probabilities are a softmax over the "
        "foreground logits only, background pixels add 0, and the mean still divides by N * (C - 1) * pixels. "
        "segref's focal loss has no include_background option.",
        note="With two classes the softmax over the one remaining channel is 1 and the loss is identically 0 "
        "(so the row runs on C >= 3). " + FLOAT32,
        source=source("losses/focal_loss.py", 166, 194),
    ),
    Row(
        loss="focal",
        framework="monai",
        setting="reduction='sum'",
        framework_call="FocalLoss(reduction='sum')(z, y)",
        segref_call="segref.binary_focal_loss(z, y, from_logits=True, reduction='sum') / np.prod(z.shape[2:])",
        framework_fn=lambda c: loss("FocalLoss", reduction="sum")(t(c.logits), t(c.targets)),
        segref_fn=lambda c: (
            segref.binary_focal_loss(c.logits, c.targets, from_logits=True, reduction="sum")
            / np.prod(c.logits.shape[2:])
        ),
        rtol=1e-6,
        defect="The docstring says '\"sum\": the output will be summed' ("
        + source("losses/focal_loss.py", 96, 101)
        + "), but the code "
        "first averages over the spatial axes (a flag kept for backward compatibility, L225-L238): the "
        "'sum' is the sum over (image, channel) of per-image means, 1/pixels of the sum.",
        note="Minimal example (MONAI 1.6.1): z, y = torch.randn(1, 1, 4, 4), torch.ones(1, 1, 4, 4); "
        "FocalLoss(reduction='sum')(z, y) * 16 equals FocalLoss(reduction='none')(z, y).sum(). " + FLOAT32,
        source=source("losses/focal_loss.py", 225, 238),
    ),
]

DICE_CE_ROWS = [
    Row(
        loss="dice-ce",
        framework="monai",
        setting="defaults (logits, one-hot)",
        framework_call="DiceCELoss()(z, y_1h)",
        segref_call="dice_formula(z, y_1h, nr=1e-5, dr=1e-5) "
        "+ segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceCELoss")(t(c.logits), t(c.one_hot)),
        segref_fn=lambda c: (
            dice_formula(c.logits, c.one_hot, nr=1e-5, dr=1e-5)
            + segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True)
        ),
        framework_default=True,
        differs="By default DiceCELoss applies no activation to its Dice term (softmax=False), while its "
        "cross-entropy takes logits: given logits, the Dice term sums the raw logits as if they were "
        "probabilities. segref checks that probabilities lie in [0, 1]; pass softmax=True (next rows).",
        note="dice_formula is the NumPy formula 1 - (2I + 1e-5)/(P + G + 1e-5) per (image, class), "
        "averaged, applied to the raw logits.",
        source=DICE_CE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="softmax",
        framework_call="DiceCELoss(to_onehot_y=True, softmax=True)(z, y[:, None])",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceCELoss", **SOFTMAX)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_ce_loss(c.logits, c.labels, from_logits=True, smooth=1e-5),
        note="Per image (batch=False), background in the Dice term, lambda_dice = lambda_ce = 1.",
        source=DICE_CE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="softmax, no smoothing",
        framework_call="DiceCELoss(to_onehot_y=True, softmax=True, smooth_nr=0, smooth_dr=0)(z, y[:, None])",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceCELoss", **SOFTMAX, smooth_nr=0.0, smooth_dr=0.0)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_ce_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        source=DICE_CE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="lambdas, batch, no background, label_smoothing",
        framework_call="DiceCELoss(to_onehot_y=True, softmax=True, include_background=False, batch=True, "
        "lambda_dice=0.3, lambda_ce=0.7, label_smoothing=0.1)(z, y[:, None])",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "per_image=False, dice_weight=0.3, ce_weight=0.7, label_smoothing=0.1)",
        framework_fn=lambda c: loss(
            "DiceCELoss",
            **SOFTMAX,
            include_background=False,
            batch=True,
            lambda_dice=0.3,
            lambda_ce=0.7,
            label_smoothing=0.1,
        )(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_ce_loss(
            c.logits,
            c.labels,
            from_logits=True,
            smooth=1e-5,
            include_background=False,
            per_image=False,
            dice_weight=0.3,
            ce_weight=0.7,
            label_smoothing=0.1,
        ),
        note="include_background=False drops class 0 from the Dice term only; the cross-entropy keeps "
        "every class, as in segref.",
        source=DICE_CE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="weight",
        framework_call="DiceCELoss(to_onehot_y=True, softmax=True, weight=w)(z, y[:, None])",
        segref_call="(w * segref.dice_loss(z, y, from_logits=True, smooth=1e-5, reduction='none')).mean() "
        "+ segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=w)",
        framework_fn=lambda c: loss("DiceCELoss", **SOFTMAX, weight=t(w(c)))(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            (w(c) * segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, reduction="none")).mean()
            + segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, class_weights=w(c))
        ),
        differs="MONAI's weight weights the cross-entropy and also multiplies each class's Dice loss "
        "(unnormalised); segref.dice_ce_loss's class_weights weight the cross-entropy only.",
        source=source("losses/dice.py", 788, 810),
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="sigmoid, one channel",
        framework_call="DiceCELoss(sigmoid=True)(z, y)",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceCELoss", sigmoid=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.dice_ce_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5),
        inputs=one_channel_cases,
        note="z and y have one channel, (N, 1, *spatial): only then does DiceCELoss use BCEWithLogitsLoss.",
        source=source("losses/dice.py", 834, 873),
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="sigmoid, several channels",
        framework_call="DiceCELoss(sigmoid=True)(z, y)",
        segref_call="segref.dice_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5) "
        "+ segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceCELoss", sigmoid=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: (
            segref.dice_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5)
            + segref.categorical_cross_entropy(c.logits, c.targets, from_logits=True)
        ),
        differs="DiceCELoss picks binary cross-entropy only for a one-channel prediction; with C > 1 "
        "channels its cross-entropy is torch's softmax CrossEntropyLoss on the multi-label map taken as "
        "class probabilities, even with sigmoid=True. segref's multilabel=True uses binary cross-entropy "
        "per channel.",
        note="y holds independent 0/1 maps, one per channel.",
        source=source("losses/dice.py", 818, 873),
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="sigmoid, one channel, weight",
        framework_call="DiceCELoss(sigmoid=True, weight=w)(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, pos_weight=w) "
        "+ segref.dice_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceCELoss", sigmoid=True, weight=t(POS_WEIGHT))(t(c.logits), t(c.targets)),
        segref_fn=lambda c: (
            segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, pos_weight=POS_WEIGHT)
            + segref.dice_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5)
        ),
        inputs=one_channel_cases,
        note="z and y have one channel; w = [2.5]. With one channel weight is BCEWithLogitsLoss's pos_weight, "
        "and the Dice term stays unweighted (DiceLoss applies class weights only to more than one channel). "
        "With several channels DiceCELoss(sigmoid=True) uses the softmax cross-entropy instead (the "
        "'sigmoid, several channels' row).",
        source=source("losses/dice.py", 788, 810),
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="reduction='sum'",
        framework_call="DiceCELoss(to_onehot_y=True, softmax=True, reduction='sum')(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, reduction='sum') "
        "+ segref.categorical_cross_entropy(z, y, from_logits=True, reduction='sum')",
        framework_fn=lambda c: loss("DiceCELoss", **SOFTMAX, reduction="sum")(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, reduction="sum")
            + segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="sum")
        ),
        note="The sum of the (image, class) Dice losses plus the sum of the pixel cross-entropies: two "
        "sums over different things. segref.dice_ce_loss has only the mean. DiceCELoss accepts only 'mean' "
        "and 'sum': reduction='none' raises ValueError in MONAI 1.6.1.",
        source=source("losses/dice.py", 760, 810),
    ),
    Row(
        loss="dice-ce",
        framework="monai",
        setting="lambda_ce=0, a true class at probability 0",
        framework_call="DiceCELoss(to_onehot_y=True, softmax=True, lambda_ce=0)(z, y[:, None])",
        segref_call="segref.dice_loss(p, y, from_logits=False, smooth=1e-5) "
        "+ 0 * segref.categorical_cross_entropy(p, y, from_logits=False)",
        framework_fn=lambda c: loss("DiceCELoss", **SOFTMAX, lambda_ce=0.0)(t(c.logits), y1(c)),
        segref_fn=zero_weighted_ce,
        inputs=with_cases(zero_probability),
        differs="MONAI computes both terms and then weights them: a cross-entropy of infinity (a true class "
        "given probability 0, logit -inf) times lambda_ce=0 is NaN. segref.dice_ce_loss(ce_weight=0) does "
        "not compute the cross-entropy, and gives the Dice loss.",
        note="p = softmax(z), exactly 0 where z is -inf (segref takes such probabilities, not infinite "
        "logits). On the random cases that follow, the cross-entropy is finite and the loss is the Dice loss.",
        source=source("losses/dice.py", 844, 875),
    ),
]

CE_ROWS = [
    Row(
        loss="binary-cross-entropy",
        framework="monai",
        setting="DiceCELoss sigmoid, lambda_dice=0",
        framework_call="DiceCELoss(sigmoid=True, lambda_dice=0)(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceCELoss", sigmoid=True, lambda_dice=0.0)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        inputs=one_channel_cases,
        note="MONAI has no BCE loss class of its own: DiceCELoss's CE term is torch's BCEWithLogitsLoss when "
        "the prediction has one channel, (N, 1, *spatial) here. The Dice term is still computed, times 0.",
        source=source("losses/dice.py", 834, 873),
    ),
    Row(
        loss="binary-cross-entropy",
        framework="monai",
        setting="FocalLoss gamma=0",
        framework_call="FocalLoss(gamma=0)(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: loss("FocalLoss", gamma=0.0)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        rtol=1e-6,
        note="With gamma=0 and no alpha the sigmoid focal loss is BCE with logits, mean over every element. " + FLOAT32,
        source=source("losses/focal_loss.py", 292, 313),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="monai",
        setting="DiceCELoss, lambda_dice=0",
        framework_call="DiceCELoss(to_onehot_y=True, lambda_dice=0)(z, y[:, None])",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: loss("DiceCELoss", to_onehot_y=True, lambda_dice=0.0)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        note="DiceCELoss's CE term is torch's CrossEntropyLoss on the squeezed label map. The Dice term "
        "(here on the raw logits) is still computed, times 0.",
        source=source("losses/dice.py", 818, 832),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="monai",
        setting="DiceCELoss, weight and label_smoothing",
        framework_call="DiceCELoss(to_onehot_y=True, lambda_dice=0, weight=w, label_smoothing=0.1)(z, y[:, None])",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=w, label_smoothing=0.1)",
        framework_fn=lambda c: loss(
            "DiceCELoss", to_onehot_y=True, lambda_dice=0.0, weight=t(w(c)), label_smoothing=0.1
        )(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, class_weights=w(c), label_smoothing=0.1
        ),
        note="DiceCELoss has no ignore_index (its docstring says so).",
        source=source("losses/dice.py", 788, 832),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="monai",
        setting="FocalLoss softmax, gamma=0",
        framework_call="FocalLoss(use_softmax=True, to_onehot_y=True, gamma=0)(z, y[:, None])",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True) / C",
        framework_fn=lambda c: loss("FocalLoss", use_softmax=True, to_onehot_y=True, gamma=0.0)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True) / c.num_classes,
        rtol=1e-6,
        note="The mean over the N * C * pixels elements of the one-hot loss map is the cross-entropy / C. " + FLOAT32,
        source=source("losses/focal_loss.py", 240, 289),
    ),
]


def dice_buffer(c: Case, **options):
    return metric("compute_dice")(t(one_hot(predicted(c), c.num_classes)), t(c.one_hot), **options)


def iou_buffer(c: Case, **options):
    return metric("compute_iou")(t(one_hot(predicted(c), c.num_classes)), t(c.one_hot), **options)


METRIC_ROWS = [
    Row(
        loss="metrics",
        framework="monai",
        setting="DiceMetric defaults",
        framework_call="m = DiceMetric(); m(one_hot(y_hat), y_1h); m.aggregate().item()",
        segref_call="np.nanmean(np.where(present, segref.dice_score(y_hat, y, num_classes=C, reduction='none'), "
        "np.nan), axis=1).mean()",
        framework_fn=lambda c: aggregated("DiceMetric", one_hot(predicted(c), c.num_classes), c.one_hot),
        segref_fn=lambda c: nanmean_per_image(
            segref.dice_score(predicted(c), c.labels, num_classes=c.num_classes, reduction="none"), present(c)
        ),
        framework_default=True,
        rtol=1e-6,
        note="ignore_empty=True (the default) gives NaN to every class absent from the target, predicted or "
        "not; 'mean' then averages each image's remaining classes and then the images (not all remaining "
        "pairs at once). present[n, c] is True where class c has a pixel in image n's target. " + METRIC_FLOAT32,
        source=source("metrics/meandice.py", 377, 464),
    ),
    Row(
        loss="metrics",
        framework="monai",
        setting="DiceMetric ignore_empty=False",
        framework_call="m = DiceMetric(ignore_empty=False); m(one_hot(y_hat), y_1h); m.aggregate().item()",
        segref_call="segref.dice_score(y_hat, y, num_classes=C)",
        framework_fn=lambda c: aggregated(
            "DiceMetric", one_hot(predicted(c), c.num_classes), c.one_hot, ignore_empty=False
        ),
        segref_fn=lambda c: segref.dice_score(predicted(c), c.labels, num_classes=c.num_classes),
        segref_default=True,
        rtol=1e-6,
        note="With ignore_empty=False a class absent from both maps scores 1 and one absent from the "
        "target only 0, as in segref. " + METRIC_FLOAT32,
        source=source("metrics/meandice.py", 377, 399),
    ),
    Row(
        loss="metrics",
        framework="monai",
        setting="compute_dice, no background, per (image, class)",
        framework_call="compute_dice(one_hot(y_hat), y_1h, include_background=False, ignore_empty=False)",
        segref_call="segref.dice_score(y_hat, y, num_classes=C, include_background=False, reduction='none')",
        framework_fn=lambda c: dice_buffer(c, include_background=False, ignore_empty=False),
        segref_fn=lambda c: segref.dice_score(
            predicted(c), c.labels, num_classes=c.num_classes, include_background=False, reduction="none"
        ),
        note="compute_dice returns the (N, C) buffer DiceMetric aggregates, in the inputs' float64.",
        source=source("metrics/meandice.py", 203, 249),
    ),
    Row(
        loss="metrics",
        framework="monai",
        setting="compute_dice, ignore_index",
        framework_call="compute_dice(one_hot(y_hat), y_1h, ignore_empty=False, ignore_index=255)",
        segref_call="segref.dice_score(y_hat, y, num_classes=C, ignore_index=255, reduction='none')",
        framework_fn=lambda c: dice_buffer(c, ignore_empty=False, ignore_index=IGNORE_INDEX),
        segref_fn=lambda c: segref.dice_score(
            predicted(c), c.labels, num_classes=c.num_classes, ignore_index=IGNORE_INDEX, reduction="none"
        ),
        ignore=True,
        note="New in MONAI 1.6. With a one-hot target an ignore_index outside [0, C) masks the pixels whose "
        "one-hot row is all zero, which is how y_1h marks ignored pixels; with (N, 1, ...) label maps it "
        "compares the labels with ignore_index.",
        source=source("metrics/utils.py", 89, 132),
    ),
    Row(
        loss="metrics",
        framework="monai",
        setting="MeanIoU defaults",
        framework_call="m = MeanIoU(); m(one_hot(y_hat), y_1h); m.aggregate().item()",
        segref_call="np.nanmean(np.where(present, segref.iou_score(y_hat, y, num_classes=C, reduction='none'), "
        "np.nan), axis=1).mean()",
        framework_fn=lambda c: aggregated("MeanIoU", one_hot(predicted(c), c.num_classes), c.one_hot),
        segref_fn=lambda c: nanmean_per_image(
            segref.iou_score(predicted(c), c.labels, num_classes=c.num_classes, reduction="none"), present(c)
        ),
        framework_default=True,
        rtol=1e-6,
        note="As DiceMetric: NaN for a class absent from the target (ignore_empty=True), then the mean of "
        "each image's remaining classes, then over images. " + METRIC_FLOAT32,
        source=source("metrics/meaniou.py", 115, 182),
    ),
    Row(
        loss="metrics",
        framework="monai",
        setting="MeanIoU ignore_empty=False",
        framework_call="m = MeanIoU(ignore_empty=False); m(one_hot(y_hat), y_1h); m.aggregate().item()",
        segref_call="segref.iou_score(y_hat, y, num_classes=C)",
        framework_fn=lambda c: aggregated(
            "MeanIoU", one_hot(predicted(c), c.num_classes), c.one_hot, ignore_empty=False
        ),
        segref_fn=lambda c: segref.iou_score(predicted(c), c.labels, num_classes=c.num_classes),
        segref_default=True,
        rtol=1e-6,
        note="With ignore_empty=False a class absent from both maps scores 1 (union 0). " + METRIC_FLOAT32,
        source=source("metrics/meaniou.py", 180, 182),
    ),
    Row(
        loss="metrics",
        framework="monai",
        setting="compute_iou, no background, ignore_index",
        framework_call="compute_iou(one_hot(y_hat), y_1h, include_background=False, ignore_empty=False, "
        "ignore_index=255)",
        segref_call="segref.iou_score(y_hat, y, num_classes=C, include_background=False, ignore_index=255, "
        "reduction='none')",
        framework_fn=lambda c: iou_buffer(c, include_background=False, ignore_empty=False, ignore_index=IGNORE_INDEX),
        segref_fn=lambda c: segref.iou_score(
            predicted(c),
            c.labels,
            num_classes=c.num_classes,
            include_background=False,
            ignore_index=IGNORE_INDEX,
            reduction="none",
        ),
        ignore=True,
        note="compute_iou returns the (N, C) buffer MeanIoU aggregates, in the inputs' float64.",
        source=source("metrics/meaniou.py", 115, 182),
    ),
]

TVERSKY_SRC = source("losses/tversky.py", 26, 181)

TVERSKY_ROWS = [
    Row(
        loss="tversky",
        framework="monai",
        setting="defaults (probabilities, one-hot)",
        framework_call="TverskyLoss()(p, y_1h)",
        segref_call="segref.tversky_loss(p, y, from_logits=False, alpha=0.5, beta=0.5, smooth=1e-5)",
        framework_fn=lambda c: loss("TverskyLoss")(t(c.probs), t(c.one_hot)),
        segref_fn=lambda c: segref.tversky_loss(c.probs, c.labels, from_logits=False, alpha=0.5, beta=0.5, smooth=1e-5),
        framework_default=True,
        note="alpha weighs the false positives and beta the false negatives, as in Salehi et al.; the defaults "
        "alpha = beta = 0.5 make it the Dice loss with smoothing 2e-5. smooth_nr = smooth_dr = 1e-5, per "
        "image (batch=False), background included, no activation.",
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="monai",
        setting="softmax, Salehi's weights, no smoothing",
        framework_call="TverskyLoss(softmax=True, to_onehot_y=True, alpha=0.3, beta=0.7, smooth_nr=0, "
        "smooth_dr=0)(z, y[:, None])",
        segref_call="segref.tversky_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("TverskyLoss", **SOFTMAX, alpha=0.3, beta=0.7, smooth_nr=0.0, smooth_dr=0.0)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.tversky_loss(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="FP = sum p (1 - g) and FN = sum (1 - p) g per image and class. " + ONE_HOT_NOTE,
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="monai",
        setting="batch, no background",
        framework_call="TverskyLoss(softmax=True, to_onehot_y=True, include_background=False, batch=True, "
        "alpha=0.3, beta=0.7)(z, y[:, None])",
        segref_call="segref.tversky_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "per_image=False)",
        framework_fn=lambda c: loss(
            "TverskyLoss", **SOFTMAX, include_background=False, batch=True, alpha=0.3, beta=0.7
        )(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.tversky_loss(
            c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, per_image=False
        ),
        note="batch=True sums over the batch before dividing, as per_image=False does.",
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="monai",
        setting="sigmoid (multi-label)",
        framework_call="TverskyLoss(sigmoid=True, alpha=0.3, beta=0.7)(z, y)",
        segref_call="segref.tversky_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("TverskyLoss", sigmoid=True, alpha=0.3, beta=0.7)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.tversky_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5),
        note="y holds independent 0/1 maps, one per channel.",
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="monai",
        setting="ignore_index",
        framework_call="TverskyLoss(softmax=True, to_onehot_y=True, alpha=0.3, beta=0.7, "
        "ignore_index=255)(z, y[:, None])",
        segref_call="segref.tversky_loss(z, y, from_logits=True, smooth=1e-5, ignore_index=255)",
        framework_fn=lambda c: loss("TverskyLoss", **SOFTMAX, alpha=0.3, beta=0.7, ignore_index=c.ignore_index)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.tversky_loss(
            c.logits, c.labels, from_logits=True, smooth=1e-5, ignore_index=c.ignore_index
        ),
        ignore=True,
        note="Prediction and one-hot target are multiplied by the mask of counted pixels, so ignored pixels "
        "leave TP, FP and FN, as in segref (while some pixel of each image is counted).",
        source=TVERSKY_SRC,
    ),
]

GD_SRC = source("losses/dice.py", 327, 487)
GD_WEIGHTS = "The weights 1 / G^2 are computed in float32 (ground_o.float()): agreement to float32 rounding."

GENERALIZED_DICE_ROWS = [
    Row(
        loss="generalized-dice",
        framework="monai",
        setting="defaults (probabilities, one-hot)",
        framework_call="GeneralizedDiceLoss()(p, y_1h)",
        segref_call="segref.generalized_dice_loss(p, y, from_logits=False, smooth=1e-5)",
        framework_fn=lambda c: loss("GeneralizedDiceLoss")(t(c.probs), t(c.one_hot)),
        segref_fn=lambda c: segref.generalized_dice_loss(c.probs, c.labels, from_logits=False, smooth=1e-5),
        rtol=1e-6,
        framework_default=True,
        note="w_type='square', one loss per image (batch=False), background included, smooth_nr = smooth_dr = 1e-5, "
        "no activation. A class absent from an image's target gets the largest weight of that image's other "
        "classes, as segref's absent_classes='max'. " + GD_WEIGHTS,
        source=GD_SRC,
    ),
    Row(
        loss="generalized-dice",
        framework="monai",
        setting="softmax, no smoothing",
        framework_call="GeneralizedDiceLoss(softmax=True, to_onehot_y=True, smooth_nr=0, smooth_dr=0)(z, y[:, None])",
        segref_call="segref.generalized_dice_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("GeneralizedDiceLoss", **SOFTMAX, smooth_nr=0.0, smooth_dr=0.0)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.generalized_dice_loss(c.logits, c.labels, from_logits=True),
        rtol=1e-6,
        segref_default=True,
        note=GD_WEIGHTS,
        source=GD_SRC,
    ),
    Row(
        loss="generalized-dice",
        framework="monai",
        setting="batch, no background",
        framework_call="GeneralizedDiceLoss(softmax=True, to_onehot_y=True, include_background=False, "
        "batch=True)(z, y[:, None])",
        segref_call="segref.generalized_dice_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "per_image=False)",
        framework_fn=lambda c: loss("GeneralizedDiceLoss", **SOFTMAX, include_background=False, batch=True)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.generalized_dice_loss(
            c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, per_image=False
        ),
        rtol=1e-6,
        note="batch=True sums over the batch before weighting and dividing: one loss. " + GD_WEIGHTS,
        source=GD_SRC,
    ),
    *[
        Row(
            loss="generalized-dice",
            framework="monai",
            setting=f"w_type={w_type!r}",
            framework_call=f"GeneralizedDiceLoss(softmax=True, to_onehot_y=True, w_type={w_type!r})(z, y[:, None])",
            segref_call=f"segref.generalized_dice_loss(z, y, from_logits=True, smooth=1e-5, weighting={w_type!r})",
            framework_fn=lambda c, w_type=w_type: loss("GeneralizedDiceLoss", **SOFTMAX, w_type=w_type)(
                t(c.logits), y1(c)
            ),
            segref_fn=lambda c, w_type=w_type: segref.generalized_dice_loss(
                c.logits, c.labels, from_logits=True, smooth=1e-5, weighting=w_type
            ),
            rtol=1e-6,
            note="w = 1 / G ('simple') or 1 ('uniform': one Dice of all classes pooled). " + GD_WEIGHTS,
            source=GD_SRC,
        )
        for w_type in ("simple", "uniform")
    ],
    Row(
        loss="generalized-dice",
        framework="monai",
        setting="sigmoid (multi-label)",
        framework_call="GeneralizedDiceLoss(sigmoid=True)(z, y)",
        segref_call="segref.generalized_dice_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("GeneralizedDiceLoss", sigmoid=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.generalized_dice_loss(
            c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5
        ),
        rtol=1e-6,
        note="y holds independent 0/1 maps, one per channel. " + GD_WEIGHTS,
        source=GD_SRC,
    ),
]

DICE_FOCAL_SRC = source("losses/dice.py", 878, 1012)
DICE_FOCAL_NOTE = (
    "MONAI's DiceFocalLoss builds its FocalLoss without use_softmax, so the focal term is a sigmoid per "
    "channel on the same logits, against the one-hot target, averaged over every element, whatever the Dice "
    "term's activation. "
)

COMPOUND_ROWS = [
    Row(
        loss="compound",
        framework="monai",
        setting="DiceFocalLoss, softmax Dice",
        framework_call="DiceFocalLoss(softmax=True, to_onehot_y=True)(z, y[:, None])",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5) "
        "+ segref.binary_focal_loss(z, y_1h, from_logits=True)",
        framework_fn=lambda c: loss("DiceFocalLoss", softmax=True, to_onehot_y=True)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5)
            + segref.binary_focal_loss(c.logits, c.one_hot, from_logits=True)
        ),
        framework_default=True,
        rtol=1e-6,
        note=DICE_FOCAL_NOTE + "segref's dice_focal_loss pairs the softmax Dice with the softmax focal loss "
        "instead; MONAI's pairing is the sum of the two segref calls. Dice smoothing 1e-5 in numerator and "
        "denominator, gamma = 2. " + FLOAT32,
        source=DICE_FOCAL_SRC,
    ),
    Row(
        loss="compound",
        framework="monai",
        setting="DiceFocalLoss, sigmoid (multi-label)",
        framework_call="DiceFocalLoss(sigmoid=True)(z, y)",
        segref_call="segref.dice_focal_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5)",
        framework_fn=lambda c: loss("DiceFocalLoss", sigmoid=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.dice_focal_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5),
        rtol=1e-6,
        note="y holds independent 0/1 maps, one per channel; both terms take a sigmoid per channel. " + FLOAT32,
        source=DICE_FOCAL_SRC,
    ),
    Row(
        loss="compound",
        framework="monai",
        setting="DiceFocalLoss, weights, gamma, no background",
        framework_call="DiceFocalLoss(sigmoid=True, include_background=False, lambda_dice=0.3, lambda_focal=2.0, "
        "gamma=1.5)(z, y)",
        segref_call="segref.dice_focal_loss(z[:, 1:], y[:, 1:], from_logits=True, multilabel=True, smooth=1e-5, "
        "dice_weight=0.3, focal_weight=2.0, gamma=1.5)",
        framework_fn=lambda c: loss(
            "DiceFocalLoss", sigmoid=True, include_background=False, lambda_dice=0.3, lambda_focal=2.0, gamma=1.5
        )(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.dice_focal_loss(
            c.logits[:, 1:],
            c.targets[:, 1:],
            from_logits=True,
            multilabel=True,
            smooth=1e-5,
            dice_weight=0.3,
            focal_weight=2.0,
            gamma=1.5,
        ),
        rtol=1e-6,
        note="MONAI's include_background=False drops channel 0 from both terms; segref's include_background "
        "applies to the Dice term only, so the mapping slices the channel off. " + FLOAT32,
        source=DICE_FOCAL_SRC,
    ),
]

MCC_SRC = source("losses/mcc_loss.py", 110, 188)


def every_class_in_every_image() -> list[Case]:
    """``cases()`` with the first C pixels of each image labelled 0..C-1 (and each target channel set
    at one pixel and clear at another): no class is constant over an image."""
    out = []
    for c in cases():
        labels = c.labels.copy()
        flat = labels.reshape(len(labels), -1)
        flat[:, : c.num_classes] = np.arange(c.num_classes)
        targets = c.targets.copy().reshape(c.targets.shape[0], c.num_classes, -1)
        targets[:, :, 0], targets[:, :, 1] = 1.0, 0.0
        out.append(dataclasses.replace(c, labels=labels, targets=targets.reshape(c.targets.shape)))
    return out


def mcc_constant_as_monai(c: Case) -> np.ndarray:
    """segref's per-(image, class) MCC loss with 1 where the class is absent from the image or covers it:
    MONAI's value there."""
    rows = segref.mcc_loss(c.logits, c.labels, from_logits=True, reduction="none")
    constant = np.stack(
        [[len(np.unique(c.labels[n] == k)) == 1 for k in range(c.num_classes)] for n in range(len(c.labels))]
    )
    return np.where(constant, 1.0, rows)


MCC_DR = "MONAI adds smooth_dr = 1e-5 under the square root, to the product of the four raw counts: agreement to 1e-8."
MCC_ROWS = [
    Row(
        loss="mcc",
        framework="monai",
        setting="softmax, per image",
        framework_call="MCCLoss(softmax=True, to_onehot_y=True)(z, y[:, None])",
        segref_call="segref.mcc_loss(z, y, from_logits=True)",
        framework_fn=lambda c: loss("MCCLoss", **SOFTMAX)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.mcc_loss(c.logits, c.labels, from_logits=True),
        rtol=1e-8,
        framework_default=True,
        segref_default=True,
        inputs=every_class_in_every_image,
        note="Every class occurs in every image. " + MCC_DR,
        source=MCC_SRC,
    ),
    Row(
        loss="mcc",
        framework="monai",
        setting="batch=True, no background",
        framework_call="MCCLoss(softmax=True, to_onehot_y=True, batch=True, include_background=False)(z, y[:, None])",
        segref_call="segref.mcc_loss(z, y, from_logits=True, per_image=False, include_background=False)",
        framework_fn=lambda c: loss("MCCLoss", **SOFTMAX, batch=True, include_background=False)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.mcc_loss(
            c.logits, c.labels, from_logits=True, per_image=False, include_background=False
        ),
        rtol=1e-8,
        inputs=every_class_in_every_image,
        note=MCC_DR,
        source=MCC_SRC,
    ),
    Row(
        loss="mcc",
        framework="monai",
        setting="sigmoid, multi-label",
        framework_call="MCCLoss(sigmoid=True)(z, y_multi)",
        segref_call="segref.mcc_loss(z, y_multi, from_logits=True, multilabel=True)",
        framework_fn=lambda c: loss("MCCLoss", sigmoid=True)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.mcc_loss(c.logits, c.targets, from_logits=True, multilabel=True),
        rtol=1e-8,
        inputs=every_class_in_every_image,
        note="y_multi: independent 0/1 maps shaped like z, each channel set and clear somewhere in each image. "
        + MCC_DR,
        source=MCC_SRC,
    ),
    Row(
        loss="mcc",
        framework="monai",
        setting="defaults: a class absent from an image counts 1",
        framework_call="MCCLoss(softmax=True, to_onehot_y=True)(z, y[:, None])",
        segref_call='segref.mcc_loss(z, y, from_logits=True, reduction="none"), with 1 where the class is absent '
        "or everywhere, then the mean",
        framework_fn=lambda c: loss("MCCLoss", **SOFTMAX)(t(c.logits), y1(c)),
        segref_fn=lambda c: mcc_constant_as_monai(c).mean(),
        rtol=1e-8,
        atol=1e-8,
        framework_default=True,
        differs="For a class absent from an image (G = 0), or covering it (G = n), the correlation is 0/0. "
        "MONAI's 1e-5 under the square root makes MCC 0 and the loss 1 whatever is predicted (0 only for an "
        "exactly perfect prediction), so that class gives no gradient; segref takes the accuracy "
        "1 - (FP + FN)/n there, which is 1 for a perfect prediction and falls as probability strays into or "
        "out of the class. Where every class is in every image the two agree (the first row).",
        note=MCC_DR,
        source=MCC_SRC,
    ),
]

ROWS = (
    CE_ROWS
    + DICE_ROWS
    + JACCARD_ROWS
    + FOCAL_ROWS
    + DICE_CE_ROWS
    + TVERSKY_ROWS
    + GENERALIZED_DICE_ROWS
    + METRIC_ROWS
    + COMPOUND_ROWS
    + MCC_ROWS
)

NOT_PROVIDED: dict[str, str] = {
    "log-cosh-dice": "no log-cosh Dice loss in monai.losses",
    "sensitivity-specificity": "no sensitivity-specificity loss in monai.losses",
    "topk": "no TopK or bootstrapped cross-entropy in monai.losses",
    "poly": "no PolyLoss in monai.losses",
}
