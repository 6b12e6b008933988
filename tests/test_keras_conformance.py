"""segref.keras against the real Keras 3 (torch backend) on random inputs.

Tolerances, measured rather than guessed:

- Keras' default floatx float32: Keras rounds to float32, segref computes the same
  formula in float64 from the same float32 inputs: rtol 2e-6, atol 1e-6.
- float64 inputs with floatx float64: categorical, sparse, Dice and categorical
  focal agree to 1e-10. The binary losses end with ``ops.mean`` over the last axis,
  which Keras' torch backend computes in float32 even for float64 tensors, so
  they agree only to float32 rounding there: rtol 1e-6, atol 1e-7.
- The loss classes' "sum_over_batch_size" reduction goes through float32
  intermediates even for float64 losses (relative differences of order 1e-8 to
  1e-7): float32 tolerance, rtol 1e-6, for those.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

keras = pytest.importorskip("keras", reason="install keras (pip install -e '.[test]') for the conformance tests")

from segref import keras as sk  # noqa: E402

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-6, atol=1e-6)}
CLASS_REDUCTION = {"float64": dict(rtol=1e-6, atol=1e-7), "float32": TOLERANCES["float32"]}
MEAN_IN_FLOAT32 = {"float64": dict(rtol=1e-6, atol=1e-7), "float32": TOLERANCES["float32"]}


@pytest.fixture(params=["float64", "float32"])
def floatx(request):
    previous = keras.config.floatx()
    keras.config.set_floatx(request.param)
    yield request.param
    keras.config.set_floatx(previous)


def assert_close(actual, desired, **tolerance):
    """numpy's assert_allclose, but a NaN on either side is a failure, not a match."""
    np.testing.assert_allclose(actual, desired, equal_nan=False, **tolerance)


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def _probabilities(rng, shape, axis=-1):
    z = rng.normal(scale=2.0, size=shape)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return z, e / e.sum(axis=axis, keepdims=True)


def _inputs(seed, dtype):
    rng = np.random.default_rng(seed)
    shape = (3, 5, 5, 4)
    z, p = _probabilities(rng, shape)
    y_index = rng.integers(0, 4, size=shape[:-1])
    y_onehot = np.eye(4)[y_index]
    y_binary = (rng.uniform(size=shape) < 0.4).astype(np.float64)
    sig = 1 / (1 + np.exp(-z))
    # include exact 0 and 1 probabilities, where Keras' clipping matters
    sig.reshape(-1)[:6] = [0.0, 1.0, 0.0, 1.0, 1e-9, 1 - 1e-9]
    cast = lambda a: a.astype(dtype)  # noqa: E731
    return cast(z), cast(p), y_index, cast(y_onehot), cast(y_binary), cast(sig)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_binary_crossentropy(floatx, seed, smoothing):
    z, _, _, _, y, sig = _inputs(seed, floatx)
    for pred, logits in ((sig, False), (z, True)):
        want = keras.losses.binary_crossentropy(y, pred, from_logits=logits, label_smoothing=smoothing)
        got = sk.binary_crossentropy(y, pred, from_logits=logits, label_smoothing=smoothing)
        assert_close(got, _numpy(want), **MEAN_IN_FLOAT32[floatx])
        cls = keras.losses.BinaryCrossentropy(from_logits=logits, label_smoothing=smoothing)(y, pred)
        got = sk.binary_crossentropy(
            y, pred, from_logits=logits, label_smoothing=smoothing, reduction="sum_over_batch_size"
        )
        assert_close(got, _numpy(cls), **MEAN_IN_FLOAT32[floatx])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_categorical_crossentropy(floatx, seed, smoothing):
    z, p, _, y, _, _ = _inputs(seed, floatx)
    unnormalised = p * 3.0
    unnormalised.reshape(-1)[:2] = 0.0  # zero probabilities (not a whole pixel) are clipped by Keras
    for pred, logits in ((unnormalised, False), (z, True)):
        want = keras.losses.categorical_crossentropy(y, pred, from_logits=logits, label_smoothing=smoothing)
        got = sk.categorical_crossentropy(y, pred, from_logits=logits, label_smoothing=smoothing)
        assert_close(got, _numpy(want), **TOLERANCES[floatx])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ignore_class", [None, 2])
def test_sparse_categorical_crossentropy(floatx, seed, ignore_class):
    z, p, y, _, _, _ = _inputs(seed, floatx)
    for pred, logits in ((p, False), (z, True)):
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits, ignore_class=ignore_class)
        got = sk.sparse_categorical_crossentropy(
            y, pred, from_logits=logits, ignore_class=ignore_class, reduction="sum_over_batch_size"
        )
        assert_close(got, _numpy(loss(y, pred)), **CLASS_REDUCTION[floatx])
        per_pixel = keras.losses.sparse_categorical_crossentropy(y, pred, from_logits=logits, ignore_class=ignore_class)
        got = sk.sparse_categorical_crossentropy(y, pred, from_logits=logits, ignore_class=ignore_class)
        assert_close(got, _numpy(per_pixel), **TOLERANCES[floatx])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("axis", [None, (1, 2, 3), [1, 2], 3])
