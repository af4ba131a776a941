"""GraphCSR: an edge list grouped by target, the form every aggregation kernel reads."""
import numpy as np

from ..autograd.native import graph as native


class GraphCSR:
    """The edges j -> i of a graph as CSR rows by target i (columns are sources j).

    `perm[k]` is the position in the original edge list of CSR entry k, so per-edge values given in
    edge-list order are put in CSR order by `values[perm]`. The transposed structure (rows = sources),
    which the feature gradient reads, is built on first use and kept.
    """
    __slots__ = ("indptr", "indices", "perm", "num_rows", "num_cols", "_transposed", "_rows")

    def __init__(self, indptr, indices, perm, num_rows, num_cols):
        self.indptr, self.indices, self.perm = indptr, indices, perm
        self.num_rows, self.num_cols = num_rows, num_cols
        self._transposed = None
        self._rows = None

    @classmethod
    def from_edges(cls, src, dst, num_nodes):
        """From validated int64 source and target arrays of a graph on num_nodes nodes."""
        indptr, indices, perm = native.edges_to_csr(src, dst, num_nodes)
        return cls(indptr, indices, perm, num_nodes, num_nodes)

    @property
    def num_edges(self):
        return len(self.indices)

    def rows(self):
        """The target of every CSR entry (E,)."""
        if self._rows is None:
            self._rows = np.repeat(np.arange(self.num_rows, dtype=np.int64), np.diff(self.indptr))
        return self._rows

    def transposed(self):
        """(t_indptr, t_indices, t_perm): the CSR of the reversed graph, built once."""
        if self._transposed is None:
            self._transposed = native.csr_transpose(self.indptr, self.indices, self.num_cols)
        return self._transposed

    def edge_index(self):
        """The edges in CSR order as a (2, E) int64 array (sources, targets)."""
        return np.stack([self.indices, self.rows()])
