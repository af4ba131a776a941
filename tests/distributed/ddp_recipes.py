"""Seeded models, data and a 20-step training loop shared by the DDP worker and the single-process oracle.

The same global batch is used at every world size: rank r of N trains on rows
[r*B/N, (r+1)*B/N), so the averaged gradient equals the single process's full-batch one.
"""
from contextlib import nullcontext

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.models import LeNet

STEPS = 20
GLOBAL_BATCH = 16


class SeqClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, batch_first=True)
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        out, _ = self.lstm(x)
        return F.log_softmax(self.head(out[:, -1]), dim=1)


def build(name):
    fastnn.manual_seed(0)
    if name == "mlp":
        return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 4), nn.LogSoftmax(dim=1))
    if name == "lenet":
        return LeNet(input_size=8)
    if name == "lstm":
        return SeqClassifier()
    raise ValueError(name)


def data(name):
    rng = np.random.default_rng(7)
    shape = {"mlp": (6,), "lenet": (1, 8, 8), "lstm": (5, 3)}[name]
    x = rng.standard_normal((STEPS, GLOBAL_BATCH) + shape).astype(np.float32)
    y = rng.integers(0, 4, (STEPS, GLOBAL_BATCH)).astype(np.int64)
    return x, y


def train(model, name, rank=0, world=1, accumulate=False):
    """20 SGD-momentum steps on this rank's share of each global batch; returns the model."""
    x, y = data(name)
    per = GLOBAL_BATCH // world
    opt = fastnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(STEPS):
        xb = fastnn.tensor(x[step, rank * per:(rank + 1) * per])
        yb = fastnn.tensor(y[step, rank * per:(rank + 1) * per])
        opt.zero_grad()
        if accumulate:  # two micro-batches: the first under no_sync, each loss halved
            half = per // 2
            with getattr(model, "no_sync", nullcontext)():  # the single-process oracle has no no_sync
                (F.nll_loss(model(xb[:half]), yb[:half]) * 0.5).backward()
            (F.nll_loss(model(xb[half:]), yb[half:]) * 0.5).backward()
        else:
            F.nll_loss(model(xb), yb).backward()
        opt.step()
    return model


def parameters(model):
    return {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
