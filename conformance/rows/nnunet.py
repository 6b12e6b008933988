"""nnU-Net v2 2.8.1: the losses of ``nnunetv2.training.loss`` as ``nnUNetTrainer`` builds them.

Tensors are passed as the trainer passes them: logits ``z`` ``(N, C, *spatial)`` and the
target ``y[:, None]`` as a float ``(N, 1, *spatial)`` label map (region-based training:
one 0/1 map per region, ``(N, C, *spatial)``). nnU-Net's Dice losses return
``-mean(Dice)``, in ``[-1, 0]``: minus the Dice coefficient, not ``1 - Dice``, so their
segref counterpart is ``segref.dice_loss(...) - 1`` (the same as ``-soft_dice_coefficient``).
The nnU-Net trainer's ignore label is the highest label value, ``C`` for ``C`` classes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import segref

from ..frameworks import tensor as t
from ..model import CLASS_WEIGHTS, IGNORE_INDEX, Case, Row, cases
from .keras3 import with_cases, zero_probability

COMMIT = "468cf803df9b267150ae2b6c0c59b8ac84f16227"  # the v2.8.1 tag


def source(path: str, first: int, last: int) -> str:
    return f"https://github.com/MIC-DKFZ/nnUNet/blob/{COMMIT}/nnunetv2/{path}#L{first}-L{last}"


SOFT_DICE_SRC = source("training/loss/dice.py", 8, 55)
MEMORY_DICE_SRC = source("training/loss/dice.py", 58, 119)
DC_CE_SRC = source("training/loss/compound_losses.py", 8, 56)
DC_BCE_SRC = source("training/loss/compound_losses.py", 59, 105)
BUILD_LOSS_SRC = source("training/nnUNetTrainer/nnUNetTrainer.py", 436, 446)


def dice_classes():
    import nnunetv2.training.loss.dice

    return nnunetv2.training.loss.dice


def softmax_helper_dim1():
    from nnunetv2.utilities.helpers import softmax_helper_dim1

    return softmax_helper_dim1


def soft_dice(memory_efficient: bool = False, *, softmax: bool = True, **options):
    """``SoftDiceLoss`` or ``MemoryEfficientSoftDiceLoss`` with nnU-Net's softmax helper."""
    import torch

    module = dice_classes()
    cls = module.MemoryEfficientSoftDiceLoss if memory_efficient else module.SoftDiceLoss
    return cls(apply_nonlin=softmax_helper_dim1() if softmax else torch.sigmoid, **options)


def dc_and_ce(*, batch_dice: bool, ignore_label: int | None = None, weight_ce: float = 1):
    """``DC_and_CE_loss`` exactly as ``nnUNetTrainer._build_loss`` builds it (one process),
    ``weight_ce`` aside."""
    from nnunetv2.training.loss.compound_losses import DC_and_CE_loss

    dice_kwargs = {"batch_dice": batch_dice, "smooth": 1e-5, "do_bg": False, "ddp": False}
    return DC_and_CE_loss(
        dice_kwargs,
        {},
        weight_ce=weight_ce,
        weight_dice=1,
        ignore_label=ignore_label,
        dice_class=dice_classes().MemoryEfficientSoftDiceLoss,
    )


def dc_and_bce(*, batch_dice: bool, use_ignore_label: bool = False):
    """``DC_and_BCE_loss`` as ``nnUNetTrainer._build_loss`` builds it for region-based training."""
    from nnunetv2.training.loss.compound_losses import DC_and_BCE_loss

    dice_kwargs = {"batch_dice": batch_dice, "do_bg": True, "smooth": 1e-5, "ddp": False}
    return DC_and_BCE_loss(
        {}, dice_kwargs, use_ignore_label=use_ignore_label, dice_class=dice_classes().MemoryEfficientSoftDiceLoss
    )


def robust_ce(**options):
    from nnunetv2.training.loss.robust_ce_loss import RobustCrossEntropyLoss

    return RobustCrossEntropyLoss(**options)


def y1(c: Case):
    """nnU-Net's target: the label map as float, ``(N, 1, *spatial)``."""
    return t(c.labels[:, None].astype(np.float64))


