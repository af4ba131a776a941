"""1-d and 3-d pooling, adaptive pooling, LP pooling and max-unpooling.

1-d max and average pooling run on the native 2-d kernels (an image of height 1). 3-d pooling,
adaptive max pooling and unpooling are NumPy Functions over the windows of functional_unfold;
adaptive average pooling is one averaging matrix per spatial dim (it is separable), applied by
matmul.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _wrap
from ..autograd import ops
from .functional_conv import max_pool2d, avg_pool2d
from .functional_checks import _check_float
from .functional_unfold import UnfoldNd, im2col, ntuple
from ..autograd.ops._declare import ArgumentError


def _check(input, fname, nd):
    _check_float(input, "input", fname)
    if input.ndim not in (nd + 1, nd + 2):
        raise ArgumentError(f"{fname}: expected {nd + 1}-D (unbatched) or {nd + 2}-D input, got shape "
                         f"{tuple(input.shape)}")


def _unbatched(input, nd, fn):
    if input.ndim == nd + 1:
        out = fn(input.unsqueeze(0))
        if isinstance(out, tuple):
            return tuple(o.squeeze(0) for o in out)
        return out.squeeze(0)
    return fn(input)


def _pool_geometry(spatial, k, s, p, d, ceil_mode, fname):
    """Output sizes and (before, after) pads so that every window fits, as PyTorch sizes pooling."""
    outs, pads = [], []
    for n, ki, si, pi, di in zip(spatial, k, s, p, d):
        if pi > ki // 2:
            raise ArgumentError(f"{fname}: pad should be at most half of effective kernel size, but got pad={pi}, "
                             f"kernel_size={ki}")
        span = n + 2 * pi - di * (ki - 1) - 1
        o = (-(-span // si) if ceil_mode else span // si) + 1
        if ceil_mode and (o - 1) * si >= n + pi:  # the last window must start inside the input or left pad
            o -= 1
        if o <= 0:
            raise ArgumentError(f"{fname}: output size is too small for input size {tuple(spatial)}")
        outs.append(o)
        pads.append((pi, max(pi, (o - 1) * si + di * (ki - 1) + 1 - n - pi)))
    return tuple(outs), tuple(pads)


# ------------------------------------------------------------------ max pooling (N-d) and unpooling

class PlaneMaxFn(Function):
    """Base of the max-pooling Functions whose forward returns (values, flat indices into each (n, c) plane
    of the input), as PyTorch's indices: the gradient goes back to the chosen positions, none to the other
    arguments."""
    def with_indices(self, shape, values, idx):
        self.meta = (shape, idx)
        self.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        shape, idx = ctx.meta
        return (_scatter_planes(g, idx, shape),) + (None,) * (len(ctx.needs_input_grad) - 1)


class MaxPoolNd(PlaneMaxFn):
    """Returns (values, flat indices into each (n, c) plane of the input), as PyTorch's indices."""
    @staticmethod
    def forward(ctx, x, k, s, pads, d, outs):
        nd = len(k)
        cols = im2col(x, k, d, pads, s, value=-np.inf, outs=outs)
        cols = cols.reshape(x.shape[:2] + (int(np.prod(k)),) + outs)
        am = np.argmax(cols, axis=2)
        # NaN wins a window, as in PyTorch
        nan_any = np.isnan(cols).any(axis=2)
        if nan_any.any():
            am = np.where(nan_any, np.argmax(np.isnan(cols), axis=2), am)
        values = np.take_along_axis(cols, am[:, :, None], axis=2)[:, :, 0]
        offs = np.unravel_index(am, k)
        grids = np.meshgrid(*(np.arange(o) for o in outs), indexing="ij")
        coords = [grids[i] * s[i] + offs[i] * d[i] - pads[i][0] for i in range(nd)]
        idx = np.ravel_multi_index(coords, x.shape[2:]).astype(np.int64)
        return ctx.with_indices(x.shape, values, idx)


def _scatter_planes(g, idx, shape):
    """out[n, c].flat[idx[n, c, ...]] += g[n, c, ...] for every plane at once."""
    N, C = shape[:2]
    plane = int(np.prod(shape[2:]))
    base = (np.arange(N * C, dtype=np.int64) * plane).reshape(N, C, *([1] * (idx.ndim - 2)))
    flat = np.bincount((idx + base).ravel(), weights=g.ravel(), minlength=N * C * plane)
    return flat.astype(g.dtype, copy=False).reshape(shape)


