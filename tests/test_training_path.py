"""The training path: host synchronisations, value-check switch, torch.compile, lean kernels, DDP.

Speed itself is measured by benchmarks/bench_training.py, never asserted here; what
is asserted are the structural properties the speed rests on (how many times a
loss reads a value back to the host, how many full-size tensors it allocates),
and that the fast path computes the same numbers and gradients as plain autograd.
"""

from __future__ import annotations

import functools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

import segref
import segref.nn

HOST_READS = {"__bool__", "item", "tolist", "__float__", "__int__", "__index__", "numpy", "__array__"}


class HostReads(TorchFunctionMode):
    """Counts the calls that copy a tensor's value to the host (a synchronisation on a GPU)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in HOST_READS:
            self.reads.append(name)
        return func(*args, **(kwargs or {}))


def _inputs(n=2, c=4, spatial=(6, 5), seed=0):
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn((n, c) + spatial, generator=generator, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, c, (n,) + spatial, generator=generator)
    return z, y


def _binary_inputs():
    generator = torch.Generator().manual_seed(1)
    z = torch.randn(2, 1, 6, 5, generator=generator, requires_grad=True)
    return z, (torch.rand(2, 1, 6, 5, generator=generator) < 0.4).float()


CLASS_LOSSES = {
    "categorical_cross_entropy": segref.categorical_cross_entropy,
    "dice_loss": segref.dice_loss,
    "jaccard_loss": segref.jaccard_loss,
    "soft_dice_coefficient": segref.soft_dice_coefficient,
    "soft_jaccard_index": segref.soft_jaccard_index,
    "focal_loss": segref.focal_loss,
    "dice_ce_loss": segref.dice_ce_loss,
    "tversky_loss": segref.tversky_loss,
    "focal_tversky_loss": segref.focal_tversky_loss,
    "generalized_dice_loss": segref.generalized_dice_loss,
    "topk_cross_entropy": segref.topk_cross_entropy,
    "bootstrapped_cross_entropy": functools.partial(segref.bootstrapped_cross_entropy, num_kept=4, threshold=0.5),
    "poly_loss": segref.poly_loss,
    "dice_focal_loss": segref.dice_focal_loss,
    "dice_topk_loss": segref.dice_topk_loss,
    "log_cosh_dice_loss": segref.log_cosh_dice_loss,
    "mcc_loss": segref.mcc_loss,
    "sensitivity_specificity_loss": segref.sensitivity_specificity_loss,
    "combined_loss": functools.partial(
        segref.combined_loss, terms=[(1.0, "dice_loss"), (1.0, "topk_cross_entropy"), (0.5, "focal_loss")]
    ),
}
BINARY_LOSSES = {"binary_cross_entropy": segref.binary_cross_entropy, "binary_focal_loss": segref.binary_focal_loss}


def _call(name, **options):
    if name in BINARY_LOSSES:
        z, y = _binary_inputs()
        return BINARY_LOSSES[name](z, y, **options)
    z, y = _inputs()
    return CLASS_LOSSES[name](z, y, **options)


# --- host synchronisations ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CLASS_LOSSES) + list(BINARY_LOSSES))
def test_default_call_reads_the_host_at_most_once(name):
    with HostReads() as counter:
        _call(name, from_logits=True)
    assert len(counter.reads) <= 1, counter.reads


@pytest.mark.parametrize(
    "options",
    [
        {"from_logits": True, "ignore_index": 255},
        {"from_logits": True, "class_weights": torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64)},
        {"from_logits": True, "label_smoothing": 0.1, "ignore_index": 255},
    ],
)
def test_options_keep_one_host_read(options):
    z, y = _inputs()
    y[0, 0] = 255 if "ignore_index" in options else y[0, 0]
    for function in (segref.categorical_cross_entropy, segref.dice_ce_loss):
        with HostReads() as counter:
            function(z, y, **options)
        assert len(counter.reads) <= 1, (function.__name__, counter.reads)


@pytest.mark.parametrize(
    "call",
    [
        lambda z, y: segref.focal_loss(z, y, from_logits=True, alpha=0.25),
        lambda z, y: segref.focal_loss(z, y, from_logits=True, alpha=[0.5, 1.0, 2.0, 1.0]),
        lambda z, y: segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=[0.5, 1.0, 2.0, 1.0]),
        lambda z, y: segref.dice_ce_loss(z, y, from_logits=True, class_weights=np.array([0.5, 1.0, 2.0, 1.0])),
    ],
)
def test_options_given_as_numbers_are_checked_on_the_host(call):
    z, y = _inputs()
    with HostReads() as counter:
        call(z, y)
    assert len(counter.reads) <= 1, counter.reads
    with segref.value_checks(False), HostReads() as counter:
        call(z, y)
    assert counter.reads == []


def test_probabilities_are_checked_with_one_host_read():
    z, y = _inputs()
    with HostReads() as counter:
        segref.dice_loss(torch.softmax(z, 1), y, from_logits=False)
    assert len(counter.reads) == 1, counter.reads


def test_value_checks_can_be_switched_off_and_are_restored():
    z, y = _inputs()
    with segref.value_checks(False):
        assert not segref.value_checks_enabled()
        with HostReads() as counter:
            segref.dice_ce_loss(z, y, from_logits=True)
        assert counter.reads == []
        bad = y.clone()
        bad[0, 0, 0] = 7  # out of range: unchecked, so the caller's responsibility
        nan = z.detach().clone()
        nan[0, 0, 0, 0] = float("nan")
        assert torch.isnan(segref.dice_loss(nan, y, from_logits=True))
    assert segref.value_checks_enabled()
    with pytest.raises(ValueError, match=r"target holds class indices in \[0, 7\]; expected \[0, 3\]"):
        segref.dice_loss(z, bad, from_logits=True)
    with pytest.raises(ValueError, match="pred contains 1 NaN"):
        segref.dice_loss(nan, y, from_logits=True)
    with pytest.raises(TypeError, match="enabled must be True or False"):
        segref.value_checks("no")


def test_value_checks_off_as_a_plain_call():
    segref.value_checks(False)
    try:
        assert not segref.value_checks_enabled()
    finally:
        segref.value_checks(True)
    assert segref.value_checks_enabled()


def test_a_bad_class_weight_tensor_is_caught_by_the_combined_check():
    z, y = _inputs()
    with pytest.raises(ValueError, match="class_weights must hold finite, non-negative values"):
        segref.categorical_cross_entropy(
            z, y, from_logits=True, class_weights=torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
        )


# --- torch.compile ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CLASS_LOSSES) + list(BINARY_LOSSES))
def test_compiles_with_fullgraph_and_matches_eager(name):
    torch._dynamo.reset()
    function = {**CLASS_LOSSES, **BINARY_LOSSES}[name]
    z, y = _binary_inputs() if name in BINARY_LOSSES else _inputs()
    compiled = torch.compile(functools.partial(function, from_logits=True), fullgraph=True, backend="aot_eager")
    got = compiled(z, y)
    (got_grad,) = torch.autograd.grad(got, z)
    want = function(z, y, from_logits=True)
    (want_grad,) = torch.autograd.grad(want, z)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_grad, want_grad)


@pytest.mark.parametrize(
    "module",
    [
        lambda: segref.nn.FocalLoss(from_logits=True, alpha=0.25),
        lambda: segref.nn.FocalLoss(from_logits=True, alpha=[0.5, 1.0, 2.0, 1.0]),
        lambda: segref.nn.CrossEntropyLoss(from_logits=True, class_weights=[0.5, 1.0, 2.0, 1.0], label_smoothing=0.1),
        lambda: segref.nn.DiceCELoss(from_logits=True, ignore_index=255, include_background=False),
    ],
)
def test_modules_with_number_options_compile_with_fullgraph(module):
    torch._dynamo.reset()
    z, y = _inputs()
    criterion = module()
    compiled = torch.compile(criterion, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(z, y), criterion(z, y))


@pytest.mark.parametrize("name", segref.nn.__all__)
def test_modules_compile_with_fullgraph(name):
    torch._dynamo.reset()
    binary = name.startswith("Binary")
    z, y = _binary_inputs() if binary else _inputs()
    options = {} if binary else {"class_weights": torch.tensor([1.0, 2.0, 1.0, 1.0], dtype=torch.float64)}
    module_type = getattr(segref.nn, name)
    if name in ("CrossEntropyLoss", "DiceCELoss", "DiceTopKLoss"):
        extra = options
    elif name == "CombinedLoss":
        extra = {
            "terms": [(1.0, "dice_loss"), (1.0, "categorical_cross_entropy", {"class_weights": [1.0, 2.0, 1.0, 1.0]})]
        }
    else:
        extra = {}
    module = module_type(from_logits=True, **extra)
    compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(z, y), module(z, y))


# --- the fused kernel against plain autograd ----------------------------------------------------


def _reference_dice_ce(
    z,
    y,
    *,
    ignore_index=None,
    class_weights=None,
    label_smoothing=0.0,
    per_image=True,
    include_background=True,
    ce=True,
):
    """Dice + CE (or Dice alone) written with a one-hot target and autograd only (no segref code)."""
    c = z.shape[1]
    valid = torch.ones_like(y, dtype=z.dtype) if ignore_index is None else (y != ignore_index).to(z.dtype)
    labels = torch.where(valid.bool(), y, torch.zeros_like(y))
    one_hot = F.one_hot(labels, c).movedim(-1, 1).to(z.dtype) * valid.unsqueeze(1)
    p = torch.softmax(z, 1) * valid.unsqueeze(1)
    axes = tuple(range(2, z.ndim)) if per_image else (0,) + tuple(range(2, z.ndim))
    dice = 2 * (p * one_hot).sum(axes) / (p.sum(axes) + one_hot.sum(axes))
    dice = torch.where(torch.isnan(dice), torch.ones_like(dice), dice)
    if not include_background:
        dice = dice[..., 1:]
    if not ce:
        return (1 - dice).mean()
    ce = F.cross_entropy(
        z,
        y,
        weight=class_weights,
        ignore_index=-100 if ignore_index is None else ignore_index,
        label_smoothing=label_smoothing,
    )
    return (1 - dice).mean() + ce


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"ignore_index": 255},
        {"class_weights": torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)},
        {"label_smoothing": 0.2, "ignore_index": 255},
        {"label_smoothing": 0.1, "class_weights": torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)},
        {"per_image": False, "include_background": False},
    ],
)
def test_fused_dice_ce_matches_autograd_reference(options):
    z, y = _inputs(c=4, spatial=(5, 4, 3))
    if "ignore_index" in options:
        y[0, :2] = 255
    got = segref.dice_ce_loss(z, y, from_logits=True, **options)
    want = _reference_dice_ce(z, y, **options)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(torch.autograd.grad(got, z)[0], torch.autograd.grad(want, z)[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", [{}, {"ignore_index": 255}, {"per_image": False, "include_background": False}])
def test_fused_dice_matches_autograd_reference(options):
    z, y = _inputs(c=3, spatial=(4, 5))
    if "ignore_index" in options:
        y[1, 0] = 255
    got = segref.dice_loss(z, y, from_logits=True, **options)
    want = _reference_dice_ce(z, y, ce=False, **options)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(torch.autograd.grad(got, z)[0], torch.autograd.grad(want, z)[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("label", [0.0, 1.0, 0.5])
def test_bce_refuses_every_non_finite_logit(bad, label, reduction):
    """From logits on torch the reduced loss stands in for a pass over the logits: it must see every case."""
    z = torch.tensor([[0.3, bad, -1.0]])
    y = torch.tensor([[1.0, label, 0.0]])
    with pytest.raises(ValueError, match=r"pred contains 1 NaN or infinite value\(s\)"):
        segref.binary_cross_entropy(z, y, from_logits=True, reduction=reduction, pos_weight=2.0, label_smoothing=0.1)


@pytest.mark.parametrize("name", ["categorical_cross_entropy", "dice_loss", "focal_loss", "dice_ce_loss"])
def test_fused_path_supports_second_derivatives(name):
    z, y = _inputs(c=3, spatial=(3, 2))
    y[0, 0, 0] = 255
    function = CLASS_LOSSES[name]
    assert torch.autograd.gradgradcheck(lambda x: function(x, y, from_logits=True, ignore_index=255), (z,))


@pytest.mark.parametrize("name", ["categorical_cross_entropy", "focal_loss", "dice_ce_loss"])
def test_fused_path_survives_retain_graph(name):
    """The backward pass may overwrite its saved probabilities only when the graph is freed."""
    z, y = _inputs()
    loss = CLASS_LOSSES[name](z, y, from_logits=True)
    (first,) = torch.autograd.grad(loss, z, retain_graph=True)
    (second,) = torch.autograd.grad(loss, z)
    torch.testing.assert_close(first, second, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_autocast_leaves_the_kernel_sums_in_float32(dtype):
    """Under autocast matmul runs in half precision; the kernel's sums must not (P exceeds 65504 here)."""
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(1, 2, 300, 300, generator=generator, requires_grad=True)
    y = torch.randint(0, 2, (1, 300, 300), generator=generator)
    y[:, :3] = 255
    options = {"from_logits": True, "ignore_index": 255}
    want = segref.dice_loss(z, y, **options) + segref.dice_ce_loss(z, y, label_smoothing=0.1, **options)
    (want_grad,) = torch.autograd.grad(want, z)
    with torch.autocast("cpu", dtype=dtype):
        got = segref.dice_loss(z, y, **options) + segref.dice_ce_loss(z, y, label_smoothing=0.1, **options)
    (got_grad,) = torch.autograd.grad(got, z)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(got_grad, want_grad, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", ["categorical_cross_entropy", "dice_loss", "focal_loss", "dice_ce_loss"])
def test_torch_func_grad_through_the_fused_path(name):
    z, y = _inputs()
    function = CLASS_LOSSES[name]
    got = torch.func.grad(lambda t: function(t, y, from_logits=True, ignore_index=255))(z.detach())
    (want,) = torch.autograd.grad(function(z, y, from_logits=True, ignore_index=255), z)
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("name", ["categorical_cross_entropy", "dice_loss", "focal_loss", "dice_ce_loss"])
def test_forward_mode_derivative_equals_the_directional_gradient(name):
    z, y = _inputs()
    y[0, 0] = 255
    tangent = torch.randn_like(z)
    function = CLASS_LOSSES[name]
    options = {"from_logits": True, "ignore_index": 255}
    if name in ("categorical_cross_entropy", "dice_ce_loss"):
        options["label_smoothing"] = 0.1
    _, got = torch.func.jvp(lambda t: function(t, y, **options), (z.detach(),), (tangent,))
    (gradient,) = torch.autograd.grad(function(z, y, **options), z)
    torch.testing.assert_close(got, (gradient * tangent).sum())


def test_gradient_with_respect_to_class_weights_includes_label_smoothing():
    z, y = _inputs(c=3)
    weights = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    segref.categorical_cross_entropy(z, y, from_logits=True, class_weights=weights, label_smoothing=0.2).backward()
    # the loss written out with autograd: -[(1-s) sum_i w_yi log p_iyi + (s/C) sum_ic w_c log p_ic] / sum_i w_yi
    w = weights.detach().clone().requires_grad_(True)
    log_p = torch.log_softmax(z.detach(), 1)
    w_y = w[y]
    loss = (
        -(0.8 * (w_y * log_p.gather(1, y.unsqueeze(1)).squeeze(1)).sum() + 0.2 / 3 * (w.view(1, 3, 1, 1) * log_p).sum())
        / w_y.sum()
    )
    loss.backward()
    torch.testing.assert_close(weights.grad, w.grad)


def test_bce_reports_a_nan_target_as_the_target():
    z = torch.zeros(1, 4)
    with pytest.raises(ValueError, match="target contains 1 NaN"):
        segref.binary_cross_entropy(z, torch.tensor([[0.0, float("nan"), 1.0, 1.0]]), from_logits=True)


def test_half_precision_logits_on_the_fused_path():
    z, y = _inputs()
    half = z.detach().to(torch.bfloat16).requires_grad_(True)
    got = segref.dice_ce_loss(half, y, from_logits=True)
    assert got.dtype == torch.bfloat16
    got.backward()
    assert half.grad.dtype == torch.bfloat16 and torch.isfinite(half.grad).all()
    want = segref.dice_ce_loss(half.detach().double(), y, from_logits=True)
    assert abs(got.double() - want) <= 2**-7 * abs(want)


# --- lean kernels: how many full-size tensors a step allocates ----------------------------------


class LargeOutputs(TorchDispatchMode):
    """Records the operators that allocate a tensor of at least ``threshold`` elements.

    An output counts as allocated when its storage is not that of any input (views
    and in-place updates write into memory that already exists).
    """

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold, self.ops = threshold, []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = [a for a in torch.utils._pytree.tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)]
        existing = {a.untyped_storage().data_ptr() for a in inputs}
        for tensor in torch.utils._pytree.tree_leaves(out):
            if (
                isinstance(tensor, torch.Tensor)
                and tensor.numel() >= self.threshold
                and tensor.untyped_storage().data_ptr() not in existing
            ):
                self.ops.append(str(func))
        return out


