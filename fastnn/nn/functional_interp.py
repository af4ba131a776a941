"""F.interpolate in every PyTorch mode, the upsample aliases, affine_grid and grid_sample.

Each interpolation mode is separable: along each spatial dim the output is a fixed matrix
(out, in) times the input, so one matmul per dim gives values and gradients. The matrices
follow PyTorch's source-coordinate rules (align_corners, given scale factors, the cubic
kernel with A = -0.75 and clamped taps). Integer-factor nearest upsampling of 4-D input keeps
the native kernel.
"""
import math

import numpy as np

from ..autograd.tensor import Tensor, _wrap
from ..autograd import ops
from .functional_pool import apply_separable, averaging_matrix

_MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3,
          "area": None}


def _coordinate_scale(n_in, n_out, align_corners, scale):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest_matrix(n_in, n_out, scale, exact, dtype):
    s = 1.0 / scale if scale is not None and scale > 0 else n_in / n_out
    i = np.arange(n_out)
    src = np.floor(((i + 0.5) if exact else i) * np.float32(s)).astype(np.int64)
    m = np.zeros((n_out, n_in), dtype)
    m[i, np.minimum(src, n_in - 1)] = 1
    return m


def _linear_matrix(n_in, n_out, align_corners, scale, dtype):
    s = _coordinate_scale(n_in, n_out, align_corners, scale)
    i = np.arange(n_out)
    src = i * s if align_corners else np.maximum((i + 0.5) * s - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    m = np.zeros((n_out, n_in), np.float64)
    np.add.at(m, (i, i0), 1 - lam)
    np.add.at(m, (i, i1), lam)
    return m.astype(dtype)


def _cubic_matrix(n_in, n_out, align_corners, scale, dtype):
    A = -0.75
    s = _coordinate_scale(n_in, n_out, align_corners, scale)
    i = np.arange(n_out)
    src = i * s if align_corners else (i + 0.5) * s - 0.5
    f = np.floor(src)
    t = src - f

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    m = np.zeros((n_out, n_in), np.float64)
    for tap, w in zip((-1, 0, 1, 2), weights):
        np.add.at(m, (i, np.clip(f.astype(np.int64) + tap, 0, n_in - 1)), w)
    return m.astype(dtype)


def _sizes(input, size, scale_factor, nd):
    spatial = input.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(out) != nd:
            raise ValueError(f"interpolate: size must have {nd} elements for a {input.ndim}-D input, got {size}")
        return tuple(int(v) for v in out), (None,) * nd
    sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
    if len(sf) != nd:
        raise ValueError(f"interpolate: scale_factor must have {nd} elements for a {input.ndim}-D input, got "
                         f"{scale_factor}")
    return tuple(int(math.floor(n * float(f))) for n, f in zip(spatial, sf)), tuple(float(f) for f in sf)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: input must be a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {sorted(_MODES)}, got {mode!r}")
    if input.dtype.kind != "f":
        raise TypeError(f"interpolate: input must be a floating point tensor, got {input.dtype}")
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise ValueError(f"interpolate: expected 3-D, 4-D or 5-D input (N, C, spatial...), got shape "
                         f"{tuple(input.shape)}")
    if _MODES[mode] is not None and _MODES[mode] != nd:
        raise ValueError(f"interpolate: mode {mode!r} expects {_MODES[mode] + 2}-D input, got {input.ndim}-D")
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    out, scales = _sizes(input, size, scale_factor, nd)
    if any(v <= 0 for v in out):
        raise ValueError(f"interpolate: output size {out} must be positive")
    if recompute_scale_factor:
        scales = (None,) * nd
    spatial = input.shape[2:]
    if mode == "nearest" and nd == 2 and all(o % n == 0 for o, n in zip(out, spatial)) and \
            all(s is None or s == o // n for s, o, n in zip(scales, out, spatial)):
        from ..autograd.native.pool import UpsampleNearestFn
        return UpsampleNearestFn.apply(input, out[0] // spatial[0], out[1] // spatial[1])
    ac = bool(align_corners)
    mats = []
    for n, o, s in zip(spatial, out, scales):
        if mode in ("nearest", "nearest-exact"):
            m = _nearest_matrix(n, o, s, mode == "nearest-exact", input.dtype)
        elif mode == "area":
            m = averaging_matrix(n, o, input.dtype)
        elif mode == "bicubic":
            m = _cubic_matrix(n, o, ac, s, input.dtype)
        else:
            m = _linear_matrix(n, o, ac, s, input.dtype)
        mats.append(m)
    return apply_separable(input, mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------ spatial transformers

def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of theta applied to normalised coordinates."""
    if not isinstance(theta, Tensor) or theta.dtype.kind != "f":
        raise TypeError("affine_grid: theta must be a floating point Tensor")
    size = tuple(int(v) for v in size)
    nd = len(size) - 2
    if nd not in (2, 3) or tuple(theta.shape) != (size[0], nd, nd + 1):
        raise ValueError(f"affine_grid: expected theta of shape (N, {nd}, {nd + 1}) for size {size}, got "
                         f"{tuple(theta.shape)}")
    ac = bool(align_corners)

    def lin(n):
        if n <= 1:
            return np.zeros(max(n, 1))
        v = np.linspace(-1, 1, n)
        return v if ac else v * (n - 1) / n
    axes = [lin(n) for n in size[2:]][::-1]  # x (width) first
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]
    base = np.stack(list(mesh) + [np.ones_like(mesh[0])], axis=-1).astype(theta.dtype)  # (*spatial, nd + 1)
    flat = _wrap(base.reshape(1, -1, nd + 1))
    grid = ops.matmul(flat, theta.transpose(1, 2))
    return grid.reshape((size[0],) + size[2:] + (nd,))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """2-d sampling of input (N, C, H, W) at grid (N, Ho, Wo, 2) in [-1, 1]; bilinear or nearest,
    zeros or border padding. Gradients reach both input and grid."""
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError("grid_sample: input and grid must be Tensors")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise NotImplementedError(f"grid_sample: supports 4-D input (N, C, H, W) with grid (N, Ho, Wo, 2), got "
                                  f"{tuple(input.shape)} and {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(f"grid_sample: mode {mode!r} is not supported (bilinear, nearest)")
    if padding_mode not in ("zeros", "border"):
        raise NotImplementedError(f"grid_sample: padding_mode {padding_mode!r} is not supported (zeros, border)")
    N, C, H, W = input.shape
    ac = bool(align_corners)

    def unnormalise(coord, n):
        return (coord + 1) / 2 * (n - 1) if ac else ((coord + 1) * n - 1) / 2
    ix = unnormalise(grid[..., 0], W)
    iy = unnormalise(grid[..., 1], H)
    if padding_mode == "border":
        ix = ops.clamp(ix, 0, W - 1)
        iy = ops.clamp(iy, 0, H - 1)
    n_idx = np.arange(N).reshape(N, 1, 1)

    def tap(yy, xx):
        """input at integer (yy, xx) (N, Ho, Wo) arrays, zero outside: (N, C, Ho, Wo)."""
        inside = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
        vals = input.permute(0, 2, 3, 1)[n_idx, np.clip(yy, 0, H - 1), np.clip(xx, 0, W - 1)]
        return (vals * _wrap(inside[..., None].astype(input.dtype))).permute(0, 3, 1, 2)
    if mode == "nearest":
        # round half to even, as PyTorch's nearbyint
        return tap(np.rint(iy._data).astype(np.int64), np.rint(ix._data).astype(np.int64))
    x0 = np.floor(ix._data).astype(np.int64)
    y0 = np.floor(iy._data).astype(np.int64)
    wx1 = (ix - _wrap(x0.astype(ix.dtype))).unsqueeze(1)
    wy1 = (iy - _wrap(y0.astype(iy.dtype))).unsqueeze(1)
    wx0, wy0 = 1 - wx1, 1 - wy1
    return (tap(y0, x0) * wy0 * wx0 + tap(y0, x0 + 1) * wy0 * wx1 +
            tap(y0 + 1, x0) * wy1 * wx0 + tap(y0 + 1, x0 + 1) * wy1 * wx1)
