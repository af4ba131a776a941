"""GINConv, GINEConv and GraphConv with PyTorch Geometric's signatures and parameter names.

Messages flow edge_index[0] -> edge_index[1]; every neighbourhood sum is one SpMM over the graph's CSR
(or, for per-edge messages, one segment sum by target), with gradients.
"""
import numpy as np

from ...nn.module import Module
from ...nn.parameter import Parameter
from ...nn.linear import Linear
from ...nn import functional as F
from ..._checks import positive_int
from ...nn.graph_common import node_features, edges, optional_bias
from ...autograd.tensor import Tensor, _wrap
from ...autograd.native.graph import SpMMFn, SpMaxFn
from ...graph.csr import GraphCSR
from ...graph.utils import _edge_weight
from ..utils._scatter import scatter


def _aggregate(x, graph, aggr, values=None):
    if aggr == "max":
        if values is not None:
            raise ValueError("edge_weight needs aggr 'add' or 'mean'")
        return SpMaxFn.apply(x, graph)
    return SpMMFn.apply(values, x, graph, "mean" if aggr == "mean" else "sum")


class _GINBase(Module):
    """What GIN and GINE share: the network `nn` and eps, a Parameter when train_eps else a buffer."""

    def __init__(self, nn, eps, train_eps):
        super().__init__()
        self.nn = nn
        self.initial_eps = float(eps)
        if train_eps:
            self.eps = Parameter(np.array([eps], np.float32))
        else:
            self.register_buffer("eps", Tensor(np.array([eps], np.float32)))

    def reset_parameters(self):
        if hasattr(self.nn, "reset_parameters"):
            self.nn.reset_parameters()
        if getattr(self, "lin", None) is not None:
            self.lin.reset_parameters()
        self.eps._data[...] = self.initial_eps

    def extra_repr(self):
        return f"nn={self.nn}"


class GINConv(_GINBase):
    """GINConv(nn, eps=0.0, train_eps=False): x'_i = nn((1 + eps) x_i + sum over j -> i of x_j) (Xu et al.)."""

    def __init__(self, nn, eps=0.0, train_eps=False):
        if not callable(nn):
            raise TypeError(f"GINConv: nn must be a Module (or callable), got {type(nn).__name__}")
        super().__init__(nn, eps, train_eps)

    def forward(self, x, edge_index, size=None):
        node_features(x, "GINConv")
        a = edges(edge_index, x.shape[0])
        graph = GraphCSR.from_edges(a[0], a[1], x.shape[0])
        out = SpMMFn.apply(None, x, graph, "sum") + (1 + self.eps.to(x.dtype)) * x
        return self.nn(out)


class GINEConv(_GINBase):
    """GINEConv(nn, eps=0.0, train_eps=False, edge_dim=None): GIN with edge features,
    x'_i = nn((1 + eps) x_i + sum over j -> i of ReLU(x_j + e_ji)); `edge_dim` maps e to x's width
    with a Linear `lin` first (Hu et al.)."""

    def __init__(self, nn, eps=0.0, train_eps=False, edge_dim=None):
        super().__init__(nn, eps, train_eps)
        if edge_dim is not None:
            first = getattr(nn, "in_features", None) or getattr(nn, "in_channels", None)
            if first is None and hasattr(nn, "__getitem__"):
                first = getattr(nn[0], "in_features", None) or getattr(nn[0], "in_channels", None)
            if first is None:
                raise ValueError("GINEConv: could not infer the input width of nn for edge_dim")
            self.lin = Linear(positive_int(edge_dim, "edge_dim"), first)
        else:
            self.lin = None

    def forward(self, x, edge_index, edge_attr=None, size=None):
        node_features(x, "GINEConv")
        if edge_attr is None:
            raise ValueError("GINEConv needs edge_attr")
        a = edges(edge_index, x.shape[0])
        if self.lin is not None:
            edge_attr = self.lin(edge_attr)
        if edge_attr.shape != (a.shape[1], x.shape[1]):
            raise ValueError(f"GINEConv: edge_attr must have shape ({a.shape[1]}, {x.shape[1]}) (edge_dim maps "
                             f"other widths), got {tuple(edge_attr.shape)}")
        messages = F.relu(x.index_select(0, _wrap(a[0])) + edge_attr)
        out = scatter(messages, a[1], 0, x.shape[0], "sum") + (1 + self.eps.to(x.dtype)) * x
        return self.nn(out)


