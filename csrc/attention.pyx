# Scaled-dot-product attention (full and tiled) and layer norm, forward and backward.
#
# Attention runs over N = batch * heads independent problems q (Lq, D), k (Lk, D),
# v (Lk, Dv). The logits GEMMs go to scipy's BLAS (threaded); scaling, masking,
# causal cut-off and softmax are fused into one pass over each logits row under
# OpenMP prange. Unlike conv.pyx's large GEMMs, attention's are small and many, so
# each thread takes whole problems (OpenMP over batch * heads) and runs their GEMMs
# and row passes itself. Alternating OpenMP row passes with BLAS-threaded GEMMs
# per problem was 40x slower at (192, 128, 128, 32) on 2 busy cores (measured):
# every small GEMM woke the BLAS pool.
#
# The full path materialises the (Lq, Lk) weights (needed when a caller asks for
# them). The tiled path keeps a running max and sum per query row (online
# softmax) over key blocks, so only (BQ, BK) tiles exist; its backward recomputes
# each tile from the saved row logsumexp.
#
# Masked positions are -inf logits. A row whose every key is masked gets weights
# 0, output 0, logsumexp -inf and gradient 0 (PyTorch's scaled_dot_product_attention).
from cython.parallel cimport prange, threadid
from cython cimport floating
from libc.math cimport INFINITY, log, sqrt
import numpy as np
from blas cimport gemm
from parallel cimport threads_for
from rowsoftmax cimport attention_row, attention_online_row, attention_probs_row

include "checks.pxi"

cdef Py_ssize_t MIN_WORK = 16384
# Tile sizes of the tiled path: a (BQ, BK) float tile and its gradient stay in L2.
cdef Py_ssize_t BQ = 128
cdef Py_ssize_t BK = 256


# ----------------------------------------------------------------------------- BLAS threads

# OpenBLAS's per-thread thread count (openblas_set_num_threads_local, returns the old
# value): each OpenMP worker runs its problems' GEMMs on one BLAS thread, and puts the
# count back, since the main thread is also worker 0. NULL when the BLAS lacks it.
ctypedef int (*local_threads_fn)(int) noexcept nogil
cdef local_threads_fn _blas_local_threads = NULL


def _bind_blas_local_threads():
    global _blas_local_threads
    import ctypes, glob, os
    import scipy
    import scipy.linalg.cython_blas  # noqa: F401  (the library is loaded by now)
    libs = os.path.join(os.path.dirname(scipy.__file__), os.pardir, "scipy.libs", "*openblas*")
    for path in glob.glob(libs):
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        _blas_local_threads = <local_threads_fn><size_t>ctypes.cast(fn, ctypes.c_void_p).value
        return True
    return False


_bind_blas_local_threads()


cdef inline int _single_blas_thread() noexcept nogil:
    return _blas_local_threads(1) if _blas_local_threads != NULL else 0


cdef inline void _restore_blas_threads(int previous) noexcept nogil:
    if _blas_local_threads != NULL:
        _blas_local_threads(previous)


# ----------------------------------------------------------------------------- row passes

cdef inline double _softmax_row(floating* s, Py_ssize_t C, double scale, const floating* mask,
                                Py_ssize_t limit) noexcept nogil:
    """In place: s = softmax(scale * s + mask) with the causal cut-off; returns the logsumexp.
    The vectorised row from rowsoftmax.h, over the columns the cut-off leaves."""
    return attention_row(s, C, _active(C, limit), scale, mask)


cdef inline Py_ssize_t _active(Py_ssize_t C, Py_ssize_t limit) noexcept nogil:
    """Columns 0..limit of a row of C are visible (limit: the causal cut-off, relative to the row's tile)."""
    return C if limit >= C else limit + 1


cdef inline void _online_row(floating* s, Py_ssize_t C, double scale, const floating* mask, Py_ssize_t limit,
                             double* m_run, double* l_run, floating* acc, Py_ssize_t Dv) noexcept nogil:
    """One key tile of the online softmax for one query row: s becomes exp(z - new max),
    the running sum and the output accumulator are rescaled to the new max."""
    cdef Py_ssize_t j
    cdef double alpha = attention_online_row(s, C, _active(C, limit), scale, mask, m_run, l_run)
    if alpha != 1.0:
        for j in range(Dv):
            acc[j] = <floating>(acc[j] * alpha)