def with_regions_ignore(c: Case) -> np.ndarray:
    """Region targets with nnU-Net's ignore channel appended last (1 where the pixel is ignored)."""
    return np.concatenate([c.targets, (~c.valid[:, None]).astype(np.float64)], axis=1)


def relabelled(c: Case, labels: np.ndarray, name: str) -> Case:
    """``c`` with nnU-Net's ignore label, ``C``, in place of every ignored pixel of ``labels``."""
    ignore = c.num_classes
    labels = np.where(labels == IGNORE_INDEX, ignore, labels)
    return dataclasses.replace(c, labels=labels, name=name, ignore_index=ignore)


def ignore_label_cases() -> list[Case]:
    """Every case with nnU-Net's ignore label C: the clean cases, those with ignored pixels,
    and two with the whole batch ignored."""
    runs = [relabelled(c, c.labels, c.name) for c in cases()]
    runs += [relabelled(c, c.labels, c.name) for c in cases(ignore=True)]
    for c in list(cases(ignore=True))[:2]:
        runs.append(relabelled(c, np.full_like(c.labels, IGNORE_INDEX), c.name + "-all-ignored"))
    return runs


def first_image_ignored() -> list[Case]:
    """Cases with ignore label C whose first image is ignored entirely."""
    runs = []
    for c in cases(ignore=True):
        labels = c.labels.copy()
        labels[0] = IGNORE_INDEX
        runs.append(relabelled(c, labels, c.name + "-first-all-ignored"))
    return sorted(runs, key=lambda c: -c.logits.shape[0])  # a batch of several images shown first


FLOAT32 = "nnU-Net sums the Dice statistics in float32 (sum(..., dtype=torch.float32)): agreement to float32 rounding."
NEGATIVE = (
    "nnU-Net's Dice term is -mean(Dice), in [-1, 0] and negative by design (the best value is -1), "
    "not 1 - mean(Dice): it is segref's loss minus 1, the same gradient."
)
TRAINER = "{'batch_dice': False, 'smooth': 1e-5, 'do_bg': False, 'ddp': False}"
TRAINER_BATCH = "{'batch_dice': True, 'smooth': 1e-5, 'do_bg': False, 'ddp': False}"
REGIONS = "{'batch_dice': False, 'do_bg': True, 'smooth': 1e-5, 'ddp': False}"

