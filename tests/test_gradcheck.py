"""gradcheck and gradgradcheck in float64 for every loss and every option that changes the
computation path: logits or probabilities, index / one-hot / soft / multi-label targets,
ignore_index, squared, per_image, class weights, label smoothing, alpha, pos_weight,
and the channels-last layout. The gradient with respect to a class-weight tensor is
checked too where the loss is differentiable in it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import segref

RNG = np.random.default_rng(7)
N, C, H, W = 2, 3, 3, 2


def _logits():
    return torch.from_numpy(RNG.normal(size=(N, C, H, W))).requires_grad_(True)


def _probabilities():
    z = RNG.normal(size=(N, C, H, W))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return torch.from_numpy(p).requires_grad_(True)


def _targets(form: str):
    labels = torch.from_numpy(RNG.integers(0, C, size=(N, H, W)))
    if form == "index":
        return labels
    if form == "ignored":
        return torch.where(torch.from_numpy(RNG.random((N, H, W)) < 0.3), 255, labels)
    if form == "one-hot":
        return torch.nn.functional.one_hot(labels, C).movedim(-1, 1).double()
    if form == "soft":
        return torch.softmax(torch.from_numpy(RNG.normal(size=(N, C, H, W))), dim=1)
    if form == "multilabel":
        return torch.from_numpy((RNG.random((N, C, H, W)) < 0.5) * 1.0)
    raise ValueError(form)


OVERLAP_OPTIONS = [{}, {"squared": True}, {"per_image": False}, {"include_background": False}, {"smooth": 1e-3}]
CASES = []
for name, fn in [
    ("dice_loss", segref.dice_loss),
    ("jaccard_loss", segref.jaccard_loss),
    ("soft_dice_coefficient", segref.soft_dice_coefficient),
]:
    for form, options in itertools.product(["index", "ignored", "one-hot", "soft", "multilabel"], OVERLAP_OPTIONS):
        CASES.append((name, fn, form, options))
TVERSKY_OPTIONS = [{}, {"alpha": 0.5, "beta": 0.5, "per_image": False}, {"include_background": False, "smooth": 1e-3}]
for name, fn in [("tversky_loss", segref.tversky_loss), ("focal_tversky_loss", segref.focal_tversky_loss)]:
    for form, options in itertools.product(["index", "ignored", "one-hot", "soft", "multilabel"], TVERSKY_OPTIONS):
        CASES.append((name, fn, form, options))
GD_OPTIONS = [
    {},
    {"weighting": "simple", "per_image": False},
    {"absent_classes": "epsilon", "smooth": 1e-3},
    {"include_background": False, "weighting": "uniform"},
]
for form, options in itertools.product(["index", "ignored", "one-hot", "soft", "multilabel"], GD_OPTIONS):
    CASES.append(("generalized_dice_loss", segref.generalized_dice_loss, form, options))
CONFUSION_OPTIONS = [{}, {"per_image": False, "smooth": 1e-3}, {"include_background": False}]
for form, options in itertools.product(["index", "ignored", "one-hot", "soft", "multilabel"], CONFUSION_OPTIONS):
    CASES.append(("log_cosh_dice_loss", segref.log_cosh_dice_loss, form, options))
    CASES.append(("mcc_loss", segref.mcc_loss, form, options))
    ss_options = {"sensitivity_weight": 0.3, **options}
    CASES.append(("sensitivity_specificity_loss", segref.sensitivity_specificity_loss, form, ss_options))
for form, options in itertools.product(
    ["index", "ignored", "soft"], [{}, {"label_smoothing": 0.1}, {"class_weights": [0.5, 1.0, 2.0]}]
):
    CASES.append(("categorical_cross_entropy", segref.categorical_cross_entropy, form, options))
for form, options in itertools.product(
    ["index", "ignored", "soft"], [{"gamma": 2.0}, {"gamma": 0.5}, {"alpha": [0.2, 0.3, 0.5]}]
):
    CASES.append(("focal_loss", segref.focal_loss, form, options))
# random inputs have no ties, so the kept pixels stay the same within gradcheck's steps
for form, options in itertools.product(
    ["index", "ignored", "soft"], [{"k": 30.0}, {"k": 50.0, "per_image": True, "label_smoothing": 0.1}]
):
    CASES.append(("topk_cross_entropy", segref.topk_cross_entropy, form, options))
for form, options in itertools.product(
    ["index", "ignored"], [{"num_kept": 2}, {"num_kept": 1, "threshold": 1.0, "class_weights": [0.5, 1.0, 2.0]}]
):
    CASES.append(("bootstrapped_cross_entropy", segref.bootstrapped_cross_entropy, form, options))
for form, options in itertools.product(
    ["index", "ignored", "soft"], [{"epsilon": 1.0}, {"epsilon": -1.0, "label_smoothing": 0.1}]
):
    CASES.append(("poly_loss", segref.poly_loss, form, options))
for form, options in itertools.product(
    ["index", "ignored"], [{}, {"per_image": False, "include_background": False, "gamma": 0.5, "focal_weight": 2.0}]
):
    CASES.append(("dice_focal_loss", segref.dice_focal_loss, form, options))
CASES.append(("dice_focal_loss", segref.dice_focal_loss, "multilabel", {"gamma": 2.0}))
for form, options in itertools.product(["index", "ignored"], [{"k": 30.0}, {"k": 50.0, "label_smoothing": 0.1}]):
    CASES.append(("dice_topk_loss", segref.dice_topk_loss, form, options))
for form in ["index", "ignored", "one-hot"]:
    CASES.append(
        (
            "combined_loss",
            segref.combined_loss,
            form,
            {"terms": [(0.5, "jaccard_loss"), (1.0, "poly_loss", {"epsilon": 2.0}), (0.3, "tversky_loss")]},
        )
    )
for form, options in itertools.product(
    ["index", "ignored", "soft", "multilabel"],
    [
        {},
        {"squared": True, "per_image": False},
        {"label_smoothing": 0.1},
        {"class_weights": [0.5, 1.0, 2.0], "dice_weight": 0.5},
    ],
):
    if form == "multilabel" and "class_weights" in options:
        continue
    CASES.append(("dice_ce_loss", segref.dice_ce_loss, form, options))


def _call(fn, form, options, inputs, target, axis):
    extra = {"multilabel": True} if form == "multilabel" else {}
    if form == "ignored":
        extra["ignore_index"] = 255
    if axis == -1:
        inputs = inputs.movedim(1, -1)
        target = target.movedim(1, -1) if target.ndim == inputs.ndim else target
    return fn(inputs, target, axis=axis, **extra, **options)


@pytest.mark.parametrize(
    "name,fn,form,options,axis",
    [case + (1 if i % 2 else -1,) for i, case in enumerate(CASES)],
    ids=[f"{c[0]}-{c[2]}-{'-'.join(c[3]) or 'default'}" for c in CASES],
)
@pytest.mark.parametrize("from_logits", [True, False])
def test_gradcheck_and_gradgradcheck(name, fn, form, options, axis, from_logits):
    """Every other case channels-last (axis=-1), so both layouts meet every loss."""
    if not from_logits and form == "multilabel":
        pred = torch.sigmoid(_logits()).detach().requires_grad_(True)
    else:
        pred = _logits() if from_logits else _probabilities()
    target = _targets(form)

    def loss(x):
        return _call(fn, form, {**options, "from_logits": from_logits}, x, target, axis)

    with segref.value_checks(False):  # gradcheck perturbs probabilities off the simplex
        assert torch.autograd.gradcheck(loss, (pred,))
        assert torch.autograd.gradgradcheck(loss, (pred,))


@pytest.mark.parametrize(
    "fn,option",
    [
        (segref.binary_cross_entropy, {"pos_weight": 2.0}),
        (segref.binary_cross_entropy, {"label_smoothing": 0.2}),
        (segref.binary_focal_loss, {"gamma": 2.0, "alpha": 0.25}),
        (segref.binary_focal_loss, {"gamma": 0.5}),
    ],
)
@pytest.mark.parametrize("from_logits", [True, False])
def test_gradcheck_binary_losses(fn, option, from_logits):
    z = torch.from_numpy(RNG.normal(size=(N, 1, H, W)))
    pred = (z if from_logits else torch.sigmoid(z)).requires_grad_(True)
    target = torch.from_numpy(RNG.random((N, 1, H, W)))

    def loss(x):
        return fn(x, target, from_logits=from_logits, **option)

    assert torch.autograd.gradcheck(loss, (pred,))
    assert torch.autograd.gradgradcheck(loss, (pred,))


@pytest.mark.parametrize(
    "fn,option",
    [
        (segref.categorical_cross_entropy, "class_weights"),
        (segref.focal_loss, "alpha"),
        (segref.binary_cross_entropy, "pos_weight"),
    ],
)
def test_gradcheck_with_respect_to_a_weight_tensor(fn, option):
    binary = fn is segref.binary_cross_entropy
    z = _logits()[:, :1] if binary else _logits()
    target = torch.from_numpy(RNG.random((N, 1, H, W))) if binary else _targets("ignored")
    extra = {} if binary else {"ignore_index": 255}
    weights = torch.from_numpy(RNG.uniform(0.5, 2.0, size=1 if binary else C)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x, w: fn(x, target, from_logits=True, **{option: w}, **extra), (z, weights))
