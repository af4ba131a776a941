"""Attention and layer norm in PyTorch's functional API, on the attention and norm kernel families."""
import functools
import math

import numpy as np

from ..autograd.tensor import Tensor
from ..autograd.native.attention import ScaledDotProductAttentionFn
from ..autograd.native.norm import LayerNormFn
from ..autograd import ops
from ..autograd.ops._util import arr as _array
from .functional_dropout import dropout
from .functional_linear import linear
from ..autograd.ops._declare import ArgumentError


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if not isinstance(input, Tensor) or input.dtype not in (np.float32, np.float64):
        raise TypeError("layer_norm: input must be a float32/float64 Tensor")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ArgumentError(f"layer_norm: input shape {tuple(input.shape)} does not end with normalized_shape {shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ArgumentError(f"layer_norm: {name} must have shape {shape}, got {tuple(p.shape)}")
        if p is not None and p.dtype != input.dtype:
            raise TypeError(f"layer_norm: {name} dtype {p.dtype} does not match input dtype {input.dtype}")
    return LayerNormFn.apply(input, weight, bias, float(eps), int(np.prod(shape, dtype=np.int64)))


class AttentionMaskError(ValueError, RuntimeError):
    """A mask argument PyTorch refuses with RuntimeError; a ValueError too, as fastnn's argument errors are."""


def _additive_mask(mask, dtype, name, keep_when_true):
    """A bool mask (True keeps when keep_when_true, else True masks) or a float mask -> float additive array."""
    m = _array(mask)
    if not isinstance(m, np.ndarray):
        raise TypeError(f"{name} must be a Tensor, got {type(mask).__name__}")
    if m.dtype == np.bool_:
        keep = m if keep_when_true else ~m
        return np.where(keep, 0.0, -np.inf).astype(dtype)
    if m.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be bool or floating point, got {m.dtype}")
    return m.astype(dtype, copy=False)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query key^T * scale + mask) value, PyTorch's semantics: a bool attn_mask keeps True
    positions, a float one is added; is_causal keeps key j <= query i (top-left aligned)."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.dtype not in (np.float32, np.float64) or t.ndim < 2:
            raise TypeError(f"scaled_dot_product_attention: {name} must be a float Tensor of rank >= 2")
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise TypeError(f"scaled_dot_product_attention: query, key and value dtypes differ "
                        f"({query.dtype}, {key.dtype}, {value.dtype})")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: key head dim {key.shape[-1]} differs from "
                         f"query head dim {query.shape[-1]}")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: value length {value.shape[-2]} differs from "
                         f"key length {key.shape[-2]}")
    if not (tuple(query.shape[:-2]) == tuple(key.shape[:-2]) == tuple(value.shape[:-2])):
        raise ValueError(f"scaled_dot_product_attention: query, key and value batch dims differ "
                         f"({tuple(query.shape[:-2])}, {tuple(key.shape[:-2])}, {tuple(value.shape[:-2])})")
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    if is_causal and attn_mask is not None:
        raise AttentionMaskError("scaled_dot_product_attention: explicit attn_mask should not be set when "
                                 "is_causal=True")
    Lq, Lk = query.shape[-2], key.shape[-2]
    mask = None
    if attn_mask is not None:
        mask = _sdpa_mask(attn_mask, query.dtype)
        try:
            np.broadcast_shapes(mask.shape, tuple(query.shape[:-2]) + (Lq, Lk))
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: attn_mask of shape {mask.shape} does not broadcast "
                             f"to {tuple(query.shape[:-2]) + (Lq, Lk)}") from None
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if dropout_p > 0.0:
        _, weights = ScaledDotProductAttentionFn.apply(query, key, value, mask, s, bool(is_causal), True)
        return ops.matmul(dropout(weights, dropout_p, True), value)
    return ScaledDotProductAttentionFn.apply(query, key, value, mask, s, bool(is_causal), False)


def _sdpa_mask(attn_mask, dtype):
    """SDPA's attn_mask as the kernels take it, without expanding it: bool as is (True keeps; the
    kernels convert only its distinct values), float in query's dtype."""
    m = _array(attn_mask)
    if not isinstance(m, np.ndarray):
        raise TypeError(f"attn_mask must be a Tensor, got {type(attn_mask).__name__}")
    if m.dtype == np.bool_:
        return m
    if m.dtype not in (np.float32, np.float64):
        raise TypeError(f"attn_mask must be bool or floating point, got {m.dtype}")
    return m.astype(dtype, copy=False)


@functools.lru_cache(maxsize=8)
def _causal_additive(L, S, dtype):
    """The (L, S) causal mask of dtype: 0 for key j <= query i, -inf after (read-only, shared)."""
    m = np.where(np.tri(L, S, dtype=bool), dtype.type(0), dtype.type(-np.inf))
    m.flags.writeable = False
    return m


def _is_causal_mask(m):
    """Whether an additive (L, S) mask is exactly the causal one: a corner test first, so that
    other masks cost nothing, then one comparison with a cached causal mask."""
    if m.ndim != 2 or m.size == 0 or m.dtype not in (np.float32, np.float64) or m[-1, 0] != 0 or \
            (m.shape[1] > 1 and m[0, -1] != -np.inf):
        return False
    return np.array_equal(m, _causal_additive(m.shape[0], m.shape[1], m.dtype))


