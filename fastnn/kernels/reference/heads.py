"""NumPy twins of the attention-head layout kernels: tokens (T, W * H * hd) <-> heads (W, N, H, L, hd)."""
import numpy as np


def _token_view(rows, W, N, L, H, batch_first):
    """rows (T, W * H * hd) as (W, N, H, L, hd) (a transposed view)."""
    tokens = (N, L) if batch_first else (L, N)
    shaped = rows.reshape(tokens + (W, H, -1))
    return shaped.transpose((2, 0, 3, 1, 4) if batch_first else (2, 1, 3, 0, 4))


def split_heads(qkv, bias, num_blocks, batch, length, num_heads, batch_first=True):
    rows = qkv if bias is None else qkv + bias
    return np.ascontiguousarray(_token_view(rows, num_blocks, batch, length, num_heads, batch_first))


def split_heads_backward(blocks, batch_first=True, need_bias=True):
    blocks = list(blocks)
    N, H, L, hd = blocks[0].shape
    rows = np.empty((N * L, len(blocks) * H * hd), blocks[0].dtype)
    _token_view(rows, len(blocks), N, L, H, batch_first)[...] = np.stack(blocks)
    return rows, (rows.sum(axis=0, dtype=np.float64).astype(rows.dtype) if need_bias else None)


def merge_heads(o, batch_first=True):
    return split_heads_backward([o], batch_first, False)[0]


def merge_heads_backward(grad, batch, length, num_heads, batch_first=True):
    return split_heads(grad, None, 1, batch, length, num_heads, batch_first)[0]
