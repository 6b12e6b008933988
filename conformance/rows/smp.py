"""Segmentation Models PyTorch (``segmentation_models_pytorch``): losses and metrics.

SMP's Dice, Jaccard and Tversky losses pool the whole batch (sums over images and pixels,
``dims=(0, 2)``) and multiply the loss of every class without a target pixel in the batch
by 0, which still counts in the mean over classes: segref's whole-batch loss per class
(``per_image=False, reduction="none"``) times that presence mask, averaged over all classes.

The input helpers at the top are shared with ``kornia.py`` and ``torchmetrics.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import segref

from .. import frameworks
from ..frameworks import tensor as t
from ..model import CLASS_WEIGHTS, IGNORE_INDEX, Case, Row, cases, first_image_ignored, make_case

SOURCE = "https://github.com/qubvel-org/segmentation_models.pytorch/blob/v0.6.0/segmentation_models_pytorch/"


# Inputs, shared with kornia.py and torchmetrics.py ---------------------------------------


def spatial(array: np.ndarray) -> tuple[int, ...]:
    return tuple(range(2, array.ndim))


def metric_cases(*, ignore: bool = False) -> list[Case]:
    """``cases()`` (and the ignore cases when ``ignore``) for the label-map metrics, with
    ``p_lab = z.argmax(1)``: where the last class is absent from the first image's labels,
    its logits there are lowered by 100, so that it is absent from both maps of that image."""
    runs = list(cases()) + (list(cases(ignore=True)) if ignore else [])
    out = []
    for case in runs:
        if not (case.labels[0] == case.num_classes - 1).any():
            logits = case.logits.copy()
            logits[0, -1] -= 100.0
            case = dataclasses.replace(case, logits=logits)
        out.append(case)
    return out


def flat(case: Case, labels: np.ndarray) -> np.ndarray:
    """The one-hot map of ``labels`` as 0/1 integers, one row per image, ``(N, C * pixels)``,
    0 at ignored pixels: class 1 of a two-class score of these rows counts the TP, FP and
    FN of every class together (the "micro" pooling of classes)."""
    classes = np.arange(case.num_classes).reshape((1, -1) + (1,) * (labels.ndim - 1))
    hot = (labels[:, None] == classes) & case.valid[:, None]
    return hot.reshape(len(labels), -1).astype(np.int64)


def binary_ignored() -> list[Case]:
    """``cases()`` with about a fifth of the binary ``targets`` set to ``IGNORE_INDEX``."""
    out = []
    for seed, case in enumerate(cases()):
        rng = np.random.default_rng(1000 + seed)
        targets = np.where(rng.random(case.targets.shape) < 0.2, float(IGNORE_INDEX), case.targets)
        out.append(dataclasses.replace(case, name=f"{case.name}-ignored-targets", targets=targets))
    return out


def kept(case: Case) -> np.ndarray:
    """1.0 where a binary target is not ``IGNORE_INDEX``, shape of ``targets``."""
    return (case.targets != IGNORE_INDEX).astype(np.float64)


# SMP ----------------------------------------------------------------------------------


def losses():
    return frameworks.smp_losses()


def metrics():
    return frameworks.smp_metrics()


def smp(name: str, pred: np.ndarray, target: np.ndarray, *args, **kwargs):
    return getattr(losses(), name)(*args, **kwargs)(t(pred), t(target))


def present(target: np.ndarray) -> np.ndarray:
    """SMP's mask: 1.0 for each channel of ``target`` ``(N, C, *spatial)`` with a positive
    (not ignored) pixel anywhere in the batch, else 0."""
    return (target.sum(axis=(0,) + spatial(target)) > 0).astype(np.float64)


def with_empty_channel() -> list[Case]:
    """``cases()`` and one case whose first target channel is empty in every image."""
    case = make_case("empty-channel-0", n=2, c=3, spatial=(4, 5), seed=11)
    targets = case.targets.copy()
    targets[:, 0] = 0.0
    return list(cases()) + [dataclasses.replace(case, targets=targets)]


def soft_targets() -> list[Case]:
    """``cases()`` with soft binary targets, uniform in [0.05, 0.95]."""
    out = []
    for seed, case in enumerate(cases()):
        targets = 0.05 + 0.9 * np.random.default_rng(2000 + seed).random(case.targets.shape)
        out.append(dataclasses.replace(case, name=f"{case.name}-soft", targets=targets))
    return out


def saturated() -> list[Case]:
    """Probabilities at exactly 0 and 1 next to interior ones."""
    case = make_case("saturated", n=2, c=2, spatial=(3, 4), seed=7)
    logits = case.logits.copy()
    logits[:, :, 0, 0] = -np.inf
    logits[:, :, 1, 1] = np.inf
    return [dataclasses.replace(case, logits=logits)]


def pooled(array: np.ndarray) -> np.ndarray:
    """Sum over images and pixels, one value per channel."""
    return array.sum(axis=(0,) + spatial(array))


# Dice and Jaccard: the same structure, Dice with smooth doubled and Tversky(0.5, 0.5), Jaccard
# with smooth as is and Tversky(1, 1).
OVERLAP = {
    "dice": ("DiceLoss", "dice_loss", "soft_dice_coefficient", 2.0, 0.5),
    "jaccard": ("JaccardLoss", "jaccard_loss", "soft_jaccard_index", 1.0, 1.0),
}
MASK_NOTE = (
    "present: 1.0 for each class with a (not ignored) target pixel in the batch, else 0; "
    "without a class absent from the whole batch this is segref's per_image=False mean."
)


def overlap_rows(loss: str) -> list[Row]:
    name, fn, coefficient, smooth_factor, tversky = OVERLAP[loss]
    ref = getattr(segref, fn)
    lines = f"{SOURCE}losses/{'dice.py#L70-L157' if loss == 'dice' else 'jaccard.py#L70-L150'}"
    score_source = f"{SOURCE}losses/_functional.py#L177-L211"

    def masked(pred: np.ndarray, target: np.ndarray, mask: np.ndarray, **kwargs) -> float:
        return float((ref(pred, target, per_image=False, reduction="none", **kwargs) * mask).mean())

    def row(setting: str, framework_call: str, segref_call: str, framework_fn, segref_fn, **extra) -> Row:
        return Row(
            loss=loss,
            framework="smp",
            setting=setting,
            framework_call=framework_call,
            segref_call=segref_call,
            framework_fn=framework_fn,
            segref_fn=segref_fn,
            source=extra.pop("source", lines),
            **extra,
        )

    rows = [
        row(
            "multiclass",
            f'{name}("multiclass")(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, per_image=False, reduction="none") * present).mean()',
            lambda c: smp(name, c.logits, c.labels, "multiclass"),
            lambda c: masked(c.logits, c.labels, present(c.one_hot), from_logits=True),
            framework_default=True,
            note=MASK_NOTE,
        ),
        row(
            "multiclass, ignore_index",
            f'{name}("multiclass", ignore_index=255)(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, per_image=False, ignore_index=255, reduction="none") '
            "* present).mean()",
            lambda c: smp(name, c.logits, c.labels, "multiclass", ignore_index=c.ignore_index),
            lambda c: masked(c.logits, c.labels, present(c.one_hot), from_logits=True, ignore_index=c.ignore_index),
            ignore=True,
            note="Ignored pixels leave every sum, of the prediction too. " + MASK_NOTE,
        ),
        row(
            "multiclass, ignore_index, an image all ignored",
            f'{name}("multiclass", ignore_index=255)(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, per_image=False, ignore_index=255, reduction="none") '
            "* present).mean()",
            lambda c: smp(name, c.logits, c.labels, "multiclass", ignore_index=IGNORE_INDEX),
            lambda c: masked(c.logits, c.labels, present(c.one_hot), from_logits=True, ignore_index=IGNORE_INDEX),
            inputs=first_image_ignored,
            note="The first image's pixels are all ignored. SMP pools the batch, so that image only adds "
            "nothing to the sums: the loss is that of the other images, and a class is masked (loss 0, "
            "still averaged) only if no other image has a target pixel of it. With one image every class "
            "is masked and the loss is 0. " + MASK_NOTE,
        ),
        row(
            "multiclass, ignore_index names a class",
            f'{name}("multiclass", ignore_index=1)(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, per_image=False, ignore_index=1, reduction="none") '
            "* present_other).sum() / C",
            lambda c: smp(name, c.logits, c.labels, "multiclass", ignore_index=1),
            lambda c: float(
                (
                    ref(c.logits, c.labels, from_logits=True, per_image=False, ignore_index=1, reduction="none")
                    * np.delete(present(c.one_hot * (c.labels != 1)[:, None]), 1)
                ).sum()
                / c.num_classes
            ),
            differs="SMP masks the pixels of class 1 out of every channel; class 1 then has no target pixel, "
            "so its loss is masked to 0 but still counts in the mean over the C classes. segref leaves "
            "class 1 out of the mean.",
            note="present_other: SMP's mask for the classes other than 1, computed at the pixels kept; the "
            "segref side (classes other than 1) is summed and divided by C, class 1 adding 0.",
        ),
        row(
            "smooth=1",
            f'{name}("multiclass", smooth=1.0)(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, smooth={smooth_factor}, per_image=False, reduction="none") '
            "* present).mean()",
            lambda c: smp(name, c.logits, c.labels, "multiclass", smooth=1.0),
            lambda c: masked(c.logits, c.labels, present(c.one_hot), from_logits=True, smooth=smooth_factor),
            note=(
                "SMP's Dice is (I + s) / ((P + G) / 2 + s) = (2I + 2s) / (P + G + 2s): its smooth s is segref's 2s."
                if loss == "dice"
                else "SMP's Jaccard is (I + s) / (P + G - I + s): the same smooth as segref."
            )
            + " "
            + MASK_NOTE,
            source=score_source,
        ),
        row(
            "log_loss",
            f'{name}("multiclass", log_loss=True)(z, y)',
            f"(-np.log(np.maximum(segref.{coefficient}(z, y, from_logits=True, per_image=False, "
            'reduction="none"), 1e-7)) * present).mean()',
            lambda c: smp(name, c.logits, c.labels, "multiclass", log_loss=True),
            lambda c: float(
                (
                    -np.log(
                        np.maximum(
                            getattr(segref, coefficient)(
                                c.logits, c.labels, from_logits=True, per_image=False, reduction="none"
                            ),
                            1e-7,
                        )
                    )
                    * present(c.one_hot)
                ).mean()
            ),
            note="-log of the coefficient clamped below at eps=1e-7, masked as the plain loss. " + MASK_NOTE,
        ),
        row(
            "binary",
            f'{name}("binary")(z[:, :1], y[:, :1])',
            f'(segref.{fn}(z[:, :1], y[:, :1], from_logits=True, multilabel=True, per_image=False, reduction="none") '
            "* present).mean()",
            lambda c: smp(name, c.logits[:, :1], c.targets[:, :1], "binary"),
            lambda c: masked(
                c.logits[:, :1], c.targets[:, :1], present(c.targets[:, :1]), from_logits=True, multilabel=True
            ),
            inputs=with_empty_channel,
            note="z, y: one channel, (N, 1, *spatial); present is 0 when y is empty in every image "
            "(the case empty-channel-0): SMP's loss is then 0 whatever the prediction.",
        ),
        row(
            "multilabel",
            f'{name}("multilabel")(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, multilabel=True, per_image=False, reduction="none") '
            "* present).mean()",
            lambda c: smp(name, c.logits, c.targets, "multilabel"),
            lambda c: masked(c.logits, c.targets, present(c.targets), from_logits=True, multilabel=True),
            inputs=with_empty_channel,
            note="A sigmoid per channel. present: 1.0 for each channel with a positive pixel in the batch.",
        ),
        row(
            f"TverskyLoss(alpha=beta={tversky:g})",
            f'TverskyLoss("multiclass"{"" if tversky == 0.5 else ", alpha=1.0, beta=1.0"})(z, y)',
            f'(segref.{fn}(z, y, from_logits=True, per_image=False, reduction="none") * present).mean()',
            lambda c: smp("TverskyLoss", c.logits, c.labels, "multiclass", alpha=tversky, beta=tversky),
            lambda c: masked(c.logits, c.labels, present(c.one_hot), from_logits=True),
            note=f"Tversky I / (I + alpha FP + beta FN): alpha weighs the false positives (sum of p outside the "
            f"target), beta the false negatives; alpha = beta = {tversky:g} is the "
            f"{'Dice coefficient (the TverskyLoss defaults)' if tversky == 0.5 else 'Jaccard index'}, and the "
            "default gamma=1 leaves the mean as is. " + MASK_NOTE,
            source=f"{SOURCE}losses/tversky.py#L66-L87",
        ),
        row(
            "soft targets",
            f'{name}("multilabel")(z, y)',
            "1 - (2 * pooled(np.minimum(p, y)) / pooled(p + y)).mean()"
            if loss == "dice"
            else "1 - (pooled(np.minimum(p, y)) / pooled(np.maximum(p, y))).mean()",
            lambda c: smp(name, c.logits, c.targets, "multilabel"),
            lambda c: (
                1.0
                - float(
                    (
                        (2 * pooled(np.minimum(c.sigmoid, c.targets)) / pooled(c.sigmoid + c.targets))
                        if loss == "dice"
                        else (pooled(np.minimum(c.sigmoid, c.targets)) / pooled(np.maximum(c.sigmoid, c.targets)))
                    ).mean()
                )
            ),
            inputs=soft_targets,
            differs="SMP (since 0.4) takes the intersection as (P + G - |p - g|_1) / 2 = sum of min(p, g), the "
            "semimetric form of Wang and Blaschko (arXiv:2302.05666, 2303.16296): equal to sum p g for 0/1 "
            "targets, larger for soft ones; segref sums p g.",
            note="p = sigmoid(z); y soft, in [0.05, 0.95]; pooled sums over images and pixels per channel.",
            source=score_source,
        ),
    ]
    if loss == "dice":
        rows += [
            row(
                "classes without 0",
                'DiceLoss("multiclass", classes=list(range(1, C)))(z, y)',
                "(segref.dice_loss(z, y, from_logits=True, per_image=False, include_background=False, "
                'reduction="none") * present[1:]).mean()',
                lambda c: smp(name, c.logits, c.labels, "multiclass", classes=list(range(1, c.num_classes))),
                lambda c: masked(
                    c.logits, c.labels, present(c.one_hot)[1:], from_logits=True, include_background=False
                ),
                note="classes selects the masked per-class losses before the mean. " + MASK_NOTE,
            ),
            row(
                "class_weights",
                'DiceLoss("multiclass", class_weights=w)(z, y)',
                '(segref.dice_loss(z, y, from_logits=True, per_image=False, reduction="none") * present * w).sum() '
                "/ w.sum()",
                lambda c: smp(
                    name, c.logits, c.labels, "multiclass", class_weights=list(CLASS_WEIGHTS[: c.num_classes])
                ),
                lambda c: float(
                    (
                        ref(c.logits, c.labels, from_logits=True, per_image=False, reduction="none")
                        * present(c.one_hot)
                        * CLASS_WEIGHTS[: c.num_classes]
                    ).sum()
                    / CLASS_WEIGHTS[: c.num_classes].sum()
                ),
                note="A weighted mean of the masked per-class losses (w is stored in float32; these weights are "
                "exact there). " + MASK_NOTE,
            ),
            row(
                "probabilities",
                'DiceLoss("multiclass", from_logits=False)(p, y)',
                '(segref.dice_loss(p, y, from_logits=False, per_image=False, reduction="none") * present).mean()',
                lambda c: smp(name, c.probs, c.labels, "multiclass", from_logits=False),
                lambda c: masked(c.probs, c.labels, present(c.one_hot), from_logits=False),
                note=MASK_NOTE,
            ),
            row(
                "binary, ignore_index",
                'DiceLoss("binary", ignore_index=255)(z[:, :1], y[:, :1])',
                "(segref.dice_loss(p * m, y * m, from_logits=False, multilabel=True, per_image=False, "
                'reduction="none") * present).mean()',
                lambda c: smp(name, c.logits[:, :1], c.targets[:, :1], "binary", ignore_index=IGNORE_INDEX),
                lambda c: masked(
                    c.sigmoid[:, :1] * kept(c)[:, :1],
                    c.targets[:, :1] * kept(c)[:, :1],
                    present(c.targets[:, :1] * kept(c)[:, :1]),
                    from_logits=False,
                    multilabel=True,
                ),
                inputs=binary_ignored,
                note="z, y: one channel, about a fifth of y set to 255; p = sigmoid(z), m = (y != 255): "
                "SMP zeroes the prediction and the target at ignored pixels (segref's ignore_index takes "
                "class-index targets only).",
            ),
        ]
    return rows


FOCAL = f"{SOURCE}losses/focal.py#L77-L130"
BINARY_FOCAL = f"{SOURCE}losses/_functional.py#L37-L97"


def one_hot_last(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """``(z_last[v], one-hot of y[v])``: the logits and one-vs-rest targets of the pixels kept, ``(M, C)``."""
    valid = case.valid
    return case.channels_last(case.logits)[valid], np.eye(case.num_classes)[case.labels[valid]]


FOCAL_ROWS = [
    Row(
        loss="focal",
        framework="smp",
        setting="binary",
        framework_call='FocalLoss("binary")(z[:, :1], y[:, :1])',
        segref_call="segref.binary_focal_loss(z[:, :1], y[:, :1], from_logits=True)",
        framework_fn=lambda c: smp("FocalLoss", c.logits[:, :1], c.targets[:, :1], "binary"),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits[:, :1], c.targets[:, :1], from_logits=True),
        framework_default=True,
        segref_default=True,
        note="z, y: one channel. FocalLoss defaults to alpha=None (its functional form to 0.25).",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="multilabel",
        framework_call='FocalLoss("multilabel")(z, y)',
        segref_call="segref.binary_focal_loss(z, y, from_logits=True)",
        framework_fn=lambda c: smp("FocalLoss", c.logits, c.targets, "multilabel"),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.targets, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="The mean per channel, then over channels: every channel has as many pixels, so the mean of all elements.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="multiclass (sigmoid one-vs-rest)",
        framework_call='FocalLoss("multiclass")(z, y)',
        segref_call="segref.binary_focal_loss(z, y1, from_logits=True)",
        framework_fn=lambda c: smp("FocalLoss", c.logits, c.labels, "multiclass"),
        segref_fn=lambda c: segref.binary_focal_loss(c.logits, c.one_hot, from_logits=True),
        framework_default=True,
        note="y1: the one-hot of y. A sigmoid of each class's logit against its one-vs-rest mask (no softmax), "
        "averaged over pixels per class and then over classes.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="multiclass, ignore_index",
        framework_call='FocalLoss("multiclass", ignore_index=255)(z, y)',
        segref_call="segref.binary_focal_loss(z_last[v], np.eye(C)[y[v]], from_logits=True)",
        framework_fn=lambda c: smp("FocalLoss", c.logits, c.labels, "multiclass", ignore_index=c.ignore_index),
        segref_fn=lambda c: segref.binary_focal_loss(*one_hot_last(c), from_logits=True),
        ignore=True,
        note="v = (y != 255); z_last: z with the class axis last, so z_last[v] is (pixels kept, C): "
        "ignored pixels leave every class's mean.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="alpha=0.25, gamma=3",
        framework_call='FocalLoss("binary", alpha=0.25, gamma=3.0)(z[:, :1], y[:, :1])',
        segref_call="segref.binary_focal_loss(z[:, :1], y[:, :1], from_logits=True, alpha=0.25, gamma=3.0)",
        framework_fn=lambda c: smp("FocalLoss", c.logits[:, :1], c.targets[:, :1], "binary", alpha=0.25, gamma=3.0),
        segref_fn=lambda c: segref.binary_focal_loss(
            c.logits[:, :1], c.targets[:, :1], from_logits=True, alpha=0.25, gamma=3.0
        ),
        note="z, y: one channel. alpha weighs the positives, 1 - alpha the negatives.",
        source=BINARY_FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="normalized",
        framework_call='FocalLoss("binary", normalized=True)(z[:, :1], y[:, :1])',
        segref_call='segref.binary_focal_loss(z[:, :1], y[:, :1], from_logits=True, reduction="sum") '
        "/ (np.abs(y[:, :1] - p[:, :1]) ** 2).sum() / y[:, :1].size",
        framework_fn=lambda c: smp("FocalLoss", c.logits[:, :1], c.targets[:, :1], "binary", normalized=True),
        segref_fn=lambda c: (
            segref.binary_focal_loss(c.logits[:, :1], c.targets[:, :1], from_logits=True, reduction="sum")
            / (np.abs(c.targets[:, :1] - c.sigmoid[:, :1]) ** 2).sum()
            / c.targets[:, :1].size
        ),
        note="z, y: one channel, p = sigmoid(z). The sum of the focal terms over the sum of the modulating "
        "factors (1 - p_t)^gamma = |y - p|^2 (normalised focal loss, arXiv:1909.07829), then divided by the "
        "number of elements, as reduction='mean' does; reduction='sum' leaves that division out. In multiclass "
        "and multilabel mode each class is normalised on its own.",
        source=BINARY_FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="probabilities at 0 and 1",
        framework_call='FocalLoss("binary", from_logits=False)(p, y)',
        segref_call="segref.binary_focal_loss(np.clip(p, 1e-7, 1 - 1e-7), y, from_logits=False)",
        framework_fn=lambda c: smp("FocalLoss", c.sigmoid, c.targets, "binary", from_logits=False),
        segref_fn=lambda c: segref.binary_focal_loss(np.clip(c.sigmoid, 1e-7, 1 - 1e-7), c.targets, from_logits=False),
        inputs=saturated,
        differs="SMP clamps probabilities to [1e-7, 1 - 1e-7] before turning them back into logits, so a "
        "confident wrong pixel costs about 16.1; segref gives infinity there.",
        note="Within the clamp (every p of cases()) it is segref's from_logits=False loss.",
        source=FOCAL,
    ),
    Row(
        loss="focal",
        framework="smp",
        setting="multiclass, probabilities",
        framework_call='FocalLoss("multiclass", from_logits=False)(p, y)',
        segref_call="segref.binary_focal_loss(p / (1 + p), y1, from_logits=False)",
        framework_fn=lambda c: smp("FocalLoss", c.probs, c.labels, "multiclass", from_logits=False),
        segref_fn=lambda c: segref.binary_focal_loss(c.probs / (1 + c.probs), c.one_hot, from_logits=False),
        defect="With from_logits=False, multiclass mode takes log p of the softmax probabilities and passes it to "
        "the sigmoid focal loss, which scores sigmoid(log p) = p / (1 + p), at most 1/2, instead of p; the "
        f"docstring ({SOURCE}losses/focal.py#L30: 'from_logits: If True, assumes input is raw logits') "
        "promises probabilities "
        "otherwise, and a perfect prediction does not cost 0: FocalLoss('multiclass', from_logits=False)"
        "(torch.tensor([[[1.0], [0.0]]]), torch.tensor([[0]])) is 0.0866 (SMP 0.6.0), where "
        "FocalLoss('binary', from_logits=False) gives 1e-21 for a perfect probability.",
        note="p: softmax probabilities, y1: the one-hot of y; no p of these cases reaches SMP's clamp at 1e-7.",
        source=f"{SOURCE}losses/focal.py#L79-L88",
    ),
]

CROSS_ENTROPY_ROWS = [
    Row(
        loss="binary-cross-entropy",
        framework="smp",
        setting="SoftBCEWithLogitsLoss",
        framework_call="SoftBCEWithLogitsLoss()(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: smp("SoftBCEWithLogitsLoss", c.logits, c.targets),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="Its default ignore_index=-100 matches no 0/1 target.",
        source=f"{SOURCE}losses/soft_bce.py#L48-L83",
    ),
    Row(
        loss="binary-cross-entropy",
        framework="smp",
        setting="smooth_factor=0.1",
        framework_call="SoftBCEWithLogitsLoss(smooth_factor=0.1)(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, label_smoothing=2 * 0.1)",
        framework_fn=lambda c: smp("SoftBCEWithLogitsLoss", c.logits, c.targets, smooth_factor=0.1),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, label_smoothing=0.2),
        note="SMP smooths a target to y (1 - s) + (1 - y) s = y (1 - 2s) + s: segref's label_smoothing 2s.",
        source=f"{SOURCE}losses/soft_bce.py#L48-L83",
    ),
    Row(
        loss="binary-cross-entropy",
        framework="smp",
        setting="pos_weight per channel",
        framework_call="SoftBCEWithLogitsLoss(pos_weight=w.view(C, 1, 1))(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, pos_weight=w)",
        framework_fn=lambda c: smp(
            "SoftBCEWithLogitsLoss",
            c.logits,
            c.targets,
            pos_weight=t(CLASS_WEIGHTS[: c.num_classes].reshape((-1,) + (1,) * (c.logits.ndim - 2))),
        ),
        segref_fn=lambda c: segref.binary_cross_entropy(
            c.logits, c.targets, from_logits=True, pos_weight=CLASS_WEIGHTS[: c.num_classes]
        ),
        note="pos_weight goes to torch's BCE, which broadcasts it against the last axis: shape (C, 1, 1).",
        source=f"{SOURCE}losses/soft_bce.py#L48-L83",
    ),
    Row(
        loss="binary-cross-entropy",
        framework="smp",
        setting="ignore_index",
        framework_call="SoftBCEWithLogitsLoss(ignore_index=255)(z, y)",
        segref_call="segref.binary_cross_entropy(z[v], y[v], from_logits=True) * v.mean()",
        framework_fn=lambda c: smp("SoftBCEWithLogitsLoss", c.logits, c.targets, ignore_index=IGNORE_INDEX),
        segref_fn=lambda c: (
            segref.binary_cross_entropy(c.logits[kept(c) == 1], c.targets[kept(c) == 1], from_logits=True)
            * kept(c).mean()
        ),
        inputs=binary_ignored,
        differs="SMP zeroes the loss of ignored elements but its mean still divides by every element, so the "
        "loss shrinks with the share of ignored pixels; segref has no ignore_index for binary targets.",
        note="About a fifth of y set to 255; v = (y != 255).",
        source=f"{SOURCE}losses/soft_bce.py#L48-L83",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="smp",
        setting="smooth_factor=0",
        framework_call="SoftCrossEntropyLoss(smooth_factor=0.0)(z, y)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: smp("SoftCrossEntropyLoss", c.logits, c.labels, smooth_factor=0.0),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        segref_default=True,
        note="SoftCrossEntropyLoss() itself raises TypeError in SMP 0.6.0: its default smooth_factor=None "
        "reaches None / C in label_smoothed_nll_loss. Its default ignore_index=-100 matches no label.",
        source=f"{SOURCE}losses/_functional.py#L243-L289",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="smp",
        setting="smooth_factor=0.1",
        framework_call="SoftCrossEntropyLoss(smooth_factor=0.1)(z, y)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=0.1)",
        framework_fn=lambda c: smp("SoftCrossEntropyLoss", c.logits, c.labels, smooth_factor=0.1),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, label_smoothing=0.1),
        note="(1 - s) NLL + s/C sum_c(-log p_c): segref's (and PyTorch's) label smoothing toward 1/C.",
        source=f"{SOURCE}losses/_functional.py#L243-L289",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="smp",
        setting="ignore_index",
        framework_call="SoftCrossEntropyLoss(smooth_factor=0.1, ignore_index=255)(z, y)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=0.1, "
        "ignore_index=255) * v.mean()",
        framework_fn=lambda c: smp(
            "SoftCrossEntropyLoss", c.logits, c.labels, smooth_factor=0.1, ignore_index=c.ignore_index
        ),
        segref_fn=lambda c: (
            segref.categorical_cross_entropy(
                c.logits, c.labels, from_logits=True, label_smoothing=0.1, ignore_index=c.ignore_index
            )
            * c.valid.mean()
        ),
        ignore=True,
        differs="SMP zeroes the loss of ignored pixels but its mean divides by every pixel (PyTorch and segref "
        "divide by the pixels kept), so the loss shrinks with the share of ignored pixels.",
        note="v = (y != 255).",
        source=f"{SOURCE}losses/_functional.py#L243-L289",
    ),
]


# Metrics: get_stats counts TP, FP, FN, TN per (image, class); the scores reduce them.

SCORES = {"f1_score": ("dice_score", segref.dice_score), "iou_score": ("iou_score", segref.iou_score)}
METRICS = f"{SOURCE}metrics/functional.py#L255-L324"


def smp_score(case: Case, score: str, **kwargs):
    stats = metrics().get_stats(
        t(case.logits.argmax(1)),
        t(case.labels),
        mode="multiclass",
        num_classes=case.num_classes,
        ignore_index=case.ignore_index,
    )
    return getattr(metrics(), score)(*stats, **kwargs)


def metric_rows(score: str) -> list[Row]:
    ref_name, ref = SCORES[score]
    stats = 'get_stats(p_lab, y, mode="multiclass", num_classes=C)'
    stats_ignore = 'get_stats(p_lab, y, mode="multiclass", num_classes=C, ignore_index=255)'

    def row(reduction: str | None, segref_call: str, segref_fn, **extra) -> Row:
        suffix = "" if reduction is None else f', reduction="{reduction}"'
        ignore = extra.get("ignore", False)
        return Row(
            loss="metrics",
            framework="smp",
            setting=f"{score}, reduction={reduction}" + (", ignore_index" if ignore else ""),
            framework_call=f"{score}(*{stats_ignore if ignore else stats}{suffix})",
            segref_call=segref_call,
            framework_fn=lambda c: smp_score(c, score, reduction=reduction),
            segref_fn=segref_fn,
            rtol=1e-6,
            inputs=lambda: metric_cases(ignore=ignore),
            source=METRICS,
            **{key: value for key, value in extra.items() if key != "ignore"},
        )

    def labels(c: Case) -> np.ndarray:
        return c.logits.argmax(1)

    flat_note = (
        "flat(a): the one-hot map of a as 0/1 integers, one row per image (0 at ignored pixels): every "
        "(pixel, class) pair becomes a pixel, so its foreground counts sum_c TP_c, FP_c, FN_c; on label maps "
        "the micro F1 is the pixel accuracy. "
    )
    return [
        row(
            None,
            f'segref.{ref_name}(p_lab, y, num_classes=C, reduction="none")',
            lambda c: ref(labels(c), c.labels, num_classes=c.num_classes, reduction="none"),
            framework_default=True,
            note="(N, C), one score per image and class; a class absent from both maps of an image scores 1 "
            "(zero_division=1.0, the default) in both. p_lab = z.argmax(1). Float32.",
        ),
        row(
            "macro-imagewise",
            f"segref.{ref_name}(p_lab, y, num_classes=C)",
            lambda c: ref(labels(c), c.labels, num_classes=c.num_classes),
            segref_default=True,
            note="Per image and class, then the mean over images and classes; an absent class scores 1 in both. "
            "Float32.",
        ),
        row(
            "macro-imagewise",
            f"segref.{ref_name}(p_lab, y, num_classes=C, ignore_index=255)",
            lambda c: ref(labels(c), c.labels, num_classes=c.num_classes, ignore_index=c.ignore_index),
            ignore=True,
            note="get_stats drops the ignored pixels from both maps (ignore_index must lie outside 0..C-1). Float32.",
        ),
        row(
            "macro",
            f"segref.{ref_name}(p_lab, y, num_classes=C, per_image=False)",
            lambda c: ref(labels(c), c.labels, num_classes=c.num_classes, per_image=False),
            note="Counts summed over the batch per class, then the mean over classes; a class absent from the "
            "batch scores 1 in both. Float32.",
        ),
        row(
            "micro",
            f"segref.{ref_name}(flat(p_lab), flat(y), num_classes=2, include_background=False, per_image=False)",
            lambda c: ref(
                flat(c, labels(c)), flat(c, c.labels), num_classes=2, include_background=False, per_image=False
            ),
            note=flat_note + "Float32.",
        ),
        row(
            "micro-imagewise",
            f"segref.{ref_name}(flat(p_lab), flat(y), num_classes=2, include_background=False)",
            lambda c: ref(flat(c, labels(c)), flat(c, c.labels), num_classes=2, include_background=False),
            note=flat_note + "Here per image, then the mean over images. Float32.",
        ),
    ]


WEIGHTED_ROWS = [
    Row(
        loss="metrics",
        framework="smp",
        setting="f1_score, reduction=weighted",
        framework_call='f1_score(*get_stats(p_lab, y, mode="multiclass", num_classes=C), reduction="weighted", '
        "class_weights=w)",
        segref_call='segref.dice_score(p_lab, y, num_classes=C, per_image=False, reduction="none") @ w / w.sum()',
        framework_fn=lambda c: smp_score(
            c, "f1_score", reduction="weighted", class_weights=list(CLASS_WEIGHTS[: c.num_classes])
        ),
        segref_fn=lambda c: (
            segref.dice_score(
                c.logits.argmax(1), c.labels, num_classes=c.num_classes, per_image=False, reduction="none"
            )
            @ CLASS_WEIGHTS[: c.num_classes]
            / CLASS_WEIGHTS[: c.num_classes].sum()
        ),
        rtol=1e-6,
        inputs=metric_cases,
        note="Counts summed over the batch per class, then the weighted mean over classes. Float32.",
        source=METRICS,
    ),
    Row(
        loss="metrics",
        framework="smp",
        setting="f1_score, reduction=weighted-imagewise",
        framework_call='f1_score(*get_stats(p_lab, y, mode="multiclass", num_classes=C), '
        'reduction="weighted-imagewise", class_weights=w)',
        segref_call='segref.dice_score(p_lab, y, num_classes=C, reduction="none").mean(0) @ w / w.sum() / C',
        framework_fn=lambda c: smp_score(
            c, "f1_score", reduction="weighted-imagewise", class_weights=list(CLASS_WEIGHTS[: c.num_classes])
        ),
        segref_fn=lambda c: (
            segref.dice_score(c.logits.argmax(1), c.labels, num_classes=c.num_classes, reduction="none").mean(0)
            @ CLASS_WEIGHTS[: c.num_classes]
            / CLASS_WEIGHTS[: c.num_classes].sum()
            / c.num_classes
        ),
        rtol=1e-6,
        inputs=metric_cases,
        defect="The weighted mean over classes is divided by C once more: the weights are normalised to sum 1 "
        "and then averaged (score.mean(0) * w).mean() instead of summed, where the docstring says 'compute "
        "weighted average score on each image over labels and average image scores over dataset' "
        f"({SOURCE}metrics/functional.py#L755-L757). With equal weights it is 1/C of macro-imagewise: a perfect "
        "prediction with two classes, class_weights=[1, 1], scores 0.5 (SMP 0.6.0).",
        note="Float32.",
        source=f"{SOURCE}metrics/functional.py#L309-L312",
    ),
]

TVERSKY_SRC = f"{SOURCE}losses/tversky.py#L11-L87"


def smp_tversky_mean(c: Case, **options) -> float:
    """segref's whole-batch Tversky loss per class, times SMP's presence mask, averaged over all classes."""
    per_class = segref.tversky_loss(c.logits, c.labels, from_logits=True, per_image=False, reduction="none", **options)
    return float((per_class * present(c.one_hot)).mean())


def binary_present() -> list[Case]:
    """``cases()`` with their first channel as a binary problem: ``(N, 1, *spatial)`` logits and 0/1 target,
    where the target has a positive pixel (SMP's binary loss is 0 otherwise)."""
    return [
        dataclasses.replace(c, logits=c.logits[:, :1], targets=c.targets[:, :1])
        for c in cases()
        if c.targets[:, :1].any()
    ]


TVERSKY_ROWS = [
    Row(
        loss="tversky",
        framework="smp",
        setting="multiclass, defaults",
        framework_call='TverskyLoss("multiclass")(z, y)',
        segref_call="(segref.tversky_loss(z, y, from_logits=True, alpha=0.5, beta=0.5, per_image=False, "
        'reduction="none") * present).mean()',
        framework_fn=lambda c: smp("TverskyLoss", c.logits, c.labels, "multiclass"),
        segref_fn=lambda c: smp_tversky_mean(c, alpha=0.5, beta=0.5),
        framework_default=True,
        note="alpha weighs the false positives, beta the false negatives; the defaults alpha = beta = 0.5 "
        "(the Dice loss) and gamma = 1. " + MASK_NOTE,
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="smp",
        setting="multiclass, Salehi's weights",
        framework_call='TverskyLoss("multiclass", alpha=0.3, beta=0.7)(z, y)',
        segref_call='(segref.tversky_loss(z, y, from_logits=True, per_image=False, reduction="none") * present).mean()',
        framework_fn=lambda c: smp("TverskyLoss", c.logits, c.labels, "multiclass", alpha=0.3, beta=0.7),
        segref_fn=lambda c: smp_tversky_mean(c),
        note=MASK_NOTE,
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="smp",
        setting="gamma: the exponent of the class mean",
        framework_call='TverskyLoss("multiclass", alpha=0.3, beta=0.7, gamma=0.75)(z, y)',
        segref_call='(segref.tversky_loss(z, y, from_logits=True, per_image=False, reduction="none") '
        "* present).mean() ** 0.75",
        framework_fn=lambda c: smp("TverskyLoss", c.logits, c.labels, "multiclass", alpha=0.3, beta=0.7, gamma=0.75),
        segref_fn=lambda c: smp_tversky_mean(c) ** 0.75,
        differs="SMP raises the mean over classes to gamma (aggregate_loss); Abraham & Khan, and "
        "segref.focal_tversky_loss, raise each class's 1 - T to the power 1/gamma before the classes are "
        "summed or averaged. With more than one class no setting of segref gives SMP's number; with one "
        "class (binary mode, next row) they agree.",
        note="SMP's gamma is the exponent itself: gamma=0.75 is Abraham & Khan's gamma = 4/3. " + MASK_NOTE,
        source=TVERSKY_SRC,
    ),
    Row(
        loss="tversky",
        framework="smp",
        setting="binary, gamma=0.75 (focal Tversky)",
        framework_call='TverskyLoss("binary", alpha=0.3, beta=0.7, gamma=0.75)(z, y)',
        segref_call="segref.focal_tversky_loss(z, y, from_logits=True, multilabel=True, per_image=False, gamma=4/3)",
        framework_fn=lambda c: smp("TverskyLoss", c.logits, c.targets, "binary", alpha=0.3, beta=0.7, gamma=0.75),
        segref_fn=lambda c: segref.focal_tversky_loss(
            c.logits, c.targets, from_logits=True, multilabel=True, per_image=False, gamma=4 / 3
        ),
        rtol=1e-12,
        inputs=binary_present,
        note="z, y: one channel, (N, 1, *spatial), with a positive pixel in the batch. One class, pooled over "
        "the batch: SMP's (1 - T) ** gamma is Abraham & Khan's (1 - T) ** (1 / gamma') with gamma' = 1 / 0.75.",
        source=TVERSKY_SRC,
    ),
]

MCC_SRC = f"{SOURCE}losses/mcc.py#L19-L51"


def probabilities(c: Case) -> np.ndarray:
    return 1 / (1 + np.exp(-c.logits))


MCC_ROWS = [
    Row(
        loss="mcc",
        framework="smp",
        setting="one channel, defaults (probabilities)",
        framework_call="MCCLoss()(torch.sigmoid(z), y)",
        segref_call="segref.mcc_loss(z, y, from_logits=True, multilabel=True, per_image=False, smooth=1e-5)",
        framework_fn=lambda c: losses().MCCLoss()(t(probabilities(c)), t(c.targets)),
        segref_fn=lambda c: segref.mcc_loss(
            c.logits, c.targets, from_logits=True, multilabel=True, per_image=False, smooth=1e-5
        ),
        framework_default=True,
        inputs=binary_present,
        note="z, y: one channel, (N, 1, *spatial). SMP's MCCLoss applies no sigmoid (pass probabilities), pools "
        "the whole batch and adds eps = 1e-5 to each of TP, TN, FP and FN: segref's smooth.",
        source=MCC_SRC,
    ),
    Row(
        loss="mcc",
        framework="smp",
        setting="several channels: pooled as one",
        framework_call="MCCLoss()(torch.sigmoid(z), y_multi)",
        segref_call="segref.mcc_loss(z.reshape(N, 1, -1), y_multi.reshape(N, 1, -1), from_logits=True, "
        "multilabel=True, per_image=False, smooth=1e-5)",
        framework_fn=lambda c: losses().MCCLoss()(t(probabilities(c)), t(c.targets)),
        segref_fn=lambda c: segref.mcc_loss(
            c.logits.reshape(len(c.logits), 1, -1),
            c.targets.reshape(len(c.targets), 1, -1),
            from_logits=True,
            multilabel=True,
            per_image=False,
            smooth=1e-5,
        ),
        note="y_multi: independent 0/1 maps shaped like z. SMP documents MCCLoss for binary input only and "
        "reshapes any input to (N, 1, -1): the channels of a multi-channel input become one class, counted "
        "together; segref counts each channel apart unless reshaped so.",
        source=MCC_SRC,
    ),
]

ROWS = (
    TVERSKY_ROWS
    + overlap_rows("dice")
    + overlap_rows("jaccard")
    + FOCAL_ROWS
    + CROSS_ENTROPY_ROWS
    + metric_rows("f1_score")
    + metric_rows("iou_score")
    + WEIGHTED_ROWS
    + MCC_ROWS
)

NOT_PROVIDED = {
    "dice-ce": "no combined loss in SMP (DiceLoss and SoftCrossEntropyLoss are separate modules)",
    "generalized-dice": "no generalised Dice loss in SMP (its DiceLoss has class_weights, fixed, not from the volumes)",
    "topk": "no TopK or bootstrapped cross-entropy in SMP",
    "poly": "no PolyLoss in SMP",
    "compound": "no compound loss in SMP (its losses are separate modules)",
    "log-cosh-dice": "no log-cosh Dice loss in SMP",
    "sensitivity-specificity": "no sensitivity-specificity loss in SMP",
}