ROWS = [
    Row(
        loss="categorical-cross-entropy",
        framework="nnunet",
        setting="RobustCrossEntropyLoss",
        framework_call="RobustCrossEntropyLoss()(z, y[:, None].float())",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: robust_ce()(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="torch's CrossEntropyLoss, taking nnU-Net's float (N, 1, *spatial) target (cast to long).",
        source=source("training/loss/robust_ce_loss.py", 6, 16),
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="nnunet",
        setting="RobustCrossEntropyLoss, ignore_index",
        framework_call="RobustCrossEntropyLoss(ignore_index=255)(z, y[:, None].float())",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255)",
        framework_fn=lambda c: robust_ce(ignore_index=IGNORE_INDEX)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX
        ),
        ignore=True,
        note="DC_and_CE_loss passes its ignore_label to this ignore_index.",
        source=source("training/loss/compound_losses.py", 21, 28),
    ),
    Row(
        loss="dice",
        framework="nnunet",
        setting="SoftDiceLoss defaults (probabilities)",
        framework_call="SoftDiceLoss()(p, y[:, None].float())",
        segref_call="segref.dice_loss(p, y, from_logits=False, smooth=1.0) - 1",
        framework_fn=lambda c: dice_classes().SoftDiceLoss()(t(c.probs), y1(c)),
        segref_fn=lambda c: segref.dice_loss(c.probs, c.labels, from_logits=False, smooth=1.0) - 1,
        framework_default=True,
        rtol=1e-6,
        note="No activation (apply_nonlin=None), smooth=1, per image, background included. " + NEGATIVE + " " + FLOAT32,
        source=SOFT_DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="nnunet",
        setting="SoftDiceLoss softmax, no smoothing",
        framework_call="SoftDiceLoss(apply_nonlin=softmax_helper_dim1, smooth=0)(z, y[:, None].float())",
        segref_call="segref.dice_loss(z, y, from_logits=True) - 1",
        framework_fn=lambda c: soft_dice(smooth=0.0)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True) - 1,
        segref_default=True,
        rtol=1e-6,
        note=NEGATIVE + " " + FLOAT32,
        source=SOFT_DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="nnunet",
        setting="as the trainer (MemoryEfficientSoftDiceLoss)",
        framework_call="MemoryEfficientSoftDiceLoss(apply_nonlin=softmax_helper_dim1, batch_dice=False, do_bg=False, "
        "smooth=1e-5, ddp=False)(z, y[:, None].float())",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, include_background=False) - 1",
        framework_fn=lambda c: soft_dice(True, batch_dice=False, do_bg=False, smooth=1e-5, ddp=False)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: (
            segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False) - 1
        ),
        rtol=1e-6,
        note="The Dice term of nnU-Net's default loss (batch_dice comes from the plans; ddp=False in one "
        "process). do_bg=False slices class 0 off after the softmax over all classes, as "
        "include_background=False does. " + NEGATIVE + " " + FLOAT32,
        source=MEMORY_DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="nnunet",
        setting="MemoryEfficientSoftDiceLoss, batch_dice",
        framework_call="MemoryEfficientSoftDiceLoss(apply_nonlin=softmax_helper_dim1, batch_dice=True, do_bg=False, "
        "smooth=1e-5, ddp=False)(z, y[:, None].float())",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "per_image=False) - 1",
        framework_fn=lambda c: soft_dice(True, batch_dice=True, do_bg=False, smooth=1e-5, ddp=False)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: (
            segref.dice_loss(
                c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, per_image=False
            )
            - 1
        ),
        rtol=1e-6,
        note="batch_dice sums the per-image statistics over the batch (and, with ddp=True, over the "
        "ranks, as segref's distributed=True does). " + NEGATIVE + " " + FLOAT32,
        source=MEMORY_DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="nnunet",
        setting="SoftDiceLoss, batch_dice, background",
        framework_call="SoftDiceLoss(apply_nonlin=softmax_helper_dim1, batch_dice=True, do_bg=True, smooth=1e-5, "
        "ddp=False)(z, y[:, None].float())",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, per_image=False) - 1",
        framework_fn=lambda c: soft_dice(batch_dice=True, do_bg=True, smooth=1e-5, ddp=False)(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, per_image=False) - 1,
        rtol=1e-6,
        note="SoftDiceLoss drops the background after computing every class's Dice, "
        "MemoryEfficientSoftDiceLoss before: the same numbers. SoftDiceLoss's default ddp=True would "
        "all-gather when batch_dice=True and needs an initialised process group. " + NEGATIVE + " " + FLOAT32,
        source=SOFT_DICE_SRC,
    ),
    Row(
        loss="dice",
        framework="nnunet",
        setting="sigmoid (regions)",
        framework_call="MemoryEfficientSoftDiceLoss(apply_nonlin=torch.sigmoid, batch_dice=False, do_bg=True, "
        "smooth=1e-5, ddp=False)(z, y)",
        segref_call="segref.dice_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5) - 1",
        framework_fn=lambda c: soft_dice(True, softmax=False, batch_dice=False, do_bg=True, smooth=1e-5, ddp=False)(
            t(c.logits), t(c.targets)
        ),
        segref_fn=lambda c: segref.dice_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5) - 1,
        rtol=1e-6,
        note="The Dice term of DC_and_BCE_loss (region-based training); y holds one 0/1 map per region. "
        + NEGATIVE
        + " "
        + FLOAT32,
        source=MEMORY_DICE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="as the trainer (DC_and_CE_loss)",
        framework_call=f"DC_and_CE_loss({TRAINER}, {{}}, weight_ce=1, weight_dice=1, ignore_label=None, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y[:, None].float())",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, smooth=1e-5, include_background=False) - 1",
        framework_fn=lambda c: dc_and_ce(batch_dice=False)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_ce_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False) - 1
        ),
        framework_default=True,
        rtol=1e-6,
        note="nnU-Net's default loss as nnUNetTrainer._build_loss configures it, with batch_dice=False "
        "(the plans' choice for 3d_lowres, and for 3d_fullres without a cascade); deep supervision adds "
        "weighted copies at lower resolutions. "
        "The cross-entropy is float64, the Dice term float32. " + NEGATIVE,
        source=BUILD_LOSS_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="batch_dice",
        framework_call=f"DC_and_CE_loss({TRAINER_BATCH}, {{}}, weight_ce=1, weight_dice=1, ignore_label=None, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y[:, None].float())",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "per_image=False) - 1",
        framework_fn=lambda c: dc_and_ce(batch_dice=True)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_ce_loss(
                c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, per_image=False
            )
            - 1
        ),
        rtol=1e-6,
        note="batch_dice=True is the plans' choice for 2d, and for 3d_fullres when a 3d_lowres (cascade) "
        "exists. " + NEGATIVE + " " + FLOAT32,
        source=DC_CE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="weight_ce=0, a true class at probability 0",
        framework_call=f"DC_and_CE_loss({TRAINER}, {{}}, weight_ce=0, weight_dice=1, ignore_label=None, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y[:, None].float())",
        segref_call="segref.dice_ce_loss(p, y, from_logits=False, ce_weight=0, smooth=1e-5, "
        "include_background=False) - 1",
        framework_fn=lambda c: dc_and_ce(batch_dice=False, weight_ce=0)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_ce_loss(
                c.probs, c.labels, from_logits=False, ce_weight=0.0, smooth=1e-5, include_background=False
            )
            - 1
        ),
        inputs=with_cases(zero_probability),
        rtol=1e-6,
        note="nnU-Net skips a term whose weight is 0, as segref does: a true class given probability 0 "
        "(logit -inf) would make the cross-entropy infinite, and 0 times infinity NaN; here the loss is the "
        "Dice term alone. p = softmax(z), exactly 0 where z is -inf (segref takes such probabilities, not "
        "infinite logits). " + NEGATIVE + " " + FLOAT32,
        source=source("training/loss/compound_losses.py", 43, 56),
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="ignore label",
        framework_call=f"DC_and_CE_loss({TRAINER}, {{}}, weight_ce=1, weight_dice=1, ignore_label=C, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y[:, None].float())",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "ignore_index=C) - 1",
        framework_fn=lambda c: dc_and_ce(batch_dice=False, ignore_label=c.ignore_index)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_ce_loss(
                c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, ignore_index=c.ignore_index
            )
            - 1
        ),
        inputs=ignore_label_cases,
        rtol=1e-6,
        note="nnU-Net's ignore label is the highest label value (C for classes 0..C-1; the LabelManager "
        "asserts it). DC_and_CE_loss passes it to the cross-entropy's ignore_index and gives the Dice term "
        "a mask that leaves ignored pixels out of every sum, as segref's ignore_index does. When every pixel "
        "of the batch is ignored nnU-Net skips the cross-entropy (0) and every Dice coefficient is "
        "1e-5/1e-5 = 1, loss -1: segref's 0 minus 1. " + FLOAT32,
        source=DC_CE_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="ignore label, an image all ignored",
        framework_call=f"DC_and_CE_loss({TRAINER}, {{}}, weight_ce=1, weight_dice=1, ignore_label=C, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y[:, None].float())",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=C) - "
        "segref.soft_dice_coefficient(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "ignore_index=C, reduction='none').mean()",
        framework_fn=lambda c: dc_and_ce(batch_dice=False, ignore_label=c.ignore_index)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, ignore_index=c.ignore_index)
            - segref.soft_dice_coefficient(
                c.logits,
                c.labels,
                from_logits=True,
                smooth=1e-5,
                include_background=False,
                ignore_index=c.ignore_index,
                reduction="none",
            ).mean()
        ),
        inputs=first_image_ignored,
        rtol=1e-6,
        differs="With per-image Dice (batch_dice=False), an image whose pixels are all ignored has empty "
        "masked sums: nnU-Net scores each of its classes 1e-5/1e-5 = 1 and counts them in the mean; segref "
        "leaves the image out of the Dice mean (its reduction='none' rows are 1, which the mean over all "
        "rows brings back).",
        note=FLOAT32,
        source=source("training/loss/dice.py", 93, 118),
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="regions (DC_and_BCE_loss)",
        framework_call=f"DC_and_BCE_loss({{}}, {REGIONS}, use_ignore_label=False, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y)",
        segref_call="segref.dice_ce_loss(z, y, from_logits=True, multilabel=True, smooth=1e-5) - 1",
        framework_fn=lambda c: dc_and_bce(batch_dice=False)(t(c.logits), t(c.targets)),
        segref_fn=lambda c: (
            segref.dice_ce_loss(c.logits, c.targets, from_logits=True, multilabel=True, smooth=1e-5) - 1
        ),
        rtol=1e-6,
        note="Region-based training (nnUNetTrainer._build_loss when the labels declare regions): "
        "BCEWithLogitsLoss (float64, mean over every element) plus the sigmoid Dice with the background "
        "kept; y holds one 0/1 map per region. " + NEGATIVE + " " + FLOAT32,
        source=BUILD_LOSS_SRC,
    ),
    Row(
        loss="dice-ce",
        framework="nnunet",
        setting="regions with ignore label",
        framework_call=f"DC_and_BCE_loss({{}}, {REGIONS}, use_ignore_label=True, "
        "dice_class=MemoryEfficientSoftDiceLoss)(z, y_ign)",
        segref_call="segref.dice_loss(sigmoid(z) * v, y * v, from_logits=False, multilabel=True, smooth=1e-5) - 1 "
        "+ (segref.binary_cross_entropy(z, y, from_logits=True, reduction='none') * v).sum() / v.sum()",
        framework_fn=lambda c: dc_and_bce(batch_dice=False, use_ignore_label=True)(
            t(c.logits), t(with_regions_ignore(c))
        ),
        segref_fn=lambda c: (
            segref.dice_loss(
                c.sigmoid * c.valid[:, None],
                c.targets * c.valid[:, None],
                from_logits=False,
                multilabel=True,
                smooth=1e-5,
            )
            - 1
            + (
                segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, reduction="none") * c.valid[:, None]
            ).sum()
            / c.valid.sum()
        ),
        ignore=True,
        rtol=1e-6,
        differs="segref's multi-label losses take no ignore mask. nnU-Net's BCE term sums the masked "
        "per-element losses of all C channels and divides by the number of counted pixels, not elements: "
        "C times the per-element mean it takes without an ignore label (so turning the ignore label on "
        "multiplies the BCE term by C even where nothing is ignored).",
        note="y_ign is y with nnU-Net's ignore channel appended last (1 at ignored pixels); v = "
        "(1 - y_ign[:, -1:]), the counted pixels. The Dice term is the sigmoid Dice of the masked "
        "prediction and target. " + FLOAT32,
        source=DC_BCE_SRC,
    ),
]

