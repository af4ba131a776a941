"""Benchmark cases for the activation family: the GAN discriminator's widest LeakyReLU(0.2), batch 64."""
import numpy as np

from ..registry import Case, torch_input_grad_step


def _inputs(rng):
    return rng.standard_normal((64, 1024)).astype(np.float32), rng.standard_normal((64, 1024)).astype(np.float32)


def _run(k, inputs):
    x, g = inputs
    return k.leaky_relu_forward(x, 0.2), k.leaky_relu_backward(x, g, 0.2)


def _torch(inputs):
    import torch
    return torch_input_grad_step(lambda x: torch.nn.functional.leaky_relu(x, 0.2),
                                 *(torch.from_numpy(a) for a in inputs))


CASES = [Case("leaky_relu fwd+bwd (64, 1024) slope 0.2", "activation", ("leaky_relu_forward", "leaky_relu_backward"),
              _inputs, _run, _torch)]
