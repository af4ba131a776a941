# Sparse graph aggregation: edge lists to CSR, self loops, GCN normalisation, SpMM (sum, mean,
# per-head edge weights), max aggregation and the segment softmax of graph attention.
#
# A graph is stored by target: CSR row i lists the edges j -> i (columns are sources), so one
# row of an aggregation is one output node and rows run in parallel without atomics. The
# feature gradient needs the transposed graph (rows = sources); it is built once per graph
# by csr_transpose and kept with it, and its `perm` maps each transposed entry back to the
# edge whose value it carries.
from cython.parallel cimport prange
from cython cimport floating
from libc.math cimport sqrt, sqrtf
from fastexp cimport exp_inplace
import numpy as np
from parallel cimport threads_for

include "checks.pxi"

cdef extern from "spmmrow.h" nogil:
    void fastnn_row_axpy_f32(float *y, const float *x, float a, Py_ssize_t n)
    void fastnn_row_axpy_f64(double *y, const double *x, double a, Py_ssize_t n)
    void fastnn_row_add_f32(float *y, const float *x, Py_ssize_t n)
    void fastnn_row_add_f64(double *y, const double *x, Py_ssize_t n)
    void fastnn_row_prefetch_f32(const float *x, Py_ssize_t n)
    void fastnn_row_prefetch_f64(const double *x, Py_ssize_t n)


# How many edges ahead a gathered row is prefetched: a cache miss outlasts a few short rows' sums.
# A guess: on the shared 2-core test machine the spread between runs of the SpMM cases (2.5x) was
# larger than any difference between 6 and no prefetch, so the effect is not measured.
cdef enum:
    PREFETCH_AHEAD = 6


cdef inline void row_axpy(floating *y, const floating *x, floating a, Py_ssize_t n) noexcept nogil:
    if floating is float:
        fastnn_row_axpy_f32(y, x, a, n)
    else:
        fastnn_row_axpy_f64(y, x, a, n)


