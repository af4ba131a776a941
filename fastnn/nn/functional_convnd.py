"""1-d and 3-d convolutions and their transposes.

1-d runs on the native 2-d kernels as an image of height 1; 3-d as one native 2-d convolution
per depth tap of the kernel (depth slices stacked into the batch), summed. The 3-d transpose is
NumPy: the weight's transpose times the input, summed back into the output by FoldNd.
"""
import numpy as np

from ..autograd import ops
from .functional_conv import conv2d, conv_transpose2d, pad
from .functional_checks import _check_float
from .functional_unfold import FoldNd, ntuple, out_size
from ..autograd.ops._declare import ArgumentError


def _check(input, weight, fname, nd):
    _check_float(input, "input", fname)
    _check_float(weight, "weight", fname)
    if input.ndim not in (nd + 1, nd + 2):
        raise ArgumentError(f"{fname}: expected {nd + 1}-D (unbatched) or {nd + 2}-D input, got shape "
                         f"{tuple(input.shape)}")
    if weight.ndim != nd + 2:
        raise ArgumentError(f"{fname}: expected a {nd + 2}-D weight, got shape {tuple(weight.shape)}")
    if input.dtype != weight.dtype:
        raise TypeError(f"{fname}: input dtype {input.dtype} does not match weight dtype {weight.dtype}")


def _unbatched(input, nd, fn):
    if input.ndim == nd + 1:
        return fn(input.unsqueeze(0)).squeeze(0)
    return fn(input)


def _bias(out, bias, nd):
    if bias is None:
        return out
    return out + bias.reshape((1, -1) + (1,) * nd)


def _same_pads(weight, dilation, nd):
    total = [dilation[i] * (weight.shape[2 + i] - 1) for i in range(nd)]
    return tuple((t // 2, t - t // 2) for t in total)


# ------------------------------------------------------------------ 1-d on the native 2-d kernels

def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _check(input, weight, "conv1d", 1)
    s, d = ntuple(stride, 1, "stride"), ntuple(dilation, 1, "dilation")
    p = padding if isinstance(padding, str) else (0,) + ntuple(padding, 1, "padding")
    w = weight.unsqueeze(2)
    return _unbatched(input, 1, lambda x: conv2d(x.unsqueeze(2), w, bias, (1,) + s, p, (1,) + d, groups).squeeze(2))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    _check(input, weight, "conv_transpose1d", 1)
    args = ((1,) + ntuple(stride, 1, "stride"), (0,) + ntuple(padding, 1, "padding"),
            (0,) + ntuple(output_padding, 1, "output_padding"))
    d = (1,) + ntuple(dilation, 1, "dilation")
    w = weight.unsqueeze(2)
    return _unbatched(input, 1, lambda x: conv_transpose2d(x.unsqueeze(2), w, bias, *args, groups, d).squeeze(2))


def conv_tbc(input, weight, bias, pad=0):
    """Time-batch-channel convolution: input (T, B, C_in), weight (k, C_in, C_out), bias (C_out,)."""
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


# ------------------------------------------------------------------ 3-d as a sum of native 2-d convolutions

def _conv3d(x, weight, bias, stride, padding, dilation, groups):
    """Each depth tap kd of the kernel is a 2-d convolution of the input's depth slices (stacked
    into the batch) with weight[:, :, kd]; the taps' outputs add up. One native conv2d per tap."""
    N, C = x.shape[:2]
    O, kd = weight.shape[0], weight.shape[2]
    if C != weight.shape[1] * groups:
        raise ArgumentError(f"conv3d: input has {C} channels, weight expects {weight.shape[1] * groups} "
                         f"({weight.shape[1]} per group x {groups} groups)")
    if O % groups:
        raise ArgumentError(f"conv3d: groups ({groups}) must divide out_channels ({O})")
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * 3
        elif padding == "same":
            if any(v != 1 for v in stride):
                raise ArgumentError("padding='same' is not supported for strided convolutions")
            pads = _same_pads(weight, dilation, 3)
        else:
            raise ArgumentError(f"padding must be 'same', 'valid', an int or a tuple, got {padding!r}")
    else:
        pads = tuple((v, v) for v in ntuple(padding, 3, "padding"))
    hw_pad = (pads[1][0], pads[2][0])
    if any(a != b for a, b in pads[1:]):  # asymmetric ('same' with an even kernel): pad H and W here too
        x = pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], 0, 0))
        hw_pad = (0, 0)
    if pads[0] != (0, 0):
        x = pad(x, (0, 0, 0, 0, pads[0][0], pads[0][1]))
    D, H, W = x.shape[2:]
    Do = out_size(D, kd, dilation[0], 0, 0, stride[0])
    if Do <= 0 or any(out_size(n + 2 * p, k, d, 0, 0, s) <= 0 for n, p, k, d, s in
                      zip((H, W), hw_pad, weight.shape[3:], dilation[1:], stride[1:])):
        raise ArgumentError(f"conv3d: kernel size {tuple(weight.shape[2:])} (dilated) is larger than the padded input "
                         f"{tuple(x.shape[2:])}")
    out = None
    for k in range(kd):
        start = k * dilation[0]
        taps = x[:, :, start:start + stride[0] * (Do - 1) + 1:stride[0]]
        taps = taps.permute(0, 2, 1, 3, 4).reshape(N * Do, C, H, W)
        y = conv2d(taps, weight[:, :, k], None, stride[1:], hw_pad, dilation[1:], groups)
        out = y if out is None else out + y
    Ho, Wo = out.shape[2:]
    out = out.reshape(N, Do, O, Ho, Wo).permute(0, 2, 1, 3, 4)
    return _bias(out, bias, 3)


