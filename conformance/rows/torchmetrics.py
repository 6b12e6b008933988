"""torchmetrics' segmentation metrics (``DiceScore``, ``MeanIoU``) and the classification
metrics users apply to label maps (``MulticlassJaccardIndex``, ``MulticlassF1Score``).

torchmetrics leaves a class absent from both maps out of its averages (segref: it scores 1),
so most rows average segref's scores over the (image, class) pairs or classes that appear in
the prediction or the target: ``seen``. Scores are computed in float32 from integer counts.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

import segref

from ..frameworks import tensor as t
from ..model import Case, Row
from .monai import one_hot
from .smp import flat, metric_cases

SOURCE = "https://github.com/Lightning-AI/torchmetrics/blob/v1.9.0/src/torchmetrics/"
DICE = f"{SOURCE}functional/segmentation/dice.py#L50-L102"
MEAN_IOU = f"{SOURCE}segmentation/mean_iou.py#L131-L186"
JACCARD = f"{SOURCE}functional/classification/jaccard.py#L38-L97"
F1 = f"{SOURCE}functional/classification/f_beta.py#L37-L58"


def _functional():
    import torchmetrics.functional.segmentation

    return torchmetrics.functional.segmentation


def segmentation():
    import torchmetrics.segmentation

    return torchmetrics.segmentation


def classification():
    import torchmetrics.classification

    return torchmetrics.classification


def pred_labels(case: Case) -> np.ndarray:
    return case.logits.argmax(1)


def seen(case: Case) -> np.ndarray:
    """``(N, C)``: True where class c is in the prediction or the (not ignored) target of image n."""
    classes = np.arange(case.num_classes).reshape((1, -1) + (1,) * (case.labels.ndim - 1))
    hit = ((pred_labels(case)[:, None] == classes) | (case.labels[:, None] == classes)) & case.valid[:, None]
    return hit.reshape(hit.shape[:2] + (-1,)).any(-1)


def mean_seen(scores: np.ndarray, mask: np.ndarray, axis: int | None = None) -> np.ndarray:
    """The mean of ``scores`` where ``mask``, along ``axis`` (all when None); NaN where nothing is seen."""
    with np.errstate(invalid="ignore"):
        return np.where(mask, scores, 0.0).sum(axis) / mask.sum(axis)


def nanmean(values: np.ndarray) -> float:
    """The mean of the values that are not NaN (NaN when all are), as torch's ``nanmean``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(values))


def support(case: Case) -> np.ndarray:
    """``(N, C)``: the target pixel count of each class in each image."""
    return case.one_hot.reshape(case.one_hot.shape[:2] + (-1,)).sum(-1)


def dice(case: Case, **kwargs) -> np.ndarray:
    return segref.dice_score(pred_labels(case), case.labels, num_classes=case.num_classes, **kwargs)


def iou(case: Case, **kwargs) -> np.ndarray:
    return segref.iou_score(pred_labels(case), case.labels, num_classes=case.num_classes, **kwargs)


def index_metric(cls: str, case: Case, **kwargs):
    """``cls(**kwargs)`` on ``(p_lab, y)``; ``cls`` names a class of ``torchmetrics.segmentation``
    or ``torchmetrics.classification``."""
    module = segmentation() if cls in ("DiceScore", "MeanIoU") else classification()
    return getattr(module, cls)(**kwargs)(t(pred_labels(case)), t(case.labels))


def dice_score(case: Case, **kwargs):
    return index_metric("DiceScore", case, num_classes=case.num_classes, input_format="index", **kwargs)


def one_hot_inputs(case: Case):
    """``(p, y1)``: float probabilities and the int64 one-hot target, the default input format."""
    return t(case.probs), t(case.one_hot.astype(np.int64))


SEEN_NOTE = (
    "p_lab = z.argmax(1); seen (N, C): the class is in p_lab or y of the image; mean_seen(s, m, axis): the mean "
    "of s where m (NaN where m is empty). A class absent from both maps "
    "is left out of the mean (torchmetrics gives it NaN and takes nanmean); segref scores it 1. Float32."
)
FLAT_NOTE = (
    "flat(a): the one-hot map of a as 0/1 integers, one row per image: class 1 of these rows counts the TP, FP "
    "and FN of every class together. On label maps the micro Dice is the pixel accuracy. Float32."
)