def _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, fname):
    _check(input, fname, nd)
    k = ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else ntuple(stride, nd, "stride")
    p, d = ntuple(padding, nd, "padding"), ntuple(dilation, nd, "dilation")

    def run(x):
        outs, pads = _pool_geometry(x.shape[2:], k, s, p, d, ceil_mode, fname)
        values, idx = MaxPoolNd.apply(x, k, s, pads, d, outs)
        return (values, idx) if return_indices else values
    return _unbatched(input, nd, run)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    _check(input, "max_pool1d", 1)
    k = ntuple(kernel_size, 1, "kernel_size")
    s = k if stride is None or stride == () else ntuple(stride, 1, "stride")
    args = ((1,) + k, (1,) + s, (0,) + ntuple(padding, 1, "padding"), (1,) + ntuple(dilation, 1, "dilation"),
            ceil_mode)

    def run(x):
        out = max_pool2d(x.unsqueeze(2), *args, return_indices=return_indices)
        return tuple(o.squeeze(2) for o in out) if return_indices else out.squeeze(2)
    return _unbatched(input, 1, run)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool_nd(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


class MaxUnpoolFn(Function):
    @staticmethod
    def forward(ctx, x, idx, out_shape):
        N, C = x.shape[:2]
        plane = int(np.prod(out_shape[2:]))
        if idx.size and (idx.min() < 0 or idx.max() >= plane):
            raise IndexError(f"max_unpool: indices hold a value out of range [0, {plane})")
        base = (np.arange(N * C, dtype=np.int64) * plane).reshape((N, C) + (1,) * (x.ndim - 2))
        ctx.flat = (idx + base).ravel()
        out = np.zeros(N * C * plane, x.dtype)
        out[ctx.flat] = x.ravel()
        ctx.in_shape = x.shape
        return out.reshape(out_shape)

    @staticmethod
    def backward(ctx, g):
        return g.ravel()[ctx.flat].reshape(ctx.in_shape), None, None


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd, fname):
    _check(input, fname, nd)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu" or indices.shape != input.shape:
        raise ValueError(f"{fname}: indices must be an int64 tensor of the input's shape {tuple(input.shape)}")
    k = ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None else ntuple(stride, nd, "stride")
    p = ntuple(padding, nd, "padding")
    spatial = input.shape[-nd:]
    default = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-nd:]
        if len(size) != nd:
            raise ValueError(f"{fname}: output_size must have {nd} or {nd + 2} elements, got {output_size}")
        for i in range(nd):
            if not default[i] - s[i] < size[i] < default[i] + s[i]:
                raise ValueError(f"{fname}: invalid output_size {tuple(output_size)} (expected sizes between "
                                 f"{tuple(v - st for v, st in zip(default, s))} and "
                                 f"{tuple(v + st for v, st in zip(default, s))})")
    idx = indices._data.astype(np.int64, copy=False)

    def run(x):
        i = idx if idx.ndim == x.ndim else idx[None]
        return MaxUnpoolFn.apply(x, i, x.shape[:2] + size)
    return _unbatched(input, nd, run)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


# ------------------------------------------------------------------ average pooling

def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check(input, "avg_pool1d", 1)
    k = ntuple(kernel_size, 1, "kernel_size")
    s = k if stride is None or stride == () else ntuple(stride, 1, "stride")
    args = ((1,) + k, (1,) + s, (0,) + ntuple(padding, 1, "padding"), ceil_mode, count_include_pad)
    return _unbatched(input, 1, lambda x: avg_pool2d(x.unsqueeze(2), *args).squeeze(2))


def _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, fname):
    _check(input, fname, nd)
    k = ntuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or stride == () else ntuple(stride, nd, "stride")
    p = ntuple(padding, nd, "padding")
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{fname}: divisor must be not zero")

    def run(x):
        one = (1,) * nd
        outs, pads = _pool_geometry(x.shape[2:], k, s, p, one, ceil_mode, fname)
        cols = UnfoldNd.apply(x, k, one, pads, s)
        total = cols.sum(tuple(range(2, 2 + nd)))
        if divisor_override is not None:
            return total / divisor_override
        # the divisor counts window cells on the input, plus the `padding` cells when
        # count_include_pad, but never the extra cells a ceil-mode window hangs over the edge
        padded = tuple(n + before + after for n, (before, after) in zip(x.shape[2:], pads))
        mask = np.zeros((1, 1) + padded, x.dtype)
        counted = tuple(slice(0, n + 2 * pi) if count_include_pad else slice(pi, n + pi)
                        for n, pi in zip(x.shape[2:], p))
        mask[(slice(None), slice(None)) + counted] = 1
        count = im2col(mask, k, one, ((0, 0),) * nd, s, outs=outs).sum(axis=tuple(range(2, 2 + nd)))
        return total / _wrap(count.astype(x.dtype))
    return _unbatched(input, nd, run)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool_nd(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                        "avg_pool3d")


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd, pool):
    k = ntuple(kernel_size, nd, "kernel_size")
    out = pool(input ** norm_type, k, stride, 0, ceil_mode)
    return (ops.sign(out) * ops.relu(ops.abs(out)) * float(np.prod(k))) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, avg_pool1d)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, avg_pool2d)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d)


