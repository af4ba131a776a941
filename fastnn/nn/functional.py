"""nn.functional: the functional forms of layers, activations and losses."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _wrap
from ..autograd.random import generator
from ..autograd import ops
from ..autograd.ops.softmax import cross_entropy_indices
from ..autograd.native.dropout import DropoutFn
from ..autograd.native.linear import EmbeddingFn, LinearFn
from ..autograd.ops.elementwise import softplus  # noqa: F401 (re-exported)
from ..autograd.ops.elementwise import hardtanh as _hardtanh
from .functional_loss import legacy_reduction


# ------------------------------------------------------------------ helpers

def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a Tensor, got {type(x).__name__}")


def _check_float(x, name):
    _check_tensor(x, name)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating point tensor, got {x.dtype}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _weighted_reduce(loss, weight, reduction, input, by_weight_sum):
    """PyTorch 2.13's elementwise `weight` of mse/l1/huber: same shape as input; 'mean' divides by the
    weights' sum (mse, l1) or by the element count (huber)."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    _check_reduction(reduction)
    loss = loss * weight
    if reduction == "mean" and by_weight_sum:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _warn_if_broadcast(input, target):
    """PyTorch's warning when an elementwise loss's target broadcasts against the input (usually a bug)."""
    if isinstance(target, Tensor) and tuple(target.shape) != tuple(input.shape):
        import warnings
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                      f"Please ensure they have the same size.", UserWarning, stacklevel=3)


def _same_shape(input, target, fname):
    if input.shape != target.shape:
        raise ValueError(f"{fname}: target shape {tuple(target.shape)} must match input shape {tuple(input.shape)}")


# ------------------------------------------------------------------ linear

def linear(input, weight, bias=None):
    _check_float(input, "input")
    _check_float(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has {input.shape[-1] if input.ndim else 0} features in its last dim, "
                         f"weight expects {weight.shape[1]} (input shape {tuple(input.shape)})")
    if input.dtype != weight.dtype:
        raise TypeError(f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}")
    return LinearFn.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    out = ops.matmul(ops.matmul(input1.unsqueeze(-2).unsqueeze(-3), weight.unsqueeze(0) if input1.ndim > 1 else weight),
                     input2.unsqueeze(-2).unsqueeze(-1) if input1.ndim > 1 else input2.unsqueeze(-1))
    out = out.squeeze(-1).squeeze(-1)
    return out + bias if bias is not None else out


# ------------------------------------------------------------------ activations

def _inplace_or_new(input, inplace, fn, fname):
    """inplace=True: into input outside the autograd graph, a new tensor inside it (functional_act)."""
    from .functional_act import _maybe_inplace
    return _maybe_inplace(input, inplace, fn, fname)


def relu(input, inplace=False):
    return _inplace_or_new(input, inplace, ops.relu, "relu")


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _inplace_or_new(input, inplace, lambda t: ops.leaky_relu(t, negative_slope), "leaky_relu")


def gelu(input, approximate="none"):
    return ops.gelu(input, approximate)


def silu(input, inplace=False):
    return _inplace_or_new(input, inplace, ops.silu, "silu")


def sigmoid(input):
    return ops.sigmoid(input)


