"""Numerical behaviour: extreme logits, exact 0/1 probabilities, half precision, gradients."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

import segref

CLASS_LOSSES = [
    segref.categorical_cross_entropy,
    segref.focal_loss,
    segref.dice_loss,
    segref.jaccard_loss,
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
    functools.partial(segref.combined_loss, terms=[(1.0, "dice_loss"), (1.0, "focal_loss"), (0.5, "poly_loss")]),
]
BINARY_LOSSES = [segref.binary_cross_entropy, segref.binary_focal_loss]


def extreme_class_logits(dtype=torch.float32):
    z = torch.tensor([[[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]]], dtype=dtype)  # (1, 3, 2)
    return z, torch.tensor([[1, 0]])


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_class_losses_finite_at_extreme_logits(fn):
    z, y = extreme_class_logits()
    z.requires_grad_(True)
    loss = fn(z, y, from_logits=True)
    loss.backward()
    assert torch.isfinite(loss) and torch.all(torch.isfinite(z.grad))


def test_cross_entropy_value_at_extreme_logits():
    # both pixels put logit 1e4 on a wrong class and -1e4 on the right one: loss = 2e4 each
    z, y = extreme_class_logits()
    loss = segref.categorical_cross_entropy(z, y, from_logits=True, reduction="none")
    torch.testing.assert_close(loss, torch.tensor([[2e4, 2e4]]))


@pytest.mark.parametrize(
    ("fn", "gamma_kw"),
    [
        (segref.binary_cross_entropy, {}),
        (segref.binary_focal_loss, {}),
        (segref.binary_focal_loss, {"gamma": 0.5}),
    ],
)
def test_binary_losses_finite_at_extreme_logits(fn, gamma_kw):
    z = torch.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    y = torch.tensor([1.0, 1.0, 0.0, 0.0])
    loss = fn(z, y, from_logits=True, reduction="none", **gamma_kw)
    loss.sum().backward()
    assert torch.all(torch.isfinite(loss)) and torch.all(torch.isfinite(z.grad))
    assert loss[1].item() == pytest.approx(1e4) and loss[0].item() == 0.0


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_probability_inputs_at_zero_and_one_have_finite_gradients(gamma):
    # p exactly 0 or 1 on the side of its label: the loss is 0 and so is the gradient
    p = torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    loss = segref.binary_focal_loss(p, y, from_logits=False, gamma=gamma, reduction="none")
    loss.sum().backward()
    assert torch.all(torch.isfinite(p.grad))
    assert loss[:2].tolist() == [0.0, 0.0]


def test_probability_zero_on_a_positive_is_infinite():
    with np.errstate(divide="ignore"):
        assert float(segref.binary_cross_entropy(np.array([0.0]), np.array([1.0]), from_logits=False)) == np.inf


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("fn", CLASS_LOSSES + BINARY_LOSSES)
def test_half_precision(fn, dtype):
    """Half inputs are computed in float32 and returned in the input dtype."""
    gen = torch.Generator().manual_seed(0)
    if fn in BINARY_LOSSES:
        z32 = torch.randn(4, 1, 64, 64, generator=gen) * 3
        y = (torch.rand(4, 1, 64, 64, generator=gen) < 0.3).float()
    else:
        z32 = torch.randn(4, 3, 64, 64, generator=gen) * 3
        y = torch.randint(0, 3, (4, 64, 64), generator=gen)
    z16 = z32.to(dtype).requires_grad_(True)
    loss = fn(z16, y, from_logits=True)
    assert loss.dtype == dtype
    loss.backward()
    assert z16.grad.dtype == dtype and torch.all(torch.isfinite(z16.grad))
    reference = fn(z16.detach().float(), y, from_logits=True)
    torch.testing.assert_close(loss.float(), reference, rtol=1e-2, atol=1e-3)


def test_half_sums_do_not_overflow():
    # 300 x 300 pixels sum to 9e4 > float16's maximum 65504: computed in float32 it stays exact
    p = torch.ones(1, 1, 300, 300, dtype=torch.float16)
    assert segref.dice_loss(p, p, from_logits=False, multilabel=True).item() == 0.0


@pytest.mark.parametrize("fn", CLASS_LOSSES)
def test_gradcheck_class_losses(fn):
    z = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 3, (2, 3, 3))
    assert torch.autograd.gradcheck(lambda x: fn(x, y, from_logits=True), (z,))


@pytest.mark.parametrize("fn", BINARY_LOSSES)
def test_gradcheck_binary_losses(fn):
    z = torch.randn(2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    y = torch.rand(2, 1, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: fn(x, y, from_logits=True), (z,))


def test_index_targets_are_not_expanded_to_one_hot():
    """Peak extra memory of the index-target Dice path stays below one (N, C, H, W) tensor."""
    import tracemalloc

    z = np.random.default_rng(0).normal(size=(2, 16, 64, 64))
    y = np.random.default_rng(1).integers(0, 16, size=(2, 64, 64))
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    tracemalloc.start()
    segref.dice_loss(probs, y, from_logits=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    one_hot_bytes = probs.nbytes
    # validation and the p * p-free sums need at most a few (N, C, H*W)-sized float buffers or less
    assert peak < 1.5 * one_hot_bytes


@pytest.mark.parametrize("fn", [segref.categorical_cross_entropy, segref.focal_loss, segref.dice_ce_loss])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_ignored_pixel_with_zero_probability_is_not_nan(fn, smoothing):
    """An ignored pixel is relabelled internally; its zero probabilities must not leak 0 * log 0."""
    p = torch.tensor([[[0.0, 0.7], [1.0, 0.3]]], requires_grad=True)  # pixel 0: p = (0, 1), ignored
    y = torch.tensor([[255, 0]])
    extra = {"label_smoothing": smoothing} if fn is not segref.focal_loss else {}
    loss = fn(p, y, from_logits=False, ignore_index=255, **extra)
    loss.backward()
    assert torch.isfinite(loss) and torch.all(torch.isfinite(p.grad))
    assert torch.all(p.grad[..., 0] == 0)  # the ignored pixel gets no gradient
    if fn is segref.categorical_cross_entropy and smoothing == 0.0:
        assert loss.item() == pytest.approx(-np.log(0.7), rel=1e-6)


@pytest.mark.parametrize("num_classes", [3, 21])
def test_bfloat16_probabilities_are_accepted(num_classes):
    """A softmax computed in bfloat16 sums to 1 only to bfloat16 rounding."""
    z = torch.randn(2, num_classes, 8, 8, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, num_classes, (2, 8, 8), generator=torch.Generator().manual_seed(1))
    p16 = torch.softmax(z.bfloat16(), dim=1)
    got = segref.dice_loss(p16, y, from_logits=False)
    want = segref.dice_loss(p16.float() / p16.float().sum(1, keepdim=True), y, from_logits=False)
    assert got.dtype == torch.bfloat16
    assert got.float().item() == pytest.approx(want.item(), abs=2e-2)
