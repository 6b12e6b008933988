"""kornia's segmentation losses (``kornia.losses``) and IoU metric (``kornia.metrics``).

kornia's ``dice_loss`` and ``tversky_loss`` take 2D inputs only, ``(B, C, H, W)`` logits and
``(B, H, W)`` labels, so their rows run on the 2D cases. Every loss takes logits (the
softmax or sigmoid is inside). Inputs this small take kornia's one-hot code paths, not
its CPU fast paths for large inputs (which agree with them to rounding, per its docs).
"""

from __future__ import annotations

import numpy as np

import segref

from ..frameworks import tensor as t
from ..model import CLASS_WEIGHTS, Case, Row, cases
from .smp import binary_ignored, kept, metric_cases

SOURCE = "https://github.com/kornia/kornia/blob/v0.9.0/kornia/"
DICE = f"{SOURCE}losses/dice.py#L170-L344"
TVERSKY = f"{SOURCE}losses/tversky.py#L33-L132"
FOCAL = f"{SOURCE}losses/focal.py#L168-L338"
BINARY_FOCAL = f"{SOURCE}losses/focal.py#L419-L549"


def losses():
    import kornia.losses

    return kornia.losses


def planar(*, ignore: bool = False) -> list[Case]:
    """The 2D cases (and their ignore variants when ``ignore``)."""
    runs = list(cases()) + (list(cases(ignore=True)) if ignore else [])
    return [case for case in runs if case.logits.ndim == 4]


def planar_with_ignore() -> list[Case]:
    return planar(ignore=True)


def pool(array: np.ndarray) -> np.ndarray:
    """Every class of an image in one channel, ``(N, 1, C * pixels)``: kornia's micro Dice."""
    return array.reshape(len(array), 1, -1)


def present(case: Case) -> np.ndarray:
    """``(N, C)``: 1.0 where class c has a (not ignored) target pixel in image n, else 0."""
    return (case.one_hot.reshape(case.one_hot.shape[:2] + (-1,)).sum(-1) > 0).astype(np.float64)


def present_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted mean over classes of each image, then the mean over images."""
    return float(((values * weights).sum(1) / weights.sum(1)).mean())


def channel(weights: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``weights`` along the channel axis of ``like``, ``(C, 1, ..., 1)``."""
    return weights[: like.shape[1]].reshape((-1,) + (1,) * (like.ndim - 2))


def micro_dice(case: Case) -> float:
    """segref's Dice loss of the pooled maps, ignored pixels left out of the prediction's sum."""
    return float(
        segref.dice_loss(pool(case.probs * case.valid[:, None]), pool(case.one_hot), from_logits=False, multilabel=True)
    )


def weight(case: Case):
    return t(CLASS_WEIGHTS[: case.num_classes])


MICRO_NOTE = (
    "pool(a) = a.reshape(N, 1, -1): one Dice per image over every class and pixel. With hard labels the "
    "pooled intersection is the target-class probability summed over the pixels and P + G is twice the "
    "pixel count, so the loss is 1 - the mean target-class probability. "
)
PRESENT_NOTE = (
    "present (N, C): 1.0 where the class has a (not ignored) target pixel in the image; kornia averages over "
    "those classes only, so a class predicted but absent from the target is left out (segref: loss 1)."
)

