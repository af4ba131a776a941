"""Transformer encoder/decoder layers and stacks with PyTorch's parameter names, semantics and init."""
import copy

import numpy as np

from .module import Module
from .container import ModuleList
from .linear import Linear
from .dropout import Dropout
from .normalization import LayerNorm
from .attention import MultiheadAttention
from .functional_attention import _is_causal_mask
from .transformer_fused import add_norm, feed_forward, plain_module
from .activation import ReLU, GELU
from . import functional as F
from . import init
from ..autograd.tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.ops import where
from ..autograd.dtypes import canonical_dtype, float32


def _activation(activation):
    if callable(activation):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise ValueError(f"activation must be 'relu', 'gelu' or a callable, got {activation!r}")


def _clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _seq_len(x, batch_first):
    return x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal, size):
    """PyTorch's rule: an is_causal given is kept; None means True exactly when mask is the
    (size, size) causal mask (bool True above the diagonal, or float -inf there and 0 elsewhere)."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    m = np.asarray(mask._data if isinstance(mask, Tensor) else mask)
    if m.shape != (size, size):
        return False
    if m.dtype == np.bool_:
        return bool(np.array_equal(m, ~np.tri(size, size, dtype=bool)))
    return _is_causal_mask(m)


def _nested_eligible(layer):
    """PyTorch's conditions for an encoder stack to use its nested-tensor path."""
    attn = getattr(layer, "self_attn", None)
    return (isinstance(layer, TransformerEncoderLayer) and not layer.norm_first and attn.batch_first
            and attn._qkv_same_embed_dim and attn.in_proj_bias is not None
            and (layer.activation in (F.relu, F.gelu) or isinstance(layer.activation, (ReLU, GELU)))
            and layer.norm1.eps == layer.norm2.eps
            and attn.num_heads % 2 == 0)


class TransformerEncoderLayer(Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """is_causal: PyTorch's hint that src_mask is the causal mask (it needs src_mask)."""
        x = src
        # each residual add (with its branch's dropout) and the layer norm after it in one fused op (add_norm)
        if self.norm_first:
            r, drop = self._sa_branch(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            y, x = add_norm(x, r, self.norm2, return_sum=True, dropout=drop)
            r, drop = self._ff_branch(y)
            x = x + (drop(r) if drop is not None else r)
        else:
            r, drop = self._sa_branch(x, src_mask, src_key_padding_mask, is_causal)
            x = add_norm(x, r, self.norm1, dropout=drop)
            r, drop = self._ff_branch(x)
            x = add_norm(x, r, self.norm2, dropout=drop)
        return x

    def _pre_norm_step(self, x, y, following, src_mask, src_key_padding_mask, is_causal):
        """forward() of a pre-norm layer given y = norm1(x) (None: computed here), returning (output,
        following(output)) with the closing residual add fused into the `following` norm (or
        (output, None) without one)."""
        if y is None:
            y = self.norm1(x)
        r, drop = self._sa_branch(y, src_mask, src_key_padding_mask, is_causal)
        y, x = add_norm(x, r, self.norm2, return_sum=True, dropout=drop)
        r, drop = self._ff_branch(y)
        if following is None:
            return x + (drop(r) if drop is not None else r), None
        y_next, x = add_norm(x, r, following, return_sum=True, dropout=drop)
        return x, y_next

    # The residual branches as (output, dropout module still to apply), so that the dropout joins the
    # fused add + norm; a subclass's _sa_block / _ff_block (which apply it themselves) are respected.
    def _sa_branch(self, x, attn_mask, key_padding_mask, is_causal):
        if type(self) is not TransformerEncoderLayer:
            return self._sa_block(x, attn_mask, key_padding_mask, is_causal), None
        return self._sa_core(x, attn_mask, key_padding_mask, is_causal), self.dropout1

    def _ff_branch(self, x):
        if type(self) is not TransformerEncoderLayer:
            return self._ff_block(x), None
        return self._ff_core(x), self.dropout2

    def _sa_core(self, x, attn_mask, key_padding_mask, is_causal=False):
        return self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                              is_causal=is_causal)[0]

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        return self.dropout1(self._sa_core(x, attn_mask, key_padding_mask, is_causal))

    def _ff_core(self, x):
        h = feed_forward(self, x)
        return h if h is not None else self.linear2(self.dropout(self.activation(self.linear1(x))))

    def _ff_block(self, x):
        return self.dropout2(self._ff_core(x))


class TransformerDecoderLayer(Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """tgt_is_causal / memory_is_causal: PyTorch's hints that tgt_mask / memory_mask are causal."""
        x = tgt
        if self.norm_first:
            y, x = add_norm(x, self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal),
                            self.norm2, return_sum=True)
            y, x = add_norm(x, self._mha_block(y, memory, memory_mask, memory_key_padding_mask, memory_is_causal),
                            self.norm3, return_sum=True)
            x = x + self._ff_block(y)
        else:
            x = add_norm(x, self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal), self.norm1)
            x = add_norm(x, self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal),
                         self.norm2)
            x = add_norm(x, self._ff_block(x), self.norm3)
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        h = feed_forward(self, x)
        if h is None:
            h = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(h)


