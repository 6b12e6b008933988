"""On a CUDA device: every loss gives the CPU's numbers and gradients, reads the host at most once
(never with value checks off) and runs under autocast. Skipped, visibly, without CUDA.

The host reads are counted by CUDA itself (``torch.cuda.set_sync_debug_mode``), which sees
every synchronisation, not only the ones ``tests/test_training_path.py`` can intercept on CPU.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import torch

import segref

if not torch.cuda.is_available():
    pytest.skip("CUDA tests: torch.cuda.is_available() is False on this machine", allow_module_level=True)

CLASS_LOSSES = {
    "categorical_cross_entropy": segref.categorical_cross_entropy,
    "focal_loss": segref.focal_loss,
    "dice_loss": segref.dice_loss,
    "jaccard_loss": segref.jaccard_loss,
    "dice_ce_loss": segref.dice_ce_loss,
    "tversky_loss": segref.tversky_loss,
    "focal_tversky_loss": segref.focal_tversky_loss,
    "generalized_dice_loss": segref.generalized_dice_loss,
    "topk_cross_entropy": segref.topk_cross_entropy,
    "topk_cross_entropy per image": functools.partial(segref.topk_cross_entropy, per_image=True),
    "bootstrapped_cross_entropy": functools.partial(segref.bootstrapped_cross_entropy, num_kept=50, threshold=1.0),
    "poly_loss": segref.poly_loss,
    "dice_focal_loss": segref.dice_focal_loss,
    "log_cosh_dice_loss": segref.log_cosh_dice_loss,
    "mcc_loss": segref.mcc_loss,
    "sensitivity_specificity_loss": segref.sensitivity_specificity_loss,
    "combined_loss": functools.partial(
        segref.combined_loss, terms=[(1.0, "dice_loss"), (1.0, "topk_cross_entropy"), (0.5, "poly_loss")]
    ),
}
BINARY_LOSSES = {"binary_cross_entropy": segref.binary_cross_entropy, "binary_focal_loss": segref.binary_focal_loss}
OPTIONS = [{}, {"ignore_index": 255}]


def _inputs(device: str, dtype=torch.float32, binary: bool = False):
    generator = torch.Generator().manual_seed(0)
    shape = (2, 1 if binary else 4, 16, 12)
    z = torch.randn(shape, generator=generator, dtype=torch.float64) * 3
    if binary:
        y = (torch.rand(shape, generator=generator) < 0.3).double()
    else:
        y = torch.randint(0, 4, (2, 16, 12), generator=generator)
        y[0, :3] = 255
    return z.to(device=device, dtype=dtype).requires_grad_(True), y.to(device)


def _prepared(name: str, device: str, options: dict, dtype=torch.float32):
    """The loss function and its inputs (made on the host and copied over beforehand)."""
    binary = name in BINARY_LOSSES
    z, y = _inputs(device, dtype, binary)
    if not binary and "ignore_index" not in options:
        y = torch.where(y == 255, 0, y)
    fn = (BINARY_LOSSES if binary else CLASS_LOSSES)[name]
    return fn, z, y


def _step(fn, z, y, options: dict):
    value = fn(z, y, from_logits=True, **options)
    value.backward()
    return value, z.grad


def _call(name: str, device: str, options: dict, dtype=torch.float32):
    fn, z, y = _prepared(name, device, options, dtype)
    return _step(fn, z, y, options)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("name", list(CLASS_LOSSES) + list(BINARY_LOSSES))
def test_cuda_equals_cpu_float64(name, options):
    if name in BINARY_LOSSES and options:
        return
    value, grad = _call(name, "cuda", options)
    expected, expected_grad = _call(name, "cpu", options, dtype=torch.float64)
    assert value.device.type == "cuda" and value.dtype == torch.float32
    torch.testing.assert_close(value.double().cpu(), expected, rtol=2e-5, atol=1e-6)
    torch.testing.assert_close(grad.double().cpu(), expected_grad, rtol=2e-4, atol=1e-6)


def _synchronisations(function) -> int:
    """How many times ``function`` made the host wait for the GPU, as CUDA reports them."""
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            function()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("name", list(CLASS_LOSSES) + list(BINARY_LOSSES))
def test_cuda_training_step_reads_the_host_at_most_once_and_never_without_value_checks(name, options):
    if name in BINARY_LOSSES and options:
        return
    _call(name, "cuda", options)  # warm-up: lazy initialisation may synchronise once
    fn, z, y = _prepared(name, "cuda", options)
    assert _synchronisations(lambda: _step(fn, z, y, options)) <= 1
    fn, z, y = _prepared(name, "cuda", options)
    with segref.value_checks(False):
        assert _synchronisations(lambda: _step(fn, z, y, options)) == 0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", list(CLASS_LOSSES))
def test_cuda_half_inputs_and_autocast_are_finite_and_close(name, dtype):
    value, grad = _call(name, "cuda", {"ignore_index": 255}, dtype=dtype)
    expected, _ = _call(name, "cpu", {"ignore_index": 255}, dtype=torch.float64)
    assert value.dtype == dtype and torch.isfinite(value) and torch.isfinite(grad).all()
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(value.double().cpu(), expected, rtol=8 * eps, atol=8 * eps)
    z, y = _inputs("cuda")
    with torch.autocast("cuda", dtype=dtype):
        logits = torch.nn.functional.conv2d(z, torch.eye(4, device="cuda")[:, :, None, None])
        loss = CLASS_LOSSES[name](logits, y, from_logits=True, ignore_index=255)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_class_frequency_weights_on_cuda_stay_there_without_a_host_read():
    y = torch.randint(0, 5, (4, 32, 32), generator=torch.Generator().manual_seed(2)).cuda()
    for scheme in ("inverse", "inverse_sqrt", "median"):
        expected = segref.class_frequency_weights(y.cpu().numpy(), num_classes=6, scheme=scheme)
        with segref.value_checks(False):
            count = _synchronisations(lambda s=scheme: segref.class_frequency_weights(y, num_classes=6, scheme=s))
            got = segref.class_frequency_weights(y, num_classes=6, scheme=scheme)
        assert got.device.type == "cuda" and count == 0
        np.testing.assert_allclose(got.cpu().numpy(), expected, rtol=1e-6)
