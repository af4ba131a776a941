"""Autograd Functions over the attention family: scaled-dot-product attention and layer norm."""
import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_array
from ...kernels.backend import family

K = family("attention")

# Without weights requested, problems with at least this many logits per head run
# on the tiled (online-softmax) kernels. The full path is 10-15% faster from L = 128
# to 512 (the tiled backward recomputes q k^T; measured on 2 busy cores), so the
# tiled one is kept for where the L x L buffers grow large.
TILED_MIN_LOGITS = 1024 * 1024


def _flat_mask(mask, batch_shape, Lq, Lk):
    """Broadcast a mask over the leading dims to (1 or N, Lq, Lk), as the kernels take it."""
    if mask is None:
        return None
    lead = mask.shape[:-2]
    if all(d == 1 for d in lead):
        return kernel_array(mask.reshape(1, Lq, Lk))
    full = np.broadcast_to(mask, tuple(batch_shape) + (Lq, Lk))
    return np.ascontiguousarray(full.reshape(-1, Lq, Lk))


class ScaledDotProductAttentionFn(Function):
    """softmax(scale * q k^T + mask) v over the last two dims; leading dims are batch.

    Outputs the attention output, and the weights too when need_weights is set
    (the weights' gradient then flows back as well)."""
    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, need_weights):
        batch = q.shape[:-2]
        Lq, Lk = q.shape[-2], k.shape[-2]
        q3 = kernel_array(q.reshape((-1,) + q.shape[-2:]))
        k3 = kernel_array(k.reshape((-1,) + k.shape[-2:]))
        v3 = kernel_array(v.reshape((-1,) + v.shape[-2:]))
        m = _flat_mask(mask, batch, Lq, Lk)
        tiled = not need_weights and Lq * Lk >= TILED_MIN_LOGITS
        if tiled:
            out, lse = K.attention_tiled_forward(q3, k3, v3, m, scale, causal)
            ctx.save_for_backward(q3, k3, v3, out, lse, m)
        else:
            out, weights, lse = K.attention_forward(q3, k3, v3, m, scale, causal)
            ctx.save_for_backward(q3, k3, v3, weights)
        ctx.meta = (tiled, scale, causal, q.shape, k.shape, v.shape)
        out = out.reshape(batch + (Lq, v.shape[-1]))
        if need_weights:
            return out, weights.reshape(batch + (Lq, Lk))
        return out

    @staticmethod
    def backward(ctx, grad_out, grad_weights=None):
        tiled, scale, causal, qs, ks, vs = ctx.meta
        g = kernel_array(grad_out.reshape((-1,) + grad_out.shape[-2:]), grad_out.dtype)
        if tiled:
            q3, k3, v3, out, lse, m = ctx.saved_tensors
            dq, dk, dv = K.attention_tiled_backward(q3, k3, v3, out, g, lse, m, scale, causal)
        else:
            q3, k3, v3, weights = ctx.saved_tensors
            gw = None
            if grad_weights is not None and grad_weights.any():
                gw = kernel_array(grad_weights.reshape(weights.shape), weights.dtype)
            dq, dk, dv = K.attention_backward(q3, k3, v3, weights, g, gw, scale)
        return dq.reshape(qs), dk.reshape(ks), dv.reshape(vs), None, None, None, None


class LayerNormFn(Function):
    """Layer norm over the trailing `size` elements of x (fused kernel); weight/bias may be None."""
    @staticmethod
    def forward(ctx, x, weight, bias, eps, size):
        x2 = kernel_array(x.reshape(-1, size))
        w = kernel_array(weight.reshape(-1)) if weight is not None else None
        b = kernel_array(bias.reshape(-1)) if bias is not None else None
        y, mean, rstd = K.layer_norm_forward(x2, w, b, eps)
        ctx.save_for_backward(x2, mean, rstd, w)
        ctx.shapes = (x.shape, None if weight is None else weight.shape, None if bias is None else bias.shape)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x2, mean, rstd, w = ctx.saved_tensors
        xshape, wshape, bshape = ctx.shapes
        need = ctx.needs_input_grad
        g2 = kernel_array(g.reshape(x2.shape), x2.dtype)
        gx, gw, gb = K.layer_norm_backward(x2, mean, rstd, g2, w, need[1], need[2])
        return (gx.reshape(xshape) if need[0] else None,
                gw.reshape(wshape) if gw is not None else None,
                gb.reshape(bshape) if gb is not None else None, None, None)
