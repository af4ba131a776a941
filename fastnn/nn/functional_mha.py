"""Self-attention's direct path: query, key and value one tensor, packed in_proj weights, no attention
weights returned. The q, k and v projections are one GEMM over the tokens in the caller's layout
(batch-first or sequence-first, no transposed copy of the input), one copy lays them out as the
(batch, heads, length, head_dim) blocks the attention kernels read, adding the projection's bias as
it goes, and one copy brings the heads back to the tokens' layout for the output projection; the
backward makes the same two copies the other way (csrc/heads.pyx), the first summing the bias's
gradient. Same values as the general path (multi_head_attention_forward), which takes every other
case."""
import math

from ..autograd.native.attention import ScaledDotProductAttentionFn
from ..autograd.native.heads import SplitHeadsFn, MergeHeadsFn
from ..autograd import ops
from .functional_linear import linear
from .functional_dropout import dropout
from .functional_attention import AttentionMaskError, _mha_attn_mask, _mha_padding_mask, _is_causal_mask


def direct_self_attention(mha, x, key_padding_mask, need_weights, attn_mask, is_causal):
    """mha(x, x, x, ...)'s output on the direct path, or None when the call needs the general one."""
    if need_weights or x.ndim != 3 or not mha._qkv_same_embed_dim or mha.bias_k is not None or \
            mha.add_zero_attn or x.shape[-1] != mha.embed_dim:
        return None
    if is_causal and attn_mask is None:
        raise AttentionMaskError("multi_head_attention_forward: need attn_mask if specifying the is_causal "
                                 "hint; Transformer.generate_square_subsequent_mask makes one")
    if is_causal and key_padding_mask is None:
        attn_mask = None  # the hint stands for the mask
    else:
        is_causal = False
    batch_first = mha.batch_first
    N, L, E = x.shape if batch_first else (x.shape[1], x.shape[0], x.shape[2])
    H = mha.num_heads
    qkv = linear(x.reshape(N * L, E), mha.in_proj_weight)  # its bias joins the head split's pass
    mask = None if attn_mask is None else _mha_attn_mask(attn_mask, qkv.dtype, N, H, L, L)
    pad = None if key_padding_mask is None else _mha_padding_mask(key_padding_mask, qkv.dtype, N, L)
    if mask is not None and mask.shape[:2] == (1, 1) and _is_causal_mask(mask[0, 0]):
        mask, is_causal = None, True
    q, k, v = SplitHeadsFn.apply(qkv, mha.in_proj_bias, N, L, H, batch_first)
    scale, p = 1.0 / math.sqrt(E // H), mha.dropout if mha.training else 0.0
    if p > 0.0:  # dropout on the weights, as the general path applies it (the same draw)
        weights = ScaledDotProductAttentionFn.apply(q, k, v, mask, scale, is_causal, True, pad)[1]
        o = ops.matmul(dropout(weights, p, True), v)
    else:
        o = ScaledDotProductAttentionFn.apply(q, k, v, mask, scale, is_causal, False, pad)
    out = linear(MergeHeadsFn.apply(o, batch_first), mha.out_proj.weight, mha.out_proj.bias)
    return out.reshape(x.shape)
