# Fully connected layer y = x W^T + b, forward and backward, on scipy's BLAS.
#
# numpy.matmul would run the same GEMMs on NumPy's own OpenBLAS, a second BLAS
# thread pool beside SciPy's (which the conv and recurrent kernels use); the idle
# threads of one pool spin while the other works and halve its speed. Routing every
# layer GEMM through scipy.linalg.cython_blas keeps one pool.
from cython.parallel cimport prange
from cython cimport floating
import numpy as np
from blas cimport gemm, gemm_bias
from gemmsplit cimport gemm_serial, gemm_split, split_parts, ksplit_chunks
from flatarray cimport column_sums
from parallel cimport threads_for, fastnn_max_threads
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end
from gemmsplit cimport fastnn_in_parallel, fastnn_packed_sgemm_pays, fastnn_prepacked_size, fastnn_prepacked_put
from gemmsplit cimport gemm_prepacked
from skinnygemm cimport skinny_forward, skinny_grad_input, skinny_grad_weight
cimport skinnygemm

include "checks.pxi"

cdef Py_ssize_t MIN_WORK = 65536

cdef extern from "cpulevel.h" nogil:
    int fastnn_cpu_level()
from panelgemm cimport fastnn_panel_width_f, fastnn_panel_width_d

# The path rule: a layer runs on csrc/skinnygemm.h's products, which read x once, when
# - it has at most one panel of outputs (2 vectors: 32 float32 on AVX-512, 16 on AVX2), and
# - x holds at least SKINNY_MIN_INPUT values (below, x stays in cache, the products are
#   compute-bound, and OpenBLAS's kernels are as fast or faster: (64, 800) -> 32 ran 1.3x
#   slower on the skinny forward), and
# - the AVX2 or AVX-512 build runs (the baseline build's 4-lane kernels lose to any BLAS).
# Measured fwd + backward on a Xeon AVX-512 (2 cores) against OpenBLAS 0.3.31 (SkylakeX kernels):
# (2708, 1433) -> 16: 0.43-0.66x the time; -> 32: 0.64-0.71x; -> 48 (two panels): 0.87x but
# 1.25x on AVX2; (256, 256) -> 16: 0.74x; (128, 256) -> 16: 1.1x. Wider layers stay on BLAS.
SKINNY_MIN_INPUT = 65536
skinnygemm.fastnn_skinny_stream_bytes = skinnygemm.fastnn_llc_bytes() // 2
_path = None   # tests: "skinny" or "blas" forces a path; None applies the rule


cdef bint _skinny_rule(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, bint single):
    if _path is not None:
        return _path == "skinny"
    if fastnn_cpu_level() < 1 or M * K < SKINNY_MIN_INPUT:
        return False
    return N <= (fastnn_panel_width_f() if single else fastnn_panel_width_d())


def _skinny(Py_ssize_t M, Py_ssize_t K, Py_ssize_t N, dtype):
    """Whether an (M, K) -> N layer of this dtype runs on the skinny products."""
    return _skinny_rule(M, K, N, dtype == np.float32)


def _stream_from_bytes(n=None):
    """The size from which the skinny input gradient is written with streaming stores; with n, set it first
    (for tests and measurements). Returns the size in force before the call."""
    old = skinnygemm.fastnn_skinny_stream_bytes
    if n is not None:
        skinnygemm.fastnn_skinny_stream_bytes = n
    return old


cdef inline int _threads() noexcept nogil:
    return 1 if fastnn_in_parallel() else fastnn_max_threads()


cdef void _fill_rows(floating *out, Py_ssize_t rows, Py_ssize_t cols, const floating *bias) noexcept nogil:
    cdef fastnn_team_steer _team
    cdef Py_ssize_t r, c
    cdef int nt = threads_for(rows * cols, MIN_WORK)
    fastnn_team_begin(&_team, nt)
    for r in prange(rows, num_threads=nt, schedule="static"):
        for c in range(cols):
            out[r * cols + c] = bias[c]
    fastnn_team_end(&_team)


# The products below take the arrays' data pointers (checked by the public functions): a fused def's
# dispatch and its typed memoryviews cost several microseconds a call, which a small layer (an MLP's
# (32, 4) -> 16) pays on every forward and backward.