TOPK_SRC = source("training/loss/robust_ce_loss.py", 19, 32)


def topk(**options):
    from nnunetv2.training.loss.robust_ce_loss import TopKLoss

    return TopKLoss(**options)


def nnunet_topk_mean(c: Case, k: float, ignore_index: int | None = None) -> float:
    """nnU-Net's TopK as segref's per-pixel cross-entropy writes it: the int(k/100 * every pixel)
    largest values, ignored pixels (loss 0) among them, averaged."""
    per_pixel = np.asarray(
        segref.categorical_cross_entropy(
            c.logits, c.labels, from_logits=True, ignore_index=ignore_index, reduction="none"
        )
    ).ravel()
    kept = int(per_pixel.size * k / 100)
    return float(np.sort(per_pixel)[::-1][:kept].mean())


def torch_isnan(value) -> bool:
    import torch

    return bool(torch.isnan(value))


def small_cases() -> list[Case]:
    """The cases with fewer than 100 pixels: 1 % of them rounds down to none."""
    return [c for c in cases() if c.labels.size < 100]


TOPK_ROWS = [
    Row(
        loss="topk",
        framework="nnunet",
        setting="TopKLoss defaults (k=10)",
        framework_call="TopKLoss()(z, y[:, None].float())",
        segref_call="segref.topk_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: topk()(t(c.logits), y1(c)),
        segref_fn=lambda c: segref.topk_cross_entropy(c.logits, c.labels, from_logits=True),
        framework_default=True,
        segref_default=True,
        note="The 10 % of pixels of the whole batch with the largest cross-entropy, averaged: "
        "int(k/100 * pixels) of them, the same count as segref's floor(k M / 100) here.",
        source=TOPK_SRC,
    ),
    Row(
        loss="topk",
        framework="nnunet",
        setting="k=30, class weights, label smoothing",
        framework_call="TopKLoss(weight=w, k=30, label_smoothing=0.1)(z, y[:, None].float())",
        segref_call="segref.topk_cross_entropy(z, y, from_logits=True, k=30, class_weights=w, label_smoothing=0.1)",
        framework_fn=lambda c: topk(weight=t(CLASS_WEIGHTS[: c.num_classes]), k=30, label_smoothing=0.1)(
            t(c.logits), y1(c)
        ),
        segref_fn=lambda c: segref.topk_cross_entropy(
            c.logits,
            c.labels,
            from_logits=True,
            k=30,
            class_weights=CLASS_WEIGHTS[: c.num_classes],
            label_smoothing=0.1,
        ),
        note="TopKLoss passes weight and label_smoothing to torch's per-pixel cross-entropy "
        "(reduction='none'), so the weights choose which pixels are kept, and the mean divides by their "
        "number, not by their weights: as segref.",
        source=TOPK_SRC,
    ),
    Row(
        loss="topk",
        framework="nnunet",
        setting="ignore_index",
        framework_call="TopKLoss(ignore_index=255, k=30)(z, y[:, None].float())",
        segref_call="int(0.3 * y.size) largest of segref.categorical_cross_entropy(z, y, from_logits=True, "
        "ignore_index=255, reduction='none'), averaged",
        framework_fn=lambda c: topk(ignore_index=c.ignore_index, k=30)(t(c.logits), y1(c)),
        segref_fn=lambda c: nnunet_topk_mean(c, 30, c.ignore_index),
        inputs=lambda: list(cases(ignore=True)),
        differs="nnU-Net keeps k percent of all pixels, ignored ones included (their loss is 0, so they are "
        "kept last and pull the mean down when few pixels count); segref's topk_cross_entropy keeps k percent "
        "of the counted pixels, so that ignoring a pixel equals removing it.",
        source=TOPK_SRC,
    ),
    Row(
        loss="topk",
        framework="nnunet",
        setting="k=1 on fewer than 100 pixels",
        framework_call="torch.isnan(TopKLoss(k=1)(z, y[:, None].float()))",
        segref_call="int(0.01 * y.size) == 0 (no pixel kept); segref.topk_cross_entropy(z, y, from_logits=True, k=1) "
        "keeps one",
        framework_fn=lambda c: float(torch_isnan(topk(k=1)(t(c.logits), y1(c)))),
        segref_fn=lambda c: float(int(c.labels.size * 1 / 100) == 0),
        inputs=small_cases,
        differs="int(k/100 * pixels) is 0 here, and the mean of no value is NaN (the row asserts that NaN: 1 for "
        "true). segref keeps at least one pixel, max(1, floor(k M / 100)), so its loss is the largest per-pixel "
        "cross-entropy.",
        source=TOPK_SRC,
    ),
]