# ------------------------------------------------------------------ adaptive pooling

def _bins(n_in, n_out):
    """PyTorch's adaptive windows: [floor(i n_in / n_out), ceil((i + 1) n_in / n_out))."""
    return [((i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)) for i in range(n_out)]


def _output_size(output_size, spatial, nd):
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(size) != nd:
        raise ValueError(f"output_size must be an int or a sequence of {nd} ints, got {output_size!r}")
    out = tuple(spatial[i] if v is None else int(v) for i, v in enumerate(size))
    if any(v < 0 for v in out):
        raise ValueError(f"output_size must be non-negative, got {output_size!r}")
    return out


def averaging_matrix(n_in, n_out, dtype):
    m = np.zeros((n_out, n_in), dtype)
    for i, (a, b) in enumerate(_bins(n_in, n_out)):
        m[i, a:b] = 1.0 / (b - a)
    return m


def apply_separable(x, matrices):
    """Apply matrices[i] (out_i, in_i) along spatial dim i of x (N, C, *S)."""
    nd = len(matrices)
    for i, m in enumerate(matrices):
        dim = x.ndim - nd + i
        if m is None:
            continue
        if dim != x.ndim - 1:
            x = ops.matmul(x.transpose(dim, -1), _wrap(np.ascontiguousarray(m.T))).transpose(dim, -1)
        else:
            x = ops.matmul(x, _wrap(np.ascontiguousarray(m.T)))
    return x


def _adaptive_avg(input, output_size, nd, fname):
    _check(input, fname, nd)
    size = _output_size(output_size, input.shape[-nd:], nd)
    spatial = input.shape[-nd:]
    if all(o > 0 and n % o == 0 for n, o in zip(spatial, size)):
        # equal bins (a global pool, or halving): a reshape and one mean, no matrices
        lead = tuple(input.shape[:-nd])
        split = sum(((o, n // o) for n, o in zip(spatial, size)), ())
        axes = tuple(len(lead) + 2 * i + 1 for i in range(nd))
        return input.reshape(lead + split).mean(axes)
    mats = [None if size[i] == input.shape[-nd + i] else averaging_matrix(input.shape[-nd + i], size[i], input.dtype)
            for i in range(nd)]
    return apply_separable(input, mats)


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


class AdaptiveMaxFn(PlaneMaxFn):
    @staticmethod
    def forward(ctx, x, size):
        nd = len(size)
        spatial = x.shape[2:]
        bins = [_bins(spatial[i], size[i]) for i in range(nd)]
        values = np.empty(x.shape[:2] + size, x.dtype)
        idx = np.empty(x.shape[:2] + size, np.int64)
        lead = (slice(None), slice(None))
        for out_pos in np.ndindex(*size):
            win = tuple(bins[i][out_pos[i]] for i in range(nd))
            cells = int(np.prod([b - a for a, b in win]))
            block = x[lead + tuple(slice(a, b) for a, b in win)].reshape(x.shape[:2] + (cells,))
            am = np.argmax(block, axis=2)
            values[lead + out_pos] = np.take_along_axis(block, am[:, :, None], axis=2)[:, :, 0]
            local = np.unravel_index(am, tuple(b - a for a, b in win))
            coords = [local[i] + win[i][0] for i in range(nd)]
            idx[lead + out_pos] = np.ravel_multi_index(coords, spatial)
        return ctx.with_indices(x.shape, values, idx)


def _adaptive_max(input, output_size, return_indices, nd, fname):
    _check(input, fname, nd)
    size = _output_size(output_size, input.shape[-nd:], nd)

    def run(x):
        spatial = x.shape[2:]
        if all(o > 0 and n % o == 0 for n, o in zip(spatial, size)):  # equal bins: plain max pooling
            k = tuple(n // o for n, o in zip(spatial, size))
            values, idx = MaxPoolNd.apply(x, k, k, ((0, 0),) * nd, (1,) * nd, size)
        else:
            values, idx = AdaptiveMaxFn.apply(x, size)
        return (values, idx) if return_indices else values
    return _unbatched(input, nd, run)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool3d(input, output_size, True)

