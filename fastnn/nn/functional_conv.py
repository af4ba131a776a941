"""Functional 2-d convolution, pooling and padding over the compiled conv kernels."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..autograd.native.conv import Conv2dFn, ConvTranspose2dFn
from ..autograd.native.pool import MaxPool2dFn, AvgPool2dFn
from .arguments import _pair
from .functional_checks import _check_float
from ..autograd.ops._declare import ArgumentError


def _batched(input, name, fn):
    """Run fn on a 4-D input; a 3-D (C, H, W) input is treated as a batch of one, as in PyTorch."""
    _check_float(input, "input", name)
    if input.ndim == 3:
        return fn(input.unsqueeze(0)).squeeze(0)
    if input.ndim != 4:
        raise ArgumentError(f"{name}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(input.shape)}")
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
                    raise ArgumentError("padding='same' is not supported for strided convolutions")
                sides = _same_padding(weight.shape[2:], dl)
                if any(a != b for a, b in sides):
                    x = pad(x, (sides[1][0], sides[1][1], sides[0][0], sides[0][1]))
                    pd = (0, 0)
                else:
                    pd = (sides[0][0], sides[1][0])
            else:
                raise ArgumentError(f"padding must be 'same', 'valid', an int or a pair, got {padding!r}")
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


# ------------------------------------------------------------------ padding

class PadFn(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.crop = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.crop], None, None


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad)//2 dims: pad = (left, right, top, bottom, ...) as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of widths for at most {input.ndim} dims, got {pad}")
    n = len(pad) // 2
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(n)][::-1]  # outermost dim first
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
        if mode not in ("reflect", "replicate", "circular"):
            raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
        from .functional_pad import pad_mode
        return pad_mode(input, pairs, mode)
    value = 0.0 if value is None else value
    lead = input.ndim - n
    if any(a < 0 or b < 0 for a, b in pairs):  # negative widths crop, as in PyTorch
        key = (slice(None),) * lead + tuple(slice(max(-a, 0), input.shape[lead + i] - max(-b, 0))
                                            for i, (a, b) in enumerate(pairs))
        input = input[key]
        pairs = [(max(a, 0), max(b, 0)) for a, b in pairs]
    widths = [(0, 0)] * lead + pairs
    return PadFn.apply(input, tuple(widths), value)
