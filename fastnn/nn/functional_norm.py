"""batch_norm, group_norm, instance_norm, local_response_norm and rms_norm.

Group norm (and instance norm on batch statistics, as groups of one channel) is one Function with
the closed-form backward; batch norm, and instance norm on running statistics, use NormFn.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd import ops
from ..autograd.ops._declare import ArgumentError
from ..autograd.native.norm import BatchNormFn
from .functional_checks import _check_float


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


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# The kernel reads each channel as N planes of its spatial values. With one value per plane (BatchNorm1d on
# (N, C)) its loops are scalar and read one float per cache line, and NumPy's column reductions are 4-6x
# faster; from 2 per plane up it won (fwd+bwd (64, 32, 2, 2): 0.28 ms against 0.78; (64, 64, 7, 7): 0.66
# against 3.3; AMD EPYC Zen 4, 2 threads)
_KERNEL_MIN_PLANE = 2


def _update_running(running_mean, running_var, mean, var, count, momentum):
    """The running statistics move towards the batch's mean and unbiased variance (PyTorch's rule)."""
    m = 0.1 if momentum is None else momentum
    running_mean._data[...] = (1 - m) * running_mean._data + m * mean
    running_var._data[...] = (1 - m) * running_var._data + m * var * count / (count - 1)


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
        count = x.size // C if C else 0
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input shape {tuple(input.shape)}")
        if (x.dtype in _KERNEL_DTYPES and all(t is None or t.dtype == x.dtype for t in (weight, bias))
                and count // x.shape[0] >= _KERNEL_MIN_PLANE):
            stats = []  # the kernel's batch mean and biased variance, for the running statistics
            out = BatchNormFn.apply(input, weight, bias, eps, stats)
            if running_mean is not None:
                _update_running(running_mean, running_var, stats[0], stats[1], count, momentum)
            return out
        if running_mean is not None:
            _update_running(running_mean, running_var, x.mean(axis=axes), x.var(axis=axes), count, momentum)
        return NormFn.apply(input, weight, bias, axes, param_shape, eps, None, None)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    mean = running_mean._data.reshape(param_shape)
    var = running_var._data.reshape(param_shape)
    return NormFn.apply(input, weight, bias, axes, param_shape, eps, mean, var)


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
    _check_float(input, "input", fname)
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