OVERLAP_ROWS = [
    Row(
        loss="dice",
        framework="kornia",
        setting="micro (default)",
        framework_call="dice_loss(z, y)",
        segref_call="1 - (1 - segref.dice_loss(pool(p), pool(y1), from_logits=False, multilabel=True)) "
        "* S / (S + 1e-8)",
        framework_fn=lambda c: losses().dice_loss(t(c.logits), t(c.labels)),
        segref_fn=lambda c: 1 - (1 - micro_dice(c)) * (2 * c.labels[0].size) / (2 * c.labels[0].size + 1e-8),
        inputs=planar,
        framework_default=True,
        differs="kornia adds eps=1e-8 to the denominator only, 2I / (P + G + eps); segref's smooth goes to both.",
        note="p = softmax(z), y1: the one-hot of y; S = P + G = 2 H W for every image. " + MICRO_NOTE,
        source=DICE,
    ),
    Row(
        loss="dice",
        framework="kornia",
        setting="micro, eps=0, ignore_index",
        framework_call="dice_loss(z, y, eps=0.0, ignore_index=255)",
        segref_call="segref.dice_loss(pool(p * v), pool(y1), from_logits=False, multilabel=True)",
        framework_fn=lambda c: losses().dice_loss(t(c.logits), t(c.labels), eps=0.0, ignore_index=c.ignore_index),
        segref_fn=micro_dice,
        inputs=planar_with_ignore,
        note="p = softmax(z); v = (y != 255)[:, None]; y1: the one-hot of y, 0 at ignored pixels. "
        "Ignored pixels leave both sums of their image. " + MICRO_NOTE,
        source=DICE,
    ),
    Row(
        loss="dice",
        framework="kornia",
        setting="macro, eps=0, ignore_index",
        framework_call='dice_loss(z, y, average="macro", eps=0.0, ignore_index=255)',
        segref_call='present_mean(segref.dice_loss(z, y, from_logits=True, ignore_index=255, reduction="none"), '
        "present)",
        framework_fn=lambda c: losses().dice_loss(
            t(c.logits), t(c.labels), average="macro", eps=0.0, ignore_index=c.ignore_index
        ),
        segref_fn=lambda c: present_mean(
            segref.dice_loss(c.logits, c.labels, from_logits=True, ignore_index=c.ignore_index, reduction="none"),
            present(c),
        ),
        inputs=planar_with_ignore,
        note="present_mean(L, w) = ((L * w).sum(1) / w.sum(1)).mean(). " + PRESENT_NOTE,
        source=DICE,
    ),
    Row(
        loss="dice",
        framework="kornia",
        setting="macro, weight",
        framework_call='dice_loss(z, y, average="macro", eps=0.0, weight=w)',
        segref_call='present_mean(segref.dice_loss(z, y, from_logits=True, reduction="none"), present * w)',
        framework_fn=lambda c: losses().dice_loss(t(c.logits), t(c.labels), average="macro", eps=0.0, weight=weight(c)),
        segref_fn=lambda c: present_mean(
            segref.dice_loss(c.logits, c.labels, from_logits=True, reduction="none"),
            present(c) * CLASS_WEIGHTS[: c.num_classes],
        ),
        inputs=planar,
        note="The weighted mean over the classes present in each image. " + PRESENT_NOTE,
        source=DICE,
    ),
    Row(
        loss="dice",
        framework="kornia",
        setting="tversky_loss(alpha=beta=0.5)",
        framework_call="tversky_loss(z, y, alpha=0.5, beta=0.5, eps=0.0)",
        segref_call='present_mean(segref.dice_loss(z, y, from_logits=True, reduction="none"), present)',
        framework_fn=lambda c: losses().tversky_loss(t(c.logits), t(c.labels), alpha=0.5, beta=0.5, eps=0.0),
        segref_fn=lambda c: present_mean(
            segref.dice_loss(c.logits, c.labels, from_logits=True, reduction="none"), present(c)
        ),
        inputs=planar,
        note="TP / (TP + alpha FP + beta FN) with alpha on the false positives: alpha = beta = 1/2 is the Dice "
        "coefficient, averaged as dice_loss(average='macro'). " + PRESENT_NOTE,
        source=TVERSKY,
    ),
    Row(
        loss="jaccard",
        framework="kornia",
        setting="tversky_loss(alpha=beta=1)",
        framework_call="tversky_loss(z, y, alpha=1.0, beta=1.0, eps=0.0, ignore_index=255)",
        segref_call='present_mean(segref.jaccard_loss(z, y, from_logits=True, ignore_index=255, reduction="none"), '
        "present)",
        framework_fn=lambda c: losses().tversky_loss(
            t(c.logits), t(c.labels), alpha=1.0, beta=1.0, eps=0.0, ignore_index=c.ignore_index
        ),
        segref_fn=lambda c: present_mean(
            segref.jaccard_loss(c.logits, c.labels, from_logits=True, ignore_index=c.ignore_index, reduction="none"),
            present(c),
        ),
        inputs=planar_with_ignore,
        note="TP / (TP + FP + FN) = I / (P + G - I), the soft Jaccard index per image and class; kornia has no "
        "Jaccard loss of its own. Its default eps=1e-8 goes to the denominator only. "
        "present_mean(L, w) = ((L * w).sum(1) / w.sum(1)).mean(). " + PRESENT_NOTE,
        source=TVERSKY,
    ),
]

