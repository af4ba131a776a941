"""Benchmark cases for the optim family: one update of the MLP GAN's discriminator (1.46 M parameters)."""
import numpy as np

from ..registry import Case

_SHAPES = ((1024, 784), (1024,), (512, 1024), (512,), (256, 512), (256,), (1, 256), (1,))


def _inputs(rng):
    params = [rng.standard_normal(s).astype(np.float32) for s in _SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in _SHAPES]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    return params, grads, moments


def _adam_run(k, inputs):
    params, grads, moments = inputs
    for p, g, (m, v) in zip(params, grads, moments):
        k.adam_step(p, g, m, v, None, 10, 2e-4, 0.5, 0.999, 1e-8)
    return tuple(params)


def _adam_torch(inputs):
    import torch
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in inputs[0]]
    for p, g in zip(params, inputs[1]):
        p.grad = torch.from_numpy(g)
    opt = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
    return opt.step


def _sgd_run(k, inputs):
    params, grads, moments = inputs
    for p, g, (buf, _) in zip(params, grads, moments):
        k.sgd_step(p, g, buf, 1e-3, 0.9, 0.0, 5e-4, True)
    return tuple(params)


def _sgd_torch(inputs):
    import torch
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in inputs[0]]
    for p, g in zip(params, inputs[1]):
        p.grad = torch.from_numpy(g)
    opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, weight_decay=5e-4, nesterov=True)
    return opt.step


CASES = [
    Case("adam step, MLP discriminator (1.46 M parameters)", "optim", ("adam_step",), _inputs, _adam_run,
         _adam_torch),
    Case("sgd nesterov step, MLP discriminator (1.46 M parameters)", "optim", ("sgd_step",), _inputs, _sgd_run,
         _sgd_torch),
]
