"""The array type of the public signatures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, Union

import numpy as np

if TYPE_CHECKING:
    import torch

Array = TypeVar("Array", np.ndarray, "torch.Tensor")
"""A NumPy array or a torch tensor: the predictions, whose kind the result has.

Every function takes its arrays of one kind and returns that kind: NumPy arrays in, a NumPy
array (or NumPy scalar) out; torch tensors in, a tensor out, on their device, in their dtype
and attached to their autograd graph.
"""

ArrayInput = Union[np.ndarray, "torch.Tensor"]
"""A NumPy array or a torch tensor, of the same library as the predictions (mixing them
raises a ``TypeError``); its dtype may differ: integer labels go with float predictions.
Options that accept an array (``class_weights``, ``pos_weight``, ``alpha``) also accept a
sequence of floats.
"""

#: Internal helpers are written once for both kinds through ``array_api_compat`` and typed
#: loosely: a static checker cannot follow the shared namespace through them.
AnyArray = Any