def row(setting: str, framework_call: str, segref_call: str, framework_fn, segref_fn, source: str, **extra) -> Row:
    ignore = extra.pop("ignore", False)
    return Row(
        loss="metrics",
        framework="torchmetrics",
        setting=setting,
        framework_call=framework_call,
        segref_call=segref_call,
        framework_fn=framework_fn,
        segref_fn=segref_fn,
        rtol=1e-6,
        inputs=(lambda: metric_cases(ignore=True)) if ignore else metric_cases,
        source=source,
        **extra,
    )


DICE_ROWS = [
    row(
        "DiceScore",
        "DiceScore(num_classes=C)(p, y1)",
        'nanmean(mean_seen(segref.dice_score(p_lab, y, num_classes=C, reduction="none"), seen, axis=1))',
        lambda c: segmentation().DiceScore(num_classes=c.num_classes)(*one_hot_inputs(c)),
        lambda c: nanmean(mean_seen(dice(c, reduction="none"), seen(c), axis=1)),
        DICE,
        framework_default=True,
        note="The default input_format='one-hot' takes (N, C, ...) maps and argmaxes floats: p = softmax(z), "
        "y1 = the int64 one-hot of y (label maps passed there are read with axis 1 as the classes). "
        "average='macro': the mean over each image's seen classes, then over images. " + SEEN_NOTE,
    ),
    row(
        "DiceScore, index input",
        'DiceScore(num_classes=C, input_format="index")(p_lab, y)',
        'nanmean(mean_seen(segref.dice_score(p_lab, y, num_classes=C, reduction="none"), seen, axis=1))',
        lambda c: dice_score(c),
        lambda c: nanmean(mean_seen(dice(c, reduction="none"), seen(c), axis=1)),
        DICE,
        framework_default=True,
        note=SEEN_NOTE,
    ),
    row(
        "DiceScore, average=none",
        'DiceScore(num_classes=C, average="none", input_format="index")(p_lab, y)',
        'mean_seen(segref.dice_score(p_lab, y, num_classes=C, reduction="none"), seen, axis=0)',
        lambda c: dice_score(c, average="none"),
        lambda c: mean_seen(dice(c, reduction="none"), seen(c), axis=0),
        DICE,
        note="(C,): each class averaged over the images where it is seen; NaN for a class seen in no image. "
        + SEEN_NOTE,
    ),
    row(
        "DiceScore, average=micro",
        'DiceScore(num_classes=C, average="micro", input_format="index")(p_lab, y)',
        "segref.dice_score(flat(p_lab), flat(y), num_classes=2, include_background=False)",
        lambda c: dice_score(c, average="micro"),
        lambda c: segref.dice_score(
            flat(c, pred_labels(c)), flat(c, c.labels), num_classes=2, include_background=False
        ),
        DICE,
        note="Every class of an image pooled into one Dice, then the mean over images. " + FLAT_NOTE,
    ),
    row(
        "DiceScore, average=weighted",
        'DiceScore(num_classes=C, average="weighted", input_format="index")(p_lab, y)',
        '((segref.dice_score(p_lab, y, num_classes=C, reduction="none") * G).sum(1) / G.sum(1)).mean()',
        lambda c: dice_score(c, average="weighted"),
        lambda c: float(
            (
                (dice(c, reduction="none") * c.one_hot.sum(axis=tuple(range(2, c.one_hot.ndim)))).sum(1)
                / c.labels[0].size
            ).mean()
        ),
        DICE,
        note="G (N, C): the target pixel count of each class in each image; the classes of each image weighted "
        "by their target share, then the mean over images. A class absent from the target weighs 0. Float32.",
    ),
    row(
        "DiceScore, include_background=False",
        'DiceScore(num_classes=C, include_background=False, input_format="index")(p_lab, y)',
        'nanmean(mean_seen(segref.dice_score(p_lab, y, num_classes=C, include_background=False, reduction="none"), '
        "seen[:, 1:], axis=1))",
        lambda c: dice_score(c, include_background=False),
        lambda c: nanmean(mean_seen(dice(c, include_background=False, reduction="none"), seen(c)[:, 1:], axis=1)),
        DICE,
        note="An image with no foreground class seen has no score (NaN, left out; NaN when every image is so). "
        + SEEN_NOTE,
    ),
    row(
        "DiceScore, aggregation_level=global",
        'DiceScore(num_classes=C, aggregation_level="global", input_format="index")(p_lab, y)',
        'mean_seen(segref.dice_score(p_lab, y, num_classes=C, per_image=False, reduction="none"), seen.any(0))',
        lambda c: dice_score(c, aggregation_level="global"),
        lambda c: mean_seen(dice(c, per_image=False, reduction="none"), seen(c).any(0)),
        DICE,
        note="Counts summed over the batch, then the mean over the classes seen in the batch. " + SEEN_NOTE,
    ),
]