def _conv_transposend(x, weight, bias, stride, padding, output_padding, groups, dilation, nd):
    N, Cin = x.shape[:2]
    k = tuple(weight.shape[2:])
    if Cin != weight.shape[0]:
        raise ArgumentError(f"conv_transpose{nd}d: input has {Cin} channels, weight expects {weight.shape[0]}")
    if Cin % groups:
        raise ArgumentError(f"conv_transpose{nd}d: groups ({groups}) must divide in_channels ({Cin})")
    for i in range(nd):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise ArgumentError(f"conv_transpose{nd}d: output_padding must be smaller than stride or dilation")
    Cout = weight.shape[1] * groups
    S = tuple(x.shape[2:])
    outs = tuple((S[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k[i] - 1) + output_padding[i] + 1
                 for i in range(nd))
    if any(o <= 0 for o in outs):
        raise ArgumentError(f"conv_transpose{nd}d: the output size {outs} is not positive")
    K = int(np.prod(k))
    w = weight.reshape(groups, Cin // groups, (Cout // groups) * K).transpose(1, 2)
    cols = ops.matmul(w, x.reshape(N, groups, Cin // groups, int(np.prod(S))))
    cols = cols.reshape((N, Cout) + k + S)
    # the output padded by `padding` on each side holds the S windows (output_padding only widens its far edge)
    pads = tuple((padding[i], padding[i]) for i in range(nd))
    return _bias(FoldNd.apply(cols, outs, k, dilation, pads, stride), bias, nd)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _check(input, weight, "conv3d", 3)
    s, d = ntuple(stride, 3, "stride"), ntuple(dilation, 3, "dilation")
    if min(s) <= 0 or min(d) <= 0:
        raise ArgumentError(f"conv3d: stride and dilation must be positive, got stride={s}, dilation={d}")
    return _unbatched(input, 3, lambda x: _conv3d(x, weight, bias, s, padding, d, groups))


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    _check(input, weight, "conv_transpose3d", 3)
    args = (ntuple(stride, 3, "stride"), ntuple(padding, 3, "padding"), ntuple(output_padding, 3, "output_padding"),
            groups, ntuple(dilation, 3, "dilation"))
    return _unbatched(input, 3, lambda x: _conv_transposend(x, weight, bias, *args, 3))
