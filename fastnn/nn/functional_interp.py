"""F.interpolate in every PyTorch mode, the upsample aliases, affine_grid and grid_sample.

Each interpolation mode is separable: along each spatial dim the output is a fixed matrix
(out, in) times the input, so one matmul per dim gives values and gradients. The matrices
follow PyTorch's source-coordinate rules (align_corners, given scale factors, the cubic
kernel with A = -0.75 and clamped taps; antialias=True stretches the filter by the downscale
factor, as PyTorch and PIL do). Integer-factor nearest upsampling of 4-D input keeps the native
kernel.
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


def _aa_filter(mode):
    if mode == "bilinear":
        return 2, lambda x: np.maximum(1 - np.abs(x), 0)
    a = -0.5  # the antialiasing cubic (PIL's), not interpolation's -0.75

    def cubic(x):
        x = np.abs(x)
        return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                        np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))
    return 4, cubic


def _antialias_matrix(n_in, n_out, mode, align_corners, scale, dtype):
    """PyTorch's antialiased resampling weights: the filter stretched by the downscale factor, each
    output row normalised to sum 1 (upscaling leaves the plain filter)."""
    size, filt = _aa_filter(mode)
    s = _coordinate_scale(n_in, n_out, align_corners, scale)
    support = size / 2 * s if s >= 1 else size / 2
    inv = 1 / s if s >= 1 else 1.0
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        centre = s * (i + 0.5)
        lo = max(int(centre - support + 0.5), 0)
        hi = min(int(centre + support + 0.5), n_in)
        w = filt((np.arange(lo, hi) - centre + 0.5) * inv)
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
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
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"interpolate: anti-alias option is restricted to bilinear and bicubic modes and "
                         f"requires a 4-D tensor as input, got mode {mode!r}")
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
        elif antialias:
            m = _antialias_matrix(n, o, mode, ac, s, input.dtype)
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


def _reflect(coord, size, align_corners):
    """PyTorch's reflect_coordinates then clip: reflect about the borders (pixel centres with
    align_corners, pixel edges without), piecewise linear so the gradient is +-1."""
    lo, hi = (0.0, 2.0 * (size - 1)) if align_corners else (-1.0, 2.0 * size - 1)
    if lo == hi:
        return coord * 0.0
    mn, span = lo / 2, (hi - lo) / 2
    d = ops.abs(coord - mn)
    flips = np.floor(d._data / span)
    extra = d - _wrap((flips * span).astype(d.dtype))
    out = ops.where(flips % 2 == 0, extra + mn, (span - extra) + mn)
    return ops.clamp(out, 0, size - 1)


def _tap_index(i, n, padding_mode, align_corners):
    """An integer tap position under the padding mode (PyTorch's compute_coordinates on it)."""
    if padding_mode == "border":
        return np.clip(i, 0, n - 1)
    if padding_mode == "reflection":
        lo, hi = (0.0, 2.0 * (n - 1)) if align_corners else (-1.0, 2.0 * n - 1)
        if lo == hi:
            return np.zeros_like(i)
        mn, span = lo / 2, (hi - lo) / 2
        d = np.abs(i - mn)
        flips = np.floor(d / span)
        extra = d - flips * span
        r = np.where(flips % 2 == 0, extra + mn, span - extra + mn)
        return np.clip(r, 0, n - 1).astype(np.int64)
    return i


def _bicubic_taps(coords, sizes, padding_mode, align_corners, tap):
    A = -0.75
    weights, bases = [], []
    for c in coords:
        base = np.floor(c._data)
        t = (c - _wrap(base.astype(c.dtype))).unsqueeze(1)

        def near(x):
            return ((A + 2) * x - (A + 3)) * x * x + 1

        def far(x):
            return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
        weights.append((far(t + 1), near(t), near(1 - t), far(2 - t)))
        bases.append(base.astype(np.int64))
    out = None
    for a in range(4):
        for b in range(4):
            idx = [_tap_index(bases[0] - 1 + a, sizes[0], padding_mode, align_corners),
                   _tap_index(bases[1] - 1 + b, sizes[1], padding_mode, align_corners)]
            term = tap(idx) * weights[0][a] * weights[1][b]
            out = term if out is None else out + term
    return out


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input (N, C, H, W) at grid (N, Ho, Wo, 2), or (N, C, D, H, W) at (N, Do, Ho, Wo, 3),
    coordinates in [-1, 1] (x first); bilinear/trilinear, nearest or (4-D) bicubic, with zeros,
    border or reflection padding. Gradients reach both input and grid."""
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor):
        raise TypeError("grid_sample: input and grid must be Tensors")
    nd = input.ndim - 2
    if nd not in (2, 3) or grid.ndim != input.ndim or grid.shape[-1] != nd or grid.shape[0] != input.shape[0]:
        raise ValueError(f"grid_sample: expected 4-D input with grid (N, Ho, Wo, 2) or 5-D input with grid "
                         f"(N, Do, Ho, Wo, 3), got {tuple(input.shape)} and {tuple(grid.shape)}")
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if mode == "bicubic" and nd != 2:
        raise ValueError("grid_sample: bicubic interpolation only supports 4-D input")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}")
    N, C = input.shape[:2]
    sizes = input.shape[2:]
    ac = bool(align_corners)
    coords = []  # per spatial dim (outermost first), in pixel units
    for d in range(nd):
        n = sizes[d]
        g = grid[..., nd - 1 - d]
        c = (g + 1) / 2 * (n - 1) if ac else ((g + 1) * n - 1) / 2
        # bicubic applies the padding to each tap's integer position instead (_bicubic_taps)
        if padding_mode == "border" and mode != "bicubic":
            c = ops.clamp(c, 0, n - 1)
        elif padding_mode == "reflection" and mode != "bicubic":
            c = _reflect(c, n, ac)
        coords.append(c)
    out_spatial = tuple(grid.shape[1:-1])
    n_idx = np.arange(N).reshape((N,) + (1,) * nd)
    channels_last = input.permute(0, *range(2, 2 + nd), 1)

    def tap(idx):
        """input at integer positions idx (one (N, *out) array per dim), zero outside: (N, C, *out)."""
        inside = np.ones((N,) + out_spatial, bool)
        clipped = []
        for d, i in enumerate(idx):
            inside &= (i >= 0) & (i < sizes[d])
            clipped.append(np.clip(i, 0, sizes[d] - 1))
        vals = channels_last[(n_idx,) + tuple(clipped)]
        vals = vals * _wrap(inside[..., None].astype(input.dtype))
        return vals.permute(0, nd + 1, *range(1, nd + 1))
    if mode == "nearest":
        # round half to even, as PyTorch's nearbyint
        return tap([np.rint(c._data).astype(np.int64) for c in coords])
    if mode == "bicubic":
        return _bicubic_taps(coords, sizes, padding_mode, ac, tap)
    lows = [np.floor(c._data).astype(np.int64) for c in coords]
    fracs = [(c - _wrap(lo.astype(c.dtype))).unsqueeze(1) for c, lo in zip(coords, lows)]
    out = None
    for corner in range(2 ** nd):
        bits = [(corner >> (nd - 1 - d)) & 1 for d in range(nd)]
        weight = None
        for d, b in enumerate(bits):
            w = fracs[d] if b else 1 - fracs[d]
            weight = w if weight is None else weight * w
        term = tap([lo + b for lo, b in zip(lows, bits)]) * weight
        out = term if out is None else out + term
    return out
