"""Reference dropout: the same counter-based mask (SplitMix64 outputs, two 24-bit uniforms each) in NumPy."""
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def dropout_mask_apply(x, p, seed):
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    if not 0 <= seed < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    n = x.size
    pairs = np.arange(1, (n + 1) // 2 + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = _mix64(np.uint64(seed) + pairs * _GOLDEN)
    uniforms = np.stack([h >> np.uint64(40), (h >> np.uint64(8)) & np.uint64(0xFFFFFF)], axis=1).reshape(-1)[:n]
    keep = uniforms.reshape(x.shape) >= np.uint64(int(p * 16777216.0 + 0.5))
    return x * (keep * x.dtype.type(1.0 / (1.0 - p)))  # multiplied, so a dropped NaN stays NaN, as in PyTorch


def relu_dropout_forward(a, p, seed, bias=None):
    """In place: a = dropout_mask_apply(relu(a + bias), p, seed) (p 0: no dropout); NaN stays NaN."""
    v = a if bias is None else a + bias
    np.copyto(a, dropout_mask_apply(np.where(v < 0, a.dtype.type(0), v), p, seed))
    return a


def relu_dropout_backward(grad, out, p, seed, need_bias=False):
    """In place: grad = where(out > 0, dropout_mask_apply(grad, p, seed), 0); with the bias gradient."""
    np.copyto(grad, np.where(out > 0, dropout_mask_apply(grad, p, seed), grad.dtype.type(0)))
    last = grad.shape[-1] if grad.ndim else 1
    gb = (grad.reshape(-1, last).sum(axis=0, dtype=np.float64) if grad.size else np.zeros(last)).astype(grad.dtype)
    return grad, (gb if need_bias else None)


def _gelu_parts(x):
    from scipy.special import erf
    x64 = x.astype(np.float64)
    cdf = 0.5 * (1.0 + erf(x64 / np.sqrt(2.0)))
    return cdf, np.exp(-0.5 * x64 * x64) / np.sqrt(2.0 * np.pi)


def gelu_dropout_forward(a, p, seed, bias=None):
    """dropout_mask_apply(gelu(a + bias), p, seed), exact GELU; a becomes a + bias in place."""
    if bias is not None:
        np.add(a, bias, out=a)
    cdf, _ = _gelu_parts(a)
    return dropout_mask_apply((a * cdf).astype(a.dtype), p, seed)


def gelu_dropout_backward(grad, pre, p, seed, need_bias=False):
    """In place: grad = dropout_mask_apply(grad, p, seed) * gelu'(pre)."""
    cdf, pdf = _gelu_parts(pre)
    np.copyto(grad, (dropout_mask_apply(grad, p, seed) * (cdf + pre * pdf)).astype(grad.dtype))
    last = grad.shape[-1] if grad.ndim else 1
    gb = (grad.reshape(-1, last).sum(axis=0, dtype=np.float64) if grad.size else np.zeros(last)).astype(grad.dtype)
    return grad, (gb if need_bias else None)
