"""group_norm, instance_norm, local_response_norm and rms_norm.

Group norm (and instance norm on batch statistics, as groups of one channel) is one Function with
the closed-form backward; instance norm on running statistics reuses functional.NormFn.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..autograd import ops
from ..autograd.ops._declare import ArgumentError


class GroupNormFn(Function):
    """Normalise each (sample, group) block, then the per-channel affine, in one Function: the
    statistics and the affine share the passes (group norm, and instance norm as groups of one)."""
    @staticmethod
    def forward(ctx, x, groups, weight, bias, eps):
        N, C = x.shape[:2]
        M = int(np.prod(x.shape[2:]))  # explicit sizes: a batch of 0 must reshape too
        xg = x.reshape(N, groups, (C // groups) * M)
        mean = xg.mean(axis=2, keepdims=True)
        centred = xg - mean
        inv = (1.0 / np.sqrt((centred * centred).mean(axis=2, keepdims=True) + eps)).astype(x.dtype)
        xhat = (centred * inv).reshape(N, C, M)
        out = xhat if weight is None else xhat * weight[:, None]
        if bias is not None:
            out = out + bias[:, None]
        ctx.save_for_backward(xhat, inv, weight)
        ctx.meta = (x.shape, groups)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        xhat, inv, weight = ctx.saved_tensors
        shape, groups = ctx.meta
        N, C = shape[:2]
        M = int(np.prod(shape[2:]))
        need = ctx.needs_input_grad
        g3 = g.reshape(N, C, M)
        gw = (g3 * xhat).sum(axis=(0, 2)) if need[2] else None
        gb = g3.sum(axis=(0, 2)) if need[3] else None
        gx = None
        if need[0]:
            gxhat = (g3 if weight is None else g3 * weight[:, None]).reshape(N, groups, (C // groups) * M)
            xh = xhat.reshape(N, groups, (C // groups) * M)
            gx = inv * (gxhat - gxhat.mean(axis=2, keepdims=True) - xh * (gxhat * xh).mean(axis=2, keepdims=True))
            gx = gx.reshape(shape).astype(g.dtype, copy=False)
        return gx, None, gw, gb, None


def _check(input, fname, min_ndim=2):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{fname}: input must be a floating point tensor, got {input.dtype}")
    if input.ndim < min_ndim:
        raise ArgumentError(f"{fname}: expected at least {min_ndim}-D input, got shape {tuple(input.shape)}")


def _affine_shapes(weight, bias, C, fname):
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ArgumentError(f"{fname}: {name} must have shape ({C},), got {tuple(t.shape)}")


def _affine(out, weight, bias, C, ndim, fname):
    shape = (1, C) + (1,) * (ndim - 2)
    _affine_shapes(weight, bias, C, fname)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    _check(input, "group_norm")
    N, C = input.shape[:2]
    if num_groups <= 0 or C % num_groups:
        raise ArgumentError(f"group_norm: expected number of channels in input ({C}) to be divisible by "
                         f"num_groups ({num_groups})")
    _affine_shapes(weight, bias, C, "group_norm")
    return GroupNormFn.apply(input, num_groups, weight, bias, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    from .functional import NormFn
    _check(input, "instance_norm", 3)
    N, C = input.shape[:2]
    axes = tuple(range(2, input.ndim))
    ones = (1,) * input.ndim
    x = input._data
    if use_input_stats:
        count = int(np.prod(input.shape[2:]))
        if count <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input "
                             f"shape {tuple(input.shape)}")
        if running_mean is not None:
            m = 0.1 if momentum is None else momentum
            mean = x.mean(axis=axes).mean(axis=0)
            var = (x.var(axis=axes) * count / (count - 1)).mean(axis=0)
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean
            running_var._data[...] = (1 - m) * running_var._data + m * var
        _affine_shapes(weight, bias, C, "instance_norm")
        return GroupNormFn.apply(input, C, weight, bias, eps)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var are needed when use_input_stats=False")
        shape = (1, C) + (1,) * (input.ndim - 2)
        out = NormFn.apply(input, None, None, axes, ones, eps, running_mean._data.reshape(shape),
                           running_var._data.reshape(shape))
    return _affine(out, weight, bias, C, input.ndim, "instance_norm")


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, the window zero-padded."""
    _check(input, "local_response_norm", 3)
    if size <= 0:
        raise ValueError(f"local_response_norm: size must be positive, got {size}")
    from .functional_conv import pad
    C = input.shape[1]
    sq = input * input
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    total = None
    for j in range(size):
        part = padded[:, j:j + C]
        total = part if total is None else total + part
    div = (total * (alpha / size) + k) ** beta
    return input / div


def rms_norm(input, normalized_shape, weight=None, eps=None):
    _check(input, "rms_norm", 1)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"rms_norm: normalized_shape {shape} does not match the input's trailing dims "
                         f"{tuple(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ops.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    if weight is not None:
        out = out * weight
    return out