cdef inline void row_add(floating *y, const floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        fastnn_row_add_f32(y, x, n)
    else:
        fastnn_row_add_f64(y, x, n)


cdef inline void row_prefetch(const floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        fastnn_row_prefetch_f32(x, n)
    else:
        fastnn_row_prefetch_f64(x, n)

ctypedef long long idx_t

# Below this much work (edges x features) a loop stays on one thread.
cdef Py_ssize_t MIN_WORK = 32768


# ------------------------------------------------------------------ validation

cdef object _index_vector(object a, str name, Py_ssize_t upper):
    """a: a C-contiguous int64 vector with values in [0, upper) (read-only arrays welcome)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    if a.dtype != np.int64:
        raise TypeError(f"{name} must be int64, got {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    return check_index(a, name, a.shape[0], upper, None)


cdef Py_ssize_t _nodes(object num_nodes, str name="num_nodes") except -1:
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {num_nodes!r}")
    if num_nodes < 0:
        raise ValueError(f"{name} must be non-negative, got {num_nodes}")
    return num_nodes


cdef object _edge_list(object src, object dst, Py_ssize_t n):
    """src and dst: int64 vectors of one length with node ids in [0, n)."""
    _index_vector(src, "src", n)
    _index_vector(dst, "dst", n)
    if src.shape[0] != dst.shape[0]:
        raise ValueError(f"src and dst must have the same length, got {src.shape[0]} and {dst.shape[0]}")


cdef object _segments(object indptr, Py_ssize_t rows, str what):
    """indptr: int64, rising from 0 to `rows` (the rows of the per-edge array `what`)."""
    if not isinstance(indptr, np.ndarray) or indptr.dtype != np.int64 or indptr.ndim != 1 or indptr.shape[0] < 1:
        raise TypeError("indptr must be a 1-D int64 numpy.ndarray with at least one entry")
    check_index(indptr, "indptr", indptr.shape[0], rows + 1, None)
    if indptr[0] != 0 or indptr[indptr.shape[0] - 1] != rows or (np.diff(indptr) < 0).any():
        raise ValueError(f"indptr must rise from 0 to the {rows} rows of {what}")


cdef Py_ssize_t _check_csr(object indptr, object indices, Py_ssize_t num_cols, str prefix="") except -1:
    """A well-formed CSR structure: indptr non-decreasing from 0 to len(indices), indices in [0, num_cols).
    Returns the number of rows. A structure frozen by freeze_csr (or built by edges_to_csr /
    csr_transpose) is recognised in O(1). Errors name the arguments `prefix`indptr and `prefix`indices."""
    if _is_frozen(indptr, indices, num_cols):
        return indptr.shape[0] - 1
    ip, ix = prefix + "indptr", prefix + "indices"
    if not isinstance(indptr, np.ndarray) or indptr.dtype != np.int64 or indptr.ndim != 1:
        raise TypeError(f"{ip} must be a 1-D int64 numpy.ndarray")
    if indptr.shape[0] < 1:
        raise ValueError(f"{ip} must have at least one entry (rows + 1)")
    check_index(indptr, ip, indptr.shape[0], np.iinfo(np.int64).max, None)
    _index_vector(indices, ix, num_cols)
    if indptr[0] != 0 or indptr[indptr.shape[0] - 1] != indices.shape[0]:
        raise ValueError(f"{ip} must run from 0 to len({ix}) = {indices.shape[0]}, "
                         f"got {indptr[0]} .. {indptr[indptr.shape[0] - 1]}")
    if indptr.shape[0] > 1 and (np.diff(indptr) < 0).any():
        raise ValueError(f"{ip} must be non-decreasing")
    return indptr.shape[0] - 1


cdef object _check_transpose(object t_indptr, object t_indices, object t_perm, Py_ssize_t rows, Py_ssize_t cols,
                             Py_ssize_t nnz):
    """(t_indptr, t_indices, t_perm) must be the transpose of a (rows x cols) CSR with nnz entries:
    cols + 1 row pointers, nnz indices in [0, rows) and a map into [0, nnz) of nnz entries."""
    if _check_csr(t_indptr, t_indices, rows, "t_") != cols:
        raise ValueError(f"t_indptr must have {cols + 1} entries (the transposed graph), got {t_indptr.shape[0]}")
    if t_indices.shape[0] != nnz:
        raise ValueError(f"t_indices must have shape ({nnz},) like indices (the transposed graph), "
                         f"got {t_indices.shape}")
    if not _is_frozen(t_indptr, t_indices, rows, t_perm):
        _index_vector(t_perm, "t_perm", nnz)
    if t_perm.shape[0] != nnz:
        raise ValueError(f"t_perm must have shape ({nnz},), got {t_perm.shape}")


cdef object _edge_values(object values, str name, Py_ssize_t num_edges, object x):
    """None, or a float (E,) or (E, H) array of x's dtype; returned as (E, H) with H >= 1 (H = 0: None)."""
    if values is None:
        return None
    check_same_dtype(values, name, x, "x", -1)
    if values.ndim not in (1, 2) or values.shape[0] != num_edges:
        raise ValueError(f"{name} must have shape ({num_edges},) or ({num_edges}, heads), got {values.shape}")
    v2 = values.reshape(num_edges, 1) if values.ndim == 1 else values
    if v2.shape[1] == 0 or x.shape[1] % v2.shape[1]:
        raise ValueError(f"{name} has {v2.shape[1]} heads, which must divide the {x.shape[1]} features of x")
    return v2


cdef int _reduce_code(object reduce) except -1:
    if reduce == "sum":
        return 0
    if reduce == "mean":
        return 1
    raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")


include "graph_structure.pxi"
include "graph_sampling.pxi"


# ------------------------------------------------------------------ SpMM: sum and mean aggregation

def spmm_csr(indptr, indices, values, x, reduce="sum"):
    """Aggregate source features into targets: out[i] = reduce over edges e = (j -> i) of v[e] * x[j].

    Parameters
    ----------
    indptr : int64 (N_out + 1,). indices : int64 (E,) sources in [0, N_in).
    values : None (every edge weighs 1), float (E,), or float (E, H): per-head weights, head h
        scaling feature block h of x (F must be a multiple of H).
    x : float32/float64 (N_in, F), C-contiguous.
    reduce : "sum" or "mean" (mean over the row's edges; empty rows give 0).

    Returns
    -------
    out : (N_out, F) of x's dtype.
    """
    check_float(x, "x", 2)
    cdef Py_ssize_t N = _check_csr(indptr, indices, x.shape[0])
    cdef int mode = _reduce_code(reduce)
    v2 = _edge_values(values, "values", indices.shape[0], x)
    out = np.zeros((N, x.shape[1]), x.dtype)
    if N and x.shape[1] and indices.shape[0]:
        _spmm(indptr, indices, np.empty((0, 1), x.dtype) if v2 is None else v2, x, out, v2 is not None, mode)
    return out


def _spmm(const idx_t[::1] indptr, const idx_t[::1] indices, const floating[:, ::1] values, const floating[:, ::1] x,
          floating[:, ::1] out, bint weighted, int mode):
    cdef Py_ssize_t i, e, f, h, j, N = out.shape[0], F = x.shape[1], nnz = indices.shape[0]
    cdef Py_ssize_t H = values.shape[1], C = F // values.shape[1]
    cdef idx_t count
    cdef int nt = threads_for(indices.shape[0] * F, MIN_WORK)
    with nogil:
        for i in prange(N, num_threads=nt, schedule="guided"):
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                if e + PREFETCH_AHEAD < nnz:
                    row_prefetch(&x[indices[e + PREFETCH_AHEAD], 0], F)
                if not weighted:
                    row_add(&out[i, 0], &x[j, 0], F)
                else:
                    for h in range(H):
                        row_axpy(&out[i, h * C], &x[j, h * C], values[e, h], C)
        if mode == 1:
            for i in prange(N, num_threads=nt, schedule="static"):
                count = indptr[i + 1] - indptr[i]
                if count > 0:
                    for f in range(F):
                        out[i, f] = out[i, f] / count


def spmm_csr_backward(indptr, indices, values, x, grad_out, t_indptr, t_indices, t_perm, reduce="sum",
                      need_x=True, need_values=True):
    """Gradients of spmm_csr.

    Parameters
    ----------
    indptr, indices, values, x, reduce : as given to spmm_csr.
    grad_out : float (N_out, F) of x's dtype.
    t_indptr, t_indices, t_perm : csr_transpose(indptr, indices, N_in), kept with the graph.
    need_x : compute grad_x = A^T grad_out (one parallel pass over the transposed rows, no atomics).
    need_values : compute grad_values[e, h] = <grad_out[i] block h, x[j] block h> (None when values is None).

    Returns
    -------
    (grad_x (N_in, F) or None, grad_values shaped as values or None).
    """
    check_float(x, "x", 2)
    cdef Py_ssize_t N = _check_csr(indptr, indices, x.shape[0])
    cdef int mode = _reduce_code(reduce)
    v2 = _edge_values(values, "values", indices.shape[0], x)
    check_same_dtype(grad_out, "grad_out", x, "x", 2)
    if grad_out.shape != (N, x.shape[1]):
        raise ValueError(f"grad_out must have shape {(N, x.shape[1])}, got {grad_out.shape}")
    if need_x:
        _check_transpose(t_indptr, t_indices, t_perm, N, x.shape[0], indices.shape[0])
    counts = np.diff(indptr).astype(x.dtype)
    gx = np.zeros_like(x) if need_x else None
    gv = np.zeros((indices.shape[0], v2.shape[1]), x.dtype) if (need_values and v2 is not None) else None
    dummy = np.empty((0, 1), x.dtype)
    if x.shape[1] and indices.shape[0]:
        if gx is not None:
            _spmm_grad_x(t_indptr, t_indices, t_perm, dummy if v2 is None else v2, grad_out, counts, gx,
                         v2 is not None, mode)
        if gv is not None:
            _spmm_grad_values(indptr, indices, x, grad_out, counts, gv, mode)
    if gv is not None and values.ndim == 1:
        gv = gv.reshape(-1)
    return gx, gv


def _spmm_grad_x(const idx_t[::1] t_indptr, const idx_t[::1] t_indices, const idx_t[::1] t_perm,
                 const floating[:, ::1] values, const floating[:, ::1] g, const floating[::1] counts,
                 floating[:, ::1] gx, bint weighted, int mode):
    cdef Py_ssize_t j, k, e, i, f, h, N_in = gx.shape[0], F = gx.shape[1], nnz = t_indices.shape[0]
    cdef Py_ssize_t H = values.shape[1], C = F // values.shape[1]
    cdef floating w, scale
    cdef int nt = threads_for(t_indices.shape[0] * F, MIN_WORK)
    with nogil:
        for j in prange(N_in, num_threads=nt, schedule="guided"):
            for k in range(t_indptr[j], t_indptr[j + 1]):
                i = t_indices[k]
                e = t_perm[k]
                if k + PREFETCH_AHEAD < nnz:
                    row_prefetch(&g[t_indices[k + PREFETCH_AHEAD], 0], F)
                    if weighted:  # the edge's weight sits at its forward position: a random read too
                        row_prefetch(&values[t_perm[k + PREFETCH_AHEAD], 0], 1)
                scale = 1 / counts[i] if mode == 1 else 1
                if not weighted:
                    row_axpy(&gx[j, 0], &g[i, 0], scale, F)
                else:
                    for h in range(H):
                        row_axpy(&gx[j, h * C], &g[i, h * C], scale * values[e, h], C)


def _spmm_grad_values(const idx_t[::1] indptr, const idx_t[::1] indices, const floating[:, ::1] x,
                      const floating[:, ::1] g, const floating[::1] counts, floating[:, ::1] gv, int mode):
    cdef Py_ssize_t i, e, j, f, h, N = indptr.shape[0] - 1, F = x.shape[1]
    cdef Py_ssize_t H = gv.shape[1], C = F // gv.shape[1]
    cdef floating acc, scale
    cdef int nt = threads_for(indices.shape[0] * F, MIN_WORK)
    with nogil:
        for i in prange(N, num_threads=nt, schedule="guided"):
            scale = 1 / counts[i] if (mode == 1 and counts[i] > 0) else 1
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                for h in range(H):
                    acc = 0
                    for f in range(h * C, (h + 1) * C):
                        acc = acc + g[i, f] * x[j, f]
                    gv[e, h] = scale * acc


# ------------------------------------------------------------------ max aggregation

def spmm_max_csr(indptr, indices, x):
    """out[i, f] = max over edges (j -> i) of x[j, f]; 0 for nodes without edges (as PyTorch Geometric).

    Parameters
    ----------
    indptr : int64 (N_out + 1,). indices : int64 (E,) sources in [0, N_in). x : float (N_in, F).

    Returns
    -------
    (out (N_out, F), argmax int64 (N_out, F): the source each maximum came from, -1 for empty rows).
    A NaN among a row's inputs makes that output NaN.
    """
    check_float(x, "x", 2)
    cdef Py_ssize_t N = _check_csr(indptr, indices, x.shape[0])
    out = np.zeros((N, x.shape[1]), x.dtype)
    arg = np.full((N, x.shape[1]), -1, np.int64)
    if N and x.shape[1] and indices.shape[0]:
        _spmm_max(indptr, indices, x, out, arg)
    return out, arg


def _spmm_max(const idx_t[::1] indptr, const idx_t[::1] indices, const floating[:, ::1] x, floating[:, ::1] out,
              idx_t[:, ::1] arg):
    cdef Py_ssize_t i, e, j, f, N = out.shape[0], F = x.shape[1]
    cdef floating v
    cdef int nt = threads_for(indices.shape[0] * F, MIN_WORK)
    with nogil:
        for i in prange(N, num_threads=nt, schedule="guided"):
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                for f in range(F):
                    v = x[j, f]
                    # the first edge sets the row; later ones win if larger, and a NaN wins and stays
                    if e == indptr[i] or v > out[i, f] or (v != v and out[i, f] == out[i, f]):
                        out[i, f] = v
                        arg[i, f] = j


def spmm_max_backward(argmax, grad_out, num_nodes):
    """Gradient of spmm_max_csr: grad_out[i, f] goes to x[argmax[i, f], f].

    Parameters
    ----------
    argmax : int64 (N_out, F) from spmm_max_csr (-1: no input). grad_out : float (N_out, F).
    num_nodes : int, N_in (rows of x).

    Returns
    -------
    grad_x : (num_nodes, F) of grad_out's dtype.
    """
    cdef Py_ssize_t n = _nodes(num_nodes)
    check_float(grad_out, "grad_out", 2)
    if not isinstance(argmax, np.ndarray) or argmax.dtype != np.int64:
        raise TypeError("argmax must be an int64 numpy.ndarray")
    if argmax.shape != grad_out.shape:
        raise ValueError(f"argmax must have the shape of grad_out {grad_out.shape}, got {argmax.shape}")
    check_index(argmax.reshape(-1), "argmax", argmax.size, n, -1)
    if not argmax.flags.c_contiguous:
        raise ValueError("argmax must be C-contiguous")
    gx = np.zeros((n, grad_out.shape[1]), grad_out.dtype)
    if argmax.size:
        _spmm_max_backward(argmax, grad_out, gx)
    return gx


def _spmm_max_backward(const idx_t[:, ::1] arg, const floating[:, ::1] g, floating[:, ::1] gx):
    # parallel over feature columns: two rows may send to the same source, never to the same column twice
    cdef Py_ssize_t i, f, j, N = g.shape[0], F = g.shape[1]
    cdef int nt = threads_for(N * F, MIN_WORK)
    if nt > F:
        nt = <int>F
    with nogil:
        for f in prange(F, num_threads=nt, schedule="static"):
            for i in range(N):
                j = arg[i, f]
                if j >= 0:
                    gx[j, f] += g[i, f]


# ------------------------------------------------------------------ segment softmax (graph attention)

def segment_softmax(indptr, scores):
    """Softmax of edge scores over the incoming edges of each target, per head.

    Parameters
    ----------
    indptr : int64 (N + 1,), the rows of a graph stored by target.
    scores : float (E, H) in CSR order.

    Returns
    -------
    alpha : (E, H), summing to 1 over each non-empty row and head.
    """
    check_float(scores, "scores", 2)
    _segments(indptr, scores.shape[0], "scores")
    out = np.empty_like(scores)
    if scores.size:
        _segment_softmax(indptr, scores, out)
    return out


def _segment_softmax(const idx_t[::1] indptr, const floating[:, ::1] s, floating[:, ::1] out):
    cdef Py_ssize_t i, e, h, lo, hi, N = indptr.shape[0] - 1, H = s.shape[1]
    cdef floating m, total
    cdef int nt = threads_for(s.shape[0] * H, MIN_WORK)
    with nogil:
        for i in prange(N, num_threads=nt, schedule="guided"):
            lo, hi = indptr[i], indptr[i + 1]
            if lo < hi:
                for h in range(H):
                    m = s[lo, h]
                    for e in range(lo + 1, hi):
                        if s[e, h] > m or s[e, h] != s[e, h]:
                            m = s[e, h]
                    for e in range(lo, hi):
                        out[e, h] = s[e, h] - m
                # the row's (degree, H) block is contiguous: one vectorised exp over it
                exp_inplace(&out[lo, 0], (hi - lo) * H)
                for h in range(H):
                    total = 0
                    for e in range(lo, hi):
                        total = total + out[e, h]
                    for e in range(lo, hi):
                        out[e, h] = out[e, h] / total


def segment_softmax_backward(indptr, alpha, grad):
    """Gradient of segment_softmax: grad_scores[e] = alpha[e] * (grad[e] - sum over e's row of alpha * grad).

    Parameters
    ----------
    indptr : int64 (N + 1,). alpha : float (E, H), segment_softmax's output. grad : float (E, H).

    Returns
    -------
    grad_scores : (E, H).
    """
    check_float(alpha, "alpha", 2)
    check_like(grad, "grad", alpha, "alpha")
    _segments(indptr, alpha.shape[0], "alpha")
    out = np.empty_like(alpha)
    if alpha.size:
        _segment_softmax_backward(indptr, alpha, grad, out)
    return out


def _segment_softmax_backward(const idx_t[::1] indptr, const floating[:, ::1] a, const floating[:, ::1] g,
                              floating[:, ::1] out):
    cdef Py_ssize_t i, e, h, N = indptr.shape[0] - 1, H = a.shape[1]
    cdef floating dot
    cdef int nt = threads_for(a.shape[0] * H, MIN_WORK)
    with nogil:
        for i in prange(N, num_threads=nt, schedule="guided"):
            for h in range(H):
                dot = 0
                for e in range(indptr[i], indptr[i + 1]):
                    dot = dot + a[e, h] * g[e, h]
                for e in range(indptr[i], indptr[i + 1]):
                    out[e, h] = a[e, h] * (g[e, h] - dot)