def _large_allocations(step, threshold):
    with LargeOutputs(threshold) as counter:
        step()
    return counter.ops


@pytest.mark.parametrize("loss", ["categorical_cross_entropy", "dice_loss", "focal_loss", "dice_ce_loss"])
def test_a_step_allocates_no_more_full_size_tensors_than_fused_cross_entropy(loss):
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(2, 5, 16, 16, generator=generator, requires_grad=True)
    y = torch.randint(0, 5, (2, 16, 16), generator=generator)
    full = z.numel()
    floor = _large_allocations(lambda: F.cross_entropy(z, y).backward(), full)
    ours = _large_allocations(lambda: CLASS_LOSSES[loss](z, y, from_logits=True).backward(), full)
    assert len(ours) <= len(floor), (ours, floor)


def test_bce_uses_the_fused_kernel():
    z, y = _binary_inputs()
    floor = _large_allocations(lambda: F.binary_cross_entropy_with_logits(z, y).backward(), z.numel())
    ours = _large_allocations(lambda: segref.binary_cross_entropy(z, y, from_logits=True).backward(), z.numel())
    assert ours == floor


# --- distributed data parallel (gloo, 2 processes on CPU) ---------------------------------------


def test_distributed_statistics_match_the_single_process_global_batch(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ddp_worker import LOSSES, model_and_batch

    world = 2
    worker = Path(__file__).resolve().parent / "ddp_worker.py"
    outputs = [tmp_path / f"rank{rank}.pt" for rank in range(world)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(worker), str(rank), str(world), str(tmp_path / "init"), str(outputs[rank])],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for rank in range(world)
    ]
    for process in processes:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, out.decode()
    ranks = [torch.load(path) for path in outputs]

    for name, loss_fn in LOSSES.items():
        model, x, y = model_and_batch()
        loss = loss_fn(model(x), y, False)
        loss.backward()
        want_grads = [p.grad for p in model.parameters()]
        for rank in ranks:
            got_loss, got_grads = rank[(name, True)]
            torch.testing.assert_close(got_loss, loss.detach(), rtol=1e-12, atol=1e-12)
            for got, want in zip(got_grads, want_grads, strict=False):
                torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
        # without the option each rank sees only its half of the batch: a different loss
        assert not torch.allclose(ranks[0][(name, False)][0], loss.detach())


