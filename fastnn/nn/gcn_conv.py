"""GCNConv (Kipf & Welling): x' = D^-1/2 (A + I) D^-1/2 x W + b, with PyTorch Geometric's API."""
import numpy as np

from .module import Module
from .parameter import Parameter
from .linear import Linear
from .graph_common import glorot_, positive_int, node_features, edges
from ..autograd.tensor import Tensor
from ..autograd.native.graph import SpMMFn, add_remaining_self_loops, gcn_norm_csr
from ..graph.csr import GraphCSR
from ..graph.utils import _edge_weight


class GCNConv(Module):
    """forward(x, edge_index, edge_weight=None): messages flow edge_index[0] -> edge_index[1].

    Parameters as PyG: `lin.weight` (out, in), glorot-initialised, and `bias` (out,), zeros.
    `improved=True` gives self loops weight 2; `cached=True` keeps the normalised graph of the
    first call (for a fixed graph, as in transductive learning).
    """

    def __init__(self, in_channels, out_channels, improved=False, cached=False, add_self_loops=True,
                 normalize=True, bias=True):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.improved, self.cached = bool(improved), bool(cached)
        self.add_self_loops, self.normalize = bool(add_self_loops), bool(normalize)
        self.lin = Linear(in_channels, out_channels, bias=False)
        self.bias = Parameter(np.zeros(out_channels, np.float32)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self._cache = None
        self.reset_parameters()

    def reset_parameters(self):
        glorot_(self.lin.weight)
        if self.bias is not None:
            self.bias._data[...] = 0
        self._cache = None

    def _graph(self, edge_index, edge_weight, n, dtype):
        """The graph in CSR order and its edge values (normalised, with self loops, as configured)."""
        a = edges(edge_index, n)
        w = _edge_weight(edge_weight, a.shape[1])
        src, dst = a[0], a[1]
        if self.add_self_loops:
            w = np.ones(a.shape[1], dtype) if w is None else w
            src, dst, w = add_remaining_self_loops(src, dst, n, w.astype(dtype), 2.0 if self.improved else 1.0)
        graph = GraphCSR.from_edges(src, dst, n)
        values = None if w is None else w.astype(dtype)[graph.perm]
        if self.normalize:
            values = gcn_norm_csr(graph.indptr, graph.indices,
                                  np.ones(graph.num_edges, dtype) if values is None else values)[0]
        return graph, values

    def forward(self, x, edge_index, edge_weight=None):
        node_features(x, "GCNConv")
        if self.cached and self._cache is not None:
            graph, values = self._cache
        else:
            graph, values = self._graph(edge_index, edge_weight, x.shape[0], x.dtype)
            if self.cached:
                self._cache = (graph, values)
        h = self.lin(x)
        out = SpMMFn.apply(None if values is None else Tensor(values), h, graph, "sum")
        return out + self.bias if self.bias is not None else out

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"
