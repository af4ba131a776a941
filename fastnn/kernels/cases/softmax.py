"""Benchmark cases for the softmax family."""
import numpy as np

from ..registry import Case, torch_input_grad_step


def _softmax_inputs(rng):
    x = rng.standard_normal((8 * 8 * 256, 256)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    return x, g


def _softmax_run(k, inputs):
    x, g = inputs
    return k.softmax_backward(k.softmax_forward(x), g)


def _softmax_torch(inputs):
    import torch
    return torch_input_grad_step(lambda x: torch.softmax(x, -1), *(torch.from_numpy(a) for a in inputs))


def _log_softmax_run(k, inputs):
    x, g = inputs
    return k.softmax_backward(k.softmax_forward(x, log=True), g, log=True)


def _log_softmax_torch(inputs):
    import torch
    return torch_input_grad_step(lambda x: torch.log_softmax(x, -1), *(torch.from_numpy(a) for a in inputs))


def _ce_inputs(rng):
    logits = rng.standard_normal((4096, 1000)).astype(np.float32)
    target = rng.integers(0, 1000, 4096)
    return logits, target


def _ce_run(k, inputs):
    logits, target = inputs
    loss, logp = k.cross_entropy_forward(logits, target)
    return k.cross_entropy_backward(logp, target, np.full_like(loss, 1.0 / len(loss)))


def _ce_torch(inputs):
    import torch
    logits, target = torch.from_numpy(inputs[0]), torch.from_numpy(inputs[1])

    def step():
        x = logits.detach().requires_grad_()
        torch.nn.functional.cross_entropy(x, target).backward()
        return x.grad
    return step


CASES = [
    Case("softmax fwd+bwd (16384, 256)", "softmax", ("softmax_forward", "softmax_backward"),
         _softmax_inputs, _softmax_run, _softmax_torch),
    Case("log_softmax fwd+bwd (16384, 256)", "softmax", ("softmax_forward", "softmax_backward"),
         _softmax_inputs, _log_softmax_run, _log_softmax_torch),
    Case("cross_entropy fwd+bwd (4096, 1000)", "softmax", ("cross_entropy_forward", "cross_entropy_backward"),
         _ce_inputs, _ce_run, _ce_torch),
]
