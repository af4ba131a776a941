"""Transformer models: a causal character/token language model and a sequence classifier."""
import math

import numpy as np

from .. import nn, tensor
from ._sampling import sample_ids
from ..autograd.tensor import Tensor


def sinusoidal_positions(max_len, d_model):
    """The fixed sin/cos position table of "Attention Is All You Need", (max_len, d_model) float32."""
    pos = np.arange(max_len)[:, None]
    freq = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    table = np.zeros((max_len, d_model), np.float32)
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq[: d_model // 2])
    return table


class _TokenEncoder(nn.Module):
    """Token + position embeddings followed by a stack of pre-norm encoder layers (batch first)."""
    def __init__(self, vocab_size, d_model, nhead, num_layers, dim_feedforward, max_len, dropout, positional,
                 activation="gelu", padding_idx=None):
        super().__init__()
        if positional not in ("learned", "sinusoidal"):
            raise ValueError(f"positional must be 'learned' or 'sinusoidal', got {positional!r}")
        self.max_len = max_len
        self.positional = positional
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        if positional == "learned":
            self.position = nn.Embedding(max_len, d_model)
        else:
            self.register_buffer("position_table", Tensor(sinusoidal_positions(max_len, d_model)))
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward or 4 * d_model, dropout,
                                           activation=activation, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))

    def forward(self, ids, mask=None, key_padding_mask=None):
        ids = ids if isinstance(ids, Tensor) else tensor(np.asarray(ids, np.int64))
        L = ids.shape[1]
        if L > self.max_len:
            raise ValueError(f"sequence length {L} exceeds max_len {self.max_len}")
        if self.positional == "learned":
            pos = self.position(tensor(np.arange(L, dtype=np.int64)))
        else:
            pos = self.position_table[:L]
        x = self.dropout(self.embedding(ids) + pos)
        return self.encoder(x, mask=mask, src_key_padding_mask=key_padding_mask)


class TransformerLM(nn.Module):
    """Causal Transformer language model: ids (B, L) -> next-id logits (B, L, vocab)."""
    def __init__(self, vocab_size, d_model=128, nhead=4, num_layers=4, dim_feedforward=None, max_len=128,
                 dropout=0.1, positional="learned", activation="gelu"):
        super().__init__()
        self.body = _TokenEncoder(vocab_size, d_model, nhead, num_layers, dim_feedforward, max_len, dropout,
                                  positional, activation)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids):
        L = ids.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(L, dtype=self.head.weight.dtype)
        return self.head(self.body(ids, mask=mask))

    def sample(self, prompt, length, temperature=1.0, seed=None):
        """Continue the 1-D int sequence `prompt` by `length` ids drawn from softmax(logits / temperature),
        seeing at most max_len previous ids."""
        ids = []

        def next_logits(new_ids):
            ids.extend(new_ids)
            return self(tensor(np.array(ids[-self.body.max_len:], np.int64)[None])).numpy()[0, -1]
        return sample_ids(self, prompt, length, temperature, seed, next_logits)


class TransformerClassifier(nn.Module):
    """Transformer encoder over ids (B, L) (padding_idx marks padding), mean-pooled -> class logits."""
    def __init__(self, vocab_size, num_classes, d_model=128, nhead=4, num_layers=2, dim_feedforward=None,
                 max_len=512, dropout=0.1, positional="sinusoidal", activation="gelu", padding_idx=0):
        super().__init__()
        self.padding_idx = padding_idx
        self.body = _TokenEncoder(vocab_size, d_model, nhead, num_layers, dim_feedforward, max_len, dropout,
                                  positional, activation, padding_idx=padding_idx)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, ids):
        ids = ids if isinstance(ids, Tensor) else tensor(np.asarray(ids, np.int64))
        pad = ids.numpy() == self.padding_idx if self.padding_idx is not None else np.zeros(ids.shape, bool)
        h = self.body(ids, key_padding_mask=Tensor(pad) if pad.any() else None)
        keep = Tensor((~pad).astype(h.dtype)[..., None])
        pooled = (h * keep).sum(1) / (keep.sum(1) + 1e-9)
        return self.head(pooled)
