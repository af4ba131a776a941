"""edge_index helpers with PyTorch Geometric's names and semantics: messages flow edge_index[0] -> edge_index[1]."""
import numpy as np

from ..autograd.tensor import _wrap
from ..autograd.ops._util import arr as _array
from .csr import GraphCSR
from . import structure


def check_edge_index(edge_index, num_nodes=None, name="edge_index"):
    """The (2, E) int64 array of a valid edge_index; num_nodes bounds the node ids when given."""
    a = _array(edge_index)
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a (2, E) int64 tensor, got {type(edge_index).__name__}")
    if a.dtype != np.int64:
        raise TypeError(f"{name} must be int64 (long), got {a.dtype}")
    if a.ndim != 2 or a.shape[0] != 2:
        raise ValueError(f"{name} must have shape (2, E), got {tuple(a.shape)}")
    if a.size:
        low, high = int(a.min()), int(a.max())
        if low < 0:
            raise IndexError(f"{name} holds a negative node id ({low})")
        if num_nodes is not None and high >= num_nodes:
            raise IndexError(f"{name} holds node id {high}, but the graph has {num_nodes} nodes "
                             f"(the feature matrix's rows)")
    return np.ascontiguousarray(a)


def num_nodes_of(edge_index, num_nodes=None):
    a = _array(edge_index)
    return int(num_nodes) if num_nodes is not None else (int(a.max()) + 1 if a.size else 0)


def _edge_weight(edge_weight, num_edges, name="edge_weight"):
    if edge_weight is None:
        return None
    w = _array(edge_weight)
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating point tensor")
    if w.shape != (num_edges,):
        raise ValueError(f"{name} must have shape ({num_edges},), got {tuple(w.shape)}")
    return w


def remove_self_loops(edge_index, edge_attr=None):
    a = check_edge_index(edge_index)
    keep = a[0] != a[1]
    w = _array(edge_attr)
    return _wrap(a[:, keep]), (None if w is None else _wrap(w[keep]))


def add_self_loops(edge_index, edge_attr=None, fill_value=1.0, num_nodes=None):
    """Append one self loop per node (existing loops stay), as PyG's add_self_loops."""
    a = check_edge_index(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    loops = np.arange(n, dtype=np.int64)
    out = np.concatenate([a, np.stack([loops, loops])], axis=1)
    w = _edge_weight(edge_attr, a.shape[1], "edge_attr")
    if w is None:
        return _wrap(out), None
    return _wrap(out), _wrap(np.concatenate([w, np.full(n, fill_value, w.dtype)]))


def add_remaining_self_loops(edge_index, edge_attr=None, fill_value=1.0, num_nodes=None):
    """One self loop per node; an existing loop keeps its weight (PyG's add_remaining_self_loops)."""
    a = check_edge_index(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    w = _edge_weight(edge_attr, a.shape[1], "edge_attr")
    src, dst, w = structure.add_remaining_self_loops(a[0], a[1], n, None if w is None else np.ascontiguousarray(w),
                                                    fill_value)
    return _wrap(np.stack([src, dst])), (None if w is None else _wrap(w))


def degree(index, num_nodes=None, dtype=None):
    """How often each node id occurs in index (1-D int64): in-degree for edge_index[1]."""
    from ..autograd.dtypes import canonical_dtype, float32
    idx = _array(index)
    if not isinstance(idx, np.ndarray) or idx.dtype != np.int64 or idx.ndim != 1:
        raise TypeError("index must be a 1-D int64 tensor")
    n = num_nodes_of(idx[None], num_nodes)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"index holds node ids outside [0, {n})")
    return _wrap(np.bincount(idx, minlength=n).astype(float32 if dtype is None else canonical_dtype(dtype)))


def to_csr(edge_index, num_nodes=None):
    """The GraphCSR (rows by target) of an edge_index."""
    a = check_edge_index(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    return GraphCSR.from_edges(a[0], a[1], n)