IOU_ROWS = [
    row(
        "MeanIoU",
        "MeanIoU(num_classes=C)(p, y1)",
        'mean_seen(segref.iou_score(p_lab, y, num_classes=C, reduction="none"), seen)',
        lambda c: segmentation().MeanIoU(num_classes=c.num_classes)(*one_hot_inputs(c)),
        lambda c: mean_seen(iou(c, reduction="none"), seen(c)),
        MEAN_IOU,
        framework_default=True,
        note="p = softmax(z) (argmaxed), y1 = the int64 one-hot of y, the default input_format='one-hot'. "
        "The mean over every seen (image, class) pair, not per image first. " + SEEN_NOTE,
    ),
    row(
        "MeanIoU, index input",
        'MeanIoU(num_classes=C, input_format="index")(p_lab, y)',
        'mean_seen(segref.iou_score(p_lab, y, num_classes=C, reduction="none"), seen)',
        lambda c: index_metric("MeanIoU", c, num_classes=c.num_classes, input_format="index"),
        lambda c: mean_seen(iou(c, reduction="none"), seen(c)),
        MEAN_IOU,
        framework_default=True,
        note="The mean over every seen (image, class) pair. " + SEEN_NOTE,
    ),
    row(
        "MeanIoU, per_class",
        'MeanIoU(num_classes=C, per_class=True, input_format="index")(p_lab, y)',
        'np.nan_to_num(mean_seen(segref.iou_score(p_lab, y, num_classes=C, reduction="none"), seen, axis=0), nan=-1.0)',
        lambda c: index_metric("MeanIoU", c, num_classes=c.num_classes, per_class=True, input_format="index"),
        lambda c: np.nan_to_num(mean_seen(iou(c, reduction="none"), seen(c), axis=0), nan=-1.0),
        MEAN_IOU,
        note="(C,): each class averaged over the images where it is seen; -1 for a class seen in no image. "
        + SEEN_NOTE,
    ),
    row(
        "MeanIoU, include_background=False",
        'MeanIoU(num_classes=C, include_background=False, input_format="index")(p_lab, y)',
        'mean_seen(segref.iou_score(p_lab, y, num_classes=C, include_background=False, reduction="none"), seen[:, 1:])',
        lambda c: index_metric("MeanIoU", c, num_classes=c.num_classes, include_background=False, input_format="index"),
        lambda c: mean_seen(iou(c, include_background=False, reduction="none"), seen(c)[:, 1:]),
        MEAN_IOU,
        note="NaN when no foreground class is seen at all. " + SEEN_NOTE,
    ),
    row(
        "MulticlassJaccardIndex",
        "MulticlassJaccardIndex(num_classes=C)(p_lab, y)",
        'mean_seen(segref.iou_score(p_lab, y, num_classes=C, per_image=False, reduction="none"), seen.any(0))',
        lambda c: index_metric("MulticlassJaccardIndex", c, num_classes=c.num_classes),
        lambda c: mean_seen(iou(c, per_image=False, reduction="none"), seen(c).any(0)),
        JACCARD,
        framework_default=True,
        note="One confusion matrix for the whole batch, then the mean over the classes seen in the batch "
        "(a class absent from both gets weight 0). " + SEEN_NOTE,
    ),
    row(
        "MulticlassJaccardIndex, ignore_index",
        "MulticlassJaccardIndex(num_classes=C, ignore_index=255)(p_lab, y)",
        'mean_seen(segref.iou_score(p_lab, y, num_classes=C, per_image=False, ignore_index=255, reduction="none"), '
        "seen.any(0))",
        lambda c: index_metric("MulticlassJaccardIndex", c, num_classes=c.num_classes, ignore_index=c.ignore_index),
        lambda c: mean_seen(iou(c, per_image=False, ignore_index=c.ignore_index, reduction="none"), seen(c).any(0)),
        JACCARD,
        ignore=True,
        note="Ignored pixels leave the confusion matrix; seen counts the pixels kept. " + SEEN_NOTE,
    ),
    row(
        "MulticlassJaccardIndex, average=none",
        'MulticlassJaccardIndex(num_classes=C, average="none", zero_division=1)(p_lab, y)',
        'segref.iou_score(p_lab, y, num_classes=C, per_image=False, reduction="none")',
        lambda c: index_metric("MulticlassJaccardIndex", c, num_classes=c.num_classes, average="none", zero_division=1),
        lambda c: iou(c, per_image=False, reduction="none"),
        JACCARD,
        note="(C,) per class over the whole batch. A class absent from both maps scores zero_division: 0 by "
        "default, 1 (segref's convention) here. p_lab = z.argmax(1). Float32.",
    ),
    row(
        "MulticlassJaccardIndex, average=micro",
        'MulticlassJaccardIndex(num_classes=C, average="micro")(p_lab, y)',
        "segref.iou_score(flat(p_lab), flat(y), num_classes=2, include_background=False, per_image=False)",
        lambda c: index_metric("MulticlassJaccardIndex", c, num_classes=c.num_classes, average="micro"),
        lambda c: segref.iou_score(
            flat(c, pred_labels(c)), flat(c, c.labels), num_classes=2, include_background=False, per_image=False
        ),
        JACCARD,
        note="Every class and image pooled: correct / (correct + 2 wrong) pixels. " + FLAT_NOTE,
    ),
    row(
        "MulticlassF1Score",
        "MulticlassF1Score(num_classes=C)(p_lab, y)",
        'mean_seen(segref.dice_score(p_lab, y, num_classes=C, per_image=False, reduction="none"), seen.any(0))',
        lambda c: index_metric("MulticlassF1Score", c, num_classes=c.num_classes),
        lambda c: mean_seen(dice(c, per_image=False, reduction="none"), seen(c).any(0)),
        F1,
        framework_default=True,
        note="multidim_average='global' pools the batch; average='macro' leaves out the classes absent from "
        "both maps. " + SEEN_NOTE,
    ),
    row(
        "MulticlassF1Score, samplewise, average=none",
        'MulticlassF1Score(num_classes=C, average="none", multidim_average="samplewise", zero_division=1, '
        "ignore_index=255)(p_lab, y)",
        'segref.dice_score(p_lab, y, num_classes=C, ignore_index=255, reduction="none")',
        lambda c: index_metric(
            "MulticlassF1Score",
            c,
            num_classes=c.num_classes,
            average="none",
            multidim_average="samplewise",
            zero_division=1,
            ignore_index=c.ignore_index,
        ),
        lambda c: dice(c, ignore_index=c.ignore_index, reduction="none"),
        F1,
        ignore=True,
        note="(N, C): the Dice score of every image and class; zero_division=1 gives a class absent from both "
        "maps segref's 1 (the default 0 gives 0). p_lab = z.argmax(1). Float32.",
    ),
    row(
        "MulticlassF1Score, samplewise, macro",
        'MulticlassF1Score(num_classes=C, multidim_average="samplewise")(p_lab, y).mean()',
        'mean_seen(segref.dice_score(p_lab, y, num_classes=C, reduction="none"), seen, axis=1).mean()',
        lambda c: index_metric("MulticlassF1Score", c, num_classes=c.num_classes, multidim_average="samplewise").mean(),
        lambda c: mean_seen(dice(c, reduction="none"), seen(c), axis=1).mean(),
        F1,
        note="Each image's mean over its seen classes, (N,) (0-d for one image, where the functional "
        "multiclass_f1_score keeps (1,)), then the mean over images: DiceScore's default. " + SEEN_NOTE,
    ),
]

