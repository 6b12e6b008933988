"""Loss values against independent references: PyTorch's own losses, hand-derived
numbers and mathematical properties (perfect overlap, symmetry, identities)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import segref
from segref.nn import BinaryCrossEntropyLoss, CrossEntropyLoss, DiceCELoss, DiceLoss, FocalLoss

rng = np.random.default_rng(1234)


def logits(*shape, scale=2.0, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(scale=scale, size=shape))


def labels(n, *spatial, num_classes=3, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, num_classes, size=(n, *spatial)))


def one_hot(y, num_classes):
    return F.one_hot(y, num_classes).movedim(-1, 1).double()


# --- cross-entropy against torch.nn.functional -------------------------------------------------


@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_matches_torch(smoothing, reduction):
    z, y = logits(2, 3, 4, 4), torch.from_numpy((rng.uniform(size=(2, 3, 4, 4)) < 0.4).astype(float))
    pos_weight = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    y_smooth = y * (1 - smoothing) + smoothing / 2
    want = F.binary_cross_entropy_with_logits(z, y_smooth, pos_weight=pos_weight.view(3, 1, 1), reduction=reduction)
    got = segref.binary_cross_entropy(
        z, y, from_logits=True, label_smoothing=smoothing, pos_weight=pos_weight, reduction=reduction
    )
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    want = F.binary_cross_entropy(torch.sigmoid(z), y_smooth, reduction=reduction)
    got = segref.binary_cross_entropy(
        torch.sigmoid(z), y, from_logits=False, label_smoothing=smoothing, reduction=reduction
    )
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("one_entry", [torch.tensor([2.5], dtype=torch.float64), [2.5], np.array([2.5]), (2.5,)])
def test_bce_one_element_pos_weight_broadcasts_as_in_torch(one_entry):
    """A one-element pos_weight applies to every channel (C = 3 here), as PyTorch broadcasts it."""
    z, y = logits(2, 3, 4, 4), torch.from_numpy((rng.uniform(size=(2, 3, 4, 4)) < 0.4).astype(float))
    want = F.binary_cross_entropy_with_logits(z, y, pos_weight=torch.tensor([2.5], dtype=torch.float64))
    got = segref.binary_cross_entropy(z, y, from_logits=True, pos_weight=one_entry)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"pos_weight must be a 1-D sequence with one entry per class \(3\)"):
        segref.binary_cross_entropy(z, y, from_logits=True, pos_weight=[2.5, 1.0])


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cce_index_targets_match_torch(smoothing, weighted, ignore, reduction):
    z, y = logits(2, 4, 5, 3), labels(2, 5, 3, num_classes=4)
    if ignore:
        y[0, :2] = -100
    weight = torch.tensor([0.2, 1.0, 3.0, 0.7], dtype=torch.float64) if weighted else None
    want = F.cross_entropy(z, y, weight=weight, label_smoothing=smoothing, ignore_index=-100, reduction=reduction)
    for pred, from_logits in ((z, True), (torch.softmax(z, 1), False)):
        got = segref.categorical_cross_entropy(
            pred,
            y,
            from_logits=from_logits,
            class_weights=weight,
            label_smoothing=smoothing,
            ignore_index=-100 if ignore else None,
            reduction=reduction,
        )
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cce_soft_targets_match_torch(smoothing):
    z = logits(3, 4, 6)
    soft = torch.softmax(logits(3, 4, 6, seed=5), 1)
    weight = torch.tensor([1.0, 0.5, 2.0, 1.5], dtype=torch.float64)
    want = F.cross_entropy(z, soft, weight=weight, label_smoothing=smoothing)
    got = segref.categorical_cross_entropy(z, soft, from_logits=True, class_weights=weight, label_smoothing=smoothing)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_channels_last_equals_channels_first():
    z, y = logits(2, 3, 4, 5), labels(2, 4, 5)
    last = z.movedim(1, -1)
    for fn in (
        segref.categorical_cross_entropy,
        segref.dice_loss,
        segref.jaccard_loss,
        segref.focal_loss,
        segref.dice_ce_loss,
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
    ):
        torch.testing.assert_close(fn(last, y, from_logits=True, axis=-1), fn(z, y, from_logits=True))


def test_all_ignored_gives_zero_not_nan():
    z = logits(1, 3, 2, 2).requires_grad_(True)
    y = torch.full((1, 2, 2), 255)
    loss = segref.categorical_cross_entropy(z, y, from_logits=True, ignore_index=255)
    loss.backward()
    assert loss.item() == 0.0 and torch.all(z.grad == 0)
    assert segref.focal_loss(z, y, from_logits=True, ignore_index=255).item() == 0.0


# --- hand-derived values ------------------------------------------------------------------------


def test_bce_label_smoothing_by_hand():
    # y = 1 smoothed by s = 0.2 becomes 0.9; p = 0.8: -(0.9 log 0.8 + 0.1 log 0.2)
    got = segref.binary_cross_entropy(np.array([0.8]), np.array([1.0]), from_logits=False, label_smoothing=0.2)
    assert float(got) == pytest.approx(-(0.9 * math.log(0.8) + 0.1 * math.log(0.2)), rel=1e-12)


def test_dice_by_hand_two_images():
    # image 0: p = (1, 0.5), g = (1, 0): D = 2 / 2.5;  image 1: p = (0, 0), g = (0, 1): D = 0
    p = np.array([[[1.0, 0.5]], [[0.0, 0.0]]])
    g = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    per_image = segref.soft_dice_coefficient(p, g, from_logits=False, multilabel=True, reduction="none")
    np.testing.assert_allclose(per_image, [[0.8], [0.0]], rtol=1e-12)
    # the whole batch pooled: I = 1, P = 1.5, G = 2: D = 2 / 3.5
    batch = segref.soft_dice_coefficient(p, g, from_logits=False, multilabel=True, per_image=False)
    assert float(batch) == pytest.approx(2 / 3.5, rel=1e-12)
    squared = segref.soft_dice_coefficient(p, g, from_logits=False, multilabel=True, squared=True, reduction="none")
    np.testing.assert_allclose(squared, [[2 / 2.25], [0.0]], rtol=1e-12)
    smoothed = segref.dice_loss(p, g, from_logits=False, multilabel=True, smooth=1.0, reduction="none")
    np.testing.assert_allclose(smoothed, [[1 - 3 / 3.5], [1 - 1 / 2]], rtol=1e-12)


def test_focal_by_hand():
    # Lin et al. with alpha = 0.25, gamma = 2: positive p = 0.7 -> 0.25 * 0.09 * -log 0.7
    got = segref.binary_focal_loss(
        np.array([0.7, 0.4]), np.array([1.0, 0.0]), from_logits=False, alpha=0.25, reduction="none"
    )
    np.testing.assert_allclose(got, [0.25 * 0.09 * -math.log(0.7), 0.75 * 0.16 * -math.log(0.6)], rtol=1e-12)


def test_focal_figure_one_point():
    # Lin et al., Figure 1: CE at p_t = 0.1 is -log 0.1 = 2.303, and the curves decrease with gamma
    p_t = np.full((1, 1), 0.1)
    values = [
        float(segref.binary_focal_loss(p_t, np.ones((1, 1)), from_logits=False, gamma=g))
        for g in (0.0, 0.5, 1.0, 2.0, 5.0)
    ]
    assert values[0] == pytest.approx(2.302585, abs=1e-6)
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


# --- identities and properties ------------------------------------------------------------------


def test_focal_gamma_zero_is_cross_entropy():
    z, y = logits(2, 3, 4), labels(2, 4)
    torch.testing.assert_close(
        segref.focal_loss(z, y, from_logits=True, gamma=0.0), segref.categorical_cross_entropy(z, y, from_logits=True)
    )
    yb = (torch.rand(2, 3, 4) < 0.5).double()
    torch.testing.assert_close(
        segref.binary_focal_loss(z, yb, from_logits=True, gamma=0.0),
        segref.binary_cross_entropy(z, yb, from_logits=True),
    )


@pytest.mark.parametrize(
    "fn",
    [
        segref.focal_loss,
        segref.categorical_cross_entropy,
        segref.dice_loss,
        segref.jaccard_loss,
        segref.tversky_loss,
        segref.focal_tversky_loss,
        segref.generalized_dice_loss,
        segref.topk_cross_entropy,
        segref.poly_loss,
        segref.log_cosh_dice_loss,
        segref.mcc_loss,
        segref.sensitivity_specificity_loss,
    ],
)
def test_index_and_one_hot_targets_agree(fn):
    z, y = logits(2, 4, 3, 3), labels(2, 3, 3, num_classes=4)
    torch.testing.assert_close(
        fn(z, y, from_logits=True, reduction="none"), fn(z, one_hot(y, 4), from_logits=True, reduction="none")
    )


@pytest.mark.parametrize("per_image", [True, False])
@pytest.mark.parametrize("squared", [True, False])
def test_dice_and_jaccard_of_hard_predictions_match_the_metrics(per_image, squared):
    y, pred = labels(3, 6, 6, num_classes=4, seed=1), labels(3, 6, 6, num_classes=4, seed=2)
    soft = segref.soft_dice_coefficient(
        one_hot(pred, 4), y, from_logits=False, per_image=per_image, squared=squared, reduction="none"
    )
    hard = segref.dice_score(pred, y, num_classes=4, per_image=per_image, reduction="none")
    torch.testing.assert_close(soft, hard)
    soft_j = segref.soft_jaccard_index(one_hot(pred, 4), y, from_logits=False, per_image=per_image, reduction="none")
    torch.testing.assert_close(soft_j, segref.iou_score(pred, y, num_classes=4, per_image=per_image, reduction="none"))


def test_dice_jaccard_identities():
    y, pred = labels(4, 8, 8, num_classes=3, seed=3), labels(4, 8, 8, num_classes=3, seed=4)
    d = segref.dice_score(pred.numpy(), y.numpy(), num_classes=3, reduction="none")
    j = segref.iou_score(pred.numpy(), y.numpy(), num_classes=3, reduction="none")
    np.testing.assert_allclose(segref.dice_from_jaccard(j), d, rtol=1e-12)
    np.testing.assert_allclose(segref.jaccard_from_dice(d), j, rtol=1e-12)
    # the identity holds per pair, not between the averages
    assert float(segref.dice_from_jaccard(np.mean(j))) != pytest.approx(float(np.mean(d)), rel=1e-6)


def test_overlap_perfect_and_disjoint():
    y = labels(2, 5, 5, num_classes=3)
    perfect = one_hot(y, 3)
    assert segref.dice_loss(perfect, y, from_logits=False).item() == pytest.approx(0.0, abs=1e-15)
    assert segref.jaccard_loss(perfect, y, from_logits=False).item() == pytest.approx(0.0, abs=1e-15)
    disjoint = one_hot((y + 1) % 3, 3)
    present = segref.dice_loss(disjoint, y, from_logits=False, reduction="none")
    assert torch.all(present == 1.0)


def test_empty_masks_are_defined():
    empty = np.zeros((1, 1, 4))
    some = np.array([[[0.0, 0.3, 0.0, 0.0]]])
    assert float(segref.dice_loss(empty, empty, from_logits=False, multilabel=True)) == 0.0
    assert float(segref.jaccard_loss(empty, empty, from_logits=False, multilabel=True)) == 0.0
    # target empty, prediction not: the formula gives D = 0, loss 1
    assert float(segref.dice_loss(some, empty, from_logits=False, multilabel=True)) == 1.0
    assert (
        float(segref.dice_score(np.zeros((1, 3), int), np.zeros((1, 3), int), num_classes=2, reduction="none")[0, 1])
        == 1.0
    )


def test_ignore_index_equals_dropping_pixels():
    z, y = logits(1, 3, 1, 8), labels(1, 1, 8)
    y_ignored = y.clone()
    y_ignored[0, 0, 5:] = 255
    for fn in (segref.dice_loss, segref.jaccard_loss, segref.categorical_cross_entropy, segref.focal_loss):
        with_ignore = fn(z, y_ignored, from_logits=True, ignore_index=255)
        dropped = fn(z[..., :5], y[..., :5], from_logits=True)
        torch.testing.assert_close(with_ignore, dropped)


def test_exclude_background():
    z, y = logits(2, 3, 4, 4), labels(2, 4, 4)
    full = segref.dice_loss(z, y, from_logits=True, reduction="none")
    torch.testing.assert_close(
        segref.dice_loss(z, y, from_logits=True, include_background=False, reduction="none"), full[:, 1:]
    )


def test_dice_ce_is_weighted_sum():
    z, y = logits(2, 3, 4, 4), labels(2, 4, 4)
    want = 0.3 * segref.dice_loss(z, y, from_logits=True) + 0.7 * segref.categorical_cross_entropy(
        z, y, from_logits=True
    )
    torch.testing.assert_close(segref.dice_ce_loss(z, y, from_logits=True, dice_weight=0.3, ce_weight=0.7), want)


def test_numpy_and_torch_agree():
    z, y = logits(2, 3, 4, 4), labels(2, 4, 4)
    for fn in (
        segref.categorical_cross_entropy,
        segref.dice_loss,
        segref.jaccard_loss,
        segref.focal_loss,
        segref.dice_ce_loss,
        segref.soft_dice_coefficient,
        segref.tversky_index,
        segref.focal_tversky_loss,
        segref.topk_cross_entropy,
        segref.bootstrapped_cross_entropy,
        segref.poly_loss,
        segref.dice_focal_loss,
        segref.dice_topk_loss,
    ):
        got = fn(z.numpy(), y.numpy(), from_logits=True)
        assert isinstance(got, np.ndarray)
        np.testing.assert_allclose(got, fn(z, y, from_logits=True).numpy(), rtol=1e-12)


# --- modules ------------------------------------------------------------------------------------


def test_modules_equal_functions_and_move_buffers():
    z, y = logits(2, 3, 4, 4), labels(2, 4, 4)
    weights = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    pairs = [
        (
            CrossEntropyLoss(from_logits=True, class_weights=weights),
            segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=weights),
        ),
        (DiceLoss(from_logits=True, per_image=False), segref.dice_loss(z, y, from_logits=True, per_image=False)),
        (FocalLoss(from_logits=True, gamma=1.0), segref.focal_loss(z, y, from_logits=True, gamma=1.0)),
        (DiceCELoss(from_logits=True), segref.dice_ce_loss(z, y, from_logits=True)),
    ]
    for module, want in pairs:
        torch.testing.assert_close(module(z, y), want)
    module = CrossEntropyLoss(from_logits=True, class_weights=weights).to(torch.float32)
    assert module.class_weights.dtype == torch.float32
    assert "class_weights" in dict(module.named_buffers())
    with pytest.raises(TypeError, match="unexpected keyword argument .from_logit."):
        BinaryCrossEntropyLoss(from_logit=True)


def test_metrics_on_uint8_maps_with_ignore_255():
    """target * C + pred must not overflow in uint8."""
    y = np.array([[0, 1, 2, 255]], dtype=np.uint8)
    pred = np.array([[0, 1, 1, 0]], dtype=np.uint8)
    # class 0: TP 1 -> 1; class 1: TP 1, FP 1 -> 2/3; class 2: FN 1 -> 0
    np.testing.assert_allclose(
        segref.dice_score(pred, y, num_classes=3, ignore_index=255, reduction="none"), [[1.0, 2 / 3, 0.0]]
    )
    np.testing.assert_allclose(
        segref.dice_score(
            torch.from_numpy(pred), torch.from_numpy(y), num_classes=3, ignore_index=255, reduction="none"
        ),
        [[1.0, 2 / 3, 0.0]],
    )


def test_tversky_gradient_at_a_perfect_prediction_keeps_the_false_positive_term():
    """At a one-hot prediction FP = P - I rounds to 0; its derivative (1 - g) must still reach the
    background probabilities: d(1 - T)/dp = -(D - (1 - beta) I) / D^2 = -(1 - (1 - beta)) / I on the
    foreground and alpha / I on the background (D = I there)."""
    p = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]], dtype=torch.float64)
    segref.tversky_loss(p, g, from_logits=False, multilabel=True, alpha=0.3, beta=0.7).backward()
    torch.testing.assert_close(p.grad, torch.tensor([[[-0.35, -0.35, 0.15, 0.15]]], dtype=torch.float64))


def test_tversky_refuses_two_zero_weights_where_written():
    with pytest.raises(ValueError, match="alpha and beta are both 0"):
        segref.tversky_loss(torch.zeros(1, 2, 2), torch.tensor([[0, 1]]), from_logits=True, alpha=0.0, beta=0.0)
    with pytest.raises(ValueError, match="gamma must be a finite number in \\(0, inf\\), got 0"):
        segref.nn.FocalTverskyLoss(from_logits=True, gamma=0.0)
    with pytest.raises(TypeError, match="alpha must be a real number, got None"):
        segref.nn.TverskyLoss(from_logits=True, alpha=None)


@pytest.mark.parametrize("absent_classes", ["max", "epsilon"])
def test_generalized_dice_float32_gradient_equals_float64(absent_classes):
    """A class absent and not predicted (weight 1e20 with "epsilon") must not push the weighted
    denominator below the bound where safe_divide's gradient stops being exact."""
    p = torch.tensor([[[0.9, 0.8, 0.7, 0.4], [0.1, 0.2, 0.3, 0.6], [0.0, 0.0, 0.0, 0.0]]], dtype=torch.float64)
    y = torch.tensor([[0, 0, 0, 1]])
    grads = []
    for dtype in (torch.float32, torch.float64):
        pt = p.to(dtype).requires_grad_(True)
        segref.generalized_dice_loss(pt, y, from_logits=False, absent_classes=absent_classes).backward()
        grads.append(pt.grad.double())
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-7)
    # by hand (the class 2 term is 0 with either rule): class 1's pixels, as on the page
    torch.testing.assert_close(
        grads[1][0, 1], torch.tensor([0.214233, 0.214233, 0.214233, -0.488892], dtype=torch.float64), atol=1e-6, rtol=0
    )