cdef int _forward(x, w, bias, out, bint skinny, floating tag) except -1:
    cdef Py_ssize_t M = x.shape[0], K = x.shape[1], N = w.shape[0]
    cdef const floating *xp = <const floating *>data_of(x)
    cdef const floating *wp = <const floating *>data_of(w)
    cdef const floating *bp = NULL if bias is None else <const floating *>data_of(bias)
    cdef floating *op = <floating *>data_of(out)
    cdef floating beta = 0
    cdef int err = 0
    if skinny and K:
        with nogil:
            err = skinny_forward(M, K, N, xp, wp, bp, op, _threads())
        if err:
            raise MemoryError("linear_forward: out of memory for the packed weight")
        return 0
    with nogil:
        if bp != NULL and M and N and K:
            gemm_bias(False, True, <int>M, <int>N, <int>K, <floating>1, xp, <int>K, wp, <int>K, op, <int>N, bp)
            return 0
        if bp != NULL:   # no input features (K = 0), or an empty output: the bias alone
            _fill_rows(op, M, N, bp)
            beta = 1
        gemm(False, True, <int>M, <int>N, <int>K, <floating>1, xp if M and K else NULL, <int>K,
             wp if N and K else NULL, <int>K, beta, op if M and N else NULL, <int>N)
    return 0


def linear_forward(x, weight, bias=None):
    """Fully connected layer: ``x @ weight.T + bias``.

    Parameters
    ----------
    x : ndarray, (M, K), float32 or float64, C-contiguous
    weight : ndarray, (N, K), x's dtype, C-contiguous
    bias : ndarray, (N,), x's dtype, C-contiguous; or None (no bias)

    Returns
    -------
    out : ndarray, (M, N), x's dtype
    """
    check_float(x, "input", 2)
    check_same_dtype(weight, "weight", x, "input", 2)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"input has {x.shape[1]} features, weight expects {weight.shape[1]}")
    if bias is not None:
        check_same_dtype(bias, "bias", x, "input", 1)
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
    out = np.empty((x.shape[0], weight.shape[0]), x.dtype)
    cdef bint single = is_single(x)
    if out.size:
        skinny = _skinny_rule(x.shape[0], x.shape[1], weight.shape[0], single)
        if single:
            _forward(x, weight, bias, out, skinny, <float>0)
        else:
            _forward(x, weight, bias, out, skinny, <double>0)
    return out


cdef int _backward(x, w, g, gx, gw, gb, bint skinny, floating tag) except -1:
    """The gradients whose output array is given (the others are None)."""
    cdef int M = <int>x.shape[0], K = <int>x.shape[1], N = <int>w.shape[0]
    cdef const floating *xp = <const floating *>data_of(x)
    cdef const floating *wp = <const floating *>data_of(w)
    cdef const floating *gp = <const floating *>data_of(g)
    cdef floating *gxp = NULL if gx is None else <floating *>data_of(gx)
    cdef floating *gwp = NULL if gw is None else <floating *>data_of(gw)
    cdef floating *gbp = NULL if gb is None else <floating *>data_of(gb)
    cdef int err = 0
    with nogil:
        # gW first: it reads x, which the forward has just read (still in cache when it fits)
        if gwp != NULL:
            if skinny:
                err = skinny_grad_weight(M, K, N, xp, gp, gwp, _threads())
            else:
                gemm(True, False, N, K, M, <floating>1, gp, N, xp, K, <floating>0, gwp, K)
        if gxp != NULL and not err:
            if skinny:
                err = skinny_grad_input(M, K, N, gp, wp, gxp, _threads())
            else:
                gemm(False, False, M, K, N, <floating>1, gp, N, wp, K, <floating>0, gxp, K)
        if gbp != NULL:
            column_sums(gp, M, N, gbp)
    if err:
        raise MemoryError("linear_backward: out of memory for a workspace")
    return 0


