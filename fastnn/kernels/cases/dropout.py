"""Benchmark cases for the dropout family: GCN's input dropout on Cora's features."""
import numpy as np

from ..registry import Case, torch_input_grad_step


def _inputs(rng):
    x = rng.random((2708, 1433), dtype=np.float32)
    return x, rng.standard_normal(x.shape).astype(np.float32)


def _run(k, inputs):
    x, g = inputs
    return k.dropout_mask_apply(x, 0.5, 12345), k.dropout_mask_apply(g, 0.5, 12345)


def _torch(inputs):
    import torch
    return torch_input_grad_step(lambda x: torch.nn.functional.dropout(x, 0.5, True),
                                 *(torch.from_numpy(a) for a in inputs))


def _ff_inputs(rng):
    a = rng.standard_normal((32 * 128, 512)).astype(np.float32)
    return a, rng.standard_normal(512).astype(np.float32), rng.standard_normal(a.shape).astype(np.float32)


def _ff_run(k, inputs):
    a, bias, g = (x.copy() for x in inputs)  # both kernels work in place
    h = k.relu_dropout_forward(a, 0.1, 12345, bias)
    return (h.copy(),) + tuple(k.relu_dropout_backward(g, h, 0.1, 12345, True))


def _ff_torch(inputs):
    import torch
    a, bias, g = (torch.from_numpy(x) for x in inputs)

    def step():
        leaf, b = a.detach().requires_grad_(), bias.detach().requires_grad_()
        torch.nn.functional.dropout(torch.relu(leaf + b), 0.1, True).backward(g)
        return leaf.grad
    return step


def _gelu_run(k, inputs):
    a, bias, g = (x.copy() for x in inputs)  # the kernels update a and g in place
    h = k.gelu_dropout_forward(a, 0.0, 0, bias)
    return (h,) + tuple(k.gelu_dropout_backward(g, a, 0.0, 0, True))


def _gelu_torch(inputs):
    import torch
    a, bias, g = (torch.from_numpy(x) for x in inputs)

    def step():
        leaf, b = a.detach().requires_grad_(), bias.detach().requires_grad_()
        torch.nn.functional.gelu(leaf + b).backward(g)
        return leaf.grad
    return step


CASES = [Case("dropout fwd+bwd (2708, 1433) p=0.5", "dropout", ("dropout_mask_apply",), _inputs, _run, _torch),
         Case("bias + gelu fwd+bwd (4096, 512)", "dropout", ("gelu_dropout_forward", "gelu_dropout_backward"),
              _ff_inputs, _gelu_run, _gelu_torch),
         Case("bias + relu + dropout fwd+bwd (4096, 512) p=0.1", "dropout",
              ("relu_dropout_forward", "relu_dropout_backward"), _ff_inputs, _ff_run, _ff_torch)]
