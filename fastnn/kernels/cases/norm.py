"""Benchmark cases for the normalisation family: layer norm, and training batch norm after a CNN's conv layer."""
import numpy as np

from ..registry import Case


def _layer_norm_inputs(rng):
    x = rng.standard_normal((32 * 64, 512)).astype(np.float32)
    w, b = rng.standard_normal(512).astype(np.float32), rng.standard_normal(512).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    return x, w, b, g


def _layer_norm_run(k, inputs):
    x, w, b, g = inputs
    _, mean, rstd = k.layer_norm_forward(x, w, b, 1e-5)
    return k.layer_norm_backward(x, mean, rstd, g, w, True, True)


def _layer_norm_torch(inputs):
    import torch
    x, w, b, g = (torch.from_numpy(a) for a in inputs)

    def step():
        xs, ws, bs = (t.detach().requires_grad_() for t in (x, w, b))
        torch.nn.functional.layer_norm(xs, (512,), ws, bs).backward(g)
        return xs.grad
    return step


def _add_layer_norm_inputs(rng):
    x = rng.standard_normal((32 * 128, 128)).astype(np.float32)
    w, b = rng.standard_normal(128).astype(np.float32), rng.standard_normal(128).astype(np.float32)
    r, gy, gs = (rng.standard_normal(x.shape).astype(np.float32) for _ in range(3))
    return x, r, w, b, gy, gs


def _add_layer_norm_run(k, inputs):
    x, r, w, b, gy, gs = inputs
    y, s, mean, rstd = k.add_layer_norm_forward(x, r, w, b, 1e-5)
    return (y, s) + tuple(k.layer_norm_backward(s, mean, rstd, gy, w, True, True, True, gs))


def _add_layer_norm_torch(inputs):
    import torch
    x, r, w, b, gy, gs = (torch.from_numpy(a) for a in inputs)

    def step():
        xs, rs, ws, bs = (t.detach().requires_grad_() for t in (x, r, w, b))
        s = xs + rs
        torch.autograd.backward([torch.nn.functional.layer_norm(s, (128,), ws, bs), s], [gy, gs])
        return xs.grad
    return step


def _batch_norm_inputs(rng):
    x = rng.standard_normal((64, 32, 28 * 28)).astype(np.float32)
    w, b = rng.standard_normal(32).astype(np.float32), rng.standard_normal(32).astype(np.float32)
    return x, w, b, rng.standard_normal(x.shape).astype(np.float32)


def _batch_norm_run(k, inputs):
    x, w, b, g = inputs
    y, mean, _, rstd = k.batch_norm_forward(x, w, b, 1e-5)
    return (y,) + tuple(k.batch_norm_backward(x, mean, rstd, g, w, True, True))


def _batch_norm_torch(inputs):
    import torch
    x, w, b, g = (torch.from_numpy(a) for a in inputs)
    x, g = x.reshape(64, 32, 28, 28), g.reshape(64, 32, 28, 28)

    def step():
        xs, ws, bs = (t.detach().requires_grad_() for t in (x, w, b))
        torch.nn.functional.batch_norm(xs, None, None, ws, bs, True).backward(g)
        return xs.grad
    return step


CASES = [
    Case("layer_norm fwd+bwd (2048, 512)", "norm", ("layer_norm_forward", "layer_norm_backward"),
         _layer_norm_inputs, _layer_norm_run, _layer_norm_torch),
    Case("residual add + layer_norm fwd+bwd (4096, 128)", "norm", ("add_layer_norm_forward", "layer_norm_backward"),
         _add_layer_norm_inputs, _add_layer_norm_run, _add_layer_norm_torch),
    Case("batch_norm fwd+bwd (64, 32, 28, 28)", "norm", ("batch_norm_forward", "batch_norm_backward"),
         _batch_norm_inputs, _batch_norm_run, _batch_norm_torch),
]
