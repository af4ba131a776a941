"""LayerNorm: normalise over the trailing `normalized_shape` dims."""
import numpy as np

from .module import Module
from ..device import check_cpu
from .parameter import Parameter
from .norm_affine import affine_parameters
from . import functional as F
from ..autograd import ops
from ..autograd.tensor import _wrap
from ..autograd.dtypes import canonical_dtype, float32


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        check_cpu(device)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        affine_parameters(self, elementwise_affine, bias, shape, dtype)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise each group of num_channels // num_groups channels over it and the spatial dims."""
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_cpu(device)
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        affine_parameters(self, affine, bias, num_channels, dtype)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class LocalResponseNorm(Module):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(LocalResponseNorm):
    """PyTorch's legacy (Lua Torch) cross-channel LRN on 4-D input. Its running-window recurrence
    keeps channel 0 in the window one step longer than LocalResponseNorm's centred window; the
    window sums here are the matrix of that recurrence, so values match PyTorch's layer."""
    def forward(self, input):
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: expected 4-D input, got shape {tuple(input.shape)}")
        C = input.shape[1]
        windows = _cross_map_windows(C, self.size).astype(input.dtype)
        sq = (input * input).transpose(1, 3)
        scale = ops.matmul(sq, _wrap(np.ascontiguousarray(windows.T))).transpose(1, 3)
        return input * (scale * (self.alpha / self.size) + self.k) ** (-self.beta)


def _cross_map_windows(C, size):
    """Row c: which channels' squares PyTorch's CrossMapLRN2d recurrence sums for channel c."""
    pre_pad = int((size - 1) / 2 + 1)
    rows = np.zeros((C, C))
    rows[0, :min(pre_pad, C)] = 1
    for c in range(1, C):
        rows[c] = rows[c - 1]
        if c < C - pre_pad + 1:
            rows[c, c + pre_pad - 1] += 1
        if c > pre_pad:
            rows[c, c - pre_pad] -= 1
    return rows


class RMSNorm(Module):
    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        check_cpu(device)
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dt = float32 if dtype is None else canonical_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, dt))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
