"""Sparse CSR matrices as in PyTorch: fastnn.sparse_csr_tensor(...) and fastnn.sparse.mm(A, X).

A SparseCSRTensor holds its structure as a GraphCSR (rows, columns), so the transposed structure
that the gradient of X needs is built once and kept with the matrix. Gradients flow to X and to
the values (when they require grad).
"""
import numpy as np

from .autograd.tensor import Tensor, _wrap
from .autograd.dtypes import as_supported_array
from .autograd.native.graph import SpMMFn
from .graph.csr import GraphCSR


class SparseCSRTensor:
    layout = "sparse_csr"
    is_sparse, is_sparse_csr = False, True  # as PyTorch: is_sparse means the COO layout

    def __init__(self, crow_indices, col_indices, values, size):
        self._graph = GraphCSR(crow_indices, col_indices, np.arange(len(col_indices), dtype=np.int64), *size)
        self._values = values
        self._edges = None

    @property
    def shape(self):
        return (self._graph.num_rows, self._graph.num_cols)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def requires_grad(self):
        return self._values.requires_grad

    def crow_indices(self):
        return _wrap(self._graph.indptr)

    def col_indices(self):
        return _wrap(self._graph.indices)

    def values(self):
        return self._values

    def _nnz(self):
        return self._graph.num_edges

    def to_dense(self):
        dense = np.zeros(self.shape, self.dtype)
        np.add.at(dense, (self._graph.rows(), self._graph.indices), self._values._data)
        return _wrap(dense)

    def _pyg_edges(self):
        """(edge_index, values) of this matrix read as PyG's adj_t (row i lists node i's incoming edges):
        edge_index (2, nnz) holds (column, row) = (source, target) per entry; built once, so a layer that
        caches by graph identity sees the same edge_index object on every call."""
        if self._edges is None:
            self._edges = _wrap(np.stack([self._graph.indices, self._graph.rows()]))
        return self._edges, self._values

    def __matmul__(self, other):
        return mm(self, other)

    def __repr__(self):
        return f"SparseCSRTensor(size={self.shape}, nnz={self._nnz()}, dtype={self.dtype})"


def _index_array(a, name):
    a = a._data if isinstance(a, Tensor) else np.asarray(a)
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise TypeError(f"{name} must be a 1-D integer tensor, got {a.dtype} of shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.int64)


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, dtype=None, device=None, requires_grad=False):
    """A (rows, cols) CSR matrix: row i's entries are col_indices/values[crow_indices[i]:crow_indices[i+1]]."""
    from .device import check_cpu
    check_cpu(device)
    crow, col = _index_array(crow_indices, "crow_indices"), _index_array(col_indices, "col_indices")
    if not isinstance(values, Tensor):
        values = _wrap(as_supported_array(values, dtype))
    elif dtype is not None:
        values = values.to(dtype)
    if values.ndim != 1 or values.shape[0] != len(col):
        raise ValueError(f"values must have shape ({len(col)},) like col_indices, got {tuple(values.shape)}")
    if values.dtype.kind != "f":
        raise TypeError(f"values must be floating point, got {values.dtype}")
    if len(crow) < 1 or crow[0] != 0 or crow[-1] != len(col) or (np.diff(crow) < 0).any():
        raise ValueError("crow_indices must rise from 0 to the number of values")
    rows = len(crow) - 1
    cols = int(col.max()) + 1 if len(col) else 0
    if size is not None:
        if len(size) != 2 or size[0] != rows or size[1] < cols:
            raise ValueError(f"size {tuple(size)} does not fit crow_indices ({rows} rows) and col_indices "
                             f"(largest column {cols - 1})")
        cols = int(size[1])
    if col.size and col.min() < 0:
        raise IndexError("col_indices holds a negative column")
    if requires_grad:
        values.requires_grad_(True)
    return SparseCSRTensor(crow, col, values, (rows, cols))


def mm(mat1, mat2):
    """mat1 (sparse CSR, n x m) @ mat2 (dense, m x k): a dense (n x k) tensor; gradients to mat2 and mat1's values.

    The matrix's structure was checked when it was built (it is immutable), so a call checks only mat2."""
    if not isinstance(mat1, SparseCSRTensor):
        from .sparse_coo import SparseCOOTensor
        if not isinstance(mat1, SparseCOOTensor):
            from .autograd.ops import mm as dense_mm
            return dense_mm(mat1, mat2)
        mat1 = mat1.to_sparse_csr()
    data = mat2._data if isinstance(mat2, Tensor) else None
    if data is None or data.ndim != 2:
        raise TypeError("mat2 must be a 2-D dense Tensor")
    graph, values = mat1._graph, mat1._values
    if data.shape[0] != graph.num_cols:
        raise ValueError(f"mat1 {mat1.shape} and mat2 {tuple(data.shape)} cannot be multiplied")
    if data.dtype != values._data.dtype:
        raise TypeError(f"mat1 ({values.dtype}) and mat2 ({mat2.dtype}) must have the same dtype")
    return SpMMFn.apply(values, mat2, graph, "sum")
