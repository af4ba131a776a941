"""GraphCSR: an edge list grouped by target, the form every aggregation kernel reads.

A GraphCSR is checked once, when it is built, and is immutable afterwards: its arrays are read-only
and its attributes cannot be rebound, so the kernels recognise its structure without re-checking
every index on every call (see freeze_csr in csrc/graph_structure.pxi).
"""
import numpy as np

from . import structure


class GraphCSR:
    """The edges j -> i of a graph as CSR rows by target i (columns are sources j).

    `perm[k]` is the position in the original edge list of CSR entry k, so per-edge values given in
    edge-list order are put in CSR order by `values[perm]`. The transposed structure (rows = sources),
    which the feature gradient reads, is built on first use and kept.
    """
    __slots__ = ("_indptr", "_indices", "_perm", "_num_rows", "_num_cols", "_transposed", "_rows", "_inverse")

    def __init__(self, indptr, indices, perm, num_rows, num_cols):
        """Checks the structure (indptr rising from 0 to len(indices), indices in [0, num_cols), perm
        a permutation of the entries) and keeps read-only copies of the arrays (the caller's stay writeable)."""
        indptr, indices, perm = (np.array(a, dtype=np.int64, order="C") for a in (indptr, indices, perm))
        if indptr.ndim != 1 or len(indptr) != num_rows + 1:
            raise ValueError(f"indptr must have num_rows + 1 = {num_rows + 1} entries, got shape {indptr.shape}")
        if perm.shape != indices.shape or (len(perm) and not np.array_equal(np.sort(perm), np.arange(len(perm)))):
            raise ValueError("perm must be a permutation of the entries' positions")
        self._indptr, self._indices, _ = structure.freeze_csr(indptr, indices, num_cols)
        perm.flags.writeable = False
        self._perm = perm
        self._num_rows, self._num_cols = int(num_rows), int(num_cols)
        self._transposed = self._rows = self._inverse = None

    @classmethod
    def from_edges(cls, src, dst, num_nodes):
        """From validated int64 source and target arrays of a graph on num_nodes nodes."""
        self = cls.__new__(cls)
        # edges_to_csr's output is valid by construction, read-only and already frozen
        self._indptr, self._indices, self._perm = structure.edges_to_csr(src, dst, num_nodes)
        self._num_rows = self._num_cols = int(num_nodes)
        self._transposed = self._rows = self._inverse = None
        return self

    indptr = property(lambda self: self._indptr)
    indices = property(lambda self: self._indices)
    perm = property(lambda self: self._perm)
    num_rows = property(lambda self: self._num_rows)
    num_cols = property(lambda self: self._num_cols)

    @property
    def num_edges(self):
        return len(self._indices)

    def rows(self):
        """The target of every CSR entry (E,)."""
        if self._rows is None:
            rows = np.repeat(np.arange(self._num_rows, dtype=np.int64), np.diff(self._indptr))
            rows.flags.writeable = False
            self._rows = rows
        return self._rows

    def inverse_perm(self):
        """The CSR position of every edge of the original list: values_in_edge_order = csr_values[inverse_perm()]."""
        if self._inverse is None:
            inverse = np.empty_like(self._perm)
            inverse[self._perm] = np.arange(len(self._perm), dtype=np.int64)
            inverse.flags.writeable = False
            self._inverse = inverse
        return self._inverse

    def transposed(self):
        """(t_indptr, t_indices, t_perm): the CSR of the reversed graph, built once (read-only)."""
        if self._transposed is None:
            self._transposed = structure.csr_transpose(self._indptr, self._indices, self._num_cols)
        return self._transposed

    def edge_index(self):
        """The edges in CSR order as a (2, E) int64 array (sources, targets)."""
        return np.stack([self._indices, self.rows()])

    def __repr__(self):
        return f"GraphCSR(num_rows={self._num_rows}, num_cols={self._num_cols}, num_edges={self.num_edges})"
