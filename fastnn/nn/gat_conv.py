"""GATConv (Velickovic et al.): attention over each node's incoming edges, with PyG's API."""
import numpy as np

from .module import Module
from .parameter import Parameter
from .linear import Linear
from . import functional as F
from .._checks import positive_int
from .graph_common import glorot_, node_features, edges, adjacency_edges, optional_bias
from ..autograd.tensor import _wrap
from ..autograd.native.graph import SpMMFn, SegmentSoftmaxFn
from ..graph.csr import GraphCSR
from ..graph import structure


class GATConv(Module):
    """forward(x, edge_index, return_attention_weights=None).

    With return_attention_weights=True, returns (out, (edge_index, alpha)) as PyG: the edges the layer
    attended over (the given ones without self loops, then one loop per node, when add_self_loops)
    and alpha (E, heads) in that order.

    e_ij = LeakyReLU(a_src . W x_j + a_dst . W x_i) for each edge j -> i, softmax over i's incoming
    edges per head, dropout on the coefficients, x'_i = sum_j alpha_ij W x_j; heads concatenated or
    averaged. Parameters as PyG: `lin.weight` (heads*out, in), `att_src`, `att_dst` (1, heads, out),
    glorot-initialised, and `bias`, zeros.
    """

    def __init__(self, in_channels, out_channels, heads=1, concat=True, negative_slope=0.2, dropout=0.0,
                 add_self_loops=True, bias=True):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.heads = positive_int(heads, "heads")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        self.concat, self.negative_slope, self.dropout = bool(concat), float(negative_slope), float(dropout)
        self.add_self_loops = bool(add_self_loops)
        self.lin = Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = Parameter(np.empty((1, heads, out_channels), np.float32))
        self.att_dst = Parameter(np.empty((1, heads, out_channels), np.float32))
        width = heads * out_channels if concat else out_channels
        optional_bias(self, bias, width)
        self.reset_parameters()

    def reset_parameters(self):
        glorot_(self.lin.weight)
        glorot_(self.att_src)
        glorot_(self.att_dst)
        if self.bias is not None:
            self.bias._data[...] = 0

    def forward(self, x, edge_index, return_attention_weights=None):
        node_features(x, "GATConv")
        n, H, C = x.shape[0], self.heads, self.out_channels
        edge_index, _ = adjacency_edges(edge_index, n, "GATConv")
        a = edges(edge_index, n)
        src, dst = a[0], a[1]
        if self.add_self_loops:  # PyG: drop existing self loops, then one per node
            src, dst, _ = structure.remaining_self_loops(src, dst, n)
        graph = GraphCSR.from_edges(src, dst, n)
        h = self.lin(x).view(n, H, C)
        score_src = (h * self.att_src).sum(-1)           # (n, H)
        score_dst = (h * self.att_dst).sum(-1)
        scores = score_src.index_select(0, _wrap(graph.indices)) + score_dst.index_select(0, _wrap(graph.rows()))
        alpha = SegmentSoftmaxFn.apply(F.leaky_relu(scores, self.negative_slope), graph)
        alpha = F.dropout(alpha, self.dropout, self.training)
        out = SpMMFn.apply(alpha, h.reshape(n, H * C), graph, "sum")
        out = out if self.concat else out.view(n, H, C).mean(1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:  # as PyG: in the order of the edges used (self loops appended), not CSR order
            return out, (_wrap(np.stack([src, dst])), alpha[_wrap(graph.inverse_perm())])
        return out

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, heads={self.heads}"
