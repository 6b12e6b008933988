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
``autograd.Function`` computes one $(N, C, S)$ tensor (the probabilities, kept for
the backward pass with a reference to the logits, which second derivatives
recompute from) and writes the gradient into one new tensor, or, for the
cross-entropy and focal terms, back into the probabilities when the graph is freed.
Autocast is off inside: its sums stay in float32. Writing
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

import contextlib
import inspect
from typing import NamedTuple

import torch


class SoftmaxTerms(NamedTuple):
    log_p_true: torch.Tensor | None  # (N, S): log p_{i, y_i}; None without log terms
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
    function = _SoftmaxIndexTerms if torch.compiler.is_compiling() else _SoftmaxIndexTermsWithJvp
    return SoftmaxTerms(*function.apply(z, index, valid, class_vector, overlap, log_terms)[:4])


class _SoftmaxIndexTerms(torch.autograd.Function):
    # the forward's probabilities and true-class probabilities are extra outputs, so that
    # setup_context can save them (which torch.func.grad needs); the wrapper drops them
    @staticmethod
    def forward(z, index, valid, class_vector, overlap, log_terms):  # type: ignore[override]
        with _full_precision(z):
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
                counted = p_true if valid is None else p_true * valid
                intersection = counted.new_zeros((z.shape[0], z.shape[1])).scatter_add_(1, index, counted)
                pred_sum = probs.sum(2) if valid is None else torch.matmul(probs, valid.unsqueeze(2)).squeeze(2)
        return log_p_true, weighted, intersection, pred_sum, probs, p_true

    @staticmethod
    def setup_context(ctx, inputs, output):  # type: ignore[override]
        z, index, valid, class_vector, _, _ = inputs
        probs, p_true = output[4], output[5]
        ctx.mark_non_differentiable(probs, p_true)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(z, probs, p_true, index, valid, class_vector)
        ctx.save_for_forward(z, probs, p_true, index, valid, class_vector)
        ctx.terms = (output[0] is not None, output[1] is not None, output[2] is not None)

    @staticmethod
    def backward(ctx, g_log_p_true, g_weighted, g_intersection, g_pred_sum, _g_probs, _g_p_true):  # type: ignore[override]
        z, probs, p_true, index, valid, class_vector = ctx.saved_tensors
        differentiable = torch.is_grad_enabled()
        with _full_precision(z):
            if differentiable:  # create_graph: a gradient that is itself differentiable in z
                probs = torch.softmax(z, dim=1)
                p_true = probs.gather(1, index.unsqueeze(1)).squeeze(1)
            grad_class_vector = None
            if ctx.needs_input_grad[3] and g_weighted is not None:
                grad_class_vector = torch.einsum("ns,ncs->c", g_weighted, torch.log_softmax(z, dim=1))
            grad = None
            if ctx.needs_input_grad[0]:
                grad = _logit_gradient(
                    probs,
                    p_true,
                    index,
                    valid,
                    class_vector,
                    g_log_p_true,
                    g_weighted,
                    g_intersection,
                    g_pred_sum,
                    in_place=not differentiable,
                    reuse_probs=not differentiable and not _graph_kept(),
                )
        return grad, None, None, grad_class_vector, None, None


class _SoftmaxIndexTermsWithJvp(_SoftmaxIndexTerms):
    """The same function with a forward-mode rule (``torch.func.jvp``); used outside ``torch.compile``,
    which cannot trace an ``autograd.Function`` that defines ``jvp``."""

    @staticmethod
    def jvp(ctx, dz, _d_index, _d_valid, d_class_vector, _d_overlap, _d_log_terms):  # type: ignore[override]
        """Forward mode: dp_ic = p_ic (dz_ic - sum_c p_ic dz_ic), and the terms' derivatives from it."""
        z, probs, p_true, index, valid, class_vector = ctx.saved_tensors
        has_log, has_weighted, has_overlap = ctx.terms
        with _full_precision(z):
            mean = (probs * dz).sum(1)
            d_log_p_true = dz.gather(1, index.unsqueeze(1)).squeeze(1) - mean
            d_weighted = d_intersection = d_pred_sum = None
            if has_weighted:
                d_weighted = torch.matmul(class_vector, dz) - mean * class_vector.sum()
                if d_class_vector is not None:
                    d_weighted = d_weighted + torch.matmul(d_class_vector, torch.log_softmax(z, dim=1))
            if has_overlap:
                counted = p_true * d_log_p_true if valid is None else p_true * d_log_p_true * valid
                d_intersection = counted.new_zeros((z.shape[0], z.shape[1])).scatter_add_(1, index, counted)
                d_probs = probs * (dz - mean.unsqueeze(1))
                d_pred_sum = d_probs.sum(2) if valid is None else torch.matmul(d_probs, valid.unsqueeze(2)).squeeze(2)
        return d_log_p_true if has_log else None, d_weighted, d_intersection, d_pred_sum, None, None