ALPHA_NOTE = "kornia's alpha weighs class 0 by 1 - alpha and every other class by alpha. "

FOCAL_ROWS = [
    Row(
        loss="focal",
        framework="kornia",
        setting="focal_loss (reduction='none')",
        framework_call="focal_loss(z, y, alpha=None)",
        segref_call='y1 * segref.focal_loss(z, y, from_logits=True, reduction="none")[:, None]',
        framework_fn=lambda c: losses().focal_loss(t(c.logits), t(c.labels), alpha=None),
        segref_fn=lambda c: (
            c.one_hot * segref.focal_loss(c.logits, c.labels, from_logits=True, reduction="none")[:, None]
        ),
        framework_default=True,
        note="alpha has no default (None: no weighting); the default reduction='none' returns (N, C, *spatial): "
        "the loss at each pixel's target class, 0 in the other slices. y1: the one-hot of y.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="focal_loss, mean",
        framework_call='focal_loss(z, y, alpha=None, reduction="mean", ignore_index=255)',
        segref_call="segref.focal_loss(z, y, from_logits=True, ignore_index=255) * v.mean() / C",
        framework_fn=lambda c: losses().focal_loss(
            t(c.logits), t(c.labels), alpha=None, reduction="mean", ignore_index=c.ignore_index
        ),
        segref_fn=lambda c: (
            segref.focal_loss(c.logits, c.labels, from_logits=True, ignore_index=c.ignore_index)
            * c.valid.mean()
            / c.num_classes
        ),
        ignore=True,
        differs="kornia's mean divides the sum by every element of the (N, C, *spatial) map, C times the pixel "
        "count, ignored pixels included; segref divides by the pixels kept.",
        note="v = (y != 255).",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="alpha=0.25, gamma=3, sum",
        framework_call='focal_loss(z, y, alpha=0.25, gamma=3.0, reduction="sum")',
        segref_call="segref.focal_loss(z, y, from_logits=True, gamma=3.0, alpha=[0.75] + [0.25] * (C - 1), "
        'reduction="sum")',
        framework_fn=lambda c: losses().focal_loss(t(c.logits), t(c.labels), alpha=0.25, gamma=3.0, reduction="sum"),
        segref_fn=lambda c: segref.focal_loss(
            c.logits,
            c.labels,
            from_logits=True,
            gamma=3.0,
            alpha=[0.75] + [0.25] * (c.num_classes - 1),
            reduction="sum",
        ),
        note=ALPHA_NOTE + "reduction='sum' leaves kornia's division by N C pixels out.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="weight, sum",
        framework_call='focal_loss(z, y, alpha=None, weight=w, reduction="sum")',
        segref_call='segref.focal_loss(z, y, from_logits=True, alpha=w, reduction="sum")',
        framework_fn=lambda c: losses().focal_loss(
            t(c.logits), t(c.labels), alpha=None, weight=weight(c), reduction="sum"
        ),
        segref_fn=lambda c: segref.focal_loss(
            c.logits, c.labels, from_logits=True, alpha=CLASS_WEIGHTS[: c.num_classes], reduction="sum"
        ),
        note="weight[c] multiplies the loss of class c: segref's per-class alpha.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="binary_focal_loss_with_logits",
        framework_call="binary_focal_loss_with_logits(z, y)",
        segref_call='segref.binary_focal_loss(z, y, from_logits=True, alpha=0.25, reduction="none")',
        framework_fn=lambda c: losses().binary_focal_loss_with_logits(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_focal_loss(
            c.logits, c.targets, from_logits=True, alpha=0.25, reduction="none"
        ),
        framework_default=True,
        note="Defaults alpha=0.25 (positives; 0.75 the negatives) and reduction='none'.",
        source=BINARY_FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="binary, alpha=None, mean",
        framework_call='binary_focal_loss_with_logits(z, y, alpha=None, reduction="mean")',
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: losses().binary_focal_loss_with_logits(
            t(c.logits), t(c.targets), alpha=None, reduction="mean"
        ),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        segref_default=True,
        source=BINARY_FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="binary, pos_weight",
        framework_call='binary_focal_loss_with_logits(z, y, pos_weight=w, reduction="mean")',
        segref_call='(segref.binary_focal_loss(z, y, from_logits=True, alpha=0.25, reduction="none") '
        "* (1 + (w_c - 1) * y)).mean()",
        framework_fn=lambda c: losses().binary_focal_loss_with_logits(
            t(c.logits), t(c.targets), pos_weight=weight(c), reduction="mean"
        ),
        segref_fn=lambda c: (
            segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=0.25, reduction="none")
            * (1 + (channel(CLASS_WEIGHTS, c.logits) - 1) * c.targets)
        ).mean(),
        note="w_c: w along the channel axis, (C, 1, 1). pos_weight[c] scales the positive term of channel c; "
        "with 0/1 targets that is the loss of the positive pixels.",
        source=BINARY_FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="binary, weight",
        framework_call='binary_focal_loss_with_logits(z, y, weight=w, reduction="mean")',
        segref_call='(segref.binary_focal_loss(z, y, from_logits=True, alpha=0.25, reduction="none") * w_c).mean()',
        framework_fn=lambda c: losses().binary_focal_loss_with_logits(
            t(c.logits), t(c.targets), weight=weight(c), reduction="mean"
        ),
        segref_fn=lambda c: (
            segref.binary_focal_loss(c.logits, c.targets, from_logits=True, alpha=0.25, reduction="none")
            * channel(CLASS_WEIGHTS, c.logits)
        ).mean(),
        note="w_c: w along the channel axis, (C, 1, 1); weight[c] scales the whole loss of channel c.",
        source=BINARY_FOCAL,
    ),
    Row(
        loss="focal",
        framework="kornia",
        setting="binary, ignore_index",
        framework_call='binary_focal_loss_with_logits(z, y, reduction="mean", ignore_index=255)',
        segref_call="segref.binary_focal_loss(z[v], y[v], from_logits=True, alpha=0.25) * v.mean()",
        framework_fn=lambda c: losses().binary_focal_loss_with_logits(
            t(c.logits), t(c.targets), reduction="mean", ignore_index=255
        ),
        segref_fn=lambda c: (
            segref.binary_focal_loss(c.logits[kept(c) == 1], c.targets[kept(c) == 1], from_logits=True, alpha=0.25)
            * kept(c).mean()
        ),
        inputs=binary_ignored,
        differs="kornia sets the loss of ignored entries to 0 and still counts them in the mean's denominator; "
        "segref has no ignore_index for binary targets.",
        note="About a fifth of y set to 255; v = (y != 255).",
        source=BINARY_FOCAL,
    ),
]


