"""GCNConv (Kipf & Welling): x' = D^-1/2 (A + I) D^-1/2 x W + b, with PyTorch Geometric's API."""
import numpy as np

from .module import Module
from .linear import Linear
from .._checks import positive_int
from .graph_common import glorot_, node_features, edges, adjacency_edges, optional_bias
from ..autograd.tensor import Tensor, _wrap
from ..autograd.ops._util import arr
from ..autograd.ops.shape import cat
from ..autograd.native.graph import SpMMFn, GCNNormFn
from ..graph.csr import GraphCSR
from ..graph import structure
from ..graph.utils import _edge_weight


class GCNConv(Module):
    """forward(x, edge_index, edge_weight=None): messages flow edge_index[0] -> edge_index[1]. edge_index may
    also be a sparse adjacency adj_t (transforms.ToSparseTensor: row i lists node i's incoming edges),
    whose values are the edge weights. Self loops are added as for an edge_index (one per node, an
    existing loop keeping its weight); PyG adds a second loop to such nodes of a sparse adjacency.

    Parameters as PyG: `lin.weight` (out, in), glorot-initialised, and `bias` (out,), zeros.
    `improved=True` gives added self loops weight 2. `add_self_loops` defaults to `normalize`;
    self loops are only added with the normalisation (as PyG, which refuses the other combination).
    `edge_weight` may require grad: its gradient flows through the self loops and the normalisation.

    `cached=True` keeps the normalised graph between calls, for a fixed graph (transductive
    learning). Unlike PyG, which reuses the first graph whatever it is given later, the cache is
    keyed by the identity of the edge_index (and edge_weight) arrays and the node count: another
    graph is normalised and cached in its place. Changing the cached edge_index array in place is
    not detected. A learnable edge_weight keeps only the structure cached and is normalised on
    every call, so its gradient stays correct.
    """

    def __init__(self, in_channels, out_channels, improved=False, cached=False, add_self_loops=None,
                 normalize=True, bias=True):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.improved, self.cached, self.normalize = bool(improved), bool(cached), bool(normalize)
        self.add_self_loops = self.normalize if add_self_loops is None else bool(add_self_loops)
        if self.add_self_loops and not self.normalize:
            raise ValueError("GCNConv: add_self_loops=True needs normalize=True (self loops are added by the "
                             "on-the-fly normalisation, as in PyG)")
        self.lin = Linear(in_channels, out_channels, bias=False)
        optional_bias(self, bias, out_channels)
        self.reset_parameters()

    def reset_parameters(self):
        glorot_(self.lin.weight)
        if self.bias is not None:
            self.bias._data[...] = 0
        self._cache = None

    def _structure(self, edge_index, n):
        """The GraphCSR (with self loops when configured) and, per CSR entry, the position of its
        value in edge_weight extended by one fill entry (index E)."""
        a = edges(edge_index, n)
        if not (self.normalize and self.add_self_loops):
            graph = GraphCSR.from_edges(a[0], a[1], n)
            return graph, graph.perm
        src, dst, origin = structure.remaining_self_loops(a[0], a[1], n)
        graph = GraphCSR.from_edges(src, dst, n)
        source = origin[graph.perm]
        source[source < 0] = a.shape[1]
        return graph, source

    def _values(self, graph, source, edge_weight, num_edges, dtype):
        """The edge values in CSR order (None: all ones and no normalisation), differentiable in edge_weight."""
        w = _edge_weight(edge_weight, num_edges)
        if w is None and not self.normalize:
            return None
        fill = 2.0 if self.improved else 1.0
        if w is None:  # PyG: missing weights are ones, so existing self loops keep 1 even when improved
            ext = np.concatenate([np.ones(num_edges, dtype), np.full(1, fill, dtype)])
            values = _wrap(ext[source])
        else:
            w = edge_weight if isinstance(edge_weight, Tensor) else _wrap(w)
            w = w.to(dtype) if w.dtype != dtype else w
            if source is graph.perm:  # no self loops added: a permutation into CSR order
                values = w[_wrap(source)]
            else:
                values = cat([w, _wrap(np.full(1, fill, dtype))])[_wrap(source)]
        return GCNNormFn.apply(values, graph) if self.normalize else values

    def _graph(self, x, edge_index, edge_weight):
        n, dtype = x.shape[0], x.dtype
        key = (arr(edge_index), arr(edge_weight), n, dtype)
        cache = self._cache if self.cached else None
        if cache is not None and _same_key(cache[0], key):
            graph, source, values = cache[1]
        else:
            graph, source = self._structure(edge_index, n)
            values = None
        num_edges = key[0].shape[1]  # _structure checked it (or it is the array checked when cached)
        learnable = isinstance(edge_weight, Tensor) and edge_weight.requires_grad
        if values is None or learnable:
            values = self._values(graph, source, edge_weight, num_edges, dtype)
        if self.cached:
            self._cache = (key, (graph, source, None if learnable or values is None else values.detach()))
        return graph, values

    def forward(self, x, edge_index, edge_weight=None):
        node_features(x, "GCNConv")
        edge_index, adj_values = adjacency_edges(edge_index, x.shape[0], "GCNConv", weighted=True)
        if adj_values is not None:
            if edge_weight is not None:
                raise ValueError("GCNConv: pass edge weights as the values of the sparse adjacency, not edge_weight")
            edge_weight = adj_values
        graph, values = self._graph(x, edge_index, edge_weight)
        out = SpMMFn.apply(values, self.lin(x), graph, "sum")
        return out + self.bias if self.bias is not None else out

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"


def _same_key(a, b):
    """The same edge_index and edge_weight arrays (by identity: the cache keeps them alive), nodes and dtype."""
    return a[0] is b[0] and a[1] is b[1] and a[2] == b[2] and a[3] == b[3]