def test_distributed_needs_whole_batch_statistics_and_a_process_group():
    z, y = _inputs()
    with pytest.raises(ValueError, match="needs per_image=False"):
        segref.dice_loss(z, y, from_logits=True, distributed=True)
    with pytest.raises(ValueError, match="needs an initialised process group"):
        segref.dice_loss(z, y, from_logits=True, per_image=False, distributed=True)
    with pytest.raises(TypeError, match="distributed must be True or False"):
        segref.dice_loss(z, y, from_logits=True, per_image=False, distributed="yes")


KERAS_CALLS = {
    "binary_crossentropy": lambda y, p, yi: segref.keras.binary_crossentropy(y, p),
    "binary_crossentropy_from_logits": lambda y, p, yi: segref.keras.binary_crossentropy(y, p, from_logits=True),
    "binary_focal_crossentropy": lambda y, p, yi: segref.keras.binary_focal_crossentropy(y, p),
    "categorical_crossentropy": lambda y, p, yi: segref.keras.categorical_crossentropy(y, p),
    "categorical_focal_crossentropy": lambda y, p, yi: segref.keras.categorical_focal_crossentropy(y, p),
    "sparse_categorical_crossentropy": lambda y, p, yi: segref.keras.sparse_categorical_crossentropy(
        yi, p, ignore_class=2
    ),
    "dice": lambda y, p, yi: segref.keras.dice(y, p),
    "tversky": lambda y, p, yi: segref.keras.tversky(y, p, alpha=0.3, beta=0.7),
}


@pytest.mark.parametrize("name", KERAS_CALLS)
def test_keras_functions_read_the_host_once_and_not_at_all_when_switched_off(name):
    generator = torch.Generator().manual_seed(3)
    p = torch.softmax(torch.randn(2, 5, 3, generator=generator), dim=-1)
    labels = torch.randint(0, 3, (2, 5), generator=generator)
    y = torch.nn.functional.one_hot(labels, 3).float()
    with HostReads() as mode:
        KERAS_CALLS[name](y, p, labels)
    assert len(mode.reads) <= 1, mode.reads
    with segref.value_checks(False), HostReads() as mode:
        KERAS_CALLS[name](y, p, labels)
    assert mode.reads == [], mode.reads
