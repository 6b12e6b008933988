"""The catalogue page's "Offered by" column against the installed frameworks (``pytest -m conformance``).

Each row of docs/catalogue.md names the frameworks that offer a loss; each name here is the
function or class that makes the claim true, looked up in the installed release. A name on
the page without an entry here, or an entry whose function is missing, fails.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from conformance import frameworks

pytestmark = pytest.mark.conformance

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "catalogue.md"

#: catalogue row (its first cell, up to the first "(" or "]") -> framework name on the page ->
#: (module, attribute) or (module, attribute, parameter) where the loss is a parameter of a more general one
OFFERED: dict[str, dict[str, tuple[str, str]]] = {
    "Binary cross-entropy": {
        "PyTorch": ("torch.nn.functional", "binary_cross_entropy_with_logits"),
        "Keras": ("keras.losses", "BinaryCrossentropy"),
        "SMP": ("smp.losses", "SoftBCEWithLogitsLoss"),
        "optax": ("optax.losses", "sigmoid_binary_cross_entropy"),
    },
    "Categorical cross-entropy": {
        "PyTorch": ("torch.nn.functional", "cross_entropy"),
        "Keras": ("keras.losses", "CategoricalCrossentropy"),
        "SMP": ("smp.losses", "SoftCrossEntropyLoss"),
        "optax": ("optax.losses", "softmax_cross_entropy"),
        "nnU-Net": ("nnunetv2.training.loss.robust_ce_loss", "RobustCrossEntropyLoss"),
    },
    "Focal": {
        "Keras": ("keras.losses", "CategoricalFocalCrossentropy"),
        "MONAI": ("monai.losses", "FocalLoss"),
        "SMP": ("smp.losses", "FocalLoss"),
        "kornia": ("kornia.losses", "focal_loss"),
        "optax": ("optax.losses", "sigmoid_focal_loss"),
    },
    "TopK cross-entropy": {"nnU-Net": ("nnunetv2.training.loss.robust_ce_loss", "TopKLoss")},
    "PolyLoss, Poly-1": {"optax": ("optax.losses", "poly_loss_cross_entropy")},
    "Class-frequency weights": {},
    "Neighbour-aware calibration, NACL": {"MONAI": ("monai.losses", "NACLLoss")},
    "Dice": {
        "Keras": ("keras.losses", "Dice"),
        "MONAI": ("monai.losses", "DiceLoss"),
        "SMP": ("smp.losses", "DiceLoss"),
        "kornia": ("kornia.losses", "dice_loss"),
        "optax": ("optax.losses", "dice_loss"),
        "nnU-Net": ("nnunetv2.training.loss.dice", "SoftDiceLoss"),
    },
    "Jaccard": {
        "MONAI": ("monai.losses", "DiceLoss", "jaccard"),
        "SMP": ("smp.losses", "JaccardLoss"),
        "optax": ("optax.losses", "dice_loss", "beta"),
    },
    "Tversky": {
        "Keras": ("keras.losses", "Tversky"),
        "MONAI": ("monai.losses", "TverskyLoss"),
        "SMP": ("smp.losses", "TverskyLoss"),
        "kornia": ("kornia.losses", "tversky_loss"),
        "optax": ("optax.losses", "dice_loss", "alpha"),
    },
    "Focal Tversky": {
        "SMP": ("smp.losses", "TverskyLoss", "gamma"),
        "MONAI": ("monai.losses.unified_focal_loss", "AsymmetricFocalTverskyLoss"),
    },
    "Generalised Dice": {
        "MONAI": ("monai.losses", "GeneralizedDiceLoss"),
        "optax": ("optax.losses", "multiclass_generalized_dice_loss"),
        "torchmetrics": ("torchmetrics.functional.segmentation", "generalized_dice_score"),
    },
    "Log-cosh Dice": {},
    "Sensitivity–specificity": {},
    "MCC loss": {
        "MONAI": ("monai.losses", "MCCLoss"),
        "SMP": ("smp.losses", "MCCLoss"),
        "torchmetrics": ("torchmetrics.classification", "MatthewsCorrCoef"),
    },
    "Lovász-softmax and Lovász hinge": {
        "SMP": ("smp.losses", "LovaszLoss"),
        "kornia": ("kornia.losses", "lovasz_softmax_loss"),
    },
    "Generalised Wasserstein Dice": {"MONAI": ("monai.losses", "GeneralizedWassersteinDiceLoss")},
    "Boundary loss": {"MONAI": ("monai.losses", "BoundaryLoss")},
    "Hausdorff distance loss": {
        "MONAI": ("monai.losses", "HausdorffDTLoss"),
        "kornia": ("kornia.losses", "HausdorffERLoss"),
    },
    "clDice": {"MONAI": ("monai.losses", "SoftclDiceLoss")},
    "U-Net border-weighted cross-entropy": {},
    "Dice + cross-entropy": {
        "MONAI": ("monai.losses", "DiceCELoss"),
        "nnU-Net": ("nnunetv2.training.loss.compound_losses", "DC_and_CE_loss"),
    },
    "Dice + focal": {"MONAI": ("monai.losses", "DiceFocalLoss")},
    "Generalised Dice + focal": {"MONAI": ("monai.losses", "GeneralizedDiceFocalLoss")},
    "Dice + TopK": {"nnU-Net": ("nnunetv2.training.loss.compound_losses", "DC_and_topk_loss")},
    "Combo": {},
    "Exponential logarithmic": {},
    "Unified focal": {"MONAI": ("monai.losses", "AsymmetricUnifiedFocalLoss")},
    "Weighted sum of any of the above": {},
}
FRAMEWORK_NAMES = ("PyTorch", "Keras", "MONAI", "SMP", "kornia", "optax", "nnU-Net", "torchmetrics")


def _rows() -> dict[str, set[str]]:
    """First cell of each catalogue table row -> the framework names in its "Offered by" cell."""
    rows = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("Loss", "") or set(cells[0]) <= {"-"}:
            continue
        name = re.sub(r"^\[([^\]]+)\].*$", r"\1", cells[0])
        name = re.split(r" \(", name)[0].strip()
        rows[name] = {framework for framework in FRAMEWORK_NAMES if re.search(rf"\b{re.escape(framework)}\b", cells[3])}
    return rows


def _lookup(module: str, attribute: str) -> object:
    if module == "smp.losses":
        return getattr(frameworks.smp_losses(), attribute)
    if module.startswith("keras"):
        frameworks.keras3()
    return getattr(importlib.import_module(module), attribute)


def test_every_catalogue_row_is_listed_here():
    assert set(_rows()) == set(OFFERED)


@pytest.mark.parametrize("loss", list(OFFERED))
def test_each_framework_named_offers_the_loss(loss):
    assert _rows()[loss] == set(OFFERED[loss]), f"{loss}: the page names {_rows()[loss]}"
    for framework, (module, attribute, *parameter) in OFFERED[loss].items():
        found = _lookup(module, attribute)
        assert callable(found), f"{loss}: {framework} has no {module}.{attribute}"
        if parameter:
            assert parameter[0] in inspect.signature(found).parameters, f"{loss}: {module}.{attribute}({parameter[0]}=)"