def linear_backward(x, weight, grad_out, need_input=True, need_weight=True, need_bias=True):
    """Gradients of linear_forward.

    Parameters
    ----------
    x, weight : ndarray, as given to linear_forward
    grad_out : ndarray, (M, N), x's dtype, C-contiguous
    need_input, need_weight, need_bias : bool
        Compute the input, weight or bias gradient; a gradient not needed is returned as None.

    Returns
    -------
    grad_input : ndarray (M, K) or None
    grad_weight : ndarray (N, K) or None
    grad_bias : ndarray (N,) or None
    """
    check_float(x, "input", 2)
    check_same_dtype(weight, "weight", x, "input", 2)
    check_same_dtype(grad_out, "grad_out", x, "input", 2)
    M, K, N = x.shape[0], x.shape[1], weight.shape[0]
    if weight.shape[1] != K or grad_out.shape != (M, N):
        raise ValueError(f"shapes do not match: input {x.shape}, weight {weight.shape}, grad_out {grad_out.shape}")
    # the GEMMs overwrite (beta 0): zero-filling first would cost a pass over gx (15 MB for Cora's
    # first GCN layer, 1.2 ms) for nothing; an empty product (N = 0) leaves the zeros
    alloc = np.empty if M and N and K else np.zeros
    gx = alloc((M, K), x.dtype) if need_input else None
    gw = alloc((N, K), x.dtype) if need_weight else None
    gb = np.zeros(N, x.dtype) if need_bias else None
    if M and N and K:
        single = is_single(x)
        skinny = _skinny_rule(M, K, N, single)
        if single:
            _backward(x, weight, grad_out, gx, gw, gb, skinny, <float>0)
        else:
            _backward(x, weight, grad_out, gx, gw, gb, skinny, <double>0)
    elif need_bias and M:
        gb[...] = grad_out.sum(axis=0)
    return gx, gw, gb


# ------------------------------------------------------------------------ matrix product

cdef tuple _gemm_operand(object x):
    """(transposed, C-contiguous array) with x == array.T if transposed: a transposed view goes in as
    BLAS's transpose flag instead of a copy."""
    if x.flags.c_contiguous:
        return False, x
    if x.flags.f_contiguous:
        return True, x.T
    return False, np.ascontiguousarray(x)


def _matmul(const floating[:, ::1] a, const floating[:, ::1] b, bint trans_a, bint trans_b, int m, int n, int k,
            floating[:, ::1] out):
    with nogil:
        gemm(trans_a, trans_b, m, n, k, <floating>1, &a[0, 0], <int>a.shape[1], &b[0, 0], <int>b.shape[1],
             <floating>0, &out[0, 0], n)


def matmul(a, b):
    """Matrix product ``a @ b`` of two 2-D arrays on the kernels' GEMM (split over fastnn's threads when
    large, csrc/gemmsplit.pxd).

    Parameters
    ----------
    a : ndarray, (M, K), float32 or float64; any strides (a transposed view is not copied)
    b : ndarray, (K, N), a's dtype

    Returns
    -------
    out : ndarray, (M, N), a's dtype, C-contiguous
    """
    if not isinstance(a, np.ndarray) or a.dtype not in (np.float32, np.float64) or a.ndim != 2:
        raise TypeError("a must be a 2-D float32 or float64 numpy.ndarray")
    if not isinstance(b, np.ndarray) or b.dtype != a.dtype or b.ndim != 2:
        raise TypeError(f"b must be a 2-D numpy.ndarray of a's dtype ({a.dtype})")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a {a.shape} and b {b.shape} cannot be multiplied")
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    if m * k * n == 0:
        return np.zeros((m, n), a.dtype)
    trans_a, a2 = _gemm_operand(a)
    trans_b, b2 = _gemm_operand(b)
    out = np.empty((m, n), a.dtype)
    _matmul(a2, b2, trans_a, trans_b, m, n, k, out)
    return out


# --------------------------------------------------------- the split GEMM (csrc/gemmsplit.pxd), for tests