def attention_with_weights(query, key, value, attn_mask, scale):
    """(output, weights) of scaled-dot-product attention with an additive float mask array (or None)."""
    return ScaledDotProductAttentionFn.apply(query, key, value, attn_mask, float(scale), False, True)


def _mha_attn_mask(attn_mask, dtype, N, H, L, S):
    """PyTorch's MHA attn_mask: bool True masks; (L, S) or (N * H, L, S) -> additive (1 or N, 1 or H, L, S)."""
    m = _additive_mask(attn_mask, dtype, "attn_mask", keep_when_true=False)
    if m.shape == (L, S):
        return m.reshape(1, 1, L, S)
    if m.shape == (N * H, L, S):
        return m.reshape(N, H, L, S)
    raise ValueError(f"attn_mask must have shape ({L}, {S}) or ({N * H}, {L}, {S}), got {m.shape}")


def _mha_padding_mask(key_padding_mask, dtype, N, S):
    """(N, S) additive: the kernels read it per batch item (no (N * H, L, S) expansion)."""
    m = _additive_mask(key_padding_mask, dtype, "key_padding_mask", keep_when_true=False)
    if m.shape != (N, S):
        raise ValueError(f"key_padding_mask must have shape ({N}, {S}), got {m.shape}")
    return m


def _pad_last(mask):
    return None if mask is None else np.pad(mask, [(0, 0)] * (mask.ndim - 1) + [(0, 1)])


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """PyTorch's multi-head attention on sequence-first inputs (L, N, E) (or unbatched (L, E)).

    is_causal is PyTorch's hint that attn_mask is the causal mask: it needs attn_mask, and without
    key_padding_mask and need_weights the causal kernel runs in place of attn_mask (as PyTorch's
    SDPA call does); otherwise attn_mask is applied. An attn_mask that is exactly causal takes the
    causal kernel path either way (same numbers, the blocks above the diagonal skipped).
    Returns (output (L, N, E), weights (N, L, S) averaged over heads, or (N, H, L, S), or None).
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not supported")
    if is_causal and attn_mask is None:
        raise AttentionMaskError("multi_head_attention_forward: need attn_mask if specifying the is_causal "
                                 "hint; Transformer.generate_square_subsequent_mask makes one")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the mask
    else:
        is_causal = False
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = _array(key_padding_mask).reshape(1, -1)
    if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
        raise ValueError(f"query, key and value must all be 3-D (or all 2-D), got shapes "
                         f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    L, N, E = query.shape
    S = key.shape[0]
    if E != embed_dim_to_check:
        raise ValueError(f"query embedding size {E} differs from embed_dim {embed_dim_to_check}")
    if E % num_heads:
        raise ValueError(f"num_heads ({num_heads}) must divide embed_dim ({E})")
    if key.shape[:2] != value.shape[:2]:
        raise ValueError(f"value length and batch {tuple(value.shape[:2])} differ from key's {tuple(key.shape[:2])}")
    if key.shape[1] != N:
        raise ValueError(f"key batch size {key.shape[1]} differs from query batch size {N}")
    H, hd = num_heads, E // num_heads
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E:2 * E], in_proj_weight[2 * E:]
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)

    dtype = q.dtype
    mask = None if attn_mask is None else _mha_attn_mask(attn_mask, dtype, N, H, L, S)
    pad = None if key_padding_mask is None else _mha_padding_mask(key_padding_mask, dtype, N, S)
    if bias_k is not None and bias_v is not None:
        zeros = Tensor(np.zeros((1, N, E), dtype))
        k = ops.cat([k, bias_k + zeros], 0)
        v = ops.cat([v, bias_v + zeros], 0)
        mask, pad = _pad_last(mask), _pad_last(pad)
    if add_zero_attn:
        zeros = Tensor(np.zeros((1, N, E), dtype))
        k, v = ops.cat([k, zeros], 0), ops.cat([v, zeros], 0)
        mask, pad = _pad_last(mask), _pad_last(pad)
    S = k.shape[0]
    if mask is not None and mask.shape[:2] == (1, 1) and _is_causal_mask(mask[0, 0]):
        mask, is_causal = None, True

    def heads(t, length):  # (length, N, E) -> (N, H, length, hd)
        return t.reshape(length, N, H, hd).permute(1, 2, 0, 3)

    q, k, v = heads(q, L), heads(k, S), heads(v, S)
    p = dropout_p if training else 0.0
    weights = None
    scale = 1.0 / math.sqrt(hd)
    if need_weights or p > 0.0:
        out, weights = ScaledDotProductAttentionFn.apply(q, k, v, mask, scale, is_causal, True, pad)
        if p > 0.0:
            weights = dropout(weights, p, True)
            out = ops.matmul(weights, v)
    else:
        out = ScaledDotProductAttentionFn.apply(q, k, v, mask, scale, is_causal, False, pad)
    out = out.permute(2, 0, 1, 3).reshape(L, N, E)
    out = linear(out, out_proj_weight, out_proj_bias)
    if need_weights and average_attn_weights:
        weights = weights.mean(1)
    if not need_weights:
        weights = None
    if unbatched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights
