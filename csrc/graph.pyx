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
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end

include "checks.pxi"

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


include "graph_structure.pxi"
include "graph_sampling.pxi"


include "graph_spmm.pxi"


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
    cdef fastnn_team_steer _team
    cdef Py_ssize_t i, e, j, f, N = out.shape[0], F = x.shape[1]
    cdef floating v
    cdef int nt = threads_for(indices.shape[0] * F, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(N, num_threads=nt, schedule="guided"):
            for e in range(indptr[i], indptr[i + 1]):
                j = indices[e]
                for f in range(F):
                    v = x[j, f]
                    # the first edge sets the row; later ones win if larger, and a NaN wins and stays
                    if e == indptr[i] or v > out[i, f] or (v != v and out[i, f] == out[i, f]):
                        out[i, f] = v
                        arg[i, f] = j
        fastnn_team_end(&_team)


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
    cdef fastnn_team_steer _team
    # parallel over feature columns: two rows may send to the same source, never to the same column twice
    cdef Py_ssize_t i, f, j, N = g.shape[0], F = g.shape[1]
    cdef int nt = threads_for(N * F, MIN_WORK)
    if nt > F:
        nt = <int>F
    with nogil:
        fastnn_team_begin(&_team, nt)
        for f in prange(F, num_threads=nt, schedule="static"):
            for i in range(N):
                j = arg[i, f]
                if j >= 0:
                    gx[j, f] += g[i, f]
        fastnn_team_end(&_team)


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
    cdef fastnn_team_steer _team
    cdef Py_ssize_t i, e, h, lo, hi, N = indptr.shape[0] - 1, H = s.shape[1]
    cdef floating m, total
    cdef int nt = threads_for(s.shape[0] * H, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
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
        fastnn_team_end(&_team)


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
    cdef fastnn_team_steer _team
    cdef Py_ssize_t i, e, h, N = indptr.shape[0] - 1, H = a.shape[1]
    cdef floating dot
    cdef int nt = threads_for(a.shape[0] * H, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for i in prange(N, num_threads=nt, schedule="guided"):
            for h in range(H):
                dot = 0
                for e in range(indptr[i], indptr[i + 1]):
                    dot = dot + a[e, h] * g[e, h]
                for e in range(indptr[i], indptr[i + 1]):
                    out[e, h] = a[e, h] * (g[e, h] - dot)
        fastnn_team_end(&_team)