def _gemm_in_parts(const floating[:, ::1] a, const floating[:, ::1] b, bint trans_a, bint trans_b, int parts,
                   int threads):
    """op(a) @ op(b) cut into about `parts` slices on `threads` threads (parts 1: one BLAS call)."""
    cdef int m = <int>(a.shape[1] if trans_a else a.shape[0]), k = <int>(a.shape[0] if trans_a else a.shape[1])
    cdef int n = <int>(b.shape[0] if trans_b else b.shape[1])
    if (b.shape[1] if trans_b else b.shape[0]) != k or m == 0 or n == 0 or k == 0 or parts < 1 or threads < 1:
        raise ValueError("_gemm_in_parts: shapes do not match, or an empty product")
    out = np.empty((m, n), np.float32 if floating is float else np.float64)
    cdef floating[:, ::1] c = out
    with nogil:
        if parts == 1:
            gemm_serial(trans_a, trans_b, m, n, k, <floating>1, &a[0, 0], <int>a.shape[1], &b[0, 0], <int>b.shape[1],
                        <floating>0, &c[0, 0], n)
        else:
            gemm_split(trans_a, trans_b, m, n, k, <floating>1, &a[0, 0], <int>a.shape[1], &b[0, 0], <int>b.shape[1],
                       <floating>0, &c[0, 0], n, parts, threads)
    return out


def _prepacked_product(const float[:, ::1] a, const float[:, ::1] b, bint trans_a):
    """op(a) @ b with b written row by row into the engine's packed layout first (fastnn_prepacked_put), then
    gemm_prepacked; None where the packed engine does not run this product (not the AVX-512 build)."""
    cdef int m = <int>(a.shape[1] if trans_a else a.shape[0]), k = <int>b.shape[0], n = <int>b.shape[1]
    cdef Py_ssize_t r
    if (a.shape[0] if trans_a else a.shape[1]) != k:
        raise ValueError("_prepacked_product: shapes do not match")
    if not fastnn_packed_sgemm_pays(m, n, k):
        return None
    cdef float[::1] packed = np.zeros(fastnn_prepacked_size(k, n), np.float32)
    out = np.empty((m, n), np.float32)
    cdef float[:, ::1] c = out
    with nogil:
        for r in range(k):
            fastnn_prepacked_put(&packed[0], k, n, r, 0, n, &b[r, 0])
        gemm_prepacked(trans_a, m, n, k, &a[0, 0], <int>a.shape[1], &packed[0], &c[0, 0], n)
    return out


def _split_parts(int m, int n, int k, int threads):
    """The slices the GEMM rule gives a product of C (m, n) over k on `threads` threads."""
    return split_parts(m, n, k, threads)


def _ksplit_chunks(int m, int n, int k):
    """The k-chunks the GEMM rule cuts the sum of a product of C (m, n) over k into (1: none)."""
    return ksplit_chunks(m, n, k)


# ------------------------------------------------------------------------------- embedding

def _embedding_backward(const long long[::1] idx, const floating[:, ::1] g, floating[:, ::1] gw):
    # Serial: rows of gw collide wherever indices repeat. One pass of adds, against NumPy's
    # np.add.at (measured: 7.6 ms for 6,400 x 64 floats, a CharLM step's embedding).
    cdef Py_ssize_t n, c, D = g.shape[1]
    with nogil:
        for n in range(idx.shape[0]):
            for c in range(D):
                gw[idx[n], c] += g[n, c]


def embedding_backward(indices, grad_out, num_embeddings):
    """Gradient of an embedding lookup weight[indices]: row v of the result sums the rows of
    grad_out whose index is v.

    Parameters
    ----------
    indices : ndarray (N,), int64, C-contiguous, values in [0, num_embeddings)
    grad_out : ndarray (N, D), float32 or float64, C-contiguous
    num_embeddings : int

    Returns
    -------
    grad_weight : ndarray (num_embeddings, D) of grad_out's dtype
    """
    check_float(grad_out, "grad_out", 2)
    if not isinstance(num_embeddings, (int, np.integer)) or num_embeddings < 0:
        raise ValueError(f"num_embeddings must be a non-negative int, got {num_embeddings!r}")
    check_index(indices, "indices", grad_out.shape[0], num_embeddings)
    gw = np.zeros((num_embeddings, grad_out.shape[1]), grad_out.dtype)
    if indices.shape[0] and grad_out.shape[1]:
        _embedding_backward(indices, grad_out, gw)
    return gw
