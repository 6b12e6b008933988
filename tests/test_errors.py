"""Bad input raises ValueError or TypeError naming the argument, what came and what was expected."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch

import segref
from segref import keras as sk

CLASS_LOSSES = [
    segref.categorical_cross_entropy,
    segref.focal_loss,
    segref.dice_loss,
    segref.soft_dice_coefficient,
    segref.jaccard_loss,
    segref.soft_jaccard_index,
    segref.dice_ce_loss,
    segref.tversky_index,
    segref.tversky_loss,
    segref.focal_tversky_loss,
    segref.generalized_dice_loss,
    segref.topk_cross_entropy,
    segref.bootstrapped_cross_entropy,
    segref.poly_loss,
    segref.dice_focal_loss,
    segref.dice_topk_loss,
    segref.log_cosh_dice_loss,
    segref.mcc_loss,
    segref.sensitivity_specificity_loss,
    functools.partial(segref.combined_loss, terms=[(1.0, "dice_loss"), (1.0, "focal_loss"), (0.5, "poly_loss")]),
]
BINARY_LOSSES = [segref.binary_cross_entropy, segref.binary_focal_loss]
ALL_LOSSES = CLASS_LOSSES + BINARY_LOSSES


def class_inputs(lib="torch"):
    z = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    y = np.random.default_rng(1).integers(0, 3, size=(2, 4, 4))
    return (torch.from_numpy(z), torch.from_numpy(y)) if lib == "torch" else (z, y)


def binary_inputs():
    z = torch.from_numpy(np.random.default_rng(0).normal(size=(2, 1, 4, 4)))
    return z, (z > 0).double()


def inputs_for(fn):
    return binary_inputs() if fn in BINARY_LOSSES else class_inputs()


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_shape_mismatch(fn):
    z, y = inputs_for(fn)
    with pytest.raises(ValueError, match=r"target must have .*shape.*\(2, (1|3), 4, 4\).*got \(2, (1, )?4, 3\)"):
        fn(z, y[..., :3].clone(), from_logits=True)


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_unknown_reduction(fn):
    z, y = inputs_for(fn)
    with pytest.raises(ValueError, match=r"reduction must be one of .*got 'avg'"):
        fn(z, y, from_logits=True, reduction="avg")


@pytest.mark.parametrize("fn", ALL_LOSSES)
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_inf_prediction(fn, bad):
    z, y = inputs_for(fn)
    z = z.clone()
    z[0, 0, 0, 0] = bad
    with pytest.raises(ValueError, match=r"pred contains 1 NaN or infinite value\(s\); expected finite"):
        fn(z, y, from_logits=True)


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_integer_prediction(fn):
    z, y = inputs_for(fn)
    with pytest.raises(TypeError, match=r"pred must be a floating-point array .*got dtype torch.int64"):
        fn(z.long(), y, from_logits=True)


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_probabilities_out_of_range(fn):
    z, y = inputs_for(fn)
    with pytest.raises(
        ValueError, match=r"pred must hold probabilities in \[0, 1\], got values in \[-.*; pass from_logits=True"
    ):
        fn(z * 5, y, from_logits=False)


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_empty_input(fn):
    z, y = inputs_for(fn)
    with pytest.raises(ValueError, match=r"pred is empty \(shape \(0, "):
        fn(z[:0], y[:0], from_logits=True)


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_from_logits_is_required_and_boolean(fn):
    z, y = inputs_for(fn)
    with pytest.raises(TypeError, match="from_logits"):
        fn(z, y)
    with pytest.raises(TypeError, match=r"from_logits must be True or False, got 'yes'"):
        fn(z, y, from_logits="yes")


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_class_index_out_of_range(fn):
    z, y = class_inputs()
    y = y.clone()
    y[0, 0, 0] = 3
    with pytest.raises(ValueError, match=r"target holds class indices in \[0, 3\]; expected \[0, 2\]"):
        fn(z, y, from_logits=True)
    y[0, 0, 0] = -1
    with pytest.raises(ValueError, match=r"target holds class indices in \[-1, 2\]"):
        fn(z, y, from_logits=True)


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_probabilities_must_sum_to_one(fn):
    z, y = class_inputs()
    with pytest.raises(ValueError, match=r"must sum to 1 over the class axis \(axis=1\)"):
        fn(torch.sigmoid(z), y, from_logits=False)


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_float_index_map_and_soft_target_range(fn):
    z, y = class_inputs()
    with pytest.raises(TypeError, match=r"class-index map and must have an integer dtype, got torch.float64"):
        fn(z, y.double(), from_logits=True)
    soft = torch.full_like(z, 1.5)
    with pytest.raises(ValueError, match=r"target must hold soft labels in \[0, 1\], got values in \[1.5, 1.5\]"):
        fn(z, soft, from_logits=True)


@pytest.mark.parametrize("fn", BINARY_LOSSES)
def test_binary_target_out_of_range(fn):
    z, y = binary_inputs()
    with pytest.raises(ValueError, match=r"target must hold soft labels in \[0, 1\], got values in \[0, 2\]"):
        fn(z, y * 2, from_logits=True)


@pytest.mark.parametrize("fn", ALL_LOSSES)
def test_mixed_libraries_and_lists(fn):
    z, y = inputs_for(fn)
    with pytest.raises(TypeError, match="same library"):
        fn(z.numpy(), y, from_logits=True)
    with pytest.raises(TypeError, match=r"pred must be a numpy.ndarray or a torch.Tensor, got list"):
        fn(z.tolist(), y, from_logits=True)


def test_option_values():
    z, y = class_inputs()
    with pytest.raises(ValueError, match=r"label_smoothing must be a finite number in \[0, 1\], got 1.5"):
        segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"class_weights must be a 1-D sequence with one entry per class \(3\)"):
        segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"class_weights must hold finite, non-negative values"):
        segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=[1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match=r"gamma must be a finite number in \[0, inf\), got -1"):
        segref.focal_loss(z, y, from_logits=True, gamma=-1)
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0, 1\], got 2"):
        segref.binary_focal_loss(z, torch.ones_like(z), from_logits=True, alpha=2)
    with pytest.raises(ValueError, match=r"smooth must be a finite number in \[0, inf\), got -0.1"):
        segref.dice_loss(z, y, from_logits=True, smooth=-0.1)
    # infinite options gave NaN or inf losses before they were refused
    for call in (
        lambda: segref.dice_loss(z, y, from_logits=True, smooth=math.inf),
        lambda: segref.focal_loss(z, y, from_logits=True, gamma=math.inf),
        lambda: segref.binary_cross_entropy(z, torch.ones_like(z), from_logits=True, pos_weight=math.inf),
        lambda: segref.dice_ce_loss(z, y, from_logits=True, ce_weight=math.inf),
    ):
        with pytest.raises(ValueError, match=r"must be a finite number in \[0, inf\), got inf"):
            call()
    with pytest.raises(ValueError, match="axis=5 is out of range for pred of shape"):
        segref.dice_loss(z, y, from_logits=True, axis=5)
    with pytest.raises(ValueError, match="ignore_index applies to class-index targets only"):
        segref.dice_loss(z, torch.softmax(z, 1), from_logits=True, ignore_index=0)
    with pytest.raises(ValueError, match=r"reduction must be one of 'mean', got 'sum'"):
        segref.dice_ce_loss(z, y, from_logits=True, reduction="sum")
    with pytest.raises(TypeError, match="per_image must be True or False"):
        segref.dice_loss(z, y, from_logits=True, per_image=1)


def test_metric_errors():
    y = np.array([[0, 1, 2]])
    with pytest.raises(
        TypeError,
        match=r"pred must be an integer \(or boolean\) label map, got dtype float64; "
        r"for scores or probabilities take the argmax",
    ):
        segref.dice_score(y.astype(float), y, num_classes=3)
    with pytest.raises(ValueError, match=r"pred holds class indices in \[0, 5\]; expected \[0, 2\]"):
        segref.iou_score(np.array([[0, 1, 5]]), y, num_classes=3)
    with pytest.raises(ValueError, match=r"jaccard must hold scores in \[0, 1\], got values in \[1.2, 1.2\]"):
        segref.dice_from_jaccard(1.2)


def test_keras_module_errors():
    with pytest.raises(ValueError, match=r"reduction must be one of 'none', 'sum_over_batch_size', 'sum'"):
        sk.binary_crossentropy(np.ones(3), np.ones(3) / 2, reduction="mean")
    with pytest.raises(ValueError, match=r"y_true must have shape \(3,\)"):
        sk.sparse_categorical_crossentropy(np.array([0, 1]), np.full((3, 2), 0.5))


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_single_channel_softmax_is_refused(fn):
    z = torch.randn(2, 1, 4, 4)
    with pytest.raises(ValueError, match=r"pred has a single class along axis 1 .*use multilabel=True"):
        fn(z, torch.zeros(2, 4, 4, dtype=torch.long), from_logits=True)


def test_numpy_and_zero_dim_scalars_are_accepted_as_options():
    z, y = class_inputs()
    want = segref.categorical_cross_entropy(z, y, from_logits=True, label_smoothing=0.25, ignore_index=255)
    got = segref.categorical_cross_entropy(
        z, y, from_logits=True, label_smoothing=np.float32(0.25), ignore_index=np.int64(255)
    )
    torch.testing.assert_close(got, want)
    zb, yb = binary_inputs()
    torch.testing.assert_close(
        segref.binary_cross_entropy(zb, yb, from_logits=True, pos_weight=torch.tensor(2.0)),
        segref.binary_cross_entropy(zb, yb, from_logits=True, pos_weight=2.0),
    )
    torch.testing.assert_close(
        segref.focal_loss(z, y, from_logits=True, gamma=torch.tensor(2.0)),
        segref.focal_loss(z, y, from_logits=True, gamma=2.0),
    )
    with pytest.raises(TypeError, match=r"class_weights must be a sequence of numbers \(one per class\), got 'abc'"):
        segref.categorical_cross_entropy(z, y, from_logits=True, class_weights="abc")


def test_boolean_masks_are_label_maps():
    target = np.array([[True, True, False, False]])
    pred = np.array([[True, False, False, False]])
    # foreground: TP 1, FN 1 -> Dice 2/3
    assert float(segref.dice_score(pred, target, num_classes=2, include_background=False)) == pytest.approx(2 / 3)


def test_keras_module_names_its_arguments_and_checks_axis():
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred \(2,\), got \(3,\)"):
        sk.binary_crossentropy(np.ones(3), np.full(2, 0.5))
    with pytest.raises(ValueError, match=r"axis=5 is out of range for y_pred of shape \(3,\)"):
        sk.dice(np.ones(3), np.ones(3), axis=5)
    with pytest.raises(ValueError, match=r"y_true holds class indices in \[0, 4\]; expected \[0, 1\]"):
        sk.sparse_categorical_crossentropy(np.array([0, 4]), np.full((2, 2), 0.5))