def test_generalized_dice_choices_are_checked_where_written():
    with pytest.raises(ValueError, match=r"weighting must be one of \('square', 'simple', 'uniform'\), got 'cubic'"):
        segref.generalized_dice_loss(torch.zeros(1, 2, 2), torch.tensor([[0, 1]]), from_logits=True, weighting="cubic")
    with pytest.raises(ValueError, match=r"absent_classes must be one of \('max', 'epsilon'\), got 'zero'"):
        segref.nn.GeneralizedDiceLoss(from_logits=True, absent_classes="zero")
    with pytest.raises(TypeError, match="weighting must be one of .*, got 2"):
        segref.nn.GeneralizedDiceLoss(from_logits=True, weighting=2)


# --- TopK, bootstrapping, Poly-1 and class-frequency weights ---------------------------------------


def test_topk_and_bootstrapping_reduce_to_the_cross_entropy_when_they_keep_every_pixel():
    z, y = logits(2, 3, 4, 5), labels(2, 4, 5)
    ce = segref.categorical_cross_entropy(z, y, from_logits=True)
    torch.testing.assert_close(segref.topk_cross_entropy(z, y, from_logits=True, k=100), ce)
    torch.testing.assert_close(segref.bootstrapped_cross_entropy(z, y, from_logits=True, per_image=False), ce)
    torch.testing.assert_close(segref.poly_loss(z, y, from_logits=True, epsilon=0.0), ce)
    kept = segref.topk_cross_entropy(z, y, from_logits=True, k=25, reduction="none")
    assert int((kept > 0).sum()) == 10  # 25 % of 40 pixels
    torch.testing.assert_close(kept.sum(), segref.topk_cross_entropy(z, y, from_logits=True, k=25, reduction="sum"))
    torch.testing.assert_close(kept.sum() / 10, segref.topk_cross_entropy(z, y, from_logits=True, k=25))


