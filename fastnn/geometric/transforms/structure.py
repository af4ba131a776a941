"""Edge transforms: ToUndirected, AddSelfLoops, GCNNorm (and gcn_norm), ToDevice."""
import numpy as np

from ...autograd.tensor import _wrap
from ...autograd.ops.indexing import where
from ..utils import graph as gu
from ..utils._scatter import scatter
from .base import BaseTransform


def gcn_norm(edge_index, edge_weight=None, num_nodes=None, improved=False, add_self_loops=True,
             flow="source_to_target", dtype=None):
    """(edge_index, edge_weight) with remaining self loops (weight 2 when improved) and weights
    w / sqrt(deg(src) deg(dst)), deg the weighted in-degree: PyG's gcn_norm, differentiable in edge_weight."""
    if flow not in ("source_to_target", "target_to_source"):
        raise ValueError(f"flow must be 'source_to_target' or 'target_to_source', got {flow!r}")
    a = gu._ei(edge_index, num_nodes)
    n = gu.num_nodes_of(a, num_nodes)
    if edge_weight is None:
        edge_weight = _wrap(np.ones(a.shape[1], np.float32 if dtype is None else dtype))
    if add_self_loops:
        edge_index, edge_weight = gu.add_remaining_self_loops(_wrap(a), edge_weight, 2.0 if improved else 1.0, n)
        a = edge_index.numpy()
    else:
        edge_index = _wrap(a)
    row, col = a[0], a[1]
    idx = col if flow == "source_to_target" else row
    deg = scatter(edge_weight, idx, 0, n, "sum")
    positive = _wrap(deg.detach().numpy() > 0)  # isolated nodes weigh 0 (and pass no NaN gradient back)
    inv = where(positive, where(positive, deg, 1.0).pow(-0.5), 0.0)
    return edge_index, inv.index_select(0, _wrap(row)) * edge_weight * inv.index_select(0, _wrap(col))


class ToUndirected(BaseTransform):
    """ToUndirected(reduce='add', merge=True): add every edge's reverse; edge attributes follow, and
    duplicates are merged with `reduce`."""

    def __init__(self, reduce="add", merge=True):
        self.reduce, self.merge = reduce, merge

    def forward(self, data):
        if data.edge_index is None:
            return data
        keys = [k for k, _ in data if k != "edge_index" and data.is_edge_attr(k)]
        values = [data[k] for k in keys]
        ei, merged = gu.to_undirected(data.edge_index, values, data.num_nodes, self.reduce)
        data.edge_index = ei
        for key, value in zip(keys, merged):
            data[key] = value
        return data


class AddSelfLoops(BaseTransform):
    """AddSelfLoops(attr='edge_weight', fill_value=1.0): append one self loop per node."""

    def __init__(self, attr="edge_weight", fill_value=1.0):
        self.attr, self.fill_value = attr, fill_value

    def forward(self, data):
        data.edge_index, value = gu.add_self_loops(data.edge_index, data.get(self.attr), self.fill_value, data.num_nodes)
        if value is not None:
            data[self.attr] = value
        return data


class GCNNorm(BaseTransform):
    """GCNNorm(add_self_loops=True): replace edge_index/edge_weight by gcn_norm's."""

    def __init__(self, add_self_loops=True):
        self.add_self_loops = add_self_loops

    def forward(self, data):
        if data.edge_index is None:
            raise ValueError("GCNNorm needs data.edge_index")
        data.edge_index, data.edge_weight = gcn_norm(data.edge_index, data.edge_weight, data.num_nodes,
                                                     add_self_loops=self.add_self_loops)
        return data

    def __repr__(self):
        return f"GCNNorm(add_self_loops={self.add_self_loops})"


class ToDevice(BaseTransform):
    """ToDevice(device, attrs=None, non_blocking=False): fastnn runs on the CPU; other devices raise."""

    def __init__(self, device, attrs=None, non_blocking=False):
        from ...device import check_cpu
        check_cpu(device)
        self.device = device

    def forward(self, data):
        return data.to(self.device)




class ToSparseTensor(BaseTransform):
    """ToSparseTensor(attr='edge_weight', remove_edge_index=True, fill_cache=True, layout=None): data.adj_t,
    a fastnn.sparse_csr_tensor whose row i lists node i's incoming edges (values: data[attr], else ones;
    a repeated edge is one entry with the summed value), as PyG makes without torch_sparse. Edges (and
    edge attributes) are first sorted by target, then source;
    edge_index and attr are removed when remove_edge_index. The graph layers take adj_t for edge_index."""

    def __init__(self, attr="edge_weight", remove_edge_index=True, fill_cache=True, layout=None):
        if layout not in (None, "sparse_csr"):
            raise ValueError(f"ToSparseTensor: layout must be None or the CSR layout, got {layout!r}")
        self.attr, self.remove_edge_index = attr, bool(remove_edge_index)

    def forward(self, data):
        from ...sparse import sparse_csr_tensor
        a = gu._ei(data.edge_index, data.num_nodes)
        n = data.num_nodes
        order = np.argsort(a[1] * max(n, 1) + a[0], kind="stable")
        keys = [k for k, _ in data if k not in ("edge_index", "edge_label", "edge_label_index")
                and data.is_edge_attr(k)]
        for key in keys:
            data[key] = data[key].index_select(0, _wrap(order))
        src, dst = a[0][order], a[1][order]
        weight = data.get(self.attr) if self.attr is not None else None  # an edge attribute: sorted above
        if weight is not None and not data.is_edge_attr(self.attr):
            raise ValueError(f"ToSparseTensor: data.{self.attr} must hold one value per edge")
        values = weight if weight is not None else _wrap(np.ones(len(order), np.float32))
        # as PyG's CSR adjacency: a repeated edge is one entry holding the sum of its values
        first = np.ones(len(order), bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        if not first.all():
            values = scatter(values, np.cumsum(first) - 1, 0, int(first.sum()), "sum")
            src, dst = src[first], dst[first]
        crow = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))]).astype(np.int64)
        data.adj_t = sparse_csr_tensor(crow, src, values, size=(n, n))
        if self.remove_edge_index:
            data.edge_index = None
            if self.attr is not None:
                data[self.attr] = None
        else:
            data.edge_index = _wrap(np.stack([src, dst]))
        return data
