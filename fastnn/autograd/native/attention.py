"""Autograd Functions over the attention family: scaled-dot-product attention (layer norm: native/norm.py)."""
import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_array
from ...kernels.backend import family
from ..._runtime import vector_build

attention_kernels = family("attention")

# Without weights requested, problems with at least this many logits in all (batch * heads *
# Lq * Lk) run on the tiled (online-softmax) kernels, whose memory is a few tiles per thread.
# Below it the full path, which keeps the weights for backward (at most 64 MB in float32).
TILED_MIN_LOGITS = 16 * 1024 * 1024
# Below that, the tiled path runs where it measured faster than the full one (1 thread, 64 or 256 problems,
# d 16 and 64, Lq = Lk from 128 to 512, Intel Xeon AVX-512, and its AVX2 and baseline builds): causal
# attention from TILED_MIN_LENGTH query and key rows on (0.47-0.98 of the full path's time, forward and
# forward+backward, every build), and forward-only calls (no gradient) in the AVX-512 build (0.51-0.96;
# 0.64-1.06 in the other builds, so they keep the full path). Training without a causal mask keeps the full
# path: its backward reads the saved weights where the tiled one recomputes them (the tiled path took
# 1.02-1.16 of its time at d 64).
TILED_MIN_LENGTH = 128


def _problems(a):
    """(..., L, D) -> (N, L, D) for the kernels, which read through const views with contiguous
    (L, D) blocks: read-only arrays and a broadcast leading axis are used in place; a copy only
    when the layout needs one."""
    r = a.reshape((-1,) + a.shape[-2:])
    L, D = r.shape[1:]
    if (D <= 1 or r.strides[2] == r.itemsize) and (L <= 1 or D == 0 or r.strides[1] == D * r.itemsize):
        return r
    return np.ascontiguousarray(r)


def _kernel_mask(mask, batch, Lq, Lk):
    """A mask broadcastable to batch + (Lq, Lk) as the kernels' (G1, G2, Lq, Lk) view, G1 * G2 =
    prod(batch): a broadcast view of the caller's array, copied only when more than two batch
    dims cannot be merged without one."""
    if mask is None:
        return None
    full = np.broadcast_to(mask, tuple(batch) + (Lq, Lk))
    if len(batch) <= 2:
        return full.reshape((1,) * (2 - len(batch)) + full.shape)
    return full.reshape((-1, batch[-1], Lq, Lk))


def use_tiled(problems, Lq, Lk, need_weights, causal=False, need_grad=True):
    """Whether attention over `problems` (batch * heads) pairs of (Lq, Lk) runs tiled."""
    if need_weights:
        return False
    if problems * Lq * Lk >= TILED_MIN_LOGITS:
        return True
    if min(Lq, Lk) < TILED_MIN_LENGTH:
        return False
    return causal or not need_grad and vector_build() == "avx512"


class ScaledDotProductAttentionFn(Function):
    """softmax(scale * q k^T + mask + key_mask) v over the last two dims; leading dims are batch.

    mask: None, bool (True keeps) or additive, broadcastable to q's batch dims + (Lq, Lk) (a
    broadcast view is used in place). key_mask: None or (G, Lk), problem n of the flattened batch
    reading row n // (N // G) (multi-head attention's per-batch key padding mask, G = batch).
    Outputs the attention output, and the weights too when need_weights is set (the weights'
    gradient then flows back as well)."""
    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, need_weights, key_mask=None):
        batch = q.shape[:-2]
        Lq, Lk = q.shape[-2], k.shape[-2]
        q3, k3, v3 = _problems(q), _problems(k), _problems(v)
        m = _kernel_mask(mask, batch, Lq, Lk)
        ctx.tiled = use_tiled(q3.shape[0], Lq, Lk, need_weights, causal, any(ctx.needs_input_grad[:3]))
        ctx.scale, ctx.causal, ctx.shapes = scale, causal, (q.shape, k.shape, v.shape)
        if ctx.tiled:
            out, lse = attention_kernels.attention_tiled_forward(q3, k3, v3, m, scale, causal, key_mask)
            ctx.save_for_backward(q3, k3, v3, out, lse, m, key_mask)
        else:
            out, weights, lse = attention_kernels.attention_forward(q3, k3, v3, m, scale, causal, key_mask)
            ctx.save_for_backward(q3, k3, v3, weights)
        out = out.reshape(batch + (Lq, v.shape[-1]))
        if need_weights:
            return out, weights.reshape(batch + (Lq, Lk))
        return out

    @staticmethod
    def backward(ctx, grad_out, grad_weights=None):
        qs, ks, vs = ctx.shapes
        g = _problems(grad_out.astype(ctx.saved_tensors[0].dtype, copy=False))
        if ctx.tiled:
            q3, k3, v3, out, lse, m, key_mask = ctx.saved_tensors
            dq, dk, dv = attention_kernels.attention_tiled_backward(q3, k3, v3, out, g, lse, m, ctx.scale, ctx.causal, key_mask)
        else:
            q3, k3, v3, weights = ctx.saved_tensors
            gw = None
            if grad_weights is not None and grad_weights.any():
                gw = _problems(grad_weights.astype(weights.dtype, copy=False))
            dq, dk, dv = attention_kernels.attention_backward(q3, k3, v3, weights, g, gw, ctx.scale, ctx.causal)
        return dq.reshape(qs), dk.reshape(ks), dv.reshape(vs), None, None, None, None, None
