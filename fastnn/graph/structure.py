"""The graph family's structure kernels: building, transposing and sampling CSR, self loops.

Nothing here is differentiable, so these are not autograd Functions: they call the kernels directly,
through the family's backend handle (so `fastnn.set_backend("reference")` runs them on the NumPy twins).
"""
from ..kernels.backend import family

_graph_kernels = family("graph")


def edges_to_csr(src, dst, num_nodes):
    return _graph_kernels.edges_to_csr(src, dst, num_nodes)


def csr_transpose(indptr, indices, num_cols):
    return _graph_kernels.csr_transpose(indptr, indices, num_cols)


def freeze_csr(indptr, indices, num_cols, perm=None):
    return _graph_kernels.freeze_csr(indptr, indices, num_cols, perm)


def remaining_self_loops(src, dst, num_nodes):
    return _graph_kernels.remaining_self_loops(src, dst, num_nodes)


def sample_neighbors(indptr, indices, nodes, num_neighbors, random_seed):
    return _graph_kernels.sample_neighbors(indptr, indices, nodes, num_neighbors, random_seed)


def add_remaining_self_loops(src, dst, num_nodes, weight=None, fill_value=1.0):
    return _graph_kernels.add_remaining_self_loops(src, dst, num_nodes, weight, fill_value)
