"""segref.class_frequency_weights against scikit-learn's compute_class_weight (``pytest -m conformance``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import segref

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("seed", range(6))
def test_inverse_weights_are_scikit_learns_balanced_weights(seed):
    from sklearn.utils.class_weight import compute_class_weight

    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 7))
    labels = rng.choice(num_classes, size=(3, 5, 7), p=rng.dirichlet(np.ones(num_classes)))
    labels.reshape(-1)[:num_classes] = np.arange(num_classes)  # every class occurs, as scikit-learn requires
    expected = compute_class_weight("balanced", classes=np.arange(num_classes), y=labels.ravel())
    np.testing.assert_allclose(segref.class_frequency_weights(labels, num_classes=num_classes), expected, rtol=1e-12)
    on_torch = segref.class_frequency_weights(torch.from_numpy(labels), num_classes=num_classes)
    np.testing.assert_allclose(on_torch.numpy(), expected, rtol=1e-6)


def test_scikit_learn_refuses_an_absent_class_where_segref_gives_it_weight_0():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array([[0, 0, 1, 1, 1]])
    with pytest.raises(ValueError, match="classes should have valid labels that are in y"):
        compute_class_weight("balanced", classes=np.arange(3), y=labels.ravel())
    present = compute_class_weight("balanced", classes=np.arange(2), y=labels.ravel())
    np.testing.assert_allclose(segref.class_frequency_weights(labels, num_classes=3), [*present, 0.0], rtol=1e-12)
