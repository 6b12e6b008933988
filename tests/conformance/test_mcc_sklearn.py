"""segref.mcc_loss against scikit-learn's matthews_corrcoef (``pytest -m conformance``): on 0/1
predictions the soft counts are the confusion matrix of each class against the rest."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import segref

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("seed", range(6))
def test_mcc_of_a_hard_prediction_is_scikit_learns_matthews_corrcoef(seed):
    from sklearn.metrics import matthews_corrcoef

    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 6))
    y = rng.integers(0, num_classes, size=(2, 30))
    y[:, :num_classes] = np.arange(num_classes)  # each class in each image: MCC is defined
    guess = np.where(rng.random(y.shape) < 0.7, y, rng.integers(0, num_classes, size=y.shape))
    p = np.moveaxis(np.eye(num_classes)[guess], -1, 1)
    want = [[matthews_corrcoef(y[n] == c, guess[n] == c) for c in range(num_classes)] for n in range(2)]
    got = 1 - segref.mcc_loss(p, y, from_logits=False, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    batch = [matthews_corrcoef(y.ravel() == c, guess.ravel() == c) for c in range(num_classes)]
    on_torch = 1 - segref.mcc_loss(
        torch.from_numpy(p), torch.from_numpy(y), from_logits=False, per_image=False, reduction="none"
    )
    np.testing.assert_allclose(on_torch.numpy(), batch, rtol=1e-12, atol=1e-15)
