r"""The training path's fused kernel: softmax over classes with an integer target.

Cross-entropy, focal and Dice losses on logits with a class-index target read
only these per-pixel and per-class quantities of $p = \operatorname{softmax}(z)$:

$$
\ell_i = \log p_{i y_i},\quad
s_i = \sum_c w_c \log p_{ic},\quad
I_{nc} = \sum_{i} v_i\, p_{i y_i} [y_i = c],\quad
P_{nc} = \sum_{i} v_i\, p_{ic}
$$

($v_i$ is 0 at ignored pixels, 1 elsewhere). One ``log_softmax`` gives them all,
and their gradient with respect to the logits has a closed form, so this
``autograd.Function`` keeps a single $(N, C, S)$ tensor (the probabilities) for
the backward pass and writes the gradient into a single new one. Writing
$\bar\ell, \bar s, \bar I, \bar P$ for the incoming gradients:

$$
\frac{\partial L}{\partial z_{ic}} =
p_{ic}\big(v_i \bar P_{nc} - t_i\big) + [c = y_i]\,u_i + \bar s_i\, w_c,
\qquad u_i = \bar\ell_i + v_i\,p_{i y_i}\bar I_{n y_i},
\qquad t_i = u_i + \bar s_i \textstyle\sum_c w_c + v_i \sum_c p_{ic}\bar P_{nc}.
$$

When a second derivative is asked for (``create_graph=True``), the same formula
is evaluated with differentiable operations on a recomputed softmax, so
``gradgradcheck`` holds.
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class SoftmaxTerms(NamedTuple):
    log_p_true: torch.Tensor  # (N, S): log p_{i, y_i}
    weighted_log_sum: torch.Tensor | None  # (N, S): sum_c w_c log p_ic
    intersection: torch.Tensor | None  # (N, C): sum_i v_i p_{i, y_i} [y_i = c]
    pred_sum: torch.Tensor | None  # (N, C): sum_i v_i p_ic


def softmax_index_terms(
    z: torch.Tensor,
    index: torch.Tensor,
    valid: torch.Tensor | None,
    *,
    overlap: bool,
    class_vector: torch.Tensor | None,
    log_terms: bool = True,
) -> SoftmaxTerms:
    """The terms above for logits ``z`` (N, C, S), labels ``index`` (N, S) in [0, C), ``valid`` (N, S).

    Without ``log_terms`` (an overlap loss alone) no logarithm is taken: one softmax,
    and ``log_p_true`` is None.
    """
    return SoftmaxTerms(*_SoftmaxIndexTerms.apply(z, index, valid, class_vector, overlap, log_terms))


def per_class_sums(values: torch.Tensor, index: torch.Tensor, num_classes: int) -> torch.Tensor:
    """sum_i values[n, i] [index[n, i] = c], shape (N, C); no one-hot tensor."""
    return values.new_zeros((values.shape[0], num_classes)).scatter_add_(1, index, values)


class _SoftmaxIndexTerms(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, index, valid, class_vector, overlap, log_terms):  # type: ignore[override]
        if log_terms:
            log_probs = torch.log_softmax(z, dim=1)
            log_p_true = log_probs.gather(1, index.unsqueeze(1)).squeeze(1)
            weighted = None if class_vector is None else torch.matmul(class_vector, log_probs)
            probs = log_probs.exp_()  # log p is not read again: the buffer becomes p
            p_true = log_p_true.exp()
        else:
            log_p_true = weighted = None
            probs = torch.softmax(z, dim=1)
            p_true = probs.gather(1, index.unsqueeze(1)).squeeze(1)
        intersection = pred_sum = None
        if overlap:
            intersection = per_class_sums(p_true if valid is None else p_true * valid, index, z.shape[1])
            pred_sum = probs.sum(2) if valid is None else torch.matmul(probs, valid.unsqueeze(2)).squeeze(2)
        ctx.save_for_backward(z, probs, p_true, index, valid, class_vector)
        return log_p_true, weighted, intersection, pred_sum

    @staticmethod
    def backward(ctx, g_log_p_true, g_weighted, g_intersection, g_pred_sum):  # type: ignore[override]
        z, probs, p_true, index, valid, class_vector = ctx.saved_tensors
        differentiable = torch.is_grad_enabled()
        if differentiable:
            probs = torch.softmax(z, dim=1)
            p_true = probs.gather(1, index.unsqueeze(1)).squeeze(1)
        grad = _logit_gradient(probs, p_true, index, valid, class_vector, g_log_p_true, g_weighted,
                               g_intersection, g_pred_sum, in_place=not differentiable,
                               reuse_probs=not differentiable and not _graph_kept())
        return grad, None, None, None, None, None


def _graph_kept() -> bool:
    """Whether this backward pass keeps the graph (``retain_graph=True``): then the saved p must survive."""
    if torch.compiler.is_compiling():
        return True
    keep_graph = getattr(torch._C._autograd, "_get_current_graph_task_keep_graph", None)
    return True if keep_graph is None else bool(keep_graph())


def _logit_gradient(probs, p_true, index, valid, class_vector, g_log_p_true, g_weighted, g_intersection, g_pred_sum,
                    *, in_place: bool, reuse_probs: bool = False) -> torch.Tensor:
    """The closed-form gradient of the module docstring.

    ``in_place`` writes into buffers this function allocated; ``reuse_probs`` also
    overwrites the saved probabilities (allowed when the graph is freed after this pass).
    """
    spike = g_log_p_true  # u_i
    if g_intersection is not None:
        through_intersection = p_true * g_intersection.gather(1, index)
        if valid is not None:
            through_intersection = through_intersection * valid
        spike = through_intersection if spike is None else spike + through_intersection
    shift = spike  # t_i
    if g_weighted is not None:
        shift = shift + g_weighted * class_vector.sum()
    column = None
    if g_pred_sum is not None:
        through_sum = torch.matmul(g_pred_sum.unsqueeze(1), probs).squeeze(1)
        shift = shift + (through_sum if valid is None else through_sum * valid)
        column = g_pred_sum.unsqueeze(2)
    if column is None and reuse_probs:
        grad = probs.mul_(-shift.unsqueeze(1))
        factor = None
    elif column is None:
        factor = -shift.unsqueeze(1)
    elif valid is None:
        factor = column - shift.unsqueeze(1)
    else:
        factor = torch.addcmul(-shift.unsqueeze(1), column, valid.unsqueeze(1))
    if factor is None:
        pass
    elif in_place and factor.shape == probs.shape:
        grad = factor.mul_(probs)
    else:
        grad = probs * factor
    if in_place:
        grad.scatter_add_(1, index.unsqueeze(1), spike.unsqueeze(1))
        if g_weighted is not None:
            grad.addcmul_(g_weighted.unsqueeze(1), class_vector.view(1, -1, 1))
    else:
        grad = grad.scatter_add(1, index.unsqueeze(1), spike.unsqueeze(1))
        if g_weighted is not None:
            grad = grad + g_weighted.unsqueeze(1) * class_vector.view(1, -1, 1)
    return grad
