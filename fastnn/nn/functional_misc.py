"""Channel rearrangements, the channel-wise and alpha dropouts, and embedding_bag.

Rearrangements are reshapes and permutes (their gradients come from those ops); the
dropouts multiply by a random constant mask drawn from fastnn's generator.
"""
import warnings

import numpy as np

from ..autograd.tensor import Tensor, _wrap
from ..autograd.random import generator
from ..autograd import ops
from ..autograd.ops._declare import ArgumentError

_ALPHA_PRIME = 1.7580993408473766  # SELU's scale * alpha: the value dropped units take (negated)


def _check(input, fname, min_ndim):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim < min_ndim:
        raise ValueError(f"{fname}: expected at least {min_ndim}-D input, got shape {tuple(input.shape)}")


# ------------------------------------------------------------------ rearrangements

def pixel_shuffle(input, upscale_factor):
    _check(input, "pixel_shuffle", 3)
    r = int(upscale_factor)
    *lead, C, H, W = input.shape
    if r <= 0 or C % (r * r):
        raise ArgumentError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                         f"upscale_factor, but input.size(-3)={C} is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, C // (r * r), r, r, H, W)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, C // (r * r), H * r, W * r)


def pixel_unshuffle(input, downscale_factor):
    _check(input, "pixel_unshuffle", 3)
    r = int(downscale_factor)
    *lead, C, H, W = input.shape
    if r <= 0 or H % r or W % r:
        raise ArgumentError(f"pixel_unshuffle expects height ({H}) and width ({W}) to be divisible by "
                         f"downscale_factor ({r})")
    n = len(lead)
    x = input.reshape(*lead, C, H // r, r, W // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, C * r * r, H // r, W // r)


def channel_shuffle(input, groups):
    _check(input, "channel_shuffle", 3)
    N, C = input.shape[:2]
    if groups <= 0 or C % groups:
        raise ValueError(f"channel_shuffle: number of channels ({C}) must be divisible by groups ({groups})")
    rest = tuple(input.shape[2:])
    x = input.reshape((N, groups, C // groups) + rest).transpose(1, 2)
    return x.reshape((N, C) + rest)


native_channel_shuffle = channel_shuffle


# ------------------------------------------------------------------ dropouts

def _check_p(p, fname):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fname}: dropout probability has to be between 0 and 1, but got {p}")


def _apply(input, fn, inplace):
    from .functional_act import _maybe_inplace
    return _maybe_inplace(input, inplace, fn, "dropout")


def _feature_mask_shape(shape, unbatched):
    """PyTorch's feature dropout mask: one draw per (sample, channel), i.e. shape[:2] + ones; an
    unbatched input counts as a batch of one (its first dim is the channel)."""
    s = ((1,) + tuple(shape)) if unbatched else tuple(shape)
    if len(s) < 2:
        raise ValueError(f"feature dropout needs at least 2-D input, got shape {tuple(shape)}")
    mask = s[:2] + (1,) * (len(s) - 2)
    return mask[1:] if unbatched else mask


def _masked_dropout(input, p, training, inplace, mask_shape, fname, combine):
    """The identity when not training or p == 0, zeros at p == 1, else combine(x, keep) with keep a
    mask_shape array of 1 (kept, probability 1 - p) and 0 in x's dtype."""
    _check_p(p, fname)
    if not training or p == 0.0:
        return input

    def run(x):
        if p == 1.0:
            return x * 0.0
        return combine(x, (generator().random(mask_shape) >= p).astype(x.dtype))
    return _apply(input, run, inplace)


def _feature_dropout(input, p, training, inplace, mask_shape, fname):
    return _masked_dropout(input, p, training, inplace, mask_shape, fname,
                           lambda x, keep: x * _wrap(keep / x.dtype.type(1 - p)))


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check(input, "dropout1d", 0)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           f"dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           f"channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, _feature_mask_shape(input.shape, input.ndim == 2),
                            "dropout1d")


def _warn_rank(input, nd):
    """PyTorch's deprecation warning when dropout{nd}d gets neither nd + 1 nor nd + 2 dims."""
    if input.ndim not in (nd + 1, nd + 2):
        warnings.warn(f"dropout{nd}d: Received a {input.ndim}-D input to dropout{nd}d, which is deprecated and will "
                      f"result in an error in a future release. To retain the behavior and silence this warning, "
                      f"please use dropout instead. Note that dropout{nd}d exists to provide channel-wise dropout on "
                      f"inputs with {nd} spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. {nd + 1}D or {nd + 2}D inputs).", UserWarning, stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """As PyTorch: (N, C, H, W) drops channels; a 3-D input is read as (N, C, L) (with PyTorch's
    warning); other ranks warn and drop per (dim 0, dim 1) entry, e.g. elementwise for 2-D input."""
    _check(input, "dropout2d", 0)
    _check_p(p, "dropout2d")
    _warn_rank(input, 2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _feature_dropout(input, p, training, inplace, _feature_mask_shape(input.shape, False), "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check(input, "dropout3d", 0)
    _check_p(p, "dropout3d")
    _warn_rank(input, 3)
    return _feature_dropout(input, p, training, inplace, _feature_mask_shape(input.shape, input.ndim != 5),
                            "dropout3d")


def _alpha(input, p, training, inplace, mask_shape, fname):
    def combine(x, keep):
        a = 1.0 / np.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
        shift = (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
        return x * _wrap((keep * a).astype(x.dtype)) + _wrap(np.asarray(shift, x.dtype))
    return _masked_dropout(input, p, training, inplace, mask_shape, fname, combine)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check(input, "alpha_dropout", 0)
    return _alpha(input, p, training, inplace, input.shape, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check(input, "feature_alpha_dropout", 2)
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _alpha(input, p, training, inplace, shape, "feature_alpha_dropout")


# ------------------------------------------------------------------ embedding_bag

def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of embedding rows per bag: input (B, L) holds B bags of L indices, or
    1-D input with `offsets` marking where each bag starts."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu":
        raise TypeError("embedding_bag: input must be an int64 tensor of indices")
    if scale_grad_by_freq:  # PyTorch's bag gradients under this flag follow no documented rule we could match
        raise NotImplementedError("embedding_bag: scale_grad_by_freq is not supported")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}')")
    n_rows = weight.shape[0]
    idx = input._data.astype(np.int64)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None")
        B, L = idx.shape
        starts = np.arange(0, B * L, L, dtype=np.int64) if L else np.zeros(B, np.int64)
        idx = idx.reshape(-1)
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        starts = (offsets._data if isinstance(offsets, Tensor) else np.asarray(offsets)).astype(np.int64)
        if starts.size and starts[0] != 0:
            raise ValueError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                             f"has to start from position 0. However, got {starts[0]}")
        if include_last_offset:
            starts = starts[:-1]
        psw = per_sample_weights
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if idx.size and (idx.min() < 0 or idx.max() >= n_rows):
        raise IndexError(f"embedding_bag: index out of range [0, {n_rows})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n_rows
    B = starts.size
    ends = np.append(starts[1:], idx.size)
    bag = np.repeat(np.arange(B), ends - starts)
    keep = np.ones(idx.size, bool) if padding_idx is None else idx != padding_idx
    from .functional_embedding import renorm_rows
    if max_norm is not None:
        renorm_rows(weight, idx, max_norm, norm_type)
    rows = ops.getitem(weight, idx)
    if psw is not None:
        rows = rows * psw.unsqueeze(1)
    if mode == "max":
        outs = []
        for b in range(B):
            sel = np.nonzero((bag == b) & keep)[0]
            outs.append(ops.amax(ops.getitem(rows, sel), 0) if sel.size else
                        _wrap(np.zeros(weight.shape[1], weight.dtype)))
        return ops.stack(outs) if outs else _wrap(np.zeros((0, weight.shape[1]), weight.dtype))
    mat = np.zeros((B, idx.size), weight.dtype)
    mat[bag[keep], np.nonzero(keep)[0]] = 1
    if mode == "mean":
        counts = mat.sum(axis=1, keepdims=True)
        mat = mat / np.maximum(counts, 1)
    return ops.matmul(_wrap(mat), rows)
