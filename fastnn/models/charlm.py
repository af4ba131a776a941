"""Character-level language model: embedding, LSTM or GRU, linear head over the vocabulary."""
import numpy as np

from .. import nn, tensor
from ._sampling import sample_ids


class CharLM(nn.Module):
    """logits (B, T, vocab) = head(rnn(embedding(ids (B, T)))); `sample` generates text ids."""

    def __init__(self, vocab_size, embedding_dim=64, hidden_size=256, num_layers=1, cell="lstm", dropout=0.0):
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out), state

    def sample(self, prompt, length, temperature=1.0, seed=None):
        """Continue the 1-D int sequence `prompt` by `length` ids drawn from softmax(logits / temperature)."""
        state = None

        def next_logits(new_ids):
            nonlocal state
            logits, state = self(tensor(np.array(new_ids, np.int64)[None]), state)
            return logits.numpy()[0, -1]
        return sample_ids(self, prompt, length, temperature, seed, next_logits)
