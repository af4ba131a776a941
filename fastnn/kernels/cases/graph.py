"""Benchmark cases for the graph family (float32).

Graphs: Cora's citation graph with self loops (2708 nodes, 13264 edges) when the Planetoid files
are found ($FASTNN_DATA, or ../shared/data beside the working folder), else a random graph of the
same size and degree spread; and a random 100,000-node graph of average in-degree 10. SpMM runs
with GCN-normalised edge values, as a GCN layer does; PyTorch runs torch.sparse.mm on the same
CSR matrix (its backward computes the gradient of the dense operand).
"""
import os

import numpy as np

from ..registry import Case, torch_input_grad_step
from ..._planetoid_files import find_planetoid, planetoid_edge_index


def _cora_edges():
    for root in (os.environ.get("FASTNN_DATA"), os.path.join("..", "shared", "data")):
        folder = find_planetoid(root, "cora")
        if folder is None:
            continue
        try:
            return planetoid_edge_index(folder, "cora", 2708), 2708
        except (FileNotFoundError, ValueError):
            continue
    rng = np.random.default_rng(2708)  # stand-in: Cora's size, heavy-tailed degrees
    weights = rng.pareto(1.5, 2708) + 1
    src = rng.choice(2708, 10556, p=weights / weights.sum())
    return np.stack([src, rng.integers(0, 2708, 10556)]).astype(np.int64), 2708


def _random_edges(n, degree, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, n, n * degree), np.repeat(np.arange(n), degree)]).astype(np.int64), n


def _gcn_graph(k, edges, n):
    """CSR by target with self loops and GCN-normalised values, and the kept transpose."""
    src, dst, w = k.add_remaining_self_loops(edges[0].copy(), edges[1].copy(), n, np.ones(edges.shape[1], np.float32))
    indptr, indices, perm = k.edges_to_csr(src, dst, n)
    values, _ = k.gcn_norm_csr(indptr, indices, np.ascontiguousarray(w[perm]))
    return indptr, indices, values, k.csr_transpose(indptr, indices, n)


def _spmm_inputs(graph, features):
    def make(rng):
        from ... import kernels
        edges, n = graph()
        indptr, indices, values, t = _gcn_graph(kernels, edges, n)
        x = rng.standard_normal((n, features)).astype(np.float32)
        g = rng.standard_normal((n, features)).astype(np.float32)
        return indptr, indices, values, t, x, g
    return make


def _spmm_fwd(k, inputs):
    indptr, indices, values, _, x, _ = inputs
    return k.spmm_csr(indptr, indices, values, x)


def _spmm_bwd(k, inputs):
    indptr, indices, values, t, x, g = inputs
    return k.spmm_csr_backward(indptr, indices, values, x, g, *t, need_values=False)[0]


def _spmm_fwd_bwd(k, inputs):
    return _spmm_fwd(k, inputs), _spmm_bwd(k, inputs)


def _torch_matrix(inputs):
    import torch
    indptr, indices, values, _, x, g = inputs
    n = len(indptr) - 1
    a = torch.sparse_csr_tensor(torch.from_numpy(indptr), torch.from_numpy(indices), torch.from_numpy(values),
                                size=(n, x.shape[0]))
    return torch, a, torch.from_numpy(x), torch.from_numpy(g)


def _torch_fwd(inputs):
    torch, a, x, _ = _torch_matrix(inputs)
    return lambda: torch.sparse.mm(a, x)


def _torch_fwd_bwd(inputs):
    torch, a, x, g = _torch_matrix(inputs)
    return torch_input_grad_step(lambda t: torch.sparse.mm(a, t), x, g)


def _torch_bwd(inputs):
    torch, a, x, g = _torch_matrix(inputs)
    at = a.to_sparse_coo().t().to_sparse_csr()  # what autograd multiplies by: the transpose
    return lambda: torch.sparse.mm(at, g)


def _structure_inputs(rng):
    edges, n = _random_edges(100_000, 10, 1)
    return edges, n, rng.random(edges.shape[1]).astype(np.float32)


def _structure_run(k, inputs):
    edges, n, w = inputs
    src, dst, w2 = k.add_remaining_self_loops(edges[0].copy(), edges[1].copy(), n, w)
    indptr, indices, perm = k.edges_to_csr(src, dst, n)
    values, _ = k.gcn_norm_csr(indptr, indices, np.ascontiguousarray(w2[perm]))
    return indptr, indices, values, k.csr_transpose(indptr, indices, n)[1]


def _checked_structure_run(k, inputs):
    """What a user-built graph costs once (sparse_csr_tensor): self loops with their origins, the full
    check and freeze of a CSR that is not known to be valid."""
    edges, n, _ = inputs
    src, dst, origin = k.remaining_self_loops(edges[0], edges[1], n)
    indptr, indices, _ = k.edges_to_csr(src, dst, n)
    frozen_indptr, frozen_indices, _ = k.freeze_csr(np.array(indptr), np.array(indices), n)
    return frozen_indptr, frozen_indices, origin


def _norm_inputs(rng):
    from ... import kernels
    edges, n = _cora_edges()
    src, dst, _ = kernels.add_remaining_self_loops(edges[0].copy(), edges[1].copy(), n)
    indptr, indices, _ = kernels.edges_to_csr(src, dst, n)
    return indptr, indices, rng.random(len(indices)).astype(np.float32) + 0.5, \
        rng.standard_normal(len(indices)).astype(np.float32)


