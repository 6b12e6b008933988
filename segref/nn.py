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
import math
from typing import Any

import torch

from . import _validation as V
from .compound import check_terms, combined_loss, dice_ce_loss, dice_focal_loss, dice_topk_loss
from .confusion import mcc_loss, sensitivity_specificity_loss
from .cross_entropy import (
    binary_cross_entropy,
    bootstrapped_cross_entropy,
    categorical_cross_entropy,
    poly_loss,
    topk_cross_entropy,
)
from .focal import binary_focal_loss, focal_loss
from .overlap import (
    check_tversky_options,
    dice_loss,
    focal_tversky_loss,
    generalized_dice_loss,
    jaccard_loss,
    log_cosh_dice_loss,
    tversky_loss,
)

Tensor = torch.Tensor

__all__ = [
    "BinaryCrossEntropyLoss",
    "BootstrappedCrossEntropyLoss",
    "CombinedLoss",
    "BinaryFocalLoss",
    "CrossEntropyLoss",
    "DiceCELoss",
    "DiceFocalLoss",
    "DiceLoss",
    "DiceTopKLoss",
    "FocalLoss",
    "FocalTverskyLoss",
    "GeneralizedDiceLoss",
    "JaccardLoss",
    "LogCoshDiceLoss",
    "MCCLoss",
    "PolyLoss",
    "SensitivitySpecificityLoss",
    "TopKCrossEntropyLoss",
    "TverskyLoss",
]


class _LossModule(torch.nn.Module):
    """Stores a loss's keyword options; tensor options become buffers that move with the module.

    Examples:
        >>> import torch
        >>> from segref.nn import DiceLoss
        >>> criterion = DiceLoss(from_logits=True, include_background=False)
        >>> criterion
        DiceLoss(from_logits=True, include_background=False)
        >>> round(criterion(torch.zeros(1, 2, 2), torch.tensor([[0, 1]])).item(), 6)  # see dice_loss
        0.5
    """

    _reductions: tuple[str, ...] = V.REDUCTIONS
    _alpha_high: float = math.inf
    _per_class_alpha: bool = True

    def __init__(self, **options: Any) -> None:
        super().__init__()
        V.check_options(
            options,
            reductions=self._reductions,
            alpha_high=self._alpha_high,
            per_class_alpha=self._per_class_alpha,
        )
        defaults = {
            name: p.default
            for name, p in inspect.signature(type(self).__init__).parameters.items()
            if p.kind is p.KEYWORD_ONLY
        }
        self._shown = [
            name
            for name, value in options.items()
            if name not in defaults or defaults[name] is inspect.Parameter.empty or value is not defaults[name]
        ]
        self._tensor_options = [name for name, value in options.items() if isinstance(value, torch.Tensor)]
        for name in self._tensor_options:
            self.register_buffer(name, options[name])
        self.options = {k: v for k, v in options.items() if k not in self._tensor_options}

    def __prepare_scriptable__(self) -> _LossModule:
        raise TypeError(
            f"{type(self).__name__} cannot be compiled by torch.jit.script (TorchScript has no keyword-only "
            "options, NumPy inputs or dynamic value checks, and is deprecated); use torch.compile, "
            "torch.export or torch.jit.trace, which segref supports"
        )

    def _all_options(self) -> dict[str, Any]:
        return dict(self.options, **{name: getattr(self, name) for name in self._tensor_options})

    def extra_repr(self) -> str:
        shown = {name: "<tensor>" if name in self._tensor_options else self.options[name] for name in self._shown}
        return ", ".join(f"{key}={value!r}" for key, value in shown.items())


