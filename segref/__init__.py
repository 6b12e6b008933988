"""segref: semantic-segmentation losses whose formulas are their specification.

Naming follows scikit-learn: ``*_loss`` is lower-is-better; ``*_score``,
``*_coefficient`` and ``*_index`` are higher-is-better. Every function takes
NumPy arrays or PyTorch tensors and returns the same kind; every option is
keyword-only. ``segref.keras`` reproduces Keras' numbers; ``segref.nn`` holds
``torch.nn.Module`` wrappers.
"""

from . import keras as keras  # segref.nn needs torch and is imported on first use
from . import testing as testing
from ._types import Array, ArrayInput
from ._validation import value_checks, value_checks_enabled
from .compound import combined_loss, dice_ce_loss, dice_focal_loss, dice_topk_loss
from .confusion import mcc_loss, sensitivity_specificity_loss
from .cross_entropy import (
    binary_cross_entropy,
    bootstrapped_cross_entropy,
    categorical_cross_entropy,
    class_frequency_weights,
    poly_loss,
    topk_cross_entropy,
)
from .focal import binary_focal_loss, focal_loss
from .metrics import dice_from_jaccard, dice_score, iou_score, jaccard_from_dice
from .overlap import (
    dice_loss,
    focal_tversky_loss,
    generalized_dice_loss,
    jaccard_loss,
    log_cosh_dice_loss,
    soft_dice_coefficient,
    soft_jaccard_index,
    tversky_index,
    tversky_loss,
)


def __getattr__(name: str):
    if name == "nn":
        import importlib

        return importlib.import_module(".nn", __name__)
    raise AttributeError(f"module 'segref' has no attribute {name!r}")


__all__ = [
    "Array",
    "ArrayInput",
    "binary_cross_entropy",
    "binary_focal_loss",
    "bootstrapped_cross_entropy",
    "categorical_cross_entropy",
    "class_frequency_weights",
    "combined_loss",
    "dice_ce_loss",
    "dice_focal_loss",
    "dice_from_jaccard",
    "dice_loss",
    "dice_score",
    "dice_topk_loss",
    "focal_loss",
    "focal_tversky_loss",
    "generalized_dice_loss",
    "iou_score",
    "jaccard_from_dice",
    "jaccard_loss",
    "log_cosh_dice_loss",
    "mcc_loss",
    "poly_loss",
    "sensitivity_specificity_loss",
    "soft_dice_coefficient",
    "soft_jaccard_index",
    "topk_cross_entropy",
    "tversky_index",
    "tversky_loss",
    "value_checks",
    "value_checks_enabled",
]
__version__ = "0.1.0"