def test_topk_gradient_reaches_the_kept_pixels_only():
    z = torch.zeros(1, 2, 4)
    z[0, 1] = torch.tensor([3.0, 1.0, -1.0, -3.0])  # class 1 is ever less likely along the row
    z.requires_grad_(True)
    segref.topk_cross_entropy(z, torch.ones(1, 4, dtype=torch.long), from_logits=True, k=50).backward()
    # the two pixels with the smallest p_1 are kept; d/dz_1 = (p_1 - 1) / 2 there
    p1 = torch.sigmoid(z[0, 1] - z[0, 0]).detach()
    expected = torch.where(torch.arange(4) >= 2, (p1 - 1) / 2, torch.zeros(4))
    torch.testing.assert_close(z.grad[0, 1], expected)


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda z, y: segref.topk_cross_entropy(z, y, from_logits=True, k=0),
            r"k must be a finite number in \(0, 100\]",
        ),
        (lambda z, y: segref.topk_cross_entropy(z, y, from_logits=True, k=150.0), r"k must .*got 150.0"),
        (
            lambda z, y: segref.bootstrapped_cross_entropy(z, y, from_logits=True, num_kept=0),
            r"num_kept must be an int >= 1",
        ),
        (
            lambda z, y: segref.bootstrapped_cross_entropy(z, y, from_logits=True, threshold=-0.1),
            r"threshold must .*\[0, inf\)",
        ),
        (lambda z, y: segref.poly_loss(z, y, from_logits=True, epsilon=-1.5), r"epsilon must .*\[-1, inf\), got -1.5"),
        (
            lambda z, y: segref.topk_cross_entropy(z, y, from_logits=True, per_image=1),
            r"per_image must be True or False",
        ),
    ],
)
def test_selecting_and_poly_options_are_checked(call, message):
    z, y = logits(1, 3, 2, 2), labels(1, 2, 2)
    with pytest.raises(ValueError if "per_image" not in message else TypeError, match=message):
        call(z, y)