TOPK_TRAINER_SRC = source("training/nnUNetTrainer/variants/loss/nnUNetTrainerTopkLoss.py", 54, 63)


def dc_and_topk(*, batch_dice: bool, ignore_label: int | None = None):
    """``DC_and_topk_loss`` as ``nnUNetTrainerDiceTopK10Loss`` builds it (one process)."""
    from nnunetv2.training.loss.compound_losses import DC_and_topk_loss

    dice_kwargs = {"batch_dice": batch_dice, "smooth": 1e-5, "do_bg": False, "ddp": False}
    topk_kwargs = {"k": 10, "label_smoothing": 0.0}
    return DC_and_topk_loss(dice_kwargs, topk_kwargs, weight_ce=1, weight_dice=1, ignore_label=ignore_label)


COMPOUND_ROWS = [
    Row(
        loss="compound",
        framework="nnunet",
        setting="as the DiceTopK10 trainer (DC_and_topk_loss)",
        framework_call="DC_and_topk_loss({'batch_dice': False, 'smooth': 1e-5, 'do_bg': False, 'ddp': False}, "
        "{'k': 10, 'label_smoothing': 0.0})(z, y[:, None].float())",
        segref_call="segref.dice_topk_loss(z, y, from_logits=True, smooth=1e-5, include_background=False) - 1",
        framework_fn=lambda c: dc_and_topk(batch_dice=False)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_topk_loss(c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False) - 1
        ),
        framework_default=True,
        rtol=1e-6,
        note="nnUNetTrainerDiceTopK10Loss: SoftDiceLoss over the foreground classes, per image, plus TopKLoss "
        "with k = 10 over the whole batch. " + NEGATIVE + " " + FLOAT32,
        source=TOPK_TRAINER_SRC,
    ),
    Row(
        loss="compound",
        framework="nnunet",
        setting="DC_and_topk_loss, batch_dice",
        framework_call="DC_and_topk_loss({'batch_dice': True, 'smooth': 1e-5, 'do_bg': False, 'ddp': False}, "
        "{'k': 10, 'label_smoothing': 0.0})(z, y[:, None].float())",
        segref_call="segref.dice_topk_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "per_image=False) - 1",
        framework_fn=lambda c: dc_and_topk(batch_dice=True)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_topk_loss(
                c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, per_image=False
            )
            - 1
        ),
        rtol=1e-6,
        note="batch_dice comes from the plans (2d, and 3d_fullres with a cascade). " + NEGATIVE + " " + FLOAT32,
        source=source("training/loss/compound_losses.py", 108, 160),
    ),
    Row(
        loss="compound",
        framework="nnunet",
        setting="DC_and_topk_loss, ignore label",
        framework_call="DC_and_topk_loss({...as the trainer}, {'k': 10, 'label_smoothing': 0.0}, ignore_label=C)"
        "(z, y[:, None].float())",
        segref_call="segref.dice_loss(z, y, from_logits=True, smooth=1e-5, include_background=False, "
        "ignore_index=C) - 1 + (the int(0.1 * y.size) largest of segref.categorical_cross_entropy(z, y, "
        "from_logits=True, ignore_index=C, reduction='none'), averaged)",
        framework_fn=lambda c: dc_and_topk(batch_dice=False, ignore_label=c.ignore_index)(t(c.logits), y1(c)),
        segref_fn=lambda c: (
            segref.dice_loss(
                c.logits, c.labels, from_logits=True, smooth=1e-5, include_background=False, ignore_index=c.ignore_index
            )
            - 1
            + nnunet_topk_mean(c, 10, c.ignore_index)
        ),
        inputs=lambda: [relabelled(c, c.labels, c.name) for c in cases(ignore=True)],
        rtol=1e-6,
        differs="The Dice term leaves ignored pixels out, as segref's; the TopK term keeps k percent of all "
        "pixels, ignored ones (loss 0) included, where segref's keeps k percent of the counted pixels (see the "
        "TopK page).",
        note=FLOAT32,
        source=source("training/loss/compound_losses.py", 108, 160),
    ),
]

ROWS += TOPK_ROWS + COMPOUND_ROWS

NOT_PROVIDED = {
    "poly": "no PolyLoss",
    "binary-cross-entropy": "no BCE loss of its own: DC_and_BCE_loss calls torch's BCEWithLogitsLoss (see PyTorch)",
    "jaccard": "no Jaccard (IoU) loss",
    "focal": "no focal loss",
    "tversky": "no Tversky loss",
    "generalized-dice": "no generalised Dice loss",
    "log-cosh-dice": "no log-cosh Dice loss",
    "mcc": "no MCC loss",
    "sensitivity-specificity": "no sensitivity-specificity loss",
    "metrics": "no metric on arrays: Dice and IoU are computed per case from saved files by "
    "nnunetv2.evaluation (not run here; it needs batchgenerators and SimpleITK)",
}
