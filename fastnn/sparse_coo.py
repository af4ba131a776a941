"""Sparse COO tensors as in PyTorch: fastnn.sparse_coo_tensor, Tensor.to_sparse, torch.spmm.

A SparseCOOTensor keeps PyTorch's (indices (2, nnz), values (nnz,)) view; products run on the CSR
kernels (fastnn.sparse), built from it once and kept. Gradients reach the dense operand and the
values (through the CSR order permutation, a differentiable gather).
"""
import numpy as np

from .autograd.tensor import Tensor, _wrap
from .autograd.dtypes import as_supported_array
from .device import check_cpu


class SparseCOOTensor:
    from .autograd.ops.tensor_methods import sparse_coo as layout
    is_sparse = True
    is_sparse_csr = False

    def __init__(self, indices, values, size, coalesced=False):
        self._indices, self._values, self._size = indices, values, tuple(size)
        self._coalesced = coalesced
        self._csr = None

    @property
    def shape(self):
        return self._size

    def size(self, dim=None):
        return self._size if dim is None else self._size[dim]

    def dim(self):
        return len(self._size)

    @property
    def ndim(self):
        return len(self._size)

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def device(self):
        from .device import CPU
        return CPU

    @property
    def requires_grad(self):
        return self._values.requires_grad

    def requires_grad_(self, flag=True):
        self._values.requires_grad_(flag)
        return self

    def indices(self):
        return _wrap(self._indices)

    _indices_ = indices

    def values(self):
        return self._values

    def _nnz(self):
        return self._indices.shape[1]

    def is_coalesced(self):
        return self._coalesced

    def coalesce(self):
        """Sorted, unique indices; duplicate entries summed (differentiably)."""
        if self._coalesced:
            return self
        flat = np.ravel_multi_index(self._indices, self._size) if self._indices.size else np.zeros(0, np.int64)
        uniq, inv = np.unique(flat, return_inverse=True)
        from .autograd.ops.scatter import index_add
        vals = index_add(_wrap(np.zeros((len(uniq),) + tuple(self._values.shape[1:]), self.dtype)), 0,
                         _wrap(inv.reshape(-1).astype(np.int64)), self._values)
        idx = np.stack(np.unravel_index(uniq, self._size)).astype(np.int64).reshape(len(self._size), -1)
        return SparseCOOTensor(idx, vals, self._size, coalesced=True)

    def to_dense(self):
        from .autograd.ops.tensor_methods import index_put
        return index_put(_wrap(np.zeros(self._size, self.dtype)), tuple(_wrap(i) for i in self._indices),
                         self._values, accumulate=True)

    def to_sparse_csr(self):
        if self._csr is None:
            from .sparse import sparse_csr_tensor
            if len(self._size) != 2:
                raise RuntimeError("to_sparse_csr: only 2-D sparse COO tensors are supported")
            rows, cols = self._indices
            order = np.lexsort((cols, rows))
            crow = np.zeros(self._size[0] + 1, np.int64)
            np.add.at(crow, rows + 1, 1)
            vals = self._values[_wrap(order.astype(np.int64))]
            self._csr = sparse_csr_tensor(np.cumsum(crow), cols[order], vals, self._size)
        return self._csr

    def t(self):
        return SparseCOOTensor(self._indices[::-1].copy(), self._values, self._size[::-1])

    def __matmul__(self, other):
        return spmm(self, other)

    def mm(self, other):
        return spmm(self, other)

    def __mul__(self, other):
        if isinstance(other, (int, float)):
            return SparseCOOTensor(self._indices, self._values * other, self._size, self._coalesced)
        return NotImplemented

    __rmul__ = __mul__

    def to(self, *args, **kwargs):
        return self

    def cpu(self):
        return self

    def __repr__(self):
        return f"SparseCOOTensor(size={self._size}, nnz={self._nnz()}, dtype={self.dtype}, layout=torch.sparse_coo)"


def sparse_coo_tensor(indices, values, size=None, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse tensor with values[k] at position indices[:, k] (duplicates add up)."""
    check_cpu(device)
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"indices must be an int64 tensor, got {idx.dtype}")
    idx = np.asarray(idx, np.int64)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if not isinstance(values, Tensor):
        values = _wrap(as_supported_array(values, dtype))
    elif dtype is not None:
        values = values.to(dtype)
    if values.shape[0] != idx.shape[1]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: {idx.shape[1]}, "
                           f"nnz from values: {values.shape[0]}")
    if idx.size and idx.min() < 0:
        raise RuntimeError("found negative index in indices")
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) if idx.size else (0,) * idx.shape[0]
        size = size + tuple(values.shape[1:])
    size = tuple(int(s) for s in size)
    if idx.size and any(idx[d].max() >= size[d] for d in range(idx.shape[0])):
        raise RuntimeError(f"size is inconsistent with indices: for dim {size}, size is too small")
    if requires_grad:
        values.requires_grad_(True)
    return SparseCOOTensor(idx, values, size)


def to_sparse_coo(dense):
    idx = np.stack(np.nonzero(dense._data)).astype(np.int64).reshape(dense.ndim, -1)
    vals = dense[tuple(_wrap(i) for i in idx)] if dense.ndim else dense.reshape(1)
    return SparseCOOTensor(idx, vals, tuple(dense.shape), coalesced=True)


def dense_to_csr(dense):
    return to_sparse_coo(dense).to_sparse_csr()


def spmm(input, mat2):
    """sparse (n x m) @ dense (m x k) -> dense (n x k); dense @ dense also works."""
    from .sparse import mm, SparseCSRTensor
    if isinstance(input, SparseCOOTensor):
        return mm(input.to_sparse_csr(), mat2)
    if isinstance(input, (SparseCSRTensor, Tensor)):
        return mm(input, mat2)
    raise TypeError(f"spmm(): argument 'input' must be a sparse or dense Tensor, not {type(input).__name__}")