def _norm_run(k, inputs):
    """GCN normalisation of learnable edge weights, forward and backward."""
    indptr, indices, w, g = inputs
    out, deg = k.gcn_norm_csr(indptr, indices, w)
    return out, k.gcn_norm_csr_backward(indptr, indices, w, deg, g)


def _max_inputs(rng):
    from ... import kernels
    edges, n = _cora_edges()
    indptr, indices, _ = kernels.edges_to_csr(edges[0].copy(), edges[1].copy(), n)
    x = rng.standard_normal((n, 64)).astype(np.float32)
    return indptr, indices, x, rng.standard_normal((n, 64)).astype(np.float32)


def _max_run(k, inputs):
    indptr, indices, x, g = inputs
    out, arg = k.spmm_max_csr(indptr, indices, x)
    return out, k.spmm_max_backward(arg, g, x.shape[0])


def _attention_inputs(rng):
    from ... import kernels
    edges, n = _cora_edges()
    src, dst, _ = kernels.add_remaining_self_loops(edges[0].copy(), edges[1].copy(), n)
    indptr, indices, _ = kernels.edges_to_csr(src, dst, n)
    scores = rng.standard_normal((len(indices), 8)).astype(np.float32)
    x = rng.standard_normal((n, 64)).astype(np.float32)
    return indptr, indices, scores, x, rng.standard_normal((n, 64)).astype(np.float32)


def _attention_run(k, inputs):
    """One GAT aggregation (8 heads x 8 features): segment softmax, weighted SpMM, and both backwards."""
    indptr, indices, scores, x, g = inputs
    alpha = k.segment_softmax(indptr, scores)
    out = k.spmm_csr(indptr, indices, alpha, x)
    t = k.csr_transpose(indptr, indices, x.shape[0])
    gx, galpha = k.spmm_csr_backward(indptr, indices, alpha, x, g, *t)
    return out, gx, k.segment_softmax_backward(indptr, alpha, galpha)


_SPMM = ("spmm_csr", "spmm_csr_backward")
_CORA = _cora_edges
_BIG = lambda: _random_edges(100_000, 10, 0)  # noqa: E731

CASES = [
    Case("spmm fwd Cora F=16", "graph", ("spmm_csr",), _spmm_inputs(_CORA, 16), _spmm_fwd, _torch_fwd),
    Case("spmm bwd Cora F=16", "graph", ("spmm_csr_backward",), _spmm_inputs(_CORA, 16), _spmm_bwd, _torch_bwd),
    Case("spmm fwd+bwd Cora F=16", "graph", _SPMM, _spmm_inputs(_CORA, 16), _spmm_fwd_bwd, _torch_fwd_bwd),
    Case("spmm fwd Cora F=1433", "graph", ("spmm_csr",), _spmm_inputs(_CORA, 1433), _spmm_fwd, _torch_fwd),
    Case("spmm bwd Cora F=1433", "graph", ("spmm_csr_backward",), _spmm_inputs(_CORA, 1433), _spmm_bwd,
         _torch_bwd),
    Case("spmm fwd+bwd Cora F=1433", "graph", _SPMM, _spmm_inputs(_CORA, 1433), _spmm_fwd_bwd, _torch_fwd_bwd),
    Case("spmm fwd random 100k nodes deg 10 F=64", "graph", ("spmm_csr",), _spmm_inputs(_BIG, 64), _spmm_fwd,
         _torch_fwd, reference=False),
    Case("spmm bwd random 100k nodes deg 10 F=64", "graph", ("spmm_csr_backward",), _spmm_inputs(_BIG, 64),
         _spmm_bwd, _torch_bwd, reference=False),
    Case("spmm fwd+bwd random 100k nodes deg 10 F=64", "graph", _SPMM, _spmm_inputs(_BIG, 64), _spmm_fwd_bwd,
         _torch_fwd_bwd, reference=False),
    Case("graph build: self loops, CSR, GCN norm, transpose (100k nodes, 1M edges)", "graph",
         ("add_remaining_self_loops", "edges_to_csr", "gcn_norm_csr", "csr_transpose"), _structure_inputs,
         _structure_run),
    Case("graph check: self loops with origins, CSR, full check and freeze (100k nodes, 1M edges)", "graph",
         ("remaining_self_loops", "edges_to_csr", "freeze_csr"), _structure_inputs, _checked_structure_run,
         values=False),
    Case("GCN normalisation of edge weights fwd+bwd Cora", "graph", ("gcn_norm_csr", "gcn_norm_csr_backward"),
         _norm_inputs, _norm_run),
    Case("max aggregation fwd+bwd Cora F=64", "graph", ("spmm_max_csr", "spmm_max_backward"), _max_inputs,
         _max_run),
    Case("GAT aggregation fwd+bwd Cora 8 heads x 8", "graph",
         ("segment_softmax", "segment_softmax_backward", "spmm_csr", "spmm_csr_backward", "csr_transpose"),
         _attention_inputs, _attention_run),
]


def _sampling_inputs(rng):
    from ... import kernels
    edges, n = _cora_edges()
    indptr, indices, _ = kernels.edges_to_csr(edges[0].copy(), edges[1].copy(), n)
    return indptr, indices, rng.integers(0, n, 512).astype(np.int64)


def _sampling_run(k, inputs):
    """One NeighborLoader hop: 512 seed nodes of Cora, up to 10 incoming edges each."""
    indptr, indices, nodes = inputs
    return k.sample_neighbors(indptr, indices, nodes, 10, 2708)


CASES.append(Case("neighbour sampling Cora 512 seeds fan-out 10", "graph", ("sample_neighbors",), _sampling_inputs,
                  _sampling_run, values=False))
