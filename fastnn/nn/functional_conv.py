"""Functional convolution, pooling, padding and upsampling over the compiled conv kernels."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..autograd.native.conv import Conv2dFn, ConvTranspose2dFn
from ..autograd.native.pool import MaxPool2dFn, AvgPool2dFn, UpsampleNearestFn
from .arguments import _pair


def _batched(input, name, fn):
    """Run fn on a 4-D input; a 3-D (C, H, W) input is treated as a batch of one, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be a floating point tensor, got {input.dtype}")
    if input.ndim == 3:
        return fn(input.unsqueeze(0)).squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"{name}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(input.shape)}")
    return fn(input)


# ------------------------------------------------------------------ convolution

def _same_padding(kernel, dilation):
    """Per side (before, after) for 'same' with stride 1, as PyTorch: the extra pixel goes after."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in total]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    st, dl = _pair(stride, "stride"), _pair(dilation, "dilation")

    def run(x):
        pd = padding
        if isinstance(padding, str):
            if padding == "valid":
                pd = (0, 0)
            elif padding == "same":
                if st != (1, 1):
                    raise ValueError("padding='same' is not supported for strided convolutions")
                sides = _same_padding(weight.shape[2:], dl)
                if any(a != b for a, b in sides):
                    x = pad(x, (sides[1][0], sides[1][1], sides[0][0], sides[0][1]))
                    pd = (0, 0)
                else:
                    pd = (sides[0][0], sides[1][0])
            else:
                raise ValueError(f"padding must be 'same', 'valid', an int or a pair, got {padding!r}")
        return Conv2dFn.apply(x, weight, bias, st, _pair(pd, "padding"), dl, groups)
    return _batched(input, "conv2d", run)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    args = (_pair(stride, "stride"), _pair(padding, "padding"), _pair(output_padding, "output_padding"),
            _pair(dilation, "dilation"), groups)
    return _batched(input, "conv_transpose2d", lambda x: ConvTranspose2dFn.apply(x, weight, bias, *args))


# ------------------------------------------------------------------ pooling

def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    st = None if stride is None or stride == () else _pair(stride, "stride")
    args = (_pair(kernel_size, "kernel_size"), st, _pair(padding, "padding"), _pair(dilation, "dilation"),
            bool(ceil_mode))
    if return_indices:
        if input.ndim == 3:
            out, idx = MaxPool2dFn.apply(input.unsqueeze(0), *args)
            return out.squeeze(0), idx.squeeze(0)
        return MaxPool2dFn.apply(input, *args)
    return _batched(input, "max_pool2d", lambda x: MaxPool2dFn.apply(x, *args)[0])


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if divisor_override is not None:
        raise NotImplementedError("avg_pool2d: divisor_override is not supported")
    st = None if stride is None or stride == () else _pair(stride, "stride")
    args = (_pair(kernel_size, "kernel_size"), st, _pair(padding, "padding"), bool(ceil_mode), bool(count_include_pad))
    return _batched(input, "avg_pool2d", lambda x: AvgPool2dFn.apply(x, *args))


# ------------------------------------------------------------------ upsampling and padding

def _integer_factors(in_size, size, scale_factor):
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        size = _pair(size, "size")
        factors = []
        for out, inp in zip(size, in_size):
            if inp == 0 or out % inp:
                raise ValueError(f"interpolate: nearest mode supports integer factors only; size {size} "
                                 f"is not a multiple of the input size {tuple(in_size)}")
            factors.append(out // inp)
        return tuple(factors)
    sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    factors = tuple(int(round(f)) for f in sf)
    if any(abs(f - r) > 1e-9 or r < 1 for f, r in zip(sf, factors)):
        raise ValueError(f"interpolate: nearest mode supports positive integer scale factors only, got {scale_factor}")
    return factors


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
    if mode != "nearest":
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported (only 'nearest')")
    return _batched(input, "interpolate",
                    lambda x: UpsampleNearestFn.apply(x, *_integer_factors(x.shape[2:], size, scale_factor)))


class PadFn(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.crop = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.crop], None, None


def pad(input, pad, mode="constant", value=0.0):
    """Pad the last len(pad)//2 dims: pad = (left, right, top, bottom, ...) as in PyTorch (constant mode)."""
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of widths for at most {input.ndim} dims, got {pad}")
    if any(int(p) < 0 for p in pad):
        raise ValueError(f"pad: negative widths (cropping) are not supported, got {pad}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return PadFn.apply(input, tuple(widths), value)
