"""torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations
(state_dict keys parametrizations.weight.original0/1, or .original with the _u/_v buffers)."""
from ...autograd.tensor import _wrap
from ...autograd.grad_mode import no_grad
from ...autograd import ops
from ...autograd.random import generator
from ..module import Module
from .parametrize import register_parametrization
from .weight_norm import as_matrix, norm_except_dim, _normalize


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations="
                             f"{n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + weight.ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if weight.ndim > 1:
            m = as_matrix(weight, self.dim)._data
            rng = generator()
            self.register_buffer("_u", _wrap(_normalize(rng.standard_normal(m.shape[0]), eps).astype(m.dtype)))
            self.register_buffer("_v", _wrap(_normalize(rng.standard_normal(m.shape[1]), eps).astype(m.dtype)))
            self._power_method(m, 15)

    def _power_method(self, m, n):
        for _ in range(n):
            self._u._data[...] = _normalize(m @ self._v._data, self.eps)
            self._v._data[...] = _normalize(m.T @ self._u._data, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / ops.clamp(ops.norm(weight), min=self.eps)
        mat = as_matrix(weight, self.dim)
        if self.training:
            with no_grad():
                self._power_method(mat._data, self.n_power_iterations)
        u, v = _wrap(self._u._data.copy()), _wrap(self._v._data.copy())
        sigma = (u * ops.matmul(mat, v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    weight = getattr(module, name)
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    return register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