def test_bootstrapped_num_kept_must_be_an_int():
    with pytest.raises(TypeError, match=r"num_kept must be an int, got 2.5"):
        segref.nn.BootstrappedCrossEntropyLoss(from_logits=True, num_kept=2.5)
    with pytest.raises(ValueError, match=r"k must be a finite number in \(0, 100\], got 0"):
        segref.nn.TopKCrossEntropyLoss(from_logits=True, k=0)


def test_class_frequency_weights_agree_across_libraries_and_datasets():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, size=(3, 5, 6))
    y[0, 0] = 255
    for scheme in ("inverse", "inverse_sqrt", "median"):
        expected = segref.class_frequency_weights(y, num_classes=5, scheme=scheme, ignore_index=255)
        got = segref.class_frequency_weights(torch.from_numpy(y), num_classes=5, scheme=scheme, ignore_index=255)
        assert got.dtype == torch.float32 and expected.dtype == np.float64
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
        split = segref.class_frequency_weights([y[:1], y[1:]], num_classes=5, scheme=scheme, ignore_index=255)
        np.testing.assert_allclose(split, expected, rtol=1e-12)
        assert expected[4] == 0.0  # class 4 never occurs
    counts = np.bincount(y[y != 255], minlength=5)
    frequency = counts / counts.sum()
    inverse = segref.class_frequency_weights(y, num_classes=5, ignore_index=255)
    np.testing.assert_allclose((frequency * inverse).sum(), 1.0)  # a pixel's mean weight is 1
    np.testing.assert_allclose(inverse[:4], counts.sum() / (4 * counts[:4]))  # scikit-learn's "balanced"


