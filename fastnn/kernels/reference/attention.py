"""NumPy twins of the attention kernels: scaled-dot-product attention.

Written from the definitions: weights = softmax(scale * q k^T + mask) with masked
logits at -inf (a row with no visible key gets weights 0), out = weights v.
The "tiled" twins compute the same function the direct way.
"""
import numpy as np


def _additive_mask(mask, dtype):
    if mask is None:
        return None
    if mask.dtype == np.bool_:
        return np.where(mask, 0.0, -np.inf).astype(dtype)
    return mask.astype(dtype)


def _logits(q, k, mask, scale, causal, key_mask=None):
    """Masked, scaled logits (N, Lq, Lk). mask: (1 or N, Lq, Lk) or (G1, G2, Lq, Lk) with
    G1 * G2 = N; key_mask: (G, Lk), problem n reading row n // (N // G)."""
    z = scale * np.matmul(q.astype(np.float64), np.swapaxes(k, 1, 2).astype(np.float64))
    N = z.shape[0]
    m = _additive_mask(mask, np.float64)
    if m is not None:
        z = z + m.reshape(-1, *m.shape[-2:])
    km = _additive_mask(key_mask, np.float64)
    if km is not None:
        z = z + np.repeat(km, N // km.shape[0], axis=0)[:, None, :]
    if causal:
        Lq, Lk = z.shape[1:]
        z = np.where(np.tril(np.ones((Lq, Lk), bool)), z, -np.inf)
    return z


def _softmax_lse(z):
    """Row softmax and logsumexp; rows of all -inf give zeros and -inf."""
    top = z.max(axis=-1, keepdims=True)
    empty = top == -np.inf
    shift = np.where(empty, 0.0, top)
    e = np.exp(z - shift)
    total = e.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(empty, 0.0, e / total)
        lse = np.where(empty, -np.inf, shift + np.log(total))[..., 0]
    return p, lse


def attention_forward(q, k, v, mask=None, scale=1.0, causal=False, key_mask=None):
    p, lse = _softmax_lse(_logits(q, k, mask, scale, causal, key_mask))
    out = np.matmul(p, v.astype(np.float64))
    return out.astype(q.dtype), p.astype(q.dtype), lse


def attention_backward(q, k, v, weights, grad_out, grad_weights=None, scale=1.0, causal=False):
    # causal: the weights above the diagonal are already 0
    p = weights.astype(np.float64)
    g = grad_out.astype(np.float64)
    dp = np.matmul(g, np.swapaxes(v, 1, 2).astype(np.float64))
    if grad_weights is not None:
        dp = dp + grad_weights
    ds = scale * p * (dp - (p * dp).sum(axis=-1, keepdims=True))
    dq = np.matmul(ds, k.astype(np.float64))
    dk = np.matmul(np.swapaxes(ds, 1, 2), q.astype(np.float64))
    dv = np.matmul(np.swapaxes(p, 1, 2), g)
    return dq.astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype)


def attention_tiled_forward(q, k, v, mask=None, scale=1.0, causal=False, key_mask=None):
    out, _, lse = attention_forward(q, k, v, mask, scale, causal, key_mask)
    return out, lse


def attention_tiled_backward(q, k, v, out, grad_out, lse, mask=None, scale=1.0, causal=False, key_mask=None):
    z = _logits(q, k, mask, scale, causal, key_mask)
    # Only a fully masked row (log-sum-exp -inf) has zero probabilities; a NaN row stays NaN and
    # spreads through backward as on the full path (it was read as masked, and dK/dV came out finite).
    masked = np.isneginf(lse)[..., None]
    p = np.where(masked, 0.0, np.exp(z - np.where(masked, 0.0, lse[..., None])))
    return attention_backward(q, k, v, p, grad_out, None, scale)
