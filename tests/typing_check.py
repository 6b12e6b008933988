"""Static check of segref's public types, run by mypy from tests/test_lint.py (pytest imports it too: it runs).

The result has the kind of the predictions: NumPy in, NumPy out; torch in, torch out. Integer
label arrays go with float predictions. An ignore below that mypy finds unused (because a
result was typed Any) fails the check (``--warn-unused-ignores``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

import segref
import segref.keras
import segref.nn

pred32: npt.NDArray[np.float32] = np.zeros((2, 3, 4), dtype=np.float32)
labels: npt.NDArray[np.int64] = np.zeros((2, 4), dtype=np.int64)
on_numpy: np.ndarray = segref.dice_loss(pred32, labels, from_logits=True)
weighted: np.ndarray = segref.categorical_cross_entropy(pred32, labels, from_logits=True, class_weights=np.ones(3))
keras_labels: npt.NDArray[np.int64] = np.zeros((2, 3), dtype=np.int64)  # channels last: (2, 3) pixels, C = 4
keras_numpy: np.ndarray = segref.keras.sparse_categorical_crossentropy(keras_labels, pred32, from_logits=True)

logits = torch.zeros(2, 3, 4, requires_grad=True)
on_torch: torch.Tensor = segref.dice_ce_loss(logits, torch.zeros(2, 4, dtype=torch.long), from_logits=True)
module_loss: torch.Tensor = segref.nn.DiceCELoss(from_logits=True)(logits, torch.zeros(2, 4, dtype=torch.long))

tensor_result = segref.focal_loss(logits, torch.zeros(2, 4, dtype=torch.long), from_logits=True)
numpy_result = segref.binary_cross_entropy(pred32, np.ones((2, 3, 4)), from_logits=True)
not_numpy: np.ndarray = tensor_result  # type: ignore[assignment]
not_torch: torch.Tensor = numpy_result  # type: ignore[assignment]