def test_class_frequency_weights_median_of_an_even_number_of_classes():
    # phi = 3/8, 2/4, 3/4: median 1/2; with a fourth class in one image of 4 pixels, phi_3 = 1/4
    y = np.array([[0, 0, 1, 1], [0, 2, 2, 2]])
    np.testing.assert_allclose(segref.class_frequency_weights(y, num_classes=3, scheme="median"), [4 / 3, 1.0, 2 / 3])
    y4 = np.array([[0, 0, 0, 1], [2, 2, 3, 3], [2, 3, 3, 3]])
    # phi = 3/4, 1/4, 3/8 (class 2 in two images of 4), 5/8: the median of four is (3/8 + 5/8) / 2 = 1/2,
    # which neither middle value alone gives
    for labels in (y4, torch.from_numpy(y4)):
        got = segref.class_frequency_weights(labels, num_classes=4, scheme="median")
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), [2 / 3, 2.0, 4 / 3, 0.8], rtol=1e-6)


@pytest.mark.parametrize(
    "labels,options,error,message",
    [
        (np.array([[0.0, 1.0]]), {}, TypeError, r"labels must hold integer class indices, got dtype float64"),
        (np.array([[0, 3]]), {}, ValueError, r"labels holds class indices in \[0, 3\]; expected \[0, 2\]"),
        (np.array([[255, 255]]), {"ignore_index": 255}, ValueError, r"labels holds no counted pixel"),
        (np.array([[0, 1]]), {"scheme": "log"}, ValueError, r"scheme must be one of"),
        ([], {}, ValueError, r"labels is an empty iterable"),
        ([np.array([[0]]), np.array([[5]])], {}, ValueError, r"labels\[1\] holds class indices"),
        ([np.array([[0]]), torch.tensor([[1]])], {}, TypeError, r"labels mixes NumPy arrays and torch tensors"),
        ("abc", {}, TypeError, r"labels\[0\] must be a numpy.ndarray or a torch.Tensor, got str"),
        (np.array([[True, False]]), {}, TypeError, r"labels must hold integer class indices, got dtype bool"),
        (np.array([[0, 1]]), {"ignore_index": "x"}, TypeError, r"ignore_index must be an int or None, got 'x'"),
        (np.ma.masked_array([[0, 1]], mask=[[0, 1]]), {}, TypeError, r"labels is a numpy masked array"),
        (torch.tensor([[0.0, 1.0]]), {}, TypeError, r"labels must hold integer class indices, got dtype torch.float32"),
        (np.array(1), {}, ValueError, r"labels must have an image axis first, got a 0-d array"),
    ],
)
def test_class_frequency_weights_reject_bad_input(labels, options, error, message):
    with pytest.raises(error, match=message):
        segref.class_frequency_weights(labels, num_classes=3, **options)
    with pytest.raises(TypeError, match=r"num_classes must be an int"):
        segref.class_frequency_weights(np.array([[0]]), num_classes=3.0)