def test_dice(floatx, seed, axis):
    _, p, _, y, _, _ = _inputs(seed, floatx)
    want = keras.losses.dice(y, p, axis=axis)
    assert_close(sk.dice(y, p, axis=axis), _numpy(want), **TOLERANCES[floatx])
    if axis is None:
        assert_close(sk.dice(y, p), _numpy(keras.losses.Dice()(y, p)), **TOLERANCES[floatx])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("axis", [None, (1, 2, 3), [1, 2], 3])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.9, 0.1), (0.3, 0.7)])
def test_tversky(floatx, seed, axis, weights):
    _, p, _, y, _, _ = _inputs(seed, floatx)
    alpha, beta = weights
    want = keras.losses.tversky(y, p, alpha=alpha, beta=beta, axis=axis)
    assert_close(sk.tversky(y, p, alpha=alpha, beta=beta, axis=axis), _numpy(want), **TOLERANCES[floatx])
    if axis is None:
        got = sk.tversky(y, p, alpha=alpha, beta=beta)
        assert_close(got, _numpy(keras.losses.Tversky(alpha=alpha, beta=beta)(y, p)), **TOLERANCES[floatx])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("balancing", [False, True])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_binary_focal_crossentropy(floatx, seed, balancing, gamma):
    z, _, _, _, y, sig = _inputs(seed, floatx)
    for pred, logits in ((sig, False), (z, True)):
        kwargs = dict(apply_class_balancing=balancing, alpha=0.3, gamma=gamma, from_logits=logits, label_smoothing=0.1)
        want = keras.losses.binary_focal_crossentropy(y, pred, **kwargs)
        assert_close(sk.binary_focal_crossentropy(y, pred, **kwargs), _numpy(want), **MEAN_IN_FLOAT32[floatx])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_categorical_focal_crossentropy(floatx, seed, gamma):
    z, p, _, y, _, _ = _inputs(seed, floatx)
    for pred, logits in ((p, False), (z, True)):
        kwargs = dict(alpha=0.4, gamma=gamma, from_logits=logits, label_smoothing=0.05)
        want = keras.losses.categorical_focal_crossentropy(y, pred, **kwargs)
        assert_close(sk.categorical_focal_crossentropy(y, pred, **kwargs), _numpy(want), **TOLERANCES[floatx])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", ["list", "tuple", "array", "tensor"])
def test_categorical_focal_crossentropy_per_class_alpha(floatx, seed, kind):
    """Keras accepts one alpha per class; a Python list or tuple becomes a float32 tensor."""
    import torch

    z, p, _, y, _, _ = _inputs(seed, floatx)
    weights = [0.2, 0.5, 0.3][: p.shape[-1]] + [0.7] * (p.shape[-1] - 3)
    alpha = {
        "list": weights,
        "tuple": tuple(weights),
        "array": np.asarray(weights, dtype=p.dtype),
        "tensor": torch.tensor(weights, dtype=torch.float64 if floatx == "float64" else torch.float32),
    }[kind]
    for pred, logits in ((p, False), (z, True)):
        want = keras.losses.categorical_focal_crossentropy(y, pred, alpha=alpha, from_logits=logits)
        y_in, pred_in = (torch.from_numpy(y), torch.from_numpy(pred)) if kind == "tensor" else (y, pred)
        got = sk.categorical_focal_crossentropy(y_in, pred_in, alpha=alpha, from_logits=logits)
        assert_close(_numpy(got), _numpy(want), **TOLERANCES[floatx])
    with pytest.raises(ValueError, match="alpha must be a 1-D sequence with one entry per class"):
        sk.categorical_focal_crossentropy(y, p, alpha=weights[:-1])
    with pytest.raises(ValueError, match=r"per-class alpha needs the classes on the last axis \(axis=-1\)"):
        sk.categorical_focal_crossentropy(np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1), alpha=weights, axis=1)


def test_keras_clipped_bce_differs_from_the_exact_formula():
    """The worked example of the BCE page: p = 0 for a positive pixel."""
    import segref

    keras_value = float(_numpy(keras.losses.binary_crossentropy(np.array([1.0]), np.array([0.0]))))
    assert keras_value == pytest.approx(-np.log(1e-7), rel=1e-6)
    assert float(sk.binary_crossentropy(np.array([1.0]), np.array([0.0]))) == pytest.approx(keras_value, rel=1e-6)
    with np.errstate(divide="ignore"):
        assert float(segref.binary_cross_entropy(np.array([0.0]), np.array([1.0]), from_logits=False)) == np.inf


def test_sparse_float_labels_and_class_axis_first():
    """Keras casts float labels to int, and honours a non-last class axis."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(2, 3, 4, 4))
    labels = rng.integers(0, 3, size=(2, 4, 4)).astype(np.float64)
    for axis, pred, y in ((-1, np.moveaxis(z, 1, -1), labels), (1, z, labels)):
        want = keras.losses.sparse_categorical_crossentropy(y, pred, from_logits=True, axis=axis)
        got = sk.sparse_categorical_crossentropy(y, pred, from_logits=True, axis=axis)
        assert_close(got, _numpy(want), rtol=1e-6, atol=1e-7)
