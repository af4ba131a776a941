"""The hook-based weight reparametrisations: weight_norm and spectral_norm (and their removal).

weight_norm: weight = g * v / ||v|| (norm over every dim but `dim`), with `weight_g` and
`weight_v` the parameters. spectral_norm: weight = weight_orig / sigma, sigma the largest
singular value estimated by power iteration on the buffers `weight_u`, `weight_v` (updated in
training mode only). The weight is recomputed by a forward pre-hook before every call.
"""
import numpy as np

from ...autograd.tensor import _wrap
from ...autograd import ops
from ..parameter import Parameter


def norm_except_dim(v, pow=2, dim=0):
    if dim is None or dim == -1 and v.ndim == 0:
        return ops.norm(v, pow)
    d = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != d)
    return ops.norm(v, pow, axes, keepdim=True)


class _WeightNorm:
    label = "weight_norm"

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, 2, self.dim))

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module, name="weight", dim=0):
    weight = getattr(module, name)
    if name not in module._parameters:
        raise ValueError(f"weight_norm: '{name}' is not a parameter of {type(module).__name__}")
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    fn = _WeightNorm(name, dim)
    del module._parameters[name]
    g = norm_except_dim(weight.detach(), 2, dim)
    module.register_parameter(name + "_g", Parameter(g._data.reshape(g.shape).copy()))
    module.register_parameter(name + "_v", Parameter(weight._data.copy()))
    object.__setattr__(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def _remove_hook(module, name, kind, compute, parameters, buffers):
    """Take off the `kind` hook of `name`: its current weight becomes a plain parameter again and the
    hook's parameters and buffers (suffixes of name) go."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            weight = compute(hook)
            del module._forward_pre_hooks[key]
            for suffix in parameters:
                del module._parameters[name + suffix]
            for suffix in buffers:
                del module._buffers[name + suffix]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight._data.copy()))
            return module
    raise ValueError(f"{kind.label} of '{name}' not found in {module}")


def remove_weight_norm(module, name="weight"):
    return _remove_hook(module, name, _WeightNorm, lambda hook: hook.compute(module), ("_g", "_v"), ())


def _normalize(x, eps):
    return x / max(float(np.linalg.norm(x)), eps)


def as_matrix(weight, dim):
    """The weight as spectral norm sees it: dim moved to the front, the rest flattened."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


class _SpectralNorm:
    label = "spectral_norm"
    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight):
        return as_matrix(weight, self.dim)

    def compute(self, module, power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = module._buffers[self.name + "_u"]
        v = module._buffers[self.name + "_v"]
        mat = self.matrix(weight)
        if power_iteration:
            m = mat._data
            for _ in range(self.n_power_iterations):
                # in place, so the buffers keep their identity (as PyTorch's do)
                v._data[...] = _normalize(m.T @ u._data, self.eps)
                u._data[...] = _normalize(m @ v._data, self.eps)
        sigma = (_wrap(u._data.copy()) * ops.matmul(mat, _wrap(v._data.copy()))).sum()
        return weight / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    if name not in module._parameters:
        raise ValueError(f"spectral_norm: '{name}' is not a parameter of {type(module).__name__}")
    if n_power_iterations <= 0:
        raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations="
                         f"{n_power_iterations}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters.pop(name)
    m = fn.matrix(weight.detach())._data
    from ...autograd.random import generator
    rng = generator()
    u = _normalize(rng.standard_normal(m.shape[0]), eps).astype(m.dtype)
    v = _normalize(rng.standard_normal(m.shape[1]), eps).astype(m.dtype)
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, _wrap(weight._data))
    module.register_buffer(name + "_u", _wrap(u))
    module.register_buffer(name + "_v", _wrap(v))
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    return _remove_hook(module, name, _SpectralNorm, lambda hook: hook.compute(module, False), ("_orig",),
                        ("_u", "_v"))