class TransformerEncoder(Module):
    """PyTorch's encoder stack, its nested-tensor fast path included in what it computes.

    enable_nested_tensor: PyTorch runs an eligible stack (batch_first TransformerEncoderLayers,
    post-norm, an even head count, ...; `use_nested_tensor` records whether it is) in eval mode
    without gradients, given src_key_padding_mask and no mask, on nested tensors: the padded
    positions are dropped inside the stack and come out as 0 before the final norm. There are no
    nested tensors here; the stack runs padded with the key padding mask and then zeroes the
    padded positions, which gives PyTorch's outputs (the speed-up is not reproduced).
    mask_check: as in PyTorch, the fast path is only taken when every row of
    src_key_padding_mask pads at its end; with mask_check=False PyTorch skips that check and keeps
    the first (number of unpadded) positions of each row, and so does this stack.
    """
    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = bool(enable_nested_tensor) and _nested_eligible(encoder_layer)
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """is_causal: None detects a causal mask (then the causal kernel path is taken); True is
        PyTorch's hint that mask is causal (it needs mask)."""
        first = self.layers[0]
        is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, first.self_attn.batch_first))
        lengths = self._nested_lengths(src, mask, src_key_padding_mask)
        if lengths is not None:  # keep the first lengths[i] positions of row i, as the nested path does
            src_key_padding_mask = Tensor(np.arange(src.shape[1])[None, :] >= lengths[:, None])
        x = src
        if lengths is None and all(plain_module(layer, TransformerEncoderLayer) and layer.norm_first
                                   for layer in self.layers):
            return self._pre_norm_chain(x, mask, src_key_padding_mask, is_causal)
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        if lengths is not None:
            kept = np.arange(src.shape[1])[None, :] < lengths[:, None]
            x = where(Tensor(kept[:, :, None]), x, Tensor(np.zeros((), x.dtype)))
        return self.norm(x) if self.norm is not None else x

    def _pre_norm_chain(self, x, mask, key_padding_mask, is_causal):
        """A stack of pre-norm layers (plain, unhooked) with each layer's closing residual add fused into
        the next layer's first norm, and the last one's into the stack's norm: the same ops, fewer passes."""
        y = None
        for i, layer in enumerate(self.layers):
            following = self.layers[i + 1].norm1 if i + 1 < len(self.layers) else self.norm
            x, y = layer._pre_norm_step(x, y, following, mask, key_padding_mask, is_causal)
        return x if self.norm is None else y

    def _nested_lengths(self, src, mask, src_key_padding_mask):
        """Unpadded lengths per row when PyTorch would take its nested-tensor path, else None."""
        if not self.use_nested_tensor or self.layers[0].training or src.ndim != 3 or \
                src_key_padding_mask is None or mask is not None:
            return None
        if is_grad_enabled() and (src.requires_grad or any(p.requires_grad for p in self.layers[0].parameters())):
            return None
        kpm = np.asarray(src_key_padding_mask._data if isinstance(src_key_padding_mask, Tensor)
                         else src_key_padding_mask)
        keep = ~kpm if kpm.dtype == np.bool_ else kpm == 0
        lengths = keep.sum(axis=1)
        if self.mask_check and not np.array_equal(keep, np.arange(keep.shape[1])[None, :] < lengths[:, None]):
            return None
        return lengths


class TransformerDecoder(Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """tgt_is_causal: None detects a causal tgt_mask; True is PyTorch's hint (it needs tgt_mask)."""
        seq_len = _seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batch_dim = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_dim] != tgt.shape[batch_dim]:
            raise ValueError(f"src and tgt batch sizes differ ({src.shape[batch_dim]} vs {tgt.shape[batch_dim]})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"src and tgt feature sizes must equal d_model ({self.d_model})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A float (sz, sz) mask: 0 on and below the diagonal, -inf above (future positions)."""
        dt = float32 if dtype is None else canonical_dtype(dtype)
        return Tensor(np.triu(np.full((sz, sz), -np.inf, dt), k=1))