cdef inline void _probs_from_lse(floating* s, Py_ssize_t C, double scale, const floating* mask,
                                 Py_ssize_t limit, double lse) noexcept nogil:
    """Recompute one row of weights from its logits and saved logsumexp."""
    attention_probs_row(s, C, _active(C, limit), scale, mask, lse)


cdef inline void _softmax_grad_row(const floating* p, floating* dp, Py_ssize_t C, double scale,
                                   double delta) noexcept nogil:
    """In place: dp = scale * p * (dp - delta), delta = sum(p * dp) (or rowsum(dO * O))."""
    cdef Py_ssize_t j
    for j in range(C):
        dp[j] = <floating>(scale * p[j] * (dp[j] - delta))


cdef inline double _dot(const floating* a, const floating* b, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef double t = 0
    for j in range(n):
        t = t + a[j] * b[j]
    return t


cdef inline Py_ssize_t _causal_limit(bint causal, Py_ssize_t row) noexcept nogil:
    # Top-left alignment as in PyTorch: query i sees keys 0..i whatever Lq and Lk are.
    return row if causal else (<Py_ssize_t>1 << 62)


# ----------------------------------------------------------------------------- argument checks

cdef tuple _check_qkv(q, k, v):
    check_float(q, "query", 3)
    check_same_dtype(k, "key", q, "query", 3)
    check_same_dtype(v, "value", q, "query", 3)
    if k.shape[0] != q.shape[0] or v.shape[0] != q.shape[0]:
        raise ValueError(f"query, key and value must share the batch*heads dimension, got "
                         f"{q.shape[0]}, {k.shape[0]}, {v.shape[0]}")
    if k.shape[2] != q.shape[2]:
        raise ValueError(f"key head dim {k.shape[2]} differs from query head dim {q.shape[2]}")
    if v.shape[1] != k.shape[1]:
        raise ValueError(f"value length {v.shape[1]} differs from key length {k.shape[1]}")
    return q.shape[0], q.shape[1], k.shape[1], q.shape[2], v.shape[2]


cdef object _prepare_mask(object mask, object q, Py_ssize_t N, Py_ssize_t Lq, Py_ssize_t Lk):
    """mask -> None or a C-contiguous additive (M, Lq, Lk) array of q's dtype, M in {1, N}."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy.ndarray or None, got {type(mask).__name__}")
    if mask.ndim != 3 or mask.shape[1:] != (Lq, Lk) or mask.shape[0] not in (1, N):
        raise ValueError(f"mask must have shape (1, {Lq}, {Lk}) or ({N}, {Lq}, {Lk}), got {mask.shape}")
    if mask.dtype == np.bool_:
        return np.where(mask, q.dtype.type(0), q.dtype.type(-np.inf))
    if mask.dtype != q.dtype:
        raise TypeError(f"mask must be bool or have the dtype of query ({q.dtype}), got {mask.dtype}")
    return np.ascontiguousarray(mask)


# ----------------------------------------------------------------------------- full path

def attention_forward(q, k, v, mask=None, scale=1.0, causal=False):
    """softmax(scale * q k^T + mask) v per problem, materialising the weights.

    q (N, Lq, D), k (N, Lk, D), v (N, Lk, Dv); mask None, bool (True keeps) or additive
    float, shape (1 or N, Lq, Lk); causal masks key j > query i.
    Returns (out (N, Lq, Dv), weights (N, Lq, Lk), logsumexp (N, Lq) float64).
    """
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    m = _prepare_mask(mask, q, N, Lq, Lk)
    out = np.zeros((N, Lq, Dv), q.dtype)
    weights = np.zeros((N, Lq, Lk), q.dtype)
    lse = np.full((N, Lq), -np.inf)
    if N and Lq and Lk:
        if q.dtype == np.float32:
            _full_forward[float](q, k, v, m, float(scale), bool(causal), out, weights, lse)
        else:
            _full_forward[double](q, k, v, m, float(scale), bool(causal), out, weights, lse)
    return out, weights, lse


cdef void _full_forward(floating[:, :, ::1] q, floating[:, :, ::1] k, floating[:, :, ::1] v, object mask_arr,
                        double scale, bint causal, floating[:, :, ::1] out, floating[:, :, ::1] w,
                        double[:, ::1] lse):
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, M = 1
    cdef floating[:, :, ::1] mask
    cdef bint has_mask = mask_arr is not None
    if has_mask:
        mask = mask_arr
        M = mask.shape[0]
    cdef int nt = threads_for(N * Lq * Lk, MIN_WORK)
    cdef int blas_threads
    with nogil:
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            blas_threads = _single_blas_thread()
            gemm(False, True, <int>Lq, <int>Lk, <int>D, <floating>1, &q[n, 0, 0] if D else NULL, <int>D,
                 &k[n, 0, 0] if D else NULL, <int>D, <floating>0, &w[n, 0, 0], <int>Lk)
            for i in range(Lq):
                lse[n, i] = _softmax_row(&w[n, i, 0], Lk, scale,
                                         &mask[n % M, i, 0] if has_mask else NULL, _causal_limit(causal, i))
            if Dv:
                gemm(False, False, <int>Lq, <int>Dv, <int>Lk, <floating>1, &w[n, 0, 0], <int>Lk,
                     &v[n, 0, 0], <int>Dv, <floating>0, &out[n, 0, 0], <int>Dv)
            _restore_blas_threads(blas_threads)


def attention_backward(q, k, v, weights, grad_out, grad_weights=None, scale=1.0):
    """Gradients (dq, dk, dv) of attention_forward from its saved weights.

    grad_weights: None or the gradient reaching the weights output (N, Lq, Lk).
    Masked positions have weight 0, so the mask is not needed here.
    """
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    check_same_dtype(weights, "weights", q, "query", 3)
    if weights.shape != (N, Lq, Lk):
        raise ValueError(f"weights must have shape {(N, Lq, Lk)}, got {weights.shape}")
    check_same_dtype(grad_out, "grad_out", q, "query", 3)
    if grad_out.shape != (N, Lq, Dv):
        raise ValueError(f"grad_out must have shape {(N, Lq, Dv)}, got {grad_out.shape}")
    if grad_weights is not None:
        check_like(grad_weights, "grad_weights", weights, "weights")
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    if N and Lq and Lk:
        ds = np.zeros((threads_for(N * Lq * Lk, MIN_WORK), Lq, Lk), q.dtype)
        if q.dtype == np.float32:
            _full_backward[float](q, k, v, weights, grad_out, grad_weights, float(scale), dq, dk, dv, ds)
        else:
            _full_backward[double](q, k, v, weights, grad_out, grad_weights, float(scale), dq, dk, dv, ds)
    return dq, dk, dv


cdef void _full_backward(floating[:, :, ::1] q, floating[:, :, ::1] k, floating[:, :, ::1] v,
                         floating[:, :, ::1] w, floating[:, :, ::1] go, object gw_arr, double scale,
                         floating[:, :, ::1] dq, floating[:, :, ::1] dk, floating[:, :, ::1] dv,
                         floating[:, :, ::1] ds_all):
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, j
    cdef floating* ds
    cdef floating[:, :, ::1] gw
    cdef bint has_gw = gw_arr is not None
    if has_gw:
        gw = gw_arr
    cdef int nt = ds_all.shape[0]
    cdef int blas_threads
    with nogil:
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            blas_threads = _single_blas_thread()
            ds = &ds_all[threadid(), 0, 0]  # (Lq, Lk) scratch of this thread
            for i in range(Lq * Lk):
                ds[i] = gw[n, i // Lk, i % Lk] if has_gw else 0
            if Dv:
                gemm(False, True, <int>Lq, <int>Lk, <int>Dv, <floating>1, &go[n, 0, 0], <int>Dv,
                     &v[n, 0, 0], <int>Dv, <floating>1, ds, <int>Lk)
                gemm(True, False, <int>Lk, <int>Dv, <int>Lq, <floating>1, &w[n, 0, 0], <int>Lk,
                     &go[n, 0, 0], <int>Dv, <floating>0, &dv[n, 0, 0], <int>Dv)
            for i in range(Lq):
                _softmax_grad_row(&w[n, i, 0], ds + i * Lk, Lk, scale, _dot(&w[n, i, 0], ds + i * Lk, Lk))
            if D:
                gemm(False, False, <int>Lq, <int>D, <int>Lk, <floating>1, ds, <int>Lk,
                     &k[n, 0, 0], <int>D, <floating>0, &dq[n, 0, 0], <int>D)
                gemm(True, False, <int>Lk, <int>D, <int>Lq, <floating>1, ds, <int>Lk,
                     &q[n, 0, 0], <int>D, <floating>0, &dk[n, 0, 0], <int>D)
            _restore_blas_threads(blas_threads)


# ----------------------------------------------------------------------------- tiled path

def attention_tiled_forward(q, k, v, mask=None, scale=1.0, causal=False):
    """attention_forward without the weights: online softmax over (BQ, BK) tiles.

    Returns (out (N, Lq, Dv), logsumexp (N, Lq) float64).
    """
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    m = _prepare_mask(mask, q, N, Lq, Lk)
    out = np.zeros((N, Lq, Dv), q.dtype)
    lse = np.full((N, Lq), -np.inf)
    if N and Lq and Lk:
        nt = threads_for(N * Lq * Lk, MIN_WORK)
        s = np.empty((nt, min(BQ, Lq), min(BK, Lk)), q.dtype)
        if q.dtype == np.float32:
            _tiled_forward[float](q, k, v, m, float(scale), bool(causal), out, lse, s)
        else:
            _tiled_forward[double](q, k, v, m, float(scale), bool(causal), out, lse, s)
    return out, lse


cdef void _tiled_forward(floating[:, :, ::1] q, floating[:, :, ::1] k, floating[:, :, ::1] v, object mask_arr,
                         double scale, bint causal, floating[:, :, ::1] out, double[:, ::1] lse,
                         floating[:, :, ::1] s_all):
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, qb, kb, i0, k0, bq, bk, M = 1, tq = s_all.shape[1]
    cdef int nt = s_all.shape[0]
    cdef double[:, ::1] m_all = np.empty((nt, tq)), l_all = np.empty((nt, tq))
    cdef double* m_run
    cdef double* l_run
    cdef floating* s
    cdef floating[:, :, ::1] mask
    cdef bint has_mask = mask_arr is not None
    if has_mask:
        mask = mask_arr
        M = mask.shape[0]
    cdef int blas_threads
    with nogil:
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            blas_threads = _single_blas_thread()
            s = &s_all[threadid(), 0, 0]
            m_run = &m_all[threadid(), 0]
            l_run = &l_all[threadid(), 0]
            for qb in range((Lq + BQ - 1) // BQ):
                i0 = qb * BQ
                bq = min(BQ, Lq - i0)
                for i in range(bq):
                    m_run[i] = -INFINITY
                    l_run[i] = 0
                for kb in range((Lk + BK - 1) // BK):
                    k0 = kb * BK
                    if causal and k0 > i0 + bq - 1:
                        break  # every later key is in the future of every query of the block
                    bk = min(BK, Lk - k0)
                    gemm(False, True, <int>bq, <int>bk, <int>D, <floating>1, &q[n, i0, 0] if D else NULL, <int>D,
                         &k[n, k0, 0] if D else NULL, <int>D, <floating>0, s, <int>bk)
                    for i in range(bq):
                        _online_row(s + i * bk, bk, scale, &mask[n % M, i0 + i, k0] if has_mask else NULL,
                                    _causal_limit(causal, i0 + i) - k0, &m_run[i], &l_run[i],
                                    &out[n, i0 + i, 0] if Dv else NULL, Dv)
                    if Dv:
                        gemm(False, False, <int>bq, <int>Dv, <int>bk, <floating>1, s, <int>bk,
                             &v[n, k0, 0], <int>Dv, <floating>1, &out[n, i0, 0], <int>Dv)
                for i in range(bq):
                    _finish_row(&out[n, i0 + i, 0] if Dv else NULL, Dv, m_run[i], l_run[i], &lse[n, i0 + i])
            _restore_blas_threads(blas_threads)


cdef inline void _finish_row(floating* o, Py_ssize_t Dv, double m, double l, double* lse) noexcept nogil:
    cdef Py_ssize_t j
    cdef double inv
    if l == 0:
        for j in range(Dv):
            o[j] = 0
        lse[0] = -INFINITY
        return
    inv = 1.0 / l
    for j in range(Dv):
        o[j] = <floating>(o[j] * inv)
    lse[0] = m + log(l)


def attention_tiled_backward(q, k, v, out, grad_out, lse, mask=None, scale=1.0, causal=False):
    """Gradients (dq, dk, dv) of attention_tiled_forward (or attention_forward), recomputing
    each (BQ, BK) tile of weights from the saved logsumexp (N, Lq)."""
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    check_same_dtype(out, "out", q, "query", 3)
    if out.shape != (N, Lq, Dv):
        raise ValueError(f"out must have shape {(N, Lq, Dv)}, got {out.shape}")
    check_like(grad_out, "grad_out", out, "out")
    check_float(lse, "lse", 2)
    if lse.dtype != np.float64 or lse.shape != (N, Lq):
        raise ValueError(f"lse must be float64 of shape {(N, Lq)}, got {lse.dtype} {lse.shape}")
    m = _prepare_mask(mask, q, N, Lq, Lk)
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    if N and Lq and Lk:
        delta = np.einsum("nld,nld->nl", grad_out, out, dtype=np.float64)
        nt = threads_for(N * Lq * Lk, MIN_WORK)
        s = np.empty((nt, min(BQ, Lq), min(BK, Lk)), q.dtype)
        ds = np.empty_like(s)
        if q.dtype == np.float32:
            _tiled_backward[float](q, k, v, grad_out, lse, delta, m, float(scale), bool(causal), dq, dk, dv, s, ds)
        else:
            _tiled_backward[double](q, k, v, grad_out, lse, delta, m, float(scale), bool(causal), dq, dk, dv, s, ds)
    return dq, dk, dv


cdef void _tiled_backward(floating[:, :, ::1] q, floating[:, :, ::1] k, floating[:, :, ::1] v,
                          floating[:, :, ::1] go, double[:, ::1] lse, double[:, ::1] delta, object mask_arr,
                          double scale, bint causal, floating[:, :, ::1] dq, floating[:, :, ::1] dk,
                          floating[:, :, ::1] dv, floating[:, :, ::1] s_all, floating[:, :, ::1] ds_all):
    cdef Py_ssize_t N = q.shape[0], Lq = q.shape[1], Lk = k.shape[1], D = q.shape[2], Dv = v.shape[2]
    cdef Py_ssize_t n, i, j, qb, kb, i0, k0, bq, bk, M = 1
    cdef int nt = s_all.shape[0]
    cdef floating* s
    cdef floating* ds
    cdef floating[:, :, ::1] mask
    cdef bint has_mask = mask_arr is not None
    if has_mask:
        mask = mask_arr
        M = mask.shape[0]
    cdef int blas_threads
    with nogil:
        for n in prange(N, num_threads=nt, schedule="dynamic"):
            blas_threads = _single_blas_thread()
            s = &s_all[threadid(), 0, 0]
            ds = &ds_all[threadid(), 0, 0]
            for qb in range((Lq + BQ - 1) // BQ):
                i0 = qb * BQ
                bq = min(BQ, Lq - i0)
                for kb in range((Lk + BK - 1) // BK):
                    k0 = kb * BK
                    if causal and k0 > i0 + bq - 1:
                        break
                    bk = min(BK, Lk - k0)
                    gemm(False, True, <int>bq, <int>bk, <int>D, <floating>1, &q[n, i0, 0] if D else NULL, <int>D,
                         &k[n, k0, 0] if D else NULL, <int>D, <floating>0, s, <int>bk)
                    for i in range(bq):
                        _probs_from_lse(s + i * bk, bk, scale, &mask[n % M, i0 + i, k0] if has_mask else NULL,
                                        _causal_limit(causal, i0 + i) - k0, lse[n, i0 + i])
                    if Dv:
                        # dV_j += P^T dO_i ; dP = dO_i V_j^T
                        gemm(True, False, <int>bk, <int>Dv, <int>bq, <floating>1, s, <int>bk,
                             &go[n, i0, 0], <int>Dv, <floating>1, &dv[n, k0, 0], <int>Dv)
                        gemm(False, True, <int>bq, <int>bk, <int>Dv, <floating>1, &go[n, i0, 0], <int>Dv,
                             &v[n, k0, 0], <int>Dv, <floating>0, ds, <int>bk)
                    else:
                        for j in range(bq * bk):
                            ds[j] = 0
                    for i in range(bq):
                        _softmax_grad_row(s + i * bk, ds + i * bk, bk, scale, delta[n, i0 + i])
                    if D:
                        gemm(False, False, <int>bq, <int>D, <int>bk, <floating>1, ds, <int>bk,
                             &k[n, k0, 0], <int>D, <floating>1, &dq[n, i0, 0], <int>D)
                        gemm(True, False, <int>bk, <int>D, <int>bq, <floating>1, ds, <int>bk,
                             &q[n, i0, 0], <int>D, <floating>1, &dk[n, k0, 0], <int>D)
            _restore_blas_threads(blas_threads)


include "layernorm.pxi"
