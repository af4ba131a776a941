"""Benchmark cases for the activation family: the GAN discriminator's widest LeakyReLU(0.2), batch 64, and
ReLU, sigmoid, tanh, SiLU, GELU, ELU, softplus, hardswish, hardsigmoid, Mish and binary cross-entropy with
logits forward+backward over a Transformer feed-forward block's hidden units
(32 x 128 tokens x 512); the full sum of a softmax-sized (8, 8, 256, 256) tensor."""
import numpy as np

from ..registry import Case, torch_input_grad_step


def _inputs(shape):
    def make(rng):
        return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
    return make


def _leaky_run(k, inputs):
    x, g = inputs
    return k.leaky_relu_forward(x, 0.2), k.leaky_relu_backward(x, g, 0.2)


def _torch(fn):
    def setup(inputs):
        import torch
        return torch_input_grad_step(fn(torch), *(torch.from_numpy(a) for a in inputs))
    return setup


def _from_output(name):
    """forward, then the backward that reads the forward's output (ReLU, sigmoid)"""
    def run(k, inputs):
        x, g = inputs
        y = getattr(k, f"{name}_forward")(x)
        return y, getattr(k, f"{name}_backward")(y, g)
    return run


def _from_input(name, *extra):
    """forward, then the backward that reads the forward's input (SiLU, GELU)"""
    def run(k, inputs):
        x, g = inputs
        return getattr(k, f"{name}_forward")(x, *extra), getattr(k, f"{name}_backward")(x, g, *extra)
    return run


def _tanh_run(k, inputs):
    x, g = inputs
    y = np.tanh(x)  # NumPy's tanh is already one vectorised pass; the backward is the kernel
    return y, k.tanh_backward(y, g)


def _bce_inputs(rng):
    x, g = _inputs(_FF)(rng)
    return x, (rng.random(_FF) < 0.5).astype(np.float32), g


def _bce_run(k, inputs):
    x, t, g = inputs
    return k.bce_logits_forward(x, t), k.bce_logits_backward(x, t, g)


def _bce_torch(inputs):
    import torch
    x, t, g = (torch.from_numpy(a) for a in inputs)
    return torch_input_grad_step(
        lambda v: torch.nn.functional.binary_cross_entropy_with_logits(v, t, reduction="none"), x, g)


def _sum_input(rng):
    return rng.standard_normal((8, 8, 256, 256)).astype(np.float32)


def _sum_run(k, x):
    return k.sum_float32(x)


def _sum_torch(x):
    import torch
    t = torch.from_numpy(x)
    return lambda: t.sum()


_FF = (4096, 512)
CASES = [Case("leaky_relu fwd+bwd (64, 1024) slope 0.2", "activation", ("leaky_relu_forward", "leaky_relu_backward"),
              _inputs((64, 1024)), _leaky_run, _torch(lambda t: lambda x: t.nn.functional.leaky_relu(x, 0.2))),
         Case("relu fwd+bwd (4096, 512)", "activation", ("relu_forward", "relu_backward"), _inputs(_FF),
              _from_output("relu"), _torch(lambda t: t.relu)),
         Case("sigmoid fwd+bwd (4096, 512)", "activation", ("sigmoid_forward", "sigmoid_backward"), _inputs(_FF),
              _from_output("sigmoid"), _torch(lambda t: t.sigmoid)),
         Case("tanh fwd+bwd (4096, 512)", "activation", ("tanh_backward",), _inputs(_FF), _tanh_run,
              _torch(lambda t: t.tanh)),
         Case("silu fwd+bwd (4096, 512)", "activation", ("silu_forward", "silu_backward"), _inputs(_FF),
              _from_input("silu"), _torch(lambda t: t.nn.functional.silu)),
         Case("gelu fwd+bwd (4096, 512)", "activation", ("gelu_forward", "gelu_backward"), _inputs(_FF),
              _from_input("gelu"), _torch(lambda t: t.nn.functional.gelu)),
         Case("gelu tanh fwd+bwd (4096, 512)", "activation", ("gelu_forward", "gelu_backward"), _inputs(_FF),
              _from_input("gelu", "tanh"), _torch(lambda t: lambda x: t.nn.functional.gelu(x, approximate="tanh"))),
         Case("elu fwd+bwd (4096, 512)", "activation", ("elu_forward", "elu_backward"), _inputs(_FF),
              _from_input("elu", 1.0), _torch(lambda t: t.nn.functional.elu)),
         Case("softplus fwd+bwd (4096, 512)", "activation", ("softplus_forward", "softplus_backward"), _inputs(_FF),
              _from_input("softplus", 1.0, 20.0), _torch(lambda t: t.nn.functional.softplus)),
         Case("hardswish fwd+bwd (4096, 512)", "activation", ("hardswish_forward", "hardswish_backward"), _inputs(_FF),
              _from_input("hardswish"), _torch(lambda t: t.nn.functional.hardswish)),
         Case("hardsigmoid fwd+bwd (4096, 512)", "activation", ("hardsigmoid_forward", "hardsigmoid_backward"),
              _inputs(_FF), _from_input("hardsigmoid"), _torch(lambda t: t.nn.functional.hardsigmoid)),
         Case("mish fwd+bwd (4096, 512)", "activation", ("mish_forward", "mish_backward"), _inputs(_FF),
              _from_input("mish"), _torch(lambda t: t.nn.functional.mish)),
         Case("binary_cross_entropy_with_logits elementwise fwd+bwd (4096, 512)", "activation",
              ("bce_logits_forward", "bce_logits_backward"), _bce_inputs, _bce_run, _bce_torch),
         Case("sum of every value (8, 8, 256, 256)", "activation", ("sum_float32",), _sum_input, _sum_run,
              _sum_torch)]
