"""SplineConv (Fey et al., SplineCNN): messages x_j W(u_ji) whose weight is a B-spline (degree 1) of the
edge's pseudo-coordinates u in [0, 1]^dim, over a grid of kernel_size^dim weight matrices."""
import math

import numpy as np

from ...nn.module import Module
from ...nn.parameter import Parameter
from ...nn.linear import Linear
from ..._checks import positive_int
from ...nn.graph_common import node_features, edges, optional_bias
from .conv import aggregate_with_root
from ...autograd.tensor import Tensor, _wrap


def spline_basis(pseudo, kernel_size, is_open_spline, degree=1):
    """(basis (E, 2^dim), weight_index (E, 2^dim)): the linear B-spline weights of each edge's 2^dim
    neighbouring grid points and their flat indices into the kernel_size^dim grid."""
    if degree != 1:
        raise NotImplementedError("spline_basis: only degree 1 (linear B-splines) is provided")
    u = np.asarray(pseudo, np.float64)
    u = u.reshape(-1, 1) if u.ndim == 1 else u
    E, dim = u.shape
    S = 2 ** dim
    basis, index = np.ones((E, S)), np.zeros((E, S), np.int64)
    stride = 1
    for d in range(dim):
        v = u[:, d] * (kernel_size[d] - degree * int(is_open_spline[d]))
        low = np.floor(v)
        frac = v - low
        for s in range(S):
            k_mod = (s >> d) & 1
            basis[:, s] *= frac if k_mod else 1 - frac
            index[:, s] += ((low.astype(np.int64) + k_mod) % kernel_size[d]) * stride
        stride *= kernel_size[d]
    return basis, index


class SplineConv(Module):
    """SplineConv(in_channels, out_channels, dim, kernel_size, is_open_spline=True, degree=1, aggr='mean',
    root_weight=True, bias=True): forward(x, edge_index, edge_attr) with edge_attr (E, dim) in [0, 1]."""

    def __init__(self, in_channels, out_channels, dim, kernel_size, is_open_spline=True, degree=1, aggr="mean",
                 root_weight=True, bias=True):
        super().__init__()
        if degree != 1:
            raise NotImplementedError("SplineConv: only degree=1 is provided")
        if aggr not in ("add", "sum", "mean", "max"):
            raise ValueError(f"aggr must be 'add', 'mean' or 'max', got {aggr!r}")
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.dim, self.degree, self.aggr, self.root_weight = positive_int(dim, "dim"), 1, aggr, bool(root_weight)
        sizes = [kernel_size] * dim if isinstance(kernel_size, int) else list(kernel_size)
        opens = [is_open_spline] * dim if isinstance(is_open_spline, bool) else list(is_open_spline)
        if len(sizes) != dim or len(opens) != dim:
            raise ValueError(f"kernel_size and is_open_spline need one entry per dimension ({dim})")
        self.register_buffer("kernel_size", Tensor(np.array(sizes, np.int64)))
        self.register_buffer("is_open_spline", Tensor(np.array(opens, np.uint8)))
        self.K = int(np.prod(sizes))
        self.weight = Parameter(np.empty((self.K, in_channels, out_channels), np.float32))
        if root_weight:
            self.lin = Linear(in_channels, out_channels, bias=False)
        optional_bias(self, bias, out_channels)
        self.reset_parameters()

    def reset_parameters(self):
        from ...autograd.random import generator
        bound = 1.0 / math.sqrt(self.K * self.in_channels)  # PyG's uniform(size = K * in_channels)
        self.weight._data[...] = generator().uniform(-bound, bound, self.weight.shape)
        if self.root_weight:
            bound = 1.0 / math.sqrt(self.in_channels)
            self.lin.weight._data[...] = generator().uniform(-bound, bound, self.lin.weight.shape)
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, x, edge_index, edge_attr=None, size=None):
        node_features(x, "SplineConv")
        if edge_attr is None:
            raise ValueError("SplineConv needs edge_attr (pseudo-coordinates in [0, 1])")
        a = edges(edge_index, x.shape[0])
        pseudo = edge_attr.detach().numpy()
        pseudo = pseudo.reshape(-1, 1) if pseudo.ndim == 1 else pseudo
        if pseudo.shape != (a.shape[1], self.dim):
            raise ValueError(f"SplineConv: edge_attr must have shape ({a.shape[1]}, {self.dim}), got {pseudo.shape}")
        basis, index = spline_basis(pseudo, self.kernel_size.numpy(), self.is_open_spline.numpy(), 1)
        E, S = basis.shape
        # every source row times all K kernels once: (E, K * out), then each edge's 2^dim picks, weighted
        xw = x.index_select(0, _wrap(a[0])) @ self.weight.permute(1, 0, 2).reshape(self.in_channels, -1)
        picks = xw.reshape(E * self.K, self.out_channels).index_select(
            0, _wrap((np.arange(E)[:, None] * self.K + index).reshape(-1)))
        messages = (picks.reshape(E, S, self.out_channels) * _wrap(basis.astype(x.dtype)).unsqueeze(-1)).sum(1)
        return aggregate_with_root(self, messages, a[1], x)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, dim={self.dim}"