class GraphConv(Module):
    """GraphConv(in_channels, out_channels, aggr='add', bias=True) (Morris et al.):
    x'_i = lin_rel(aggregate over j -> i of e_ji x_j) + lin_root(x_i); lin_rel carries the bias."""

    def __init__(self, in_channels, out_channels, aggr="add", bias=True):
        super().__init__()
        if aggr not in ("add", "sum", "mean", "max"):
            raise ValueError(f"aggr must be 'add', 'mean' or 'max', got {aggr!r}")
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.aggr = "add" if aggr == "sum" else aggr
        self.lin_rel = Linear(in_channels, out_channels, bias=bias)
        self.lin_root = Linear(in_channels, out_channels, bias=False)

    def forward(self, x, edge_index, edge_weight=None, size=None):
        node_features(x, "GraphConv")
        a = edges(edge_index, x.shape[0])
        graph = GraphCSR.from_edges(a[0], a[1], x.shape[0])
        values = None
        if _edge_weight(edge_weight, a.shape[1]) is not None:
            w = edge_weight if isinstance(edge_weight, Tensor) else _wrap(edge_weight)
            values = w.to(x.dtype).index_select(0, _wrap(graph.perm))
        return self.lin_rel(_aggregate(x, graph, self.aggr, values)) + self.lin_root(x)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}"


def aggregate_with_root(layer, messages, targets, x):
    """The end of an edge-conditioned layer (NNConv, SplineConv): the messages aggregated at their targets
    by layer.aggr, plus lin(x) with root_weight, plus the bias."""
    out = scatter(messages, targets, 0, x.shape[0], "sum" if layer.aggr in ("add", "sum") else layer.aggr)
    if layer.root_weight:
        out = out + layer.lin(x)
    return out + layer.bias if layer.bias is not None else out


class NNConv(Module):
    """NNConv(in_channels, out_channels, nn, aggr='add', root_weight=True, bias=True) (Gilmer et al.'s
    edge-conditioned convolution): x'_i = lin(x_i) + aggregate over j -> i of x_j @ nn(e_ji) + bias, where
    nn maps each edge's features to an (in_channels x out_channels) matrix (flattened)."""

    def __init__(self, in_channels, out_channels, nn, aggr="add", root_weight=True, bias=True):
        super().__init__()
        if aggr not in ("add", "sum", "mean", "max"):
            raise ValueError(f"aggr must be 'add', 'mean' or 'max', got {aggr!r}")
        if not callable(nn):
            raise TypeError(f"NNConv: nn must be a Module (or callable), got {type(nn).__name__}")
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.nn, self.aggr, self.root_weight = nn, aggr, bool(root_weight)
        if root_weight:
            self.lin = Linear(in_channels, out_channels, bias=False)
        optional_bias(self, bias, out_channels)

    def forward(self, x, edge_index, edge_attr=None, size=None):
        node_features(x, "NNConv")
        if edge_attr is None:
            raise ValueError("NNConv needs edge_attr")
        a = edges(edge_index, x.shape[0])
        weight = self.nn(edge_attr).view(-1, self.in_channels, self.out_channels)
        if weight.shape[0] != a.shape[1]:
            raise ValueError(f"NNConv: edge_attr has {weight.shape[0]} rows for {a.shape[1]} edges")
        messages = (x.index_select(0, _wrap(a[0])).unsqueeze(1) @ weight).squeeze(1)
        return aggregate_with_root(self, messages, a[1], x)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, aggr={self.aggr}, nn={self.nn}"