def test_bootstrapping_an_infinite_loss_gives_inf_not_nan():
    # two pixels with probability 0 on their true class: both losses are infinite, K = 1 keeps one
    p_true = np.array([0.0, 0.0, 0.5, 0.9])
    p, y = np.stack([p_true, 1 - p_true])[None], np.zeros((1, 4), dtype=int)
    for options in ({"ignore_index": 255}, {"threshold": 0.1}, {}):
        value = segref.bootstrapped_cross_entropy(p, y, from_logits=False, num_kept=1, **options)
        kept = segref.bootstrapped_cross_entropy(p, y, from_logits=False, num_kept=1, reduction="none", **options)
        assert np.isinf(value) and not np.isnan(kept).any(), (options, value, kept)


def test_class_frequency_weights_count_beyond_float32s_integers():
    # float32 stops counting at 2**24: 17 million pixels of class 0 and 1000 of class 1
    y = torch.zeros(1, 17_001_000, dtype=torch.uint8)
    y[0, :1000] = 1
    weights = segref.class_frequency_weights(y, num_classes=2)
    np.testing.assert_allclose(weights.numpy(), [17_001_000 / (2 * 17_000_000), 17_001_000 / 2000], rtol=1e-6)


def test_combined_loss_checks_every_term_and_its_own_options():
    z, y = logits(1, 2, 2, 2), labels(1, 2, 2, num_classes=2)
    with pytest.raises(ValueError, match=r"k must be a finite number in \(0, 100\], got -1"):
        segref.combined_loss(z, y, from_logits=True, terms=[(0.0, "topk_cross_entropy", {"k": -1}), (1.0, "dice_loss")])
    with pytest.raises(TypeError, match=r"from_logits must be True or False, got 'yes'"):
        segref.combined_loss(z, y, from_logits="yes", terms=[(0.0, "dice_loss")])
    with pytest.raises(TypeError, match=r"terms\[0\] sets ignore_index"):
        segref.combined_loss(z, y, from_logits=True, terms=[(1.0, "dice_loss", {"ignore_index": 3})])
    with pytest.raises(ValueError, match=r"terms\[1\]: focal_loss is a softmax loss"):
        segref.combined_loss(
            z, (z > 0) * 1.0, from_logits=True, multilabel=True, terms=[(1, "dice_loss"), (1, "focal_loss")]
        )
    with pytest.raises(ValueError, match=r"dice_weight must be a finite number"):
        segref.dice_focal_loss(z, y, from_logits=True, dice_weight=-1.0)
    zero = segref.combined_loss(z.requires_grad_(True), y, from_logits=True, terms=[(0.0, "dice_loss")])
    zero.backward()
    assert zero.item() == 0.0 and torch.all(z.grad == 0)


