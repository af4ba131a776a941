"""Fractional max pooling (Graham, 2014): pseudo-random window starts per (sample, channel) plane.

Window starts follow PyTorch's interval rule from one sample u in [0, 1) per plane and dim:
start_i = int((i + u) * alpha) - int(u * alpha), alpha = (in - k) / (out - 1), the last window
flush with the input's end. `_random_samples` (N, C, dims) fixes the draw, as in PyTorch.
"""
import numpy as np

from ..autograd.tensor import Tensor
from ..autograd.random import generator
from .functional_pool import PlaneMaxFn, _unbatched
from .functional_unfold import ntuple


def _starts(u, n_in, n_out, k, dtype):
    """u (P,) samples -> (P, n_out) window starts."""
    seq = np.empty(u.shape + (n_out,), np.int64)
    if n_out > 1:
        alpha = dtype.type(n_in - k) / dtype.type(n_out - 1)
        i = np.arange(n_out - 1, dtype=dtype)
        seq[..., :-1] = ((i + u[..., None]) * alpha).astype(np.int64) - (u[..., None] * alpha).astype(np.int64)
    seq[..., -1] = n_in - k
    return seq


class FractionalMaxPoolFn(PlaneMaxFn):
    @staticmethod
    def forward(ctx, x, kernel, out, samples):
        N, C = x.shape[:2]
        spatial = x.shape[2:]
        nd = len(kernel)
        # PyTorch's sample order: the last spatial dim first for 2-d (W, H); in order for 3-d (T, H, W)
        dims = [1, 0] if nd == 2 else [0, 1, 2]
        idx = []
        for d in range(nd):
            s = samples[:, :, dims.index(d)]
            st = _starts(s, spatial[d], out[d], kernel[d], x.dtype)  # (N, C, out_d)
            idx.append(st[..., None] + np.arange(kernel[d]))  # (N, C, out_d, k_d)
        # broadcast to (N, C, *out, *kernel)
        full = []
        for d in range(nd):
            shape = [N, C] + [1] * (2 * nd)
            shape[2 + d], shape[2 + nd + d] = out[d], kernel[d]
            full.append(idx[d].reshape(shape))
        n_idx = np.arange(N).reshape([N] + [1] * (2 * nd + 1))
        c_idx = np.arange(C).reshape([1, C] + [1] * (2 * nd))
        windows = x[(n_idx, c_idx) + tuple(full)]
        flat_pos = np.ravel_multi_index(np.broadcast_arrays(*full), spatial)
        w = windows.reshape(windows.shape[:2 + nd] + (int(np.prod(kernel)),))
        am = np.argmax(w, axis=-1)
        values = np.take_along_axis(w, am[..., None], -1)[..., 0]
        pos = np.broadcast_to(flat_pos, windows.shape).reshape(w.shape)
        indices = np.take_along_axis(pos, am[..., None], -1)[..., 0].astype(np.int64)
        return ctx.with_indices(x.shape, values, indices)


def _fractional(input, kernel_size, output_size, output_ratio, return_indices, samples, nd, fname):
    if not isinstance(input, Tensor) or input.dtype.kind != "f":
        raise TypeError(f"{fname}: input must be a floating point Tensor")
    if input.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{fname}: expected {nd + 1}-D or {nd + 2}-D input, got shape {tuple(input.shape)}")
    k = ntuple(kernel_size, nd, "kernel_size")
    spatial = input.shape[-nd:]
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{fname} requires specifying either an output_size or an output_ratio")
        ratio = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        out = tuple(int(n * float(r)) for n, r in zip(spatial, ratio))
    else:
        out = ntuple(output_size, nd, "output_size")
    for d in range(nd):
        if out[d] + k[d] - 1 >= spatial[d]:  # PyTorch's (strict) bound
            raise ValueError(f"{fname}: pool size {k[d]} too large relative to input size {spatial[d]} for output "
                             f"size {out[d]} in dim {d}")

    def run(x):
        N, C = x.shape[:2]
        if samples is None:
            s = generator().random((N, C, nd)).astype(x.dtype)
        else:
            s = (samples._data if isinstance(samples, Tensor) else np.asarray(samples)).astype(x.dtype)
            if s.shape != (N, C, nd):
                raise ValueError(f"{fname}: _random_samples must have shape {(N, C, nd)}, got {s.shape}")
        values, idx = FractionalMaxPoolFn.apply(x, k, out, s)
        return (values, idx) if return_indices else values
    return _unbatched(input, nd, run)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 2,
                       "fractional_max_pool2d")


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional(input, kernel_size, output_size, output_ratio, return_indices, _random_samples, 3,
                       "fractional_max_pool3d")


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)