# torch's Function.apply binds the arguments to forward's signature on every call (to apply its
# defaults), and inspect.signature is slow: computed once here, read from __signature__ after
_SoftmaxIndexTerms.forward.__signature__ = inspect.signature(_SoftmaxIndexTerms.forward)  # type: ignore[attr-defined]


def _plus(total: torch.Tensor | None, term: torch.Tensor) -> torch.Tensor:
    return term if total is None else total + term


def _full_precision(z: torch.Tensor):
    """Autocast off inside the kernel: its sums (matmul) must not run in float16 or bfloat16.
    Entering an autocast context costs more than the kernel on a small step: only when it is on."""
    try:
        if not torch.is_autocast_enabled(z.device.type):
            return contextlib.nullcontext()
    except TypeError:  # torch < 2.4 takes no device type here
        pass
    try:
        return torch.autocast(device_type=z.device.type, enabled=False)
    except RuntimeError:  # a device type autocast does not know has no autocast to turn off
        return contextlib.nullcontext()


def _graph_kept() -> bool:
    """Whether this backward pass keeps the graph (``retain_graph=True``): then the saved p must survive."""
    if torch.compiler.is_compiling():
        return True
    keep_graph = getattr(getattr(torch._C, "_autograd", None), "_get_current_graph_task_keep_graph", None)
    return True if keep_graph is None else bool(keep_graph())


def _logit_gradient(
    probs,
    p_true,
    index,
    valid,
    class_vector,
    g_log_p_true,
    g_weighted,
    g_intersection,
    g_pred_sum,
    *,
    in_place: bool,
    reuse_probs: bool = False,
) -> torch.Tensor:
    """The closed-form gradient of the module docstring.

    ``in_place`` writes into buffers this function allocated; ``reuse_probs`` also
    overwrites the saved probabilities (allowed when the graph is freed after this pass).
    """
    spike = g_log_p_true  # u_i; None stands for 0 (gradients are not materialised)
    if g_intersection is not None:
        through_intersection = p_true * g_intersection.gather(1, index)
        if valid is not None:
            through_intersection = through_intersection * valid
        spike = _plus(spike, through_intersection)
    shift = spike  # t_i
    if g_weighted is not None:
        shift = _plus(shift, g_weighted * class_vector.sum())
    column = None
    if g_pred_sum is not None:
        through_sum = torch.matmul(g_pred_sum.unsqueeze(1), probs).squeeze(1)
        shift = _plus(shift, through_sum if valid is None else through_sum * valid)
        column = g_pred_sum.unsqueeze(2)
    if shift is None:  # nothing flowed back to the logits
        return torch.zeros_like(probs)
    if column is None and reuse_probs:
        grad = probs.mul_(-shift.unsqueeze(1))
    else:
        if column is None:
            factor = -shift.unsqueeze(1)
        elif valid is None:
            factor = column - shift.unsqueeze(1)
        else:
            factor = torch.addcmul(-shift.unsqueeze(1), column, valid.unsqueeze(1))
        grad = factor.mul_(probs) if in_place and factor.shape == probs.shape else probs * factor
    if in_place:
        if spike is not None:
            grad.scatter_add_(1, index.unsqueeze(1), spike.unsqueeze(1))
        if g_weighted is not None:
            grad.addcmul_(g_weighted.unsqueeze(1), class_vector.view(1, -1, 1))
    else:
        if spike is not None:
            grad = grad.scatter_add(1, index.unsqueeze(1), spike.unsqueeze(1))
        if g_weighted is not None:
            grad = grad + g_weighted.unsqueeze(1) * class_vector.view(1, -1, 1)
    return grad
