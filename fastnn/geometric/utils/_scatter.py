"""scatter and softmax by segment, on the graph family's aggregation kernels.

The groups of `index` are a CSR structure (rows = groups, columns = positions), so a scatter is one
SpMM (sum, mean) or one max aggregation over it, and a grouped softmax is the segment softmax of
graph attention: one native call per direction, with gradients.
"""
import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd.native.graph import SpMMFn, SpMaxFn, SegmentSoftmaxFn
from ...graph import structure
from ...graph.csr import GraphCSR

REDUCTIONS = ("sum", "add", "mean", "min", "max", "amin", "amax")


def _index_array(index, name="index"):
    a = index._data if isinstance(index, Tensor) else index
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer tensor, got {type(index).__name__}")
    return np.ascontiguousarray(a, dtype=np.int64)


def group_graph(index, dim_size=None):
    """The GraphCSR grouping positions 0..N-1 by index[position] (rows: groups 0..dim_size-1)."""
    idx = _index_array(index)
    if idx.ndim != 1:
        raise ValueError(f"index must be 1-D, got shape {idx.shape}")
    if idx.size and idx.min() < 0:
        raise IndexError(f"index holds a negative group ({idx.min()})")
    n = len(idx)
    size = (int(idx.max()) + 1 if n else 0) if dim_size is None else int(dim_size)
    if n and idx.max() >= size:
        raise IndexError(f"index holds group {idx.max()}, but dim_size is {size}")
    indptr, indices, perm = structure.edges_to_csr(np.arange(n, dtype=np.int64), idx, max(n, size))
    return GraphCSR(indptr[:size + 1], indices, perm, size, n)


def _to_rows(src, dim):
    """src with `dim` moved first and flattened to (N, rest), and how to undo it."""
    if not isinstance(src, Tensor):
        raise TypeError(f"src must be a Tensor, got {type(src).__name__}")
    d = dim % src.ndim if src.ndim else 0
    moved = src.transpose(0, d) if d else src
    shape = moved.shape
    return moved.reshape(shape[0], -1), shape, d


def _from_rows(out, shape, d, size):
    out = out.reshape(size, *shape[1:])
    return out.transpose(0, d) if d else out


def scatter(src, index, dim=0, dim_size=None, reduce="sum"):
    """Reduce the slices of src along `dim` into the groups given by index (1-D, one group per slice):
    'sum'/'add', 'mean', 'max'/'amax', 'min'/'amin'. Empty groups give 0, as PyG."""
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    rows, shape, d = _to_rows(src, dim)
    idx = _index_array(index)
    if idx.ndim != 1 or len(idx) != rows.shape[0]:
        raise ValueError(f"index must be 1-D with one entry per slice of src along dim {dim} "
                         f"({rows.shape[0]}), got shape {idx.shape}")
    graph = group_graph(idx, dim_size)
    if rows.dtype.kind != "f":
        if reduce == "mean":  # as PyG: the mean of integers is a float
            rows = rows.float()
        else:
            return _from_rows(_integer_scatter(rows._data, idx, graph.num_rows, reduce), shape, d, graph.num_rows)
    if reduce in ("sum", "add", "mean"):
        out = SpMMFn.apply(None, rows, graph, "mean" if reduce == "mean" else "sum")
    elif reduce in ("max", "amax"):
        out = SpMaxFn.apply(rows, graph)
    else:
        out = -SpMaxFn.apply(-rows, graph)
    return _from_rows(out, shape, d, graph.num_rows)


def _integer_scatter(rows, idx, size, reduce):
    """Integer (or bool) sums, maxima and minima by group with NumPy: no gradients to carry; empty groups 0."""
    rows = rows.astype(np.int64) if rows.dtype == bool else rows
    if reduce in ("sum", "add"):
        out = np.zeros((size, rows.shape[1]), rows.dtype)
        np.add.at(out, idx, rows)
        return _wrap(out)
    info = np.iinfo(rows.dtype)
    out = np.full((size, rows.shape[1]), info.min if reduce in ("max", "amax") else info.max, rows.dtype)
    (np.maximum if reduce in ("max", "amax") else np.minimum).at(out, idx, rows)
    out[np.bincount(idx, minlength=size) == 0] = 0
    return _wrap(out)


def softmax(src, index=None, ptr=None, num_nodes=None, dim=0):
    """Softmax of src within each group of `index` (or of the CSR `ptr`) along `dim`, as PyG's softmax."""
    if (index is None) == (ptr is None):
        raise ValueError("softmax needs exactly one of index and ptr")
    if ptr is not None:
        p = _index_array(ptr, "ptr")
        if p.ndim != 1 or len(p) < 1 or p[0] != 0 or (np.diff(p) < 0).any():
            raise ValueError("ptr must rise from 0")
        index = np.repeat(np.arange(len(p) - 1, dtype=np.int64), np.diff(p))
    rows, shape, d = _to_rows(src, dim)
    graph = group_graph(index, num_nodes)
    if graph.num_edges != rows.shape[0]:
        raise ValueError(f"index must have one entry per slice of src along dim {dim} ({rows.shape[0]})")
    alpha = SegmentSoftmaxFn.apply(rows.index_select(0, _wrap(graph.perm)), graph)
    return _from_rows(alpha.index_select(0, _wrap(graph.inverse_perm())), shape, d, rows.shape[0])
