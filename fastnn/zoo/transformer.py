"""Causal character Transformer on the bundled Shakespeare plays (same split as the LSTM recipe).

The last 10% of the text is held out. Training draws random windows of 128 characters
from the first 90% (batches of 32, AdamW with linear warmup then cosine decay, gradients
clipped at norm 1). The held-out text is scored in windows of 128 moved by 64, counting
only each window's last 64 predictions, so every scored character sees at least 64 of
context; the metric is the mean negative log-likelihood in nats per character (a 5-gram
model gets 1.67; the LSTM recipe 1.4376). The full recipe (0.83 M parameters, 2,500 steps)
measured 1.5437, after 1,777 s of training on two AMD EPYC cores (partly shared with a test run).
"""
import math
import os
import time

import numpy as np

from .. import optim, tensor, manual_seed, no_grad
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from ..models import TransformerLM
from . import progress, plot_curves, shakespeare_target
from .text import mean_nll, shakespeare_split

CONTEXT, BATCH = 128, 32


def heldout_nats_per_char(model, ids, context=CONTEXT, batch=64):
    """Mean NLL (nats/char) of ids[context//2 + 1:], each predicted from >= context/2 previous ids."""
    stride = context // 2
    starts = np.arange(0, len(ids) - context - 1, stride)
    offsets = np.arange(context + 1)

    def predictions():
        for i in range(0, len(starts), batch):
            window = ids[starts[i:i + batch, None] + offsets]
            yield model(tensor(window[:, :-1]))[:, stride:], window[:, 1 + stride:]
    return mean_nll(model, predictions())


def learning_rate(done, peak, warmup):
    """At fraction `done` of training: linear warmup to `peak` over the first `warmup`
    fraction, then cosine decay to peak / 10."""
    if done < warmup:
        return peak * max(done, 0.01 * warmup) / warmup
    t = (done - warmup) / (1 - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def plot_attention(path, model, vocab, line):
    """Heatmap of the last layer's head-averaged causal attention weights over one line of text."""
    from .plots import _pyplot
    from ..nn import Transformer
    ids = tensor(vocab.encode(line)[None])
    body = model.body
    model.eval()
    with no_grad():
        L = ids.shape[1]
        mask = Transformer.generate_square_subsequent_mask(L)
        x = body.embedding(ids) + (body.position(tensor(np.arange(L, dtype=np.int64)))
                                   if body.positional == "learned" else body.position_table[:L])
        layers = list(body.encoder.layers)
        for layer in layers[:-1]:
            x = layer(x, src_mask=mask)
        last = layers[-1]
        h = last.norm1(x) if last.norm_first else x
        _, weights = last.self_attn(h, h, h, attn_mask=mask, need_weights=True)
    model.train()
    plt = _pyplot()
    chars = [c if c != " " else "␣" for c in line]
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.imshow(weights.numpy()[0], cmap="viridis")
    ax.set_xticks(range(L), chars, fontsize=7)
    ax.set_yticks(range(L), chars, fontsize=7)
    ax.set_xlabel("attended character (key)")
    ax.set_ylabel("predicting after (query)")
    ax.set_title("last layer attention, mean over heads")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def train(quick=False, data_dir=None, plot_dir=None, seed=0, steps=None, d_model=None, num_layers=None,
          peak_lr=None, time_budget=None, full=False):
    """time_budget (seconds): end training early when it runs out, the schedule following
    whichever of steps and time is further along. The default zoo run trains the full recipe's
    model for 300 steps (its schedule compressed to them; 2.27 nats/char on seed 0 against the
    bigram model's 2.48): a fixed step count, because 60 s of wall time, the earlier default,
    gave 2.4803 on a busy machine, on the bar. full=True trains all 2,500 steps."""
    start = time.perf_counter()
    manual_seed(seed)
    vocab, train_ids, test_ids = shakespeare_split(quick, 10_000)
    d_model = d_model or (32 if quick else 128)
    num_layers = num_layers or (1 if quick else 4)
    steps = steps or (60 if quick else 2500 if full else 300)
    peak_lr = peak_lr or 3e-3
    # ReLU, not GELU: NumPy's erf made GELU a third of a training step.
    model = TransformerLM(len(vocab), d_model=d_model, nhead=4, num_layers=num_layers, max_len=CONTEXT,
                          dropout=0.0, activation="relu")
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                      lr=peak_lr, betas=(0.9, 0.98))
    rng = np.random.default_rng(seed)
    offsets = np.arange(CONTEXT + 1)
    losses = []
    warmup = max(1, steps // 20)
    for step in progress(range(steps), desc="char transformer"):
        done = step / steps
        if time_budget:
            done = max(done, (time.perf_counter() - start) / time_budget)
            if done >= 1:
                break
        for group in opt.param_groups:
            group["lr"] = learning_rate(done, peak_lr, warmup / steps)
        starts = rng.integers(0, len(train_ids) - CONTEXT - 1, BATCH)
        window = train_ids[starts[:, None] + offsets]
        logits = model(tensor(window[:, :-1]))
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), tensor(window[:, 1:].reshape(-1)))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    train_seconds = time.perf_counter() - start
    nats = heldout_nats_per_char(model, test_ids)
    prompt = "ROMEO:\n"
    sample = prompt + vocab.decode(model.sample(vocab.encode(prompt), 400 if not quick else 40, temperature=0.8,
                                                seed=seed))
    if plot_dir:
        os.makedirs(plot_dir, exist_ok=True)
        plot_curves(os.path.join(plot_dir, "transformer_loss.png"), {"train NLL (nats/char)": losses},
                    "character Transformer on Shakespeare", xlabel="step")
        plot_attention(os.path.join(plot_dir, "transformer_attention.png"), model, vocab,
                       "To be, or not to be, that is the question")
        with open(os.path.join(plot_dir, "transformer_sample.txt"), "w", encoding="utf-8") as f:
            f.write(sample + "\n")
    n_params = sum(p.numel() for p in model.parameters())
    return {"model": f"TransformerLM d{d_model} x{num_layers} ({n_params / 1e6:.2f} M params)",
            "data": "Shakespeare (last 10% held out)" + (" (subset)" if quick else ""),
            "metric": "held-out nats/char", "value": nats, "seconds": time.perf_counter() - start,
            "train_seconds": train_seconds, "steps": len(losses), "sample": sample,
            "target": shakespeare_target(quick, full)}