def mean_iou(case: Case):
    import kornia.metrics

    return kornia.metrics.mean_iou(t(case.logits.argmax(1)), t(case.labels), num_classes=case.num_classes)


MEAN_IOU = f"{SOURCE}metrics/mean_iou.py#L25-L74"
IOU_NOTE = (
    "p_lab = z.argmax(1). kornia returns float32 and adds eps=1e-6 to the numerator and the denominator: "
    "(TP + eps) / (U + eps) is within eps / U <= 1e-6 of TP / U, and a class absent from both maps scores 1, "
    "as in segref."
)

METRIC_ROWS = [
    Row(
        loss="metrics",
        framework="kornia",
        setting="mean_iou",
        framework_call="kornia.metrics.mean_iou(p_lab, y, num_classes=C)",
        segref_call='segref.iou_score(p_lab, y, num_classes=C, reduction="none")',
        framework_fn=mean_iou,
        segref_fn=lambda c: segref.iou_score(c.logits.argmax(1), c.labels, num_classes=c.num_classes, reduction="none"),
        rtol=1e-7,
        atol=1e-6,
        inputs=metric_cases,
        framework_default=True,
        note="(N, C): the IoU of every class in every image; despite the name nothing is averaged. " + IOU_NOTE,
        source=MEAN_IOU,
    ),
    Row(
        loss="metrics",
        framework="kornia",
        setting="mean_iou, averaged",
        framework_call="kornia.metrics.mean_iou(p_lab, y, num_classes=C).mean()",
        segref_call="segref.iou_score(p_lab, y, num_classes=C)",
        framework_fn=lambda c: mean_iou(c).mean(),
        segref_fn=lambda c: segref.iou_score(c.logits.argmax(1), c.labels, num_classes=c.num_classes),
        rtol=1e-7,
        atol=1e-6,
        inputs=metric_cases,
        segref_default=True,
        note="The mean over images and classes. " + IOU_NOTE,
        source=MEAN_IOU,
    ),
]

