"""Regression tests for the robustness findings: each failed before its fix.

NaN gradients at tiny predicted mass, silent acceptance of wrong input, internal
errors instead of clear ones, the semantics of ignored images and ignored classes,
and the torch transforms segref supports.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
import torch

import segref
import segref.nn as snn
from segref import keras as sk

# the generalised Dice loss with the boundary-loss authors' weights: with the default ("max") a target
# without any class has no weight at all, a constant 0, and these tests would not reach its division
GD_EPSILON = partial(segref.generalized_dice_loss, absent_classes="epsilon")
OVERLAP_LOSSES = [
    GD_EPSILON,
    segref.dice_focal_loss,
    segref.dice_loss,
    segref.jaccard_loss,
    segref.dice_ce_loss,
    segref.tversky_loss,
    segref.focal_tversky_loss,
    segref.log_cosh_dice_loss,
    segref.mcc_loss,
    segref.sensitivity_specificity_loss,
]
HALF = [torch.float16, torch.bfloat16]


# --- NaN gradients ---------------------------------------------------------------------------

# float32: the window was about -88.7 to -104, float64 -709 to -745; the values below cover it
# and its edges
LOGITS = {
    torch.float32: [-80.0, -88.0, -89.0, -95.0, -103.0, -104.0, -110.0],
    torch.float64: [-700.0, -709.0, -720.0, -745.0, -750.0],
    torch.float16: [-80.0, -89.0, -95.0, -104.0, -110.0],
    torch.bfloat16: [-80.0, -89.0, -95.0, -110.0],
}


@pytest.mark.parametrize("loss", OVERLAP_LOSSES)
@pytest.mark.parametrize("dtype", list(LOGITS))
def test_absent_class_with_tiny_predicted_mass_has_a_finite_gradient(loss, dtype):
    for logit in LOGITS[dtype]:
        z = torch.full((1, 1, 1), logit, dtype=dtype, requires_grad=True)
        value = loss(z, torch.zeros(1, 1, 1, dtype=dtype), from_logits=True, multilabel=True)
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(z.grad).all(), (logit, value, z.grad)


@pytest.mark.parametrize("loss", OVERLAP_LOSSES)
@pytest.mark.parametrize("target_form", ["one-hot", "soft"])
def test_absent_class_softmax_and_soft_targets_have_finite_gradients(loss, target_form):
    # class 2 absent from the one-hot/soft target and its logits far below the others
    for gap in [80.0, 89.0, 95.0, 104.0, 120.0]:
        z = torch.zeros(2, 3, 4)
        z[:, 2] = -gap
        z.requires_grad_(True)
        y = torch.zeros(2, 3, 4)
        y[:, 0, :2] = 1
        y[:, 1, 2:] = 1
        if target_form == "soft":
            y[:, :2] = y[:, :2] * 0.8 + 0.1
        loss(z, y, from_logits=True).backward()
        assert torch.isfinite(z.grad).all(), gap


@pytest.mark.parametrize("loss", OVERLAP_LOSSES)
def test_tiny_mass_under_autocast_and_for_modules(loss):
    module = {
        segref.dice_loss: snn.DiceLoss,
        segref.jaccard_loss: snn.JaccardLoss,
        segref.dice_ce_loss: snn.DiceCELoss,
        segref.tversky_loss: snn.TverskyLoss,
        segref.focal_tversky_loss: snn.FocalTverskyLoss,
        GD_EPSILON: partial(snn.GeneralizedDiceLoss, absent_classes="epsilon"),
        segref.dice_focal_loss: snn.DiceFocalLoss,
        segref.log_cosh_dice_loss: snn.LogCoshDiceLoss,
        segref.mcc_loss: snn.MCCLoss,
        segref.sensitivity_specificity_loss: snn.SensitivitySpecificityLoss,
    }[loss](from_logits=True, multilabel=True)
    z = torch.full((1, 1, 1), -89.0, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        module(z, torch.zeros(1, 1, 1)).backward()
    assert torch.isfinite(z.grad).all()


def test_tiny_denominators_keep_the_formula_value_and_a_finite_gradient():
    # 0 / P is 0 for every P > 0, however small; only P = 0 is the empty class (D = 1)
    for dtype, tiny in [(torch.float32, 1e-44), (torch.float32, 1e-30), (torch.float64, 1e-300)]:
        p = torch.tensor([[[tiny]]], dtype=dtype, requires_grad=True)
        score = segref.soft_dice_coefficient(p, torch.zeros(1, 1, 1, dtype=dtype), from_logits=False, multilabel=True)
        score.backward()
        assert score.item() == 0.0 and torch.isfinite(p.grad).all(), (dtype, tiny, p.grad)
    empty = segref.soft_dice_coefficient(torch.zeros(1, 1, 1), torch.zeros(1, 1, 1), from_logits=False, multilabel=True)
    assert empty.item() == 1.0


@pytest.mark.parametrize("loss", OVERLAP_LOSSES)
def test_tiny_mass_under_forward_mode_has_finite_tangents(loss):
    z = torch.full((1, 1, 1), -89.0)
    target = torch.zeros(1, 1, 1)
    _, tangent = torch.func.jvp(
        lambda x: loss(x, target, from_logits=True, multilabel=True), (z,), (torch.ones_like(z),)
    )
    assert torch.isfinite(tangent)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("target", [0.0, 1.0])
def test_keras_binary_focal_from_logits_has_finite_gradients(dtype, target):
    for logit in [-80.0, -89.0, -100.0, -700.0, -800.0, 89.0, 800.0]:
        z = torch.tensor([logit], dtype=dtype, requires_grad=True)
        value = sk.binary_focal_crossentropy(torch.tensor([target], dtype=dtype), z, from_logits=True)
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(z.grad).all(), (logit, z.grad)


def test_keras_binary_focal_from_logits_on_numpy_is_finite_far_out():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from exp
        value = sk.binary_focal_crossentropy(np.array([0.0, 1.0]), np.array([-800.0, 800.0]), from_logits=True)
    assert np.isfinite(value).all()


# --- silent acceptance -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", HALF + [torch.float32])
@pytest.mark.parametrize("num_classes", [10, 100, 1000])
def test_probability_sums_far_from_one_are_refused_whatever_the_class_count(dtype, num_classes):
    p = torch.full((1, num_classes, 2), 1.05 / num_classes).to(dtype)
    with pytest.raises(ValueError, match=r"must sum to 1 .*got sums in \[1\.0"):
        segref.dice_loss(p, torch.zeros(1, 2, dtype=torch.long), from_logits=False)


@pytest.mark.parametrize("dtype", HALF + [torch.float32, torch.float64])
@pytest.mark.parametrize("num_classes", [2, 10, 100, 1000])
def test_softmax_outputs_in_every_dtype_pass_the_sum_check(dtype, num_classes):
    z = torch.randn(2, num_classes, 8, generator=torch.Generator().manual_seed(num_classes)) * 3
    p = torch.softmax(z.to(dtype), dim=1)
    segref.categorical_cross_entropy(p, torch.zeros(2, 8, dtype=torch.long), from_logits=False)


@pytest.mark.parametrize("metric", [segref.dice_score, segref.iou_score])
@pytest.mark.parametrize("flag", ["include_background", "per_image"])
def test_hard_metrics_refuse_non_boolean_flags(metric, flag):
    y = np.zeros((1, 4), dtype=int)
    with pytest.raises(TypeError, match=rf"{flag} must be True or False, got 'no'"):
        metric(y, y, num_classes=2, **{flag: "no"})


@pytest.mark.parametrize(
    "fn",
    [
        sk.binary_crossentropy,
        sk.categorical_crossentropy,
        sk.binary_focal_crossentropy,
        sk.categorical_focal_crossentropy,
    ],
)
def test_keras_refuses_a_string_from_logits(fn):
    with pytest.raises(TypeError, match=r"from_logits must be True or False, got 'yes'"):
        fn(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]]), from_logits="yes")


def test_keras_refuses_a_string_class_balancing_flag():
    with pytest.raises(TypeError, match=r"apply_class_balancing must be True or False, got 'no'"):
        sk.binary_focal_crossentropy(np.ones(2), np.full(2, 0.5), apply_class_balancing="no")


@pytest.mark.parametrize("fn", [sk.binary_crossentropy, sk.binary_focal_crossentropy, sk.dice])
def test_keras_refuses_nan_targets(fn):
    with pytest.raises(ValueError, match=r"y_true contains 1 NaN or infinite value\(s\)"):
        fn(np.array([np.nan, 1.0]), np.full(2, 0.5))


@pytest.mark.parametrize("name", ["pred", "target"])
def test_masked_arrays_are_refused(name):
    p = np.full((1, 2, 2), 0.5)
    y = np.array([[0, 1]])
    masked = {"pred": np.ma.masked_array(p, mask=[[[1, 0], [0, 0]]]), "target": np.ma.masked_array(y, mask=[[1, 0]])}
    args = {"pred": p, "target": y, name: masked[name]}
    with pytest.raises(TypeError, match=rf"{name} is a numpy masked array; its mask would be ignored"):
        segref.dice_loss(args["pred"], args["target"], from_logits=False)


@pytest.mark.parametrize("value", [["1", "2"], "12", [True, False], [1.0, None]])
def test_class_vectors_of_strings_or_booleans_are_refused(value):
    with pytest.raises(TypeError, match=r"class_weights must be a sequence of numbers \(one per class\)"):
        segref.categorical_cross_entropy(
            torch.zeros(1, 2, 2), torch.tensor([[0, 1]]), from_logits=True, class_weights=value
        )


@pytest.mark.parametrize("option", ["smooth", "gamma", "label_smoothing", "dice_weight"])
def test_numbers_given_as_strings_are_refused(option):
    fn = {
        "smooth": segref.dice_loss,
        "gamma": segref.focal_loss,
        "label_smoothing": segref.categorical_cross_entropy,
        "dice_weight": segref.dice_ce_loss,
    }[option]
    with pytest.raises(TypeError, match=rf"{option} must be a real number, got '0.5'"):
        fn(torch.zeros(1, 2, 2), torch.tensor([[0, 1]]), from_logits=True, **{option: "0.5"})


# --- clear errors instead of internal ones ---------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.uint16, torch.uint32, torch.uint64])
def test_wide_unsigned_label_maps_work_everywhere(dtype):
    z = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    y64 = torch.tensor([[0, 1, 2, 1], [2, 2, 0, 1]])
    y = y64.to(dtype)
    for fn in [segref.dice_loss, segref.categorical_cross_entropy, segref.focal_loss, segref.dice_ce_loss]:
        torch.testing.assert_close(fn(z, y, from_logits=True), fn(z, y64, from_logits=True))
        torch.testing.assert_close(
            fn(z, y, from_logits=True, ignore_index=1), fn(z, y64, from_logits=True, ignore_index=1)
        )
    torch.testing.assert_close(segref.dice_score(y, y, num_classes=3), segref.dice_score(y64, y64, num_classes=3))
    torch.testing.assert_close(
        sk.sparse_categorical_crossentropy(y, torch.softmax(z.transpose(1, 2), -1)),
        sk.sparse_categorical_crossentropy(y64, torch.softmax(z.transpose(1, 2), -1)),
    )
    binary = (y64 == 1).to(dtype)
    torch.testing.assert_close(
        segref.binary_cross_entropy(z[:, 0], binary, from_logits=True),
        segref.binary_cross_entropy(z[:, 0], binary.double(), from_logits=True).float(),
    )


@pytest.mark.parametrize("fn", [segref.dice_from_jaccard, segref.jaccard_from_dice])
def test_identities_map_an_empty_array_to_an_empty_array(fn):
    assert fn(np.zeros(0)).shape == (0,)
    assert fn(torch.zeros(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("option", ["class_weights", "pos_weight", "alpha"])
def test_option_tensors_on_another_device_are_refused(option):
    fn = {
        "class_weights": segref.categorical_cross_entropy,
        "pos_weight": segref.binary_cross_entropy,
        "alpha": segref.focal_loss,
    }[option]
    z = torch.zeros(1, 2, 2)
    y = torch.zeros(1, 2, 2) if option == "pos_weight" else torch.tensor([[0, 1]])
    with pytest.raises(ValueError, match=rf"{option} must be on pred's device cpu, got a tensor on meta"):
        fn(z, y, from_logits=True, **{option: torch.ones(2, device="meta")})


@pytest.mark.skipif(not hasattr(np, "float128"), reason="this platform's NumPy has no float128 (Windows, some ARM)")
@pytest.mark.parametrize("fn", [segref.dice_loss, segref.categorical_cross_entropy, segref.soft_jaccard_index])
def test_numpy_float128_is_refused(fn):
    p = np.full((1, 2, 2), 0.5, dtype=np.float128)
    with pytest.raises(TypeError, match=r"pred has dtype float128; expected float16, float32 or float64"):
        fn(p, np.array([[0, 1]]), from_logits=False)


def test_torch_float8_is_refused():
    with pytest.raises(TypeError, match=r"pred has dtype torch.float8_e4m3fn; expected float16, bfloat16"):
        segref.dice_loss(torch.zeros(1, 2, 2).to(torch.float8_e4m3fn), torch.tensor([[0, 1]]), from_logits=True)


# --- semantics: ignored images and ignored classes -------------------------------------------


def _batch_with_ignored_image():
    z = torch.randn(3, 3, 6, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([[0, 1, 2, 2, 1, 0], [255] * 6, [2, 2, 1, 255, 0, 0]])
    return z, y


@pytest.mark.parametrize(
    "fn,empty",
    [
        (segref.dice_loss, 0.0),
        (segref.jaccard_loss, 0.0),
        (segref.soft_dice_coefficient, 1.0),
        (segref.soft_jaccard_index, 1.0),
        (segref.tversky_index, 1.0),
        (segref.tversky_loss, 0.0),
        (segref.focal_tversky_loss, 0.0),
        (segref.generalized_dice_loss, 0.0),
        (segref.log_cosh_dice_loss, 0.0),
        (segref.mcc_loss, 0.0),
        (segref.sensitivity_specificity_loss, 0.0),
    ],
)
def test_an_image_whose_pixels_are_all_ignored_is_left_out(fn, empty):
    z, y = _batch_with_ignored_image()
    kept = [0, 2]
    options = {"from_logits": True, "ignore_index": 255}
    torch.testing.assert_close(fn(z, y, **options), fn(z[kept], y[kept], **options))
    torch.testing.assert_close(fn(z, y, reduction="sum", **options), fn(z[kept], y[kept], reduction="sum", **options))
    rows = fn(z, y, reduction="none", **options)
    per_image = (3,) if fn is segref.generalized_dice_loss else (3, 3)  # one value per image, or per image and class
    assert rows.shape == per_image and bool((rows[1] == empty).all())
    torch.testing.assert_close(fn(z[1:2], y[1:2], **options), torch.tensor(empty))


@pytest.mark.parametrize(
    "fn",
    [
        partial(segref.topk_cross_entropy, k=30.0, per_image=True),
        partial(segref.bootstrapped_cross_entropy, num_kept=2),
        partial(segref.bootstrapped_cross_entropy, num_kept=1, threshold=1.0),
    ],
)
def test_selecting_losses_leave_an_image_whose_pixels_are_all_ignored_out(fn):
    z, y = _batch_with_ignored_image()
    kept = [0, 2]
    options = {"from_logits": True, "ignore_index": 255}
    torch.testing.assert_close(fn(z, y, **options), fn(z[kept], y[kept], **options))
    torch.testing.assert_close(fn(z, y, reduction="sum", **options), fn(z[kept], y[kept], reduction="sum", **options))
    pixels = fn(z, y, reduction="none", **options)
    assert pixels.shape == y.shape and bool((pixels[1] == 0).all())
    torch.testing.assert_close(fn(z[1:2], y[1:2], **options), torch.tensor(0.0))


def test_dice_ce_leaves_the_ignored_image_out_of_both_terms():
    z, y = _batch_with_ignored_image()
    kept = [0, 2]
    torch.testing.assert_close(
        segref.dice_ce_loss(z, y, from_logits=True, ignore_index=255),
        segref.dice_ce_loss(z[kept], y[kept], from_logits=True, ignore_index=255),
    )


@pytest.mark.parametrize("metric", [segref.dice_score, segref.iou_score])
def test_hard_metrics_leave_an_all_ignored_image_out(metric):
    _, y = _batch_with_ignored_image()
    pred = torch.tensor([[0, 1, 1, 2, 1, 0], [0, 0, 0, 0, 0, 0], [2, 1, 1, 0, 0, 0]])
    torch.testing.assert_close(
        metric(pred, y, num_classes=3, ignore_index=255),
        metric(pred[[0, 2]], y[[0, 2]], num_classes=3, ignore_index=255),
    )


@pytest.mark.parametrize(
    "fn", [segref.dice_loss, segref.soft_jaccard_index, segref.mcc_loss, segref.sensitivity_specificity_loss]
)
@pytest.mark.parametrize("ignored_class", [0, 1, 2])
def test_an_ignored_class_has_no_score(fn, ignored_class):
    z = torch.randn(2, 3, 8, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 3, (2, 8), generator=torch.Generator().manual_seed(3))
    rows = fn(z, y, from_logits=True, ignore_index=ignored_class, reduction="none")
    # the same pixels ignored through a label outside the classes: every column, then drop the class
    full = fn(z, torch.where(y == ignored_class, 255, y), from_logits=True, ignore_index=255, reduction="none")
    kept = [c for c in range(3) if c != ignored_class]
    torch.testing.assert_close(rows, full[:, kept])


@pytest.mark.parametrize("ignored_class", [0, 1, 2])
def test_dice_ce_leaves_an_ignored_class_out_of_its_dice_term(ignored_class):
    z = torch.randn(2, 3, 8, generator=torch.Generator().manual_seed(2))
    y = torch.randint(0, 3, (2, 8), generator=torch.Generator().manual_seed(3))
    dice_term = segref.dice_ce_loss(z, y, from_logits=True, ignore_index=ignored_class, ce_weight=0.0)
    full = segref.soft_dice_coefficient(
        z, torch.where(y == ignored_class, 255, y), from_logits=True, ignore_index=255, reduction="none"
    )
    kept = [c for c in range(3) if c != ignored_class]
    torch.testing.assert_close(dice_term, (1 - full[:, kept]).mean())


def test_ignoring_the_only_class_left_is_refused():
    with pytest.raises(ValueError, match=r"no class is left to score: ignore_index=1"):
        segref.dice_loss(
            torch.zeros(1, 2, 2), torch.tensor([[0, 1]]), from_logits=True, ignore_index=1, include_background=False
        )


@pytest.mark.parametrize("metric", [segref.dice_score, segref.iou_score])
def test_hard_metrics_drop_an_ignored_class(metric):
    y = torch.tensor([[0, 1, 2, 1]])
    pred = torch.tensor([[0, 2, 2, 1]])
    scores = metric(pred, y, num_classes=3, ignore_index=1, reduction="none")
    assert scores.shape == (1, 2)


# --- transforms ------------------------------------------------------------------------------


def _class_batch():
    z = torch.randn(3, 3, 4, 4, generator=torch.Generator().manual_seed(4))
    y = torch.randint(0, 3, (3, 4, 4), generator=torch.Generator().manual_seed(5))
    y[1, 0] = 255
    return z, y


@pytest.mark.parametrize(
    "fn",
    [
        segref.dice_loss,
        segref.categorical_cross_entropy,
        segref.focal_loss,
        segref.dice_ce_loss,
        segref.jaccard_loss,
        segref.focal_tversky_loss,
        segref.topk_cross_entropy,
        segref.poly_loss,
        segref.mcc_loss,
        segref.sensitivity_specificity_loss,
        segref.log_cosh_dice_loss,
    ],
)
def test_vmap_over_images_equals_a_loop(fn):
    z, y = _class_batch()

    def one(a, b):
        return fn(a[None], b[None], from_logits=True, ignore_index=255)

    torch.testing.assert_close(torch.func.vmap(one)(z, y), torch.stack([one(a, b) for a, b in zip(z, y, strict=False)]))
    grads = torch.func.vmap(torch.func.grad(one))(z, y)
    for i in range(3):
        zi = z[i].clone().requires_grad_(True)
        one(zi, y[i]).backward()
        torch.testing.assert_close(grads[i], zi.grad)


def test_vmap_binary_cross_entropy():
    z = torch.randn(3, 2, 5)
    y = (torch.rand(3, 2, 5) > 0.5).float()
    got = torch.func.vmap(lambda a, b: segref.binary_cross_entropy(a, b, from_logits=True))(z, y)
    torch.testing.assert_close(
        got, torch.stack([segref.binary_cross_entropy(a, b, from_logits=True) for a, b in zip(z, y, strict=False)])
    )


@pytest.mark.parametrize(
    "module",
    [
        snn.DiceCELoss(from_logits=True, ignore_index=255),
        snn.DiceLoss(from_logits=True, per_image=False),
        snn.FocalLoss(from_logits=True, ignore_index=255),
    ],
)
def test_jit_trace_gives_the_eager_value_on_later_batches(module):
    z, y = _class_batch()
    if module.options.get("ignore_index") is None:
        y = torch.where(y == 255, 0, y)
    with warnings.catch_warnings():
        # TracerWarnings name the shape checks, which hold for any batch the traced graph accepts
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.trace(module, (z, y))
    later_z = torch.randn(2, 3, 5, 5)
    later_y = torch.randint(0, 3, (2, 5, 5))
    if module.options.get("ignore_index") is not None:
        later_y[0] = 255  # an image with every pixel ignored
    torch.testing.assert_close(traced(later_z, later_y), module(later_z, later_y))


def test_jit_trace_does_not_freeze_the_value_checks():
    """The value checks read the data (a data-dependent branch); a trace would freeze their outcome
    for every later batch, so under tracing they are skipped, like under torch.compile."""
    import inspect

    from segref._validation import ValueChecks

    lines, first = inspect.getsourcelines(ValueChecks.run)
    z, y = _class_batch()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(snn.DiceCELoss(from_logits=True, ignore_index=255), (z, y))
    frozen = [
        w
        for w in caught
        if issubclass(w.category, torch.jit.TracerWarning)
        and w.filename.endswith("_validation.py")
        and first <= w.lineno < first + len(lines)
    ]
    assert not frozen, [str(w.message) for w in frozen]


def test_export_gives_the_eager_value():
    z, y = _class_batch()
    module = snn.DiceCELoss(from_logits=True, ignore_index=255)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        exported = torch.export.export(module, (z, y)).module()
    later_z = torch.randn(3, 3, 4, 4)
    torch.testing.assert_close(exported(later_z, y), module(later_z, y))


def test_jit_script_of_a_module_says_why_it_cannot_work():
    with pytest.raises(TypeError, match=r"DiceLoss cannot be compiled by torch.jit.script .*use torch.compile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.script(snn.DiceLoss(from_logits=True))


# --- modules check their options when they are built -----------------------------------------


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda: snn.DiceLoss(from_logits="yes"), r"from_logits must be True or False, got 'yes'"),
        (lambda: snn.JaccardLoss(from_logits=True, smooth=float("inf")), r"smooth must be a finite number"),
        (lambda: snn.CrossEntropyLoss(from_logits=True, class_weights=["a", "b"]), r"class_weights must be a sequence"),
        (
            lambda: snn.CrossEntropyLoss(from_logits=True, label_smoothing=1.5),
            r"label_smoothing must be a finite number in \[0, 1\]",
        ),
        (
            lambda: snn.BinaryFocalLoss(from_logits=True, alpha=2.0),
            r"alpha must be a finite number in \[0, 1\], got 2.0",
        ),
        (lambda: snn.BinaryFocalLoss(from_logits=True, alpha=[0.5]), r"alpha must be a real number, got \[0.5\]"),
        (
            lambda: snn.FocalLoss(from_logits=True, alpha=torch.tensor([1.0, float("nan")])),
            r"alpha must hold finite, non-negative",
        ),
        (lambda: snn.FocalLoss(from_logits=True, gamma=-1), r"gamma must be a finite number in \[0, inf\), got -1"),
        (lambda: snn.DiceCELoss(from_logits=True, reduction="sum"), r"reduction must be one of 'mean', got 'sum'"),
        (lambda: snn.DiceCELoss(from_logits=True, ignore_index=1.5), r"ignore_index must be an int or None, got 1.5"),
        (lambda: snn.BinaryCrossEntropyLoss(from_logits=True, pos_weight=-1.0), r"pos_weight must be a finite number"),
        (lambda: snn.DiceLoss(from_logits=True, axis="1"), r"axis must be an int, got '1'"),
    ],
)
def test_modules_refuse_bad_options_at_construction(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()


def test_keras_binary_focal_checks_alpha_even_when_class_balancing_is_off():
    with pytest.raises(TypeError, match=r"alpha must be a real number, got '0.25'"):
        sk.binary_focal_crossentropy(np.ones(2), np.full(2, 0.5), alpha="0.25")


@pytest.mark.parametrize("num_classes,error", [("3", TypeError), (3.0, TypeError), (0, ValueError)])
def test_metrics_refuse_a_bad_class_count(num_classes, error):
    y = np.zeros((1, 4), dtype=int)
    with pytest.raises(error, match=rf"num_classes must be a positive int, got {num_classes!r}"):
        segref.dice_score(y, y, num_classes=num_classes)


def test_an_infinite_weighted_cross_entropy_is_inf_not_nan():
    # probability 0 on the true class: the exact cross-entropy is infinite, with or without weights
    p = torch.tensor([[[0.0], [1.0]]], requires_grad=True)
    for weights in (None, [2.0, 1.0]):
        value = segref.categorical_cross_entropy(p, torch.tensor([[0]]), from_logits=False, class_weights=weights)
        assert value.item() == float("inf")
