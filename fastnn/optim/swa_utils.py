"""Weight averaging (torch.optim.swa_utils): AveragedModel (SWA or an exponential moving average of a model),
the SWALR schedule and update_bn to recompute batch-norm statistics for the averaged weights."""
import copy
import itertools
import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module   # as in PyTorch, weight averaging builds on nn.Module
from .lr_scheduler import LRScheduler, _per_group


def get_ema_avg_fn(decay=0.999):
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(averaged, current, num_averaged):
        return decay * averaged + (1 - decay) * current
    return ema_update


def get_swa_avg_fn():
    def swa_update(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


def get_ema_multi_avg_fn(decay=0.999):
    one = get_ema_avg_fn(decay)

    def ema_update(averaged_list, current_list, num_averaged):
        for a, c in zip(averaged_list, current_list):
            a._data[...] = one(a._data, c._data, num_averaged)
    return ema_update


def get_swa_multi_avg_fn():
    def swa_update(averaged_list, current_list, num_averaged):
        n = int(num_averaged._data) if isinstance(num_averaged, Tensor) else int(num_averaged)
        for a, c in zip(averaged_list, current_list):
            a._data[...] = a._data + (c._data - a._data) / (n + 1)
    return swa_update


class AveragedModel(Module):
    """A copy of `model` whose parameters (and buffers, with use_buffers=True) are the running average of the
    model's at each update_parameters(model) call: SWA's equal-weight mean by default, or `avg_fn` /
    `multi_avg_fn` (get_ema_multi_avg_fn(decay) gives an exponential moving average)."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", Tensor(np.array(0, dtype=np.int64)))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model):
        if self.use_buffers:
            return (list(itertools.chain(self.module.parameters(), self.module.buffers())),
                    list(itertools.chain(model.parameters(), model.buffers())))
        return list(self.module.parameters()), list(model.parameters())

    def update_parameters(self, model):
        mine, theirs = self._pairs(model)
        n = int(self.n_averaged._data)
        with no_grad():
            if n == 0:
                for a, c in zip(mine, theirs):
                    a._data[...] = c._data
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, self.n_averaged)
            elif self.avg_fn is not None:
                for a, c in zip(mine, theirs):
                    out = self.avg_fn(a.detach(), c.detach(), self.n_averaged)
                    a._data[...] = out._data if isinstance(out, Tensor) else out
            else:
                for a, c in zip(mine, theirs):
                    a._data[...] = get_swa_avg_fn()(a._data, c._data, n)
        self.n_averaged._data[...] = n + 1


def update_bn(loader, model, device=None):
    """One pass over `loader` in train mode to recompute every BatchNorm's running statistics as a plain mean."""
    from ..nn.batchnorm import _BatchNorm
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    with no_grad():
        for batch in loader:
            model(batch[0] if isinstance(batch, (list, tuple)) else batch)
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate to a fixed swa_lr over anneal_epochs, then holds it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for lr, g in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            g["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self._anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t):
        return (1 - math.cos(math.pi * t)) / 2 if self._anneal_strategy == "cos" else t

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        alpha = self.anneal_func(max(0, min(1, step / span)))
        out = []
        for g in self.optimizer.param_groups:
            # the schedule's own previous lr, recovered from the current one, so a manual change carries through
            start = g["swa_lr"] if prev_alpha == 1 else (g["lr"] - prev_alpha * g["swa_lr"]) / (1 - prev_alpha)
            out.append(g["swa_lr"] * alpha + start * (1 - alpha))
        return out
