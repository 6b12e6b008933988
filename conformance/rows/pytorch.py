"""PyTorch's own losses (``torch.nn.functional``)."""

from __future__ import annotations

import numpy as np

import segref

from ..frameworks import tensor as t
from ..model import CLASS_WEIGHTS, IGNORE_INDEX, Case, Row, all_ignored, make_case
from .keras3 import saturated_logits


def F():  # noqa: N802 - reads like the usual `import torch.nn.functional as F`
    import torch.nn.functional

    return torch.nn.functional


def saturated() -> list[Case]:
    """Probabilities at exactly 0 and 1 next to interior ones: where clamping shows."""
    case = make_case("saturated", n=2, c=2, spatial=(3, 4), seed=7)
    logits = case.logits.copy()
    logits[:, :, 0, 0] = -np.inf  # sigmoid 0
    logits[:, :, 1, 1] = np.inf  # sigmoid 1
    return [Case("saturated", logits, case.labels, case.targets)]


def mean_over_counted(c: Case) -> np.ndarray:
    """The summed loss of the counted pixels divided by their number, 0 / 0 = NaN included."""
    total = segref.categorical_cross_entropy(
        c.logits, c.labels, from_logits=True, ignore_index=IGNORE_INDEX, reduction="sum"
    )
    with np.errstate(invalid="ignore"):
        return np.float64(total) / np.float64((c.labels != IGNORE_INDEX).sum())