def tanh(input):
    return ops.tanh(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _inplace_or_new(input, inplace, lambda t: _hardtanh(t, min_val, max_val), "hardtanh")


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return ops.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return ops.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return ops.softmax(-input, dim, dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    return input / ops.clamp(ops.norm(input, p, dim, keepdim=True), min=eps)


# ------------------------------------------------------------------ dropout

def dropout(input, p=0.5, training=True, inplace=False):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if inplace:  # written into input outside the autograd graph; a new tensor inside it
        from .functional_act import _maybe_inplace
        return _maybe_inplace(input, True, lambda t: dropout(t, p, training), "dropout")
    if p == 1.0:
        return input * 0.0
    if input.dtype not in (np.float32, np.float64):
        raise TypeError(f"dropout: input must be float32 or float64, got {input.dtype}")
    return DropoutFn.apply(input, float(p), generator())


# ------------------------------------------------------------------ normalisation

class NormFn(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias, statistics over `axes`.

    Layer norm reduces the trailing dims, batch norm all but the channel dim; the
    affine weight/bias have the shape `param_shape` broadcast against x.
    """
    @staticmethod
    def forward(ctx, x, weight, bias, axes, param_shape, eps, mean, var):
        batch_stats = mean is None  # supplied (running) statistics are constants for backward
        if batch_stats:
            mean = x.mean(axis=axes, keepdims=True)
            var = x.var(axis=axes, keepdims=True)
        inv = 1.0 / np.sqrt(var + eps)
        xhat = ((x - mean) * inv).astype(x.dtype, copy=False)
        out = xhat
        if weight is not None:
            out = out * weight.reshape(param_shape)
        if bias is not None:
            out = out + bias.reshape(param_shape)
        ctx.save_for_backward(xhat, inv, weight)
        affine = weight if weight is not None else bias
        ctx.meta = (axes, param_shape, batch_stats, None if affine is None else affine.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        xhat, inv, weight = ctx.saved_tensors
        axes, param_shape, batch_stats, affine_shape = ctx.meta
        need = ctx.needs_input_grad
        param_axes = tuple(i for i in range(g.ndim) if param_shape[i] == 1)
        gw = (g * xhat).sum(axis=param_axes).reshape(affine_shape) if need[1] else None
        gb = g.sum(axis=param_axes).reshape(affine_shape) if need[2] else None
        gx = None
        if need[0]:
            gxhat = g * weight.reshape(param_shape) if weight is not None else g
            if batch_stats:
                gx = inv * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                            - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
            else:  # running statistics are constants
                gx = gxhat * inv
            gx = gx.astype(g.dtype, copy=False)
        return gx, gw, gb, None, None, None, None, None


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    _check_float(input, "input")
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects input with at least 2 dims (N, C, ...), got shape {tuple(input.shape)}")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},), got {tuple(t.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    param_shape = (1, C) + (1,) * (input.ndim - 2)
    x = input._data
    if training:
        count = x.size // C
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input shape {tuple(input.shape)}")
        if running_mean is not None:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = 0.1 if momentum is None else momentum
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean
            running_var._data[...] = (1 - m) * running_var._data + m * var * count / (count - 1)
        return NormFn.apply(input, weight, bias, axes, param_shape, eps, None, None)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    mean = running_mean._data.reshape(param_shape)
    var = running_var._data.reshape(param_shape)
    return NormFn.apply(input, weight, bias, axes, param_shape, eps, mean, var)


# ------------------------------------------------------------------ embedding, one_hot

def _check_indices(input, n, name):
    _check_tensor(input, name)
    if input.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an int64 tensor of indices, got {input.dtype}")
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"{name} holds index {bad}, out of range [0, {n})")
    return idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    _check_tensor(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    idx = _check_indices(input, weight.shape[0], "input")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    from .functional_embedding import renorm_rows, ScaleGradByFreq
    if max_norm is not None:
        renorm_rows(weight, idx, max_norm, norm_type)
    out = EmbeddingFn.apply(idx, weight, padding_idx)
    return ScaleGradByFreq.apply(out, idx) if scale_grad_by_freq else out


def one_hot(tensor, num_classes=-1):
    idx = tensor._data
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must be int64, got {tensor.dtype}")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"one_hot: class values must be in [0, {n})")
    return _wrap((idx[..., None] == np.arange(n)).astype(np.int64))


# ------------------------------------------------------------------ losses

def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits `input` (N, C) / (N, C, d...) / (C,) with class indices or class probabilities."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_tensor(target, "target")
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension")
    class_dim = 0 if input.ndim == 1 else 1
    C = input.shape[class_dim]
    if weight is not None and tuple(weight.shape) != (C,):
        raise ValueError(f"cross_entropy: weight must have shape ({C},), got {tuple(weight.shape)}")
    if target.dtype.kind == "f":
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, class_dim)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must be int64 class indices or float probabilities, got {target.dtype}")
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if tuple(target.shape) != expected:
        raise ValueError(f"cross_entropy: target shape {tuple(target.shape)} does not match input shape "
                         f"{tuple(input.shape)} (expected {expected})")
    logits = input
    if input.ndim == 1:
        logits = input.reshape(1, C)
    elif input.ndim > 2:
        logits = ops.permute(input, (0,) + tuple(range(2, input.ndim)) + (1,)).reshape(-1, C)
    t = target._data.reshape(-1)
    if t.dtype != np.int64:
        t = t.astype(np.int64)
    w = weight._data if isinstance(weight, Tensor) else weight
    loss = cross_entropy_indices(logits, t, w, ignore_index, label_smoothing, reduction)
    if reduction == "none":
        return loss.reshape(expected)
    return loss


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing, class_dim):
    _same_shape(input, target, "cross_entropy")
    C = input.shape[class_dim]
    logp = ops.log_softmax(input, class_dim)
    q = target
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / C
    terms = logp * q
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = C
        terms = terms * weight.reshape(shape)
    loss = -terms.sum(class_dim)
    return _reduce(loss, reduction)


class NLLFn(Function):
    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        N = logp.shape[0]
        keep = target != ignore_index
        safe = np.where(keep, target, 0)
        w = np.ones(logp.shape[1], logp.dtype) if weight is None else weight
        wt = w[safe] * keep
        picked = logp[np.arange(N), safe]
        loss = -(picked * wt).astype(logp.dtype)
        ctx.meta = (logp.shape, safe, wt, reduction)
        if reduction == "none":
            return loss
        if reduction == "sum":
            return np.asarray(loss.sum())
        ctx.denom = wt.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(loss.sum() / logp.dtype.type(ctx.denom))

    @staticmethod
    def backward(ctx, g):
        shape, safe, wt, reduction = ctx.meta
        scale = g if reduction == "none" else (g / ctx.denom if reduction == "mean" else g)
        out = np.zeros(shape, dtype=np.result_type(g.dtype, wt.dtype))
        out[np.arange(shape[0]), safe] = -wt * scale
        return out.astype(g.dtype, copy=False), None, None, None, None


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_tensor(target, "target")
    _check_reduction(reduction)
    if input.ndim < 1:
        raise ValueError("nll_loss: input must have a class dimension")
    C = input.shape[0 if input.ndim == 1 else 1]
    x = input if input.ndim == 2 else (input.reshape(1, C) if input.ndim == 1 else
                                       ops.permute(input, (0,) + tuple(range(2, input.ndim)) + (1,)).reshape(-1, C))
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if tuple(target.shape) != expected:
        raise ValueError(f"nll_loss: target shape {tuple(target.shape)} does not match input shape {tuple(input.shape)}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must be int64 class indices, got {target.dtype}")
    t = target._data.reshape(-1).astype(np.int64, copy=False)
    valid = t[t != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= C):
        raise IndexError(f"nll_loss: target holds {valid[(valid < 0) | (valid >= C)][0]}, out of range [0, {C})")
    w = None if weight is None else weight._data.astype(input.dtype)
    loss = NLLFn.apply(x, t, w, ignore_index, reduction)
    return loss.reshape(expected) if reduction == "none" else loss


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_tensor(target, "target")
    _warn_if_broadcast(input, target)
    diff = input - target
    return _weighted_reduce(diff * diff, weight, reduction, input, by_weight_sum=True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _warn_if_broadcast(input, target)
    return _weighted_reduce(ops.abs(input - target), weight, reduction, input, by_weight_sum=True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _warn_if_broadcast(input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    d = input - target
    ad = ops.abs(d)
    loss = ops.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_float(input, "input")
    _warn_if_broadcast(input, target)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    ad = ops.abs(d)
    loss = ops.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _weighted_reduce(loss, weight, reduction, input, by_weight_sum=False)


class BCEFn(Function):
    """-(t log p + (1 - t) log(1 - p)) with PyTorch's guards: logs clamped at -100, and the
    gradient (p - t) / max(p (1 - p), 1e-12), so p = 0 or 1 gives finite values, not NaN."""
    @staticmethod
    def forward(ctx, p, t):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        ctx.save_for_backward(p, t, log_p, log_1mp)
        return -(t * log_p + (1 - t) * log_1mp)

    @staticmethod
    def backward(ctx, g):
        p, t, log_p, log_1mp = ctx.saved_tensors
        gp = g * (p - t) / np.maximum(p * (1 - p), p.dtype.type(1e-12)) if ctx.needs_input_grad[0] else None
        gt = g * (log_1mp - log_p) if ctx.needs_input_grad[1] else None
        return gp, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_float(target, "target")
    _same_shape(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    t = target._data
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of target should be between 0 and 1")
    loss = BCEFn.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class BCEWithLogitsFn(Function):
    """(1 - t) x + (1 + (pw - 1) t) softplus(-x), stable for any x."""
    @staticmethod
    def forward(ctx, x, t, pos_weight):
        lw = 1 + (pos_weight - 1) * t if pos_weight is not None else 1
        sp = np.logaddexp(0, -x)
        ctx.save_for_backward(x, t, lw)
        return ((1 - t) * x + lw * sp).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, t, lw = ctx.saved_tensors
        sig_neg = 0.5 * (1 - np.tanh(0.5 * x))  # sigmoid(-x) without overflow
        gx = g * ((1 - t) - lw * sig_neg)
        return gx.astype(x.dtype, copy=False), None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, "input")
    _check_float(target, "target")
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    _check_reduction(reduction)
    pw = None if pos_weight is None else pos_weight._data
    loss = BCEWithLogitsFn.apply(input, target._data.astype(input.dtype, copy=False), pw)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = ops.where(target._data > 0, target * (ops.log(ops.clamp(target, min=1e-45)) - input), 0.0 * input)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0]
    return _reduce(loss, reduction)


from .functional_conv import (conv2d, conv_transpose2d, max_pool2d, avg_pool2d, pad)  # noqa: E402,F401
from .functional_attention import (layer_norm, scaled_dot_product_attention,  # noqa: E402,F401
                                   multi_head_attention_forward)
from .functional_act import (elu, selu, celu, hardsigmoid, hardswish, mish, softsign, tanhshrink,  # noqa: E402,F401
                             softshrink, hardshrink, threshold, logsigmoid, glu, prelu, rrelu, gumbel_softmax,
                             relu_, elu_, selu_, celu_, leaky_relu_, hardtanh_, threshold_, rrelu_)
from .functional_loss import (pairwise_distance, cosine_similarity, pdist, poisson_nll_loss,  # noqa: E402,F401
                              gaussian_nll_loss, margin_ranking_loss, hinge_embedding_loss, soft_margin_loss,
                              multilabel_soft_margin_loss, cosine_embedding_loss, multi_margin_loss,
                              multilabel_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
                              linear_cross_entropy)
from .functional_unfold import unfold, fold  # noqa: E402,F401
from .functional_convnd import conv1d, conv3d, conv_transpose1d, conv_transpose3d, conv_tbc  # noqa: E402,F401
from .functional_pool import (max_pool1d, max_pool3d, max_pool1d_with_indices,  # noqa: E402,F401
                              max_pool2d_with_indices, max_pool3d_with_indices, max_unpool1d, max_unpool2d,
                              max_unpool3d, avg_pool1d, avg_pool3d, lp_pool1d, lp_pool2d, lp_pool3d,
                              adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
                              adaptive_max_pool2d, adaptive_max_pool3d, adaptive_max_pool1d_with_indices,
                              adaptive_max_pool2d_with_indices, adaptive_max_pool3d_with_indices)
from .functional_norm import group_norm, instance_norm, local_response_norm, rms_norm  # noqa: E402,F401
from .functional_interp import (interpolate, upsample, upsample_nearest, upsample_bilinear,  # noqa: E402,F401
                                affine_grid, grid_sample)
from .functional_misc import (pixel_shuffle, pixel_unshuffle, channel_shuffle,  # noqa: E402,F401
                              native_channel_shuffle, dropout1d, dropout2d, dropout3d, alpha_dropout,
                              feature_alpha_dropout, embedding_bag)
from .functional_ctc import ctc_loss  # noqa: E402,F401
from .functional_fractional import (fractional_max_pool2d, fractional_max_pool3d,  # noqa: E402,F401
                                    fractional_max_pool2d_with_indices, fractional_max_pool3d_with_indices)
