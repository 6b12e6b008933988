"""``torch.nn.Module`` wrappers: each stores its options and calls the function.

Tensor options (``class_weights``, ``pos_weight``, a per-class ``alpha``) are
registered as buffers, so ``module.to(device)`` moves them with the model.

Examples:
    On a GPU (under pytest this example is skipped, with the reason, where CUDA is
    absent): class weights move with the module.

    >>> require_cuda()
    >>> import torch
    >>> from segref.nn import CrossEntropyLoss
    >>> criterion = CrossEntropyLoss(from_logits=True, class_weights=torch.tensor([1.0, 3.0])).to("cuda")
    >>> criterion.class_weights.device.type
    'cuda'
    >>> z = torch.zeros(2, 2, device="cuda", requires_grad=True)   # two pixels, equal logits
    >>> round(criterion(z, torch.tensor([0, 1], device="cuda")).item(), 5)  # (1 + 3) log 2 / (1 + 3)
    0.69315
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch

from . import compound, cross_entropy, focal, overlap

__all__ = [
    "BinaryCrossEntropyLoss",
    "BinaryFocalLoss",
    "CrossEntropyLoss",
    "DiceCELoss",
    "DiceLoss",
    "FocalLoss",
    "JaccardLoss",
]


class _FunctionLoss(torch.nn.Module):
    """Binds keyword options to a segref loss function; ``forward(pred, target)`` calls it.

    Examples:
        >>> import torch
        >>> from segref.nn import DiceLoss
        >>> criterion = DiceLoss(from_logits=True, include_background=False)
        >>> criterion
        DiceLoss(from_logits=True, include_background=False)
        >>> round(criterion(torch.zeros(1, 2, 2), torch.tensor([[0, 1]])).item(), 6)  # see dice_loss
        0.5
    """

    function: Callable[..., torch.Tensor]

    def __init__(self, **options: Any) -> None:
        super().__init__()
        signature = inspect.signature(type(self).function)
        unknown = sorted(set(options) - set(list(signature.parameters)[2:]))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unknown option(s) {unknown}; "
                f"expected some of {list(signature.parameters)[2:]}"
            )
        try:
            signature.bind(None, None, **options)
        except TypeError as error:
            raise TypeError(f"{type(self).__name__}: {error}") from None
        self._tensor_options = []
        for name, value in options.items():
            if isinstance(value, torch.Tensor):
                self.register_buffer(name, value)
                self._tensor_options.append(name)
        self.options = {k: v for k, v in options.items() if k not in self._tensor_options}

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        tensors = {name: getattr(self, name) for name in self._tensor_options}
        return type(self).function(pred, target, **self.options, **tensors)

    def extra_repr(self) -> str:
        shown = dict(self.options, **{name: "<tensor>" for name in self._tensor_options})
        return ", ".join(f"{key}={value!r}" for key, value in shown.items())


def _wrapper(name: str, function: Callable[..., Any]) -> type:
    doc = (
        f"Module form of [`{function.__name__}`][segref.{function.__name__}]: "
        f"``{name}(**options)(pred, target)`` equals ``{function.__name__}(pred, target, **options)``."
    )
    return type(name, (_FunctionLoss,), {"function": staticmethod(function), "__doc__": doc, "__module__": __name__})


BinaryCrossEntropyLoss = _wrapper("BinaryCrossEntropyLoss", cross_entropy.binary_cross_entropy)
CrossEntropyLoss = _wrapper("CrossEntropyLoss", cross_entropy.categorical_cross_entropy)
DiceLoss = _wrapper("DiceLoss", overlap.dice_loss)
JaccardLoss = _wrapper("JaccardLoss", overlap.jaccard_loss)
BinaryFocalLoss = _wrapper("BinaryFocalLoss", focal.binary_focal_loss)
FocalLoss = _wrapper("FocalLoss", focal.focal_loss)
DiceCELoss = _wrapper("DiceCELoss", compound.dice_ce_loss)