ROWS = [
    Row(
        loss="binary-cross-entropy",
        framework="pytorch",
        setting="logits",
        framework_call="F.binary_cross_entropy_with_logits(z, y)",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: F().binary_cross_entropy_with_logits(t(c.logits), t(c.targets)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True),
        framework_default=True,
        segref_default=True,
    ),
    Row(
        loss="binary-cross-entropy",
        framework="pytorch",
        setting="pos_weight per channel",
        framework_call="F.binary_cross_entropy_with_logits(z, y, pos_weight=w.view(C, 1, 1))",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, pos_weight=w)",
        framework_fn=lambda c: F().binary_cross_entropy_with_logits(
            t(c.logits),
            t(c.targets),
            pos_weight=t(CLASS_WEIGHTS[: c.num_classes].reshape((-1,) + (1,) * (c.logits.ndim - 2))),
        ),
        segref_fn=lambda c: segref.binary_cross_entropy(
            c.logits, c.targets, from_logits=True, pos_weight=CLASS_WEIGHTS[: c.num_classes]
        ),
        note="PyTorch broadcasts pos_weight against the last axis, so a per-channel weight takes the shape (C, 1, 1).",
    ),
    Row(
        loss="binary-cross-entropy",
        framework="pytorch",
        setting="probabilities, interior",
        framework_call="F.binary_cross_entropy(p, y)",
        segref_call="segref.binary_cross_entropy(p, y, from_logits=False)",
        framework_fn=lambda c: F().binary_cross_entropy(t(c.sigmoid), t(c.targets)),
        segref_fn=lambda c: segref.binary_cross_entropy(c.sigmoid, c.targets, from_logits=False),
        framework_default=True,
        segref_default=True,
        note="Equal while every -log p stays below 100, PyTorch's clamp.",
    ),
    Row(
        loss="binary-cross-entropy",
        framework="pytorch",
        setting="probabilities at 0 and 1",
        framework_call="F.binary_cross_entropy(p, y, reduction='none')",
        segref_call="np.minimum(segref.binary_cross_entropy(p, y, from_logits=False, reduction='none'), 100)",
        framework_fn=lambda c: F().binary_cross_entropy(t(c.sigmoid), t(c.targets), reduction="none"),
        segref_fn=lambda c: np.minimum(
            segref.binary_cross_entropy(c.sigmoid, c.targets, from_logits=False, reduction="none"), 100.0
        ),
        inputs=saturated,
        differs="PyTorch clamps each log at -100, so a confident wrong pixel costs 100; "
        "the formula (and segref) gives infinity there.",
    ),
    Row(
        loss="binary-cross-entropy",
        framework="pytorch",
        setting="logits of magnitude 30 to 40",
        framework_call="F.binary_cross_entropy_with_logits(z, y, reduction='none')",
        segref_call="segref.binary_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: F().binary_cross_entropy_with_logits(t(c.logits), t(c.targets), reduction="none"),
        segref_fn=lambda c: segref.binary_cross_entropy(c.logits, c.targets, from_logits=True, reduction="none"),
        inputs=saturated_logits,
        note="Both work in log space: a wrong logit of magnitude |z| costs |z|, with no clamp.",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="pytorch",
        setting="logits",
        framework_call="F.cross_entropy(z, y)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True)",
        framework_fn=lambda c: F().cross_entropy(t(c.logits), t(c.labels)),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True),
        framework_default=True,
        segref_default=True,
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="pytorch",
        setting="weight, label_smoothing, ignore_index",
        framework_call="F.cross_entropy(z, y, weight=w, label_smoothing=0.1, ignore_index=255)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=w, "
        "label_smoothing=0.1, ignore_index=255)",
        framework_fn=lambda c: F().cross_entropy(
            t(c.logits),
            t(c.labels),
            weight=t(CLASS_WEIGHTS[: c.num_classes]),
            label_smoothing=0.1,
            ignore_index=IGNORE_INDEX,
        ),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits,
            c.labels,
            from_logits=True,
            class_weights=CLASS_WEIGHTS[: c.num_classes],
            label_smoothing=0.1,
            ignore_index=IGNORE_INDEX,
        ),
        ignore=True,
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="pytorch",
        setting="logits of magnitude 30 to 40",
        framework_call="F.cross_entropy(z, y, reduction='none')",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, reduction='none')",
        framework_fn=lambda c: F().cross_entropy(t(c.logits), t(c.labels), reduction="none"),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, reduction="none"),
        inputs=saturated_logits,
        note="Both take the log-softmax of the logits: exact where the softmax itself would round to 0.",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="pytorch",
        setting="every pixel ignored",
        framework_call="F.cross_entropy(z, y, ignore_index=255)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255, reduction='sum') "
        "/ (y != 255).sum()",
        framework_fn=lambda c: F().cross_entropy(t(c.logits), t(c.labels), ignore_index=IGNORE_INDEX),
        segref_fn=mean_over_counted,
        inputs=all_ignored,
        differs="PyTorch divides the summed loss by the number of counted pixels even when there is none: "
        "0 / 0 = NaN when every pixel is ignored. segref returns 0 there (nothing is counted).",
        note="The cases with some pixels ignored follow, where both give the mean over the counted pixels.",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="pytorch",
        setting="ignore_index names a class",
        framework_call="F.cross_entropy(z, y, ignore_index=1)",
        segref_call="segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=1)",
        framework_fn=lambda c: F().cross_entropy(t(c.logits), t(c.labels), ignore_index=1),
        segref_fn=lambda c: segref.categorical_cross_entropy(c.logits, c.labels, from_logits=True, ignore_index=1),
        note="The pixels labelled 1 leave the mean; the softmax keeps class 1's channel.",
    ),
    Row(
        loss="categorical-cross-entropy",
        framework="pytorch",
        setting="weight, one-hot targets",
        framework_call="F.cross_entropy(z, y_1h, weight=w)",
        segref_call="segref.categorical_cross_entropy(z, y_1h, from_logits=True, class_weights=w)",
        framework_fn=lambda c: F().cross_entropy(t(c.logits), t(c.one_hot), weight=t(CLASS_WEIGHTS[: c.num_classes])),
        segref_fn=lambda c: segref.categorical_cross_entropy(
            c.logits, c.one_hot, from_logits=True, class_weights=CLASS_WEIGHTS[: c.num_classes]
        ),
        note="With probability (one-hot or soft) targets both divide the weighted sum by the number of "
        "pixels, not by the summed weights of the true classes as with index targets: the same labels "
        "give two weighted means.",
    ),
]

NOT_PROVIDED = {
    "dice": "no Dice loss in torch.nn",
    "jaccard": "no Jaccard loss in torch.nn",
    "focal": "no focal loss in torch.nn (torchvision.ops.sigmoid_focal_loss is torchvision's)",
    "dice-ce": "no Dice loss in torch.nn",
    "tversky": "no Tversky loss in torch.nn",
    "generalized-dice": "no generalised Dice loss in torch.nn",
    "topk": "no TopK cross-entropy in torch.nn (F.cross_entropy(reduction='none') and torch.topk build one)",
    "poly": "no PolyLoss in torch.nn",
    "compound": "no compound loss in torch.nn",
    "log-cosh-dice": "no log-cosh Dice loss in torch.nn",
    "mcc": "no MCC loss in torch.nn",
    "sensitivity-specificity": "no sensitivity-specificity loss in torch.nn",
    "metrics": "no segmentation metrics in torch",
}