TVERSKY_ROWS = [
    Row(
        loss="tversky",
        framework="kornia",
        setting="tversky_loss(alpha=0.3, beta=0.7)",
        framework_call="tversky_loss(z, y, alpha=0.3, beta=0.7, eps=0.0, ignore_index=255)",
        segref_call='present_mean(segref.tversky_loss(z, y, from_logits=True, ignore_index=255, reduction="none"), '
        "present)",
        framework_fn=lambda c: losses().tversky_loss(
            t(c.logits), t(c.labels), alpha=0.3, beta=0.7, eps=0.0, ignore_index=c.ignore_index
        ),
        segref_fn=lambda c: present_mean(
            segref.tversky_loss(c.logits, c.labels, from_logits=True, ignore_index=c.ignore_index, reduction="none"),
            present(c),
        ),
        inputs=planar_with_ignore,
        note="alpha is the first coefficient of the denominator, on the false positives, as in Salehi et al. "
        "Its default eps=1e-8 goes to the denominator only. present_mean(L, w) = ((L * w).sum(1) / "
        "w.sum(1)).mean(). " + PRESENT_NOTE,
        source=TVERSKY,
    ),
]

ROWS = OVERLAP_ROWS + FOCAL_ROWS + TVERSKY_ROWS + METRIC_ROWS

NOT_PROVIDED = {
    "binary-cross-entropy": "no BCE loss in kornia.losses "
    "(binary_focal_loss_with_logits with alpha=None, gamma=0 is one)",
    "categorical-cross-entropy": "no cross-entropy loss in kornia.losses "
    "(focal_loss with gamma=0 gives it divided by C)",
    "dice-ce": "no combined Dice + cross-entropy loss in kornia.losses",
    "generalized-dice": "no generalised Dice loss in kornia.losses",
    "topk": "no TopK or bootstrapped cross-entropy in kornia.losses",
    "poly": "no PolyLoss in kornia.losses",
    "compound": "no compound loss in kornia.losses",
    "log-cosh-dice": "no log-cosh Dice loss in kornia.losses",
    "mcc": "no MCC loss in kornia.losses",
    "sensitivity-specificity": "no sensitivity-specificity loss in kornia.losses",
}