GENERALIZED_DICE = f"{SOURCE}functional/segmentation/generalized_dice.py#L48-L93"


def hard_one_hot(case: Case) -> np.ndarray:
    """The one-hot map of the predicted labels z.argmax(1), ``(N, C, *spatial)``."""
    return one_hot(pred_labels(case), case.num_classes)


def every_class_in_every_image() -> list[Case]:
    """The cases whose every image holds every class in its labels (no infinite weight)."""
    from ..model import cases

    return [c for c in cases() if all(len(np.unique(labels)) == c.num_classes for labels in c.labels)]


def absent_and_predicted() -> list[Case]:
    """The cases of several images where the last class is absent from the first image's labels, with
    that class predicted at the first image's first pixel (logit + 100): its replacement weight then
    multiplies a predicted mass, so the rule that chooses it shows in the score."""
    from ..model import cases

    out = []
    for case in cases():
        if case.name.endswith("-absent") and len(case.labels) > 1:
            logits = case.logits.copy()
            logits[(0, case.num_classes - 1) + (0,) * (logits.ndim - 2)] += 100.0
            out.append(dataclasses.replace(case, logits=logits))
    return out


def transposed_max_score(case: Case) -> np.ndarray:
    """torchmetrics 1.9.0's generalised Dice score per image, re-stated in NumPy: weights 1 / G^2 per
    (image, class); an infinite one (class absent from the image's target) replaced by
    ``max_over_images(w).repeat(N, 1).T.flatten()`` read at the same flat position: the batch maximum
    of class floor(k / N) for the entry k = n C + c, not the largest weight of the image's own classes
    (and 0 for a single image)."""
    g, p = case.one_hot, hard_one_hot(case)
    axes = tuple(range(2, g.ndim))
    intersection, size = (p * g).sum(axes), p.sum(axes) + g.sum(axes)
    target_sum = g.sum(axes)
    with np.errstate(divide="ignore"):
        weights = 1.0 / target_sum**2
    infinite = np.isinf(weights).reshape(-1)
    flat = weights.reshape(-1).copy()
    flat[infinite] = 0.0
    n, c = weights.shape
    largest = np.tile(flat.reshape(n, c).max(axis=0), (n, 1)).T.reshape(-1)
    flat[infinite] = largest[infinite]
    weights = flat.reshape(n, c)
    return (2 * intersection * weights).sum(1) / (size * weights).sum(1)