def test_mcc_conventions_where_the_formula_is_zero_over_zero():
    g = np.array([[[0.0, 0.0, 0.0, 0.0]]])  # the class is absent: MCC is the accuracy 1 - FP / n
    p = np.array([[[0.0, 0.2, 0.0, 0.6]]])
    assert float(segref.mcc_loss(p, g, from_logits=False, multilabel=True)) == pytest.approx(0.8 / 4)
    assert float(segref.mcc_loss(g, g, from_logits=False, multilabel=True)) == 0.0
    full = 1 - g  # the class covers every pixel: 1 - FN / n
    assert float(segref.mcc_loss(1 - p, full, from_logits=False, multilabel=True)) == pytest.approx(0.8 / 4)
    # only the prediction is constant: 0, the limit
    half = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    assert float(segref.mcc_loss(np.zeros_like(half), half, from_logits=False, multilabel=True)) == 1.0
    z = torch.zeros(1, 1, 4, dtype=torch.float64, requires_grad=True)
    segref.mcc_loss(z, torch.zeros(1, 1, 4, dtype=torch.float64), from_logits=True, multilabel=True).backward()
    assert torch.all(z.grad == 0.5 * 0.5 / 4)  # d(p/4)/dz per pixel, p = sigmoid(0)


def test_sensitivity_specificity_refuses_a_weight_outside_zero_one():
    z, y = logits(1, 2, 2, 2), labels(1, 2, 2, num_classes=2)
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"sensitivity_weight must be a finite number in \[0, 1\]"):
            segref.sensitivity_specificity_loss(z, y, from_logits=True, sensitivity_weight=bad)


def test_overlap_sums_of_more_than_2_to_the_24_pixels_stay_exact_in_float32():
    """scatter_add adds one value at a time: a float32 class sum stops growing at 2**24, so one image of
    that size (a 256^3 volume) needs a wider accumulator; the values against float64."""
    n = 2**24 + 4097
    p = torch.tensor([0.9, 0.1]).reshape(1, 2, 1).expand(1, 2, n).contiguous()
    y = torch.zeros(1, n, dtype=torch.long)
    for fn in (segref.mcc_loss, segref.dice_loss):
        got = fn(p, y, from_logits=False, reduction="none")
        want = fn(p.double(), y, from_logits=False, reduction="none")
        torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-6)