class BinaryCrossEntropyLoss(_LossModule):
    """Module form of [`binary_cross_entropy`][segref.binary_cross_entropy]:
    ``BinaryCrossEntropyLoss(**options)(pred, target)`` equals ``binary_cross_entropy(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        label_smoothing: float = 0.0,
        pos_weight: float | Tensor | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            pos_weight=pos_weight,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(pred, target, **self._all_options())


class CrossEntropyLoss(_LossModule):
    """Module form of [`categorical_cross_entropy`][segref.categorical_cross_entropy]:
    ``CrossEntropyLoss(**options)(pred, target)`` equals ``categorical_cross_entropy(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        label_smoothing: float = 0.0,
        class_weights: Tensor | None = None,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            class_weights=class_weights,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return categorical_cross_entropy(pred, target, **self._all_options())


class TopKCrossEntropyLoss(_LossModule):
    """Module form of [`topk_cross_entropy`][segref.topk_cross_entropy]:
    ``TopKCrossEntropyLoss(**options)(pred, target)`` equals ``topk_cross_entropy(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        k: float = 10.0,
        per_image: bool = False,
        label_smoothing: float = 0.0,
        class_weights: Tensor | None = None,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            k=k,
            per_image=per_image,
            label_smoothing=label_smoothing,
            class_weights=class_weights,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return topk_cross_entropy(pred, target, **self._all_options())


class BootstrappedCrossEntropyLoss(_LossModule):
    """Module form of [`bootstrapped_cross_entropy`][segref.bootstrapped_cross_entropy]:
    ``BootstrappedCrossEntropyLoss(**options)(pred, target)`` equals
    ``bootstrapped_cross_entropy(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        num_kept: int = 512,
        threshold: float | None = None,
        per_image: bool = True,
        label_smoothing: float = 0.0,
        class_weights: Tensor | None = None,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            num_kept=num_kept,
            threshold=threshold,
            per_image=per_image,
            label_smoothing=label_smoothing,
            class_weights=class_weights,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return bootstrapped_cross_entropy(pred, target, **self._all_options())


class PolyLoss(_LossModule):
    """Module form of [`poly_loss`][segref.poly_loss]:
    ``PolyLoss(**options)(pred, target)`` equals ``poly_loss(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        epsilon: float = 1.0,
        label_smoothing: float = 0.0,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            epsilon=epsilon,
            label_smoothing=label_smoothing,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return poly_loss(pred, target, **self._all_options())


class _OverlapLossModule(_LossModule):
    """The options shared by the Dice and Jaccard modules."""

    def __init__(
        self,
        *,
        from_logits: bool,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        squared: bool = False,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            squared=squared,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )


class DiceLoss(_OverlapLossModule):
    """Module form of [`dice_loss`][segref.dice_loss]:
    ``DiceLoss(**options)(pred, target)`` equals ``dice_loss(pred, target, **options)``."""

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return dice_loss(pred, target, **self._all_options())


class JaccardLoss(_OverlapLossModule):
    """Module form of [`jaccard_loss`][segref.jaccard_loss]:
    ``JaccardLoss(**options)(pred, target)`` equals ``jaccard_loss(pred, target, **options)``."""

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return jaccard_loss(pred, target, **self._all_options())


class LogCoshDiceLoss(_OverlapLossModule):
    """Module form of [`log_cosh_dice_loss`][segref.log_cosh_dice_loss]:
    ``LogCoshDiceLoss(**options)(pred, target)`` equals ``log_cosh_dice_loss(pred, target, **options)``."""

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return log_cosh_dice_loss(pred, target, **self._all_options())


class MCCLoss(_LossModule):
    """Module form of [`mcc_loss`][segref.mcc_loss]:
    ``MCCLoss(**options)(pred, target)`` equals ``mcc_loss(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return mcc_loss(pred, target, **self._all_options())


class SensitivitySpecificityLoss(_LossModule):
    """Module form of [`sensitivity_specificity_loss`][segref.sensitivity_specificity_loss]:
    ``SensitivitySpecificityLoss(**options)(pred, target)`` equals
    ``sensitivity_specificity_loss(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        sensitivity_weight: float = 0.05,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            sensitivity_weight=sensitivity_weight,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return sensitivity_specificity_loss(pred, target, **self._all_options())


class BinaryFocalLoss(_LossModule):
    """Module form of [`binary_focal_loss`][segref.binary_focal_loss]:
    ``BinaryFocalLoss(**options)(pred, target)`` equals ``binary_focal_loss(pred, target, **options)``."""

    _alpha_high = 1.0
    _per_class_alpha = False

    def __init__(
        self, *, from_logits: bool, gamma: float = 2.0, alpha: float | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__(from_logits=from_logits, gamma=gamma, alpha=alpha, reduction=reduction)

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return binary_focal_loss(pred, target, **self._all_options())


class FocalLoss(_LossModule):
    """Module form of [`focal_loss`][segref.focal_loss]:
    ``FocalLoss(**options)(pred, target)`` equals ``focal_loss(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        gamma: float = 2.0,
        alpha: float | Tensor | None = None,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits, gamma=gamma, alpha=alpha, ignore_index=ignore_index, axis=axis, reduction=reduction
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return focal_loss(pred, target, **self._all_options())


class DiceCELoss(_LossModule):
    """Module form of [`dice_ce_loss`][segref.dice_ce_loss]:
    ``DiceCELoss(**options)(pred, target)`` equals ``dice_ce_loss(pred, target, **options)``."""

    _reductions = ("mean",)

    def __init__(
        self,
        *,
        from_logits: bool,
        dice_weight: float = 1.0,
        ce_weight: float = 1.0,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        squared: bool = False,
        label_smoothing: float = 0.0,
        class_weights: Tensor | None = None,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            dice_weight=dice_weight,
            ce_weight=ce_weight,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            squared=squared,
            label_smoothing=label_smoothing,
            class_weights=class_weights,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return dice_ce_loss(pred, target, **self._all_options())


class TverskyLoss(_LossModule):
    """Module form of [`tversky_loss`][segref.tversky_loss]:
    ``TverskyLoss(**options)(pred, target)`` equals ``tversky_loss(pred, target, **options)``."""

    _per_class_alpha = False

    def __init__(
        self,
        *,
        from_logits: bool,
        alpha: float = 0.3,
        beta: float = 0.7,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        check_tversky_options(alpha, beta)
        super().__init__(
            from_logits=from_logits,
            alpha=alpha,
            beta=beta,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return tversky_loss(pred, target, **self._all_options())


class FocalTverskyLoss(_LossModule):
    """Module form of [`focal_tversky_loss`][segref.focal_tversky_loss]:
    ``FocalTverskyLoss(**options)(pred, target)`` equals ``focal_tversky_loss(pred, target, **options)``."""

    _per_class_alpha = False

    def __init__(
        self,
        *,
        from_logits: bool,
        alpha: float = 0.3,
        beta: float = 0.7,
        gamma: float = 4 / 3,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        check_tversky_options(alpha, beta, gamma)
        super().__init__(
            from_logits=from_logits,
            alpha=alpha,
            beta=beta,
            gamma=gamma,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return focal_tversky_loss(pred, target, **self._all_options())


class GeneralizedDiceLoss(_LossModule):
    """Module form of [`generalized_dice_loss`][segref.generalized_dice_loss]:
    ``GeneralizedDiceLoss(**options)(pred, target)`` equals ``generalized_dice_loss(pred, target, **options)``."""

    def __init__(
        self,
        *,
        from_logits: bool,
        weighting: str = "square",
        absent_classes: str = "max",
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        ignore_index: int | None = None,
        axis: int = 1,
        distributed: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            weighting=weighting,
            absent_classes=absent_classes,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            ignore_index=ignore_index,
            axis=axis,
            distributed=distributed,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return generalized_dice_loss(pred, target, **self._all_options())


class CombinedLoss(_LossModule):
    """Module form of [`combined_loss`][segref.combined_loss]:
    ``CombinedLoss(terms=..., **options)(pred, target)`` equals ``combined_loss(pred, target, terms=..., **options)``.
    The terms are checked here; tensors inside a term's options do not move with ``.to()``
    (give class weights as lists)."""

    _reductions = ("mean",)

    def __init__(
        self,
        *,
        from_logits: bool,
        terms: Any,
        multilabel: bool = False,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        V.check_flag("multilabel", multilabel)
        check_terms(terms, multilabel=multilabel, ignore_index=V.check_ignore_index(ignore_index))
        super().__init__(
            from_logits=from_logits,
            terms=[tuple(term) for term in terms],
            multilabel=multilabel,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return combined_loss(pred, target, **self._all_options())


class DiceFocalLoss(_LossModule):
    """Module form of [`dice_focal_loss`][segref.dice_focal_loss]:
    ``DiceFocalLoss(**options)(pred, target)`` equals ``dice_focal_loss(pred, target, **options)``."""

    _reductions = ("mean",)

    def __init__(
        self,
        *,
        from_logits: bool,
        dice_weight: float = 1.0,
        focal_weight: float = 1.0,
        gamma: float = 2.0,
        alpha: float | Tensor | None = None,
        multilabel: bool = False,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        squared: bool = False,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            dice_weight=dice_weight,
            focal_weight=focal_weight,
            gamma=gamma,
            alpha=alpha,
            multilabel=multilabel,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            squared=squared,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return dice_focal_loss(pred, target, **self._all_options())


class DiceTopKLoss(_LossModule):
    """Module form of [`dice_topk_loss`][segref.dice_topk_loss]:
    ``DiceTopKLoss(**options)(pred, target)`` equals ``dice_topk_loss(pred, target, **options)``."""

    _reductions = ("mean",)

    def __init__(
        self,
        *,
        from_logits: bool,
        dice_weight: float = 1.0,
        topk_weight: float = 1.0,
        k: float = 10.0,
        smooth: float = 0.0,
        per_image: bool = True,
        include_background: bool = True,
        squared: bool = False,
        label_smoothing: float = 0.0,
        class_weights: Tensor | None = None,
        ignore_index: int | None = None,
        axis: int = 1,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            from_logits=from_logits,
            dice_weight=dice_weight,
            topk_weight=topk_weight,
            k=k,
            smooth=smooth,
            per_image=per_image,
            include_background=include_background,
            squared=squared,
            label_smoothing=label_smoothing,
            class_weights=class_weights,
            ignore_index=ignore_index,
            axis=axis,
            reduction=reduction,
        )

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return dice_topk_loss(pred, target, **self._all_options())
