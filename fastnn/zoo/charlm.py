"""Character-level language model (LSTM or GRU) on the bundled Shakespeare plays.

The last 10% of the text is held out. Training draws random windows of 100 characters
from the first 90% (batches of 64, Adam lr 2e-3, gradients clipped at norm 5); the
held-out text is then read as 64 contiguous streams whose states carry across windows,
and the metric is the mean negative log-likelihood in nats per character (a 5-gram
model gets 1.67; see ../shared/data/README.md).
"""
import os
import time

import numpy as np

from .. import optim, tensor, manual_seed
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from ..models import CharLM
from . import progress, plot_curves, shakespeare_target
from .text import mean_nll, shakespeare_split

SEQ_LEN, BATCH = 100, 64


def heldout_nats_per_char(model, ids, streams=64, window=250):
    """Mean NLL (nats/char) of predicting ids[1:] from ids[:-1], read as `streams` parallel streams."""
    n = (len(ids) - 1) // streams
    x = ids[:n * streams].reshape(streams, n)
    y = ids[1:n * streams + 1].reshape(streams, n)

    def predictions():
        state = None
        for i in range(0, n, window):
            logits, state = model(tensor(x[:, i:i + window]), state)
            yield logits, y[:, i:i + window]
    return mean_nll(model, predictions())


def train(quick=False, data_dir=None, plot_dir=None, seed=0, cell="lstm", steps=None, hidden_size=None, full=False):
    start = time.perf_counter()
    manual_seed(seed)
    vocab, train_ids, test_ids = shakespeare_split(quick, 20_000)
    # quick: a smoke test that beats the unigram model; default: a minute or so; full: the best numbers
    hidden = hidden_size or (96 if quick else 512 if full else 128)
    steps = steps or (150 if quick else 2000 if full else 300)
    model = CharLM(len(vocab), embedding_dim=64, hidden_size=hidden, cell=cell)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(seed)
    offsets = np.arange(SEQ_LEN + 1)
    losses = []
    bar = progress(range(steps), desc=f"char {cell} steps")
    for _ in bar:
        starts = rng.integers(0, len(train_ids) - SEQ_LEN - 1, BATCH)
        window = train_ids[starts[:, None] + offsets]
        logits, _ = model(tensor(window[:, :-1]))
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), tensor(window[:, 1:].reshape(-1)))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        losses.append(loss.item())
        bar.set_postfix(loss=losses[-1])
    nats = heldout_nats_per_char(model, test_ids)
    prompt = "ROMEO:\n"
    sample = prompt + vocab.decode(model.sample(vocab.encode(prompt), 400 if not quick else 80, temperature=0.8,
                                                seed=seed))
    if plot_dir:
        os.makedirs(plot_dir, exist_ok=True)
        plot_curves(os.path.join(plot_dir, f"charlm_{cell}_loss.png"), {"train NLL (nats/char)": losses},
                    f"character {cell.upper()} on Shakespeare", xlabel="step")
        with open(os.path.join(plot_dir, f"charlm_{cell}_sample.txt"), "w", encoding="utf-8") as f:
            f.write(sample + "\n")
    n_params = sum(p.numel() for p in model.parameters())
    return {"model": f"CharLM {cell.upper()} {hidden} ({n_params / 1e6:.2f} M params)",
            "data": "Shakespeare (last 10% held out)" + (" (subset)" if quick else ""),
            "metric": "held-out nats/char", "value": nats, "seconds": time.perf_counter() - start,
            "steps": len(losses), "sample": sample, "target": shakespeare_target(quick, full)}
