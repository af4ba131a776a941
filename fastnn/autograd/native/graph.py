"""Autograd Functions over the graph kernels (csrc/graph.pyx).

Graphs reach these as `fastnn.graph.GraphCSR` objects (rows = targets), checked once when built and
read-only, which keep their transposed structure for the feature gradient once it has been built.
The structural calls that build graphs (no gradients) are in fastnn.graph.structure.
"""
import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_array, kernel_input
from ...kernels.backend import family

graph_kernels = family("graph")


# ------------------------------------------------------------------ differentiable aggregation

class GCNNormFn(Function):
    """Edge values (E,) in CSR order -> v[e] / sqrt(deg(i) deg(j)), deg the weighted in-degree (row sums);
    the gradient flows through both the value and the degrees it enters."""
    @staticmethod
    def forward(ctx, values, graph):
        values = kernel_array(values)
        out, deg = graph_kernels.gcn_norm_csr(graph.indptr, graph.indices, values)
        ctx.save_for_backward(values, deg)
        ctx.graph = graph
        return out

    @staticmethod
    def backward(ctx, g):
        values, deg = ctx.saved_tensors
        graph = ctx.graph
        return graph_kernels.gcn_norm_csr_backward(graph.indptr, graph.indices, values, deg, kernel_array(g, values.dtype)), None


def _feature_rows(a, dtype):
    """a itself when the SpMM kernels read it as it is (rows contiguous at any row stride, 0 for a broadcast
    row, read-only welcome) and of dtype; else a C-contiguous copy in dtype."""
    strides = a.strides
    if len(strides) == 2 and strides[1] == a.itemsize and strides[0] >= 0 and a.dtype == dtype:
        return a
    if a.ndim == 2 and strides[0] == 0:  # one row repeated (a scalar's gradient broadcast): copy the row only
        return np.broadcast_to(np.ascontiguousarray(a[:1], dtype), a.shape)
    return np.ascontiguousarray(a, dtype)


class SpMMFn(Function):
    """out[i] = reduce over edges (j -> i) of values[e] * x[j]; gradients for x and the edge values (each only
    when asked for). The graph's structure was checked when it was built, and its transpose for the
    gradient of x is built once and kept with it (GraphCSR.transposed)."""
    @staticmethod
    def forward(ctx, values, x, graph, reduce):
        x = _feature_rows(x, x.dtype)
        values = kernel_input(values, x.dtype)
        ctx.save_for_backward(values, x)
        ctx.graph, ctx.reduce = graph, reduce
        return graph_kernels.spmm_csr(graph.indptr, graph.indices, values, x, reduce)

    @staticmethod
    def backward(ctx, g):
        values, x = ctx.saved_tensors
        graph = ctx.graph
        need_values, need_x = ctx.needs_input_grad[:2]
        t_indptr, t_indices, t_perm = graph.transposed() if need_x else (None, None, None)
        gx, gv = graph_kernels.spmm_csr_backward(graph.indptr, graph.indices, values, x, _feature_rows(g, x.dtype),
                                                 t_indptr, t_indices, t_perm, ctx.reduce, need_x=need_x,
                                                 need_values=need_values)
        return gv, gx, None, None


class SpMaxFn(Function):
    """out[i] = elementwise max over edges (j -> i) of x[j] (0 for nodes without edges)."""
    @staticmethod
    def forward(ctx, x, graph):
        out, argmax = graph_kernels.spmm_max_csr(graph.indptr, graph.indices, kernel_array(x))
        ctx.argmax, ctx.num_nodes = argmax, x.shape[0]
        return out

    @staticmethod
    def backward(ctx, g):
        return graph_kernels.spmm_max_backward(ctx.argmax, kernel_array(g), ctx.num_nodes), None


class SegmentSoftmaxFn(Function):
    """Softmax of edge scores (E, H), in the graph's CSR order, over each target's incoming edges."""
    @staticmethod
    def forward(ctx, scores, graph):
        alpha = graph_kernels.segment_softmax(graph.indptr, kernel_array(scores))
        ctx.save_for_backward(alpha)
        ctx.indptr = graph.indptr
        return alpha

    @staticmethod
    def backward(ctx, g):
        alpha, = ctx.saved_tensors
        return graph_kernels.segment_softmax_backward(ctx.indptr, alpha, kernel_array(g, alpha.dtype)), None
