"""N-d sliding windows (im2col) and their adjoint (col2im) as autograd Functions, in NumPy.

UnfoldNd turns (N, C, *S) into the windows (N, C, *kernel, *out); FoldNd sums windows
back into (N, C, *S). Each is the other's backward. On top of them: F.unfold / F.fold,
the 3-d convolutions (and their transposes) as window GEMMs, and N-d average pooling.
The copy loops run over kernel offsets (prod(kernel) NumPy slice copies), not over pixels.
"""
import itertools

import numpy as np

from ..autograd.function import Function
from .functional_checks import _check_float


def out_size(size, k, d, pad_before, pad_after, s):
    return (size + pad_before + pad_after - d * (k - 1) - 1) // s + 1


def _window_slices(offsets, dilation, stride, outs):
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offsets, dilation, stride, outs))


def im2col(x, kernel, dilation, pads, stride, value=0.0, outs=None):
    """x (N, C, *S) -> (N, C, *kernel, *out); pads is one (before, after) per spatial dim. `outs`
    limits the window count (a transposed convolution's output_padding leaves room for more)."""
    nd = len(kernel)
    if any(p != (0, 0) for p in pads):
        x = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads], mode="constant", constant_values=value)
    if outs is None:
        outs = tuple(out_size(x.shape[2 + i], kernel[i], dilation[i], 0, 0, stride[i]) for i in range(nd))
    cols = np.empty(x.shape[:2] + tuple(kernel) + outs, dtype=x.dtype)
    lead = (slice(None), slice(None))
    for off in itertools.product(*(range(k) for k in kernel)):
        cols[lead + off] = x[lead + _window_slices(off, dilation, stride, outs)]
    return cols


def col2im(cols, spatial, kernel, dilation, pads, stride):
    """The adjoint of im2col: sum the windows back into (N, C, *spatial)."""
    nd = len(kernel)
    padded = tuple(spatial[i] + pads[i][0] + pads[i][1] for i in range(nd))
    outs = cols.shape[2 + nd:]
    x = np.zeros(cols.shape[:2] + padded, dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for off in itertools.product(*(range(k) for k in kernel)):
        x[lead + _window_slices(off, dilation, stride, outs)] += cols[lead + off]
    crop = tuple(slice(p[0], p[0] + n) for p, n in zip(pads, spatial))
    return x[lead + crop]


class UnfoldNd(Function):
    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride):
        ctx.meta = (x.shape[2:], kernel, dilation, pads, stride)
        return im2col(x, kernel, dilation, pads, stride)

    @staticmethod
    def backward(ctx, g):
        spatial, kernel, dilation, pads, stride = ctx.meta
        return col2im(g, spatial, kernel, dilation, pads, stride), None, None, None, None


class FoldNd(Function):
    @staticmethod
    def forward(ctx, cols, spatial, kernel, dilation, pads, stride):
        ctx.meta = (kernel, dilation, pads, stride, cols.shape[2 + len(kernel):])
        return col2im(cols, spatial, kernel, dilation, pads, stride)

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, pads, stride, outs = ctx.meta
        return im2col(g, kernel, dilation, pads, stride, outs=outs), None, None, None, None, None


def ntuple(value, n, name):
    from .arguments import _ntuple
    return _ntuple(n, value, name)


def _check_input(input, fname, ranks):
    _check_float(input, "input", fname)
    if input.ndim not in ranks:
        raise ValueError(f"{fname}: expected {' or '.join(f'{r}-D' for r in ranks)} input, got shape "
                         f"{tuple(input.shape)}")


# ------------------------------------------------------------------ F.unfold / F.fold (2-d, PyTorch's layout)

def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    _check_input(input, "unfold", (3, 4))
    x = input if input.ndim == 4 else input.unsqueeze(0)
    k, d = ntuple(kernel_size, 2, "kernel_size"), ntuple(dilation, 2, "dilation")
    p, s = ntuple(padding, 2, "padding"), ntuple(stride, 2, "stride")
    if any(v <= 0 for v in k + d + s) or any(v < 0 for v in p):
        raise ValueError("unfold: kernel_size, dilation and stride must be positive and padding non-negative")
    if any(out_size(x.shape[2 + i], k[i], d[i], p[i], p[i], s[i]) <= 0 for i in range(2)):
        raise ValueError(f"unfold: the windows do not fit in the (padded) input of shape {tuple(input.shape)}")
    cols = UnfoldNd.apply(x, k, d, tuple((v, v) for v in p), s)
    out = cols.reshape(x.shape[0], x.shape[1] * k[0] * k[1], int(np.prod(cols.shape[4:])))
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    _check_input(input, "fold", (2, 3))
    x = input if input.ndim == 3 else input.unsqueeze(0)
    size = ntuple(output_size, 2, "output_size")
    k, d = ntuple(kernel_size, 2, "kernel_size"), ntuple(dilation, 2, "dilation")
    p, s = ntuple(padding, 2, "padding"), ntuple(stride, 2, "stride")
    K = k[0] * k[1]
    if x.shape[1] % K:
        raise ValueError(f"fold: expected size of input's dimension 1 to be divisible by the product of "
                         f"kernel_size ({K}), but got {x.shape[1]}")
    outs = tuple(out_size(size[i], k[i], d[i], p[i], p[i], s[i]) for i in range(2))
    if outs[0] * outs[1] != x.shape[2]:
        raise ValueError(f"fold: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
                         f"stride={s}, expected input's dimension 2 to be {outs[0] * outs[1]}, got {x.shape[2]}")
    cols = x.reshape((x.shape[0], x.shape[1] // K) + k + outs)
    out = FoldNd.apply(cols, size, k, d, tuple((v, v) for v in p), s)
    return out if input.ndim == 3 else out.squeeze(0)
