"""Character-level language model: embedding, LSTM or GRU, linear head over the vocabulary."""
import numpy as np

from .. import nn, tensor, no_grad
from ..autograd import Tensor


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
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature!r}")
        prompt = np.asarray(prompt.numpy() if isinstance(prompt, Tensor) else prompt, dtype=np.int64).ravel()
        if prompt.size == 0:
            raise ValueError("prompt must hold at least one id")
        rng = np.random.default_rng(seed)
        was_training = self.training
        self.eval()
        out = []
        with no_grad():
            logits, state = self(tensor(prompt[None]))
            for _ in range(length):
                z = logits.numpy()[0, -1].astype(np.float64) / temperature
                p = np.exp(z - z.max())
                nxt = int(rng.choice(len(p), p=p / p.sum()))
                out.append(nxt)
                logits, state = self(tensor(np.array([[nxt]], np.int64)), state)
        self.train(was_training)
        return np.array(out, np.int64)
