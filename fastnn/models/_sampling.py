"""The sampling loop the language models share (CharLM.sample, TransformerLM.sample)."""
import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor


def sample_ids(model, prompt, length, temperature, seed, next_logits):
    """`length` ids drawn one at a time from softmax(logits / temperature), in eval mode without
    gradients. next_logits(new_ids) takes the ids not yet seen (the prompt, then each drawn id) and
    returns the logits (vocab,) of the next id."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    prompt = np.asarray(prompt.numpy() if isinstance(prompt, Tensor) else prompt, dtype=np.int64).ravel()
    if prompt.size == 0:
        raise ValueError("prompt must hold at least one id")
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    out, new = [], [int(i) for i in prompt]
    try:
        with no_grad():
            for _ in range(length):
                z = np.asarray(next_logits(new), np.float64) / temperature
                p = np.exp(z - z.max())
                new = [int(rng.choice(len(p), p=p / p.sum()))]
                out += new
    finally:
        model.train(was_training)
    return np.array(out, np.int64)