GENERALIZED_DICE_ROWS = [
    Row(
        loss="generalized-dice",
        framework="torchmetrics",
        setting="generalized_dice_score, every class present",
        framework_call='generalized_dice_score(z.argmax(1), y, num_classes=C, input_format="index")',
        segref_call='1 - segref.generalized_dice_loss(one_hot(z.argmax(1)), y, from_logits=False, reduction="none")',
        framework_fn=lambda c: _functional().generalized_dice_score(
            t(pred_labels(c)), t(c.labels), num_classes=c.num_classes, input_format="index"
        ),
        segref_fn=lambda c: (
            1 - segref.generalized_dice_loss(hard_one_hot(c), c.labels, from_logits=False, reduction="none")
        ),
        rtol=1e-6,
        inputs=every_class_in_every_image,
        framework_default=True,
        note="A metric on hard labels: one score per image, weights 1 / G^2 (weight_type='square'), background "
        "included. With every class in every image's target no weight is infinite and the two agree (torchmetrics "
        "sums in float32).",
        source=GENERALIZED_DICE,
    ),
    Row(
        loss="generalized-dice",
        framework="torchmetrics",
        setting="generalized_dice_score, a class absent from an image",
        framework_call='generalized_dice_score(z.argmax(1), y, num_classes=C, input_format="index")',
        segref_call="transposed_max_score(case)",
        framework_fn=lambda c: _functional().generalized_dice_score(
            t(pred_labels(c)), t(c.labels), num_classes=c.num_classes, input_format="index"
        ),
        segref_fn=transposed_max_score,
        rtol=1e-6,
        inputs=absent_and_predicted,
        differs="An infinite weight (a class absent from an image's target) is replaced through a transposed "
        "index (_generalized_dice_update L75-L81): the entry k = n C + c gets the batch maximum of class "
        "floor(k / N), not the largest weight of its own image (MONAI and segref's absent_classes='max'; for a "
        "single image, 0), so one image's score depends on the other images' targets.",
        defect="The score of each image is documented per sample, but changes with the other images of the batch. "
        "Minimal example (torchmetrics 1.9.0): p = [[0, 1, 1, 2], [0, 1, 2, 2]], C = 3; with y = [[0, 0, 1, 1], "
        "[0, 1, 2, 2]] the first image scores 0.3636, with y = [[0, 0, 1, 1], [0, 0, 0, 2]] (only the second "
        "image's target changed) 0.5000, and alone 0.5714.",
        note="transposed_max_score re-states torchmetrics' rule in NumPy (conformance/rows/torchmetrics.py). The "
        "inputs predict the absent class at one pixel of the image it is absent from, so that its weight counts.",
        source=GENERALIZED_DICE,
    ),
]

ROWS = DICE_ROWS + IOU_ROWS + GENERALIZED_DICE_ROWS

NOT_PROVIDED = {
    loss: "torchmetrics has metrics, no losses"
    for loss in [
        "binary-cross-entropy",
        "categorical-cross-entropy",
        "dice",
        "jaccard",
        "focal",
        "dice-ce",
        "tversky",
        "topk",
        "poly",
        "compound",
        "log-cosh-dice",
        "mcc",
        "sensitivity-specificity",
    ]
}
