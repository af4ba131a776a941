"""SAGEConv (GraphSAGE): x'_i = lin_l(aggregate over j -> i of x_j) + lin_r(x_i), with PyG's API."""
from .module import Module
from .linear import Linear
from .._checks import positive_int
from .graph_common import node_features, edges, adjacency_edges
from ..autograd.native.graph import SpMMFn, SpMaxFn
from ..graph.csr import GraphCSR


class SAGEConv(Module):
    """forward(x, edge_index); `aggr` is "mean" (PyG's default), "sum" or "max". edge_index may also be a
    sparse adjacency adj_t of ones (transforms.ToSparseTensor).

    Parameters as PyG: `lin_l` (with bias) on the aggregated neighbours and `lin_r` (no bias) on
    the node itself when `root_weight`; `normalize=True` L2-normalises the output rows.
    """

    def __init__(self, in_channels, out_channels, aggr="mean", normalize=False, root_weight=True, bias=True):
        super().__init__()
        if aggr not in ("mean", "sum", "add", "max"):
            raise ValueError(f"aggr must be 'mean', 'sum' or 'max', got {aggr!r}")
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.aggr = "sum" if aggr == "add" else aggr
        self.normalize, self.root_weight = bool(normalize), bool(root_weight)
        self.lin_l = Linear(in_channels, out_channels, bias=bias)
        if root_weight:
            self.lin_r = Linear(in_channels, out_channels, bias=False)

    def forward(self, x, edge_index):
        node_features(x, "SAGEConv")
        edge_index, _ = adjacency_edges(edge_index, x.shape[0], "SAGEConv")
        a = edges(edge_index, x.shape[0])
        graph = GraphCSR.from_edges(a[0], a[1], x.shape[0])
        agg = SpMaxFn.apply(x, graph) if self.aggr == "max" else SpMMFn.apply(None, x, graph, self.aggr)
        out = self.lin_l(agg)
        if self.root_weight:
            out = out + self.lin_r(x)
        if self.normalize:
            out = out / out.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        return out

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, aggr={self.aggr}"
