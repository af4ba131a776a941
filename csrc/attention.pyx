# Scaled-dot-product attention (full and tiled), forward and backward (layer norm: norm.pyx).
#
# Attention runs over N = batch * heads independent problems q (Lq, D), k (Lk, D),
# v (Lk, Dv). Each OpenMP thread takes whole problems (prange over N) and runs their
# products on the project's panel micro-kernel (panelgemm.h) with the scaling, masking,
# causal cut-off and softmax fused into one pass over each logits row. No BLAS is called:
# a BLAS call per small product would either wake the BLAS thread pool from inside the
# OpenMP team (oversubscription) or need OpenBLAS's thread count switched per worker,
# which in the OpenBLAS SciPy ships is process-wide (DESIGN.md section 5, rule 3).
# K^T and V^T are packed into column panels once per problem (the tiled path packs V and K as
# well); the other right-hand operands (the weights, P, dS) are read in place as panels, and the
# left-hand transposes the backward needs (dO^T, Q^T) are made once per block of query rows, so
# that dV^T and dK^T accumulate per problem and are transposed once at its end.
#
# attnpack.h holds the packing and transposes (16 x 16 register transposes in the AVX-512 build), attnrow.h the
# unmasked float32 softmax rows in AVX-512 and AVX2 builds of their own; rowsoftmax.h's rows run the rest.
#
# The full path materialises the (Lq, Lk) weights (needed when a caller asks for
# them). The tiled path keeps a running max and sum per query row (online
# softmax) over key blocks, so only (BQ, BK) tiles exist; its backward recomputes
# each tile from the saved row logsumexp.
#
# Inputs are read through const memoryviews, so read-only arrays (memmaps, broadcast
# views) are used in place. q, k, v and the gradients need contiguous rows within a
# problem; the leading (problem) axis may have any stride, 0 included. Masks may be
# broadcast views along any axis but the key axis.
#
# Masked positions are -inf logits. A row whose every key is masked gets weights
# 0, output 0, logsumexp -inf and gradient 0 (PyTorch's scaled_dot_product_attention).
from cython.parallel cimport prange, threadid
from cython cimport floating
from libc.math cimport INFINITY, NAN, log
import numpy as np
from parallel cimport threads_for
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end
from rowsoftmax cimport attention_row, attention_online_row, attention_probs_row, attention_grad_row, scale_row
from panelgemm cimport panel_gemm, fastnn_panel_width_f, fastnn_panel_width_d

cdef extern from "attnpack.h" nogil:
    void fastnn_attn_pack_f(const float* b, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K, Py_ssize_t cols,
                            Py_ssize_t nr, float* dst)
    void fastnn_attn_pack_d(const double* b, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K, Py_ssize_t cols,
                            Py_ssize_t nr, double* dst)
    void fastnn_attn_transpose_f(const float* src, Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t ld, float* dst)
    void fastnn_attn_transpose_d(const double* src, Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t ld, double* dst)
    bint fastnn_attn_any_nan_f(const float* x, Py_ssize_t n)
    bint fastnn_attn_any_nan_d(const double* x, Py_ssize_t n)
    double fastnn_attn_dot_f(const float* a, const float* b, Py_ssize_t n)

cdef extern from "attnrow.h" nogil:
    float fastnn_attn_row_f32(float* s, Py_ssize_t C, Py_ssize_t active, float scale, const float* mask)
    float fastnn_attn_online_row_f32(float* s, Py_ssize_t C, Py_ssize_t active, float scale, const float* mask,
                                     double* m_run, double* l_run)
    void fastnn_attn_probs_row_f32(float* s, Py_ssize_t C, Py_ssize_t active, float scale, const float* mask,
                                   double lse)

include "checks.pxi"

cdef Py_ssize_t MIN_WORK = 16384
# Tile sizes (query rows, keys) of the tiled path; BQ is also the full backward's row block.
# BK must be a multiple of every panel width (8 to 32 floats).
cdef Py_ssize_t BQ = 128
cdef Py_ssize_t BK = 256


# ----------------------------------------------------------------------------- masks

# The additive masks of one call, as raw views: problem n reads the attention mask at
# [n // g2, n % g2] (strides in elements, any of them 0 for a broadcast view; unit stride
# along keys) and the key mask's row n // per.
cdef struct Masks:
    const void* attn
    Py_ssize_t a0, a1, a2, g2
    const void* key
    Py_ssize_t k0, per


cdef inline const floating* _mask_row(const Masks* m, floating* tmp, Py_ssize_t n, Py_ssize_t i, Py_ssize_t c0,
                                      Py_ssize_t cols) noexcept nogil:
    """Additive mask of query row i of problem n over keys c0 .. c0 + cols: the attention mask's
    row, the key mask's, their sum (written to tmp), or NULL."""
    cdef const floating* a = NULL
    cdef const floating* b = NULL
    cdef Py_ssize_t j
    if m.attn != NULL:
        a = <const floating*>m.attn + (n // m.g2) * m.a0 + (n % m.g2) * m.a1 + i * m.a2 + c0
    if m.key != NULL:
        b = <const floating*>m.key + (n // m.per) * m.k0 + c0
    if a == NULL:
        return b
    if b == NULL:
        return a
    for j in range(cols):
        tmp[j] = a[j] + b[j]
    return tmp


cdef object _compact_additive(object m, object dtype, str name):
    """m (bool: True keeps, or dtype) as an additive array of dtype, converting only its distinct
    values: a broadcast view is converted at its un-broadcast size and broadcast back."""
    if not isinstance(m, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray or None, got {type(m).__name__}")
    if m.dtype != np.bool_ and m.dtype != dtype:
        raise TypeError(f"{name} must be bool or have the dtype of query ({dtype}), got {m.dtype}")
    if m.size == 0:
        return np.zeros(m.shape, dtype)
    cdef Py_ssize_t last = m.ndim - 1, keys = m.shape[last]
    base = m[tuple(slice(0, 1) if s == 0 else slice(None) for s in m.strides)]
    if m.dtype == np.bool_:
        base = np.where(base, dtype.type(0), dtype.type(-np.inf))
    if base.shape[last] != keys or keys > 1 and base.strides[last] != base.itemsize:
        # the kernels read a row of keys with unit stride
        base = np.ascontiguousarray(np.broadcast_to(base, base.shape[:last] + (keys,)))
    return np.broadcast_to(base, m.shape)


cdef object _prepare_mask(object mask, object q, Py_ssize_t N, Py_ssize_t Lq, Py_ssize_t Lk):
    """mask -> None or an additive (G1, G2, Lq, Lk) array of q's dtype, G1 * G2 = N."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy.ndarray or None, got {type(mask).__name__}")
    if mask.ndim == 3:
        if mask.shape[1:] != (Lq, Lk) or mask.shape[0] not in (1, N):
            raise ValueError(f"mask must have shape (1, {Lq}, {Lk}) or ({N}, {Lq}, {Lk}), got {mask.shape}")
        mask = np.broadcast_to(mask, (N, Lq, Lk))[None]
    elif mask.ndim != 4 or mask.shape[2:] != (Lq, Lk) or mask.shape[0] * mask.shape[1] != N:
        raise ValueError(f"mask must have shape (1 or {N}, {Lq}, {Lk}) or (G1, G2, {Lq}, {Lk}) with "
                         f"G1 * G2 = {N}, got {mask.shape}")
    return _compact_additive(mask, q.dtype, "mask")


cdef object _prepare_key_mask(object key_mask, object q, Py_ssize_t N, Py_ssize_t Lk):
    """key_mask -> None or an additive (G, Lk) array of q's dtype, G dividing N."""
    if key_mask is None:
        return None
    if not isinstance(key_mask, np.ndarray):
        raise TypeError(f"key_mask must be a numpy.ndarray or None, got {type(key_mask).__name__}")
    if key_mask.ndim != 2 or key_mask.shape[1] != Lk or \
            (N and (key_mask.shape[0] == 0 or N % key_mask.shape[0])):
        raise ValueError(f"key_mask must have shape (G, {Lk}) with G dividing {N}, got {key_mask.shape}")
    return _compact_additive(key_mask, q.dtype, "key_mask")


cdef Masks _masks(object mask, object key_mask, Py_ssize_t N):
    cdef Masks m
    cdef Py_ssize_t size
    m.attn = NULL
    m.key = NULL
    m.a0 = m.a1 = m.a2 = m.k0 = 0
    m.g2 = m.per = 1
    if mask is not None and mask.size:
        size = mask.itemsize
        m.attn = <const void*><size_t>mask.ctypes.data
        m.a0, m.a1, m.a2 = mask.strides[0] // size, mask.strides[1] // size, mask.strides[2] // size
        m.g2 = mask.shape[1]
    if key_mask is not None and key_mask.size:
        m.key = <const void*><size_t>key_mask.ctypes.data
        m.k0 = key_mask.strides[0] // key_mask.itemsize
        m.per = N // key_mask.shape[0]
    return m


# ----------------------------------------------------------------------------- row passes

cdef inline Py_ssize_t _active(Py_ssize_t C, Py_ssize_t limit) noexcept nogil:
    """Columns 0..limit of a row of C are visible (limit: the causal cut-off, relative to the row's tile)."""
    return C if limit >= C else limit + 1


cdef inline Py_ssize_t _causal_limit(bint causal, Py_ssize_t row) noexcept nogil:
    # Top-left alignment as in PyTorch: query i sees keys 0..i whatever Lq and Lk are.
    return row if causal else (<Py_ssize_t>1 << 62)


cdef inline void _online_row(floating* s, Py_ssize_t C, double scale, const floating* mask, Py_ssize_t limit,
                             double* m_run, double* l_run, floating* acc, Py_ssize_t Dv) noexcept nogil:
    """One key tile of the online softmax for one query row: s becomes exp(z - new max),
    the running sum and the output accumulator are rescaled to the new max."""
    cdef double alpha
    if floating is float:  # attnrow.h's AVX-512 row where it applies
        alpha = fastnn_attn_online_row_f32(s, C, _active(C, limit), <float>scale, mask, m_run, l_run)
    else:
        alpha = attention_online_row(s, C, _active(C, limit), scale, mask, m_run, l_run)
    if alpha != 1.0:
        scale_row(acc, Dv, alpha)


cdef inline double _softmax_row(floating* s, Py_ssize_t C, Py_ssize_t active, double scale,
                                const floating* mask) noexcept nogil:
    """In place: softmax over the first `active` columns, zeros after; returns the log-sum-exp."""
    if floating is float:
        return fastnn_attn_row_f32(s, C, active, <float>scale, mask)
    else:
        return attention_row(s, C, active, scale, mask)


cdef inline void _probs_row(floating* s, Py_ssize_t C, Py_ssize_t active, double scale, const floating* mask,
                            double lse) noexcept nogil:
    """One row of weights recomputed in place from its logits and the saved log-sum-exp."""
    if floating is float:
        fastnn_attn_probs_row_f32(s, C, active, <float>scale, mask, lse)
    else:
        attention_probs_row(s, C, active, scale, mask, lse)


cdef inline void _softmax_grad_row(const floating* p, floating* dp, Py_ssize_t C, double scale,
                                   double delta) noexcept nogil:
    """In place: dp = scale * p * (dp - delta), delta = sum(p * dp) (or rowsum(dO * O)); in the
    row's own precision, so that float32 rows run a whole vector of floats, in the CPU's vector build."""
    attention_grad_row(p, dp, C, scale, delta)


cdef inline bint _any_nan(const floating* x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        return fastnn_attn_any_nan_f(x, n)
    else:
        return fastnn_attn_any_nan_d(x, n)


cdef inline void _fill_nan(floating* x, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        x[j] = NAN


cdef inline void _spread_nan_columns(const floating* go, Py_ssize_t Lq, Py_ssize_t Dv, floating* dv,
                                     Py_ssize_t Lk) noexcept nogil:
    """dV[:, d] = NaN for every column d where the output gradient (Lq, Dv) holds a NaN: the zero
    probabilities of skipped causal tiles times NaN (dV = P^T dO) are NaN, as in the reference."""
    cdef Py_ssize_t i, j, d
    for d in range(Dv):
        for i in range(Lq):
            if go[i * Dv + d] != go[i * Dv + d]:
                for j in range(Lk):
                    dv[j * Dv + d] = NAN
                break


cdef inline double _dot(const floating* a, const floating* b, Py_ssize_t n) noexcept nogil:
    """sum(a * b) in double, over 8 independent partial sums (one chain of additions would take
    the adder's latency per element); float rows in attnpack.h (its AVX-512 loop where the CPU has one)."""
    cdef Py_ssize_t j, r, n8 = n - n % 8
    cdef double part[8]
    if floating is float:
        return fastnn_attn_dot_f(a, b, n)
    for r in range(8):
        part[r] = 0
    for j in range(0, n8, 8):
        for r in range(8):
            part[r] = part[r] + <double>a[j + r] * b[j + r]
    for j in range(n8, n):
        part[0] = part[0] + <double>a[j] * b[j]
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]))


# ----------------------------------------------------------------------------- products

cdef inline Py_ssize_t _panels(Py_ssize_t cols, Py_ssize_t nr) noexcept nogil:
    """Values of a packed matrix per row of K: its columns rounded up to whole panels."""
    return (cols + nr - 1) // nr * nr


cdef inline void _pack(const floating* b, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K,
                       Py_ssize_t cols, Py_ssize_t nr, floating* dst) noexcept nogil:
    """B(k, j) = b[k * k_stride + j * n_stride] (K x cols) into panels of nr columns, K * nr values each."""
    if floating is float:
        fastnn_attn_pack_f(b, k_stride, n_stride, K, cols, nr, dst)
    else:
        fastnn_attn_pack_d(b, k_stride, n_stride, K, cols, nr, dst)


cdef inline void _product(Py_ssize_t M, Py_ssize_t cols, Py_ssize_t K, const floating* A, Py_ssize_t lda,
                          const floating* panels, Py_ssize_t panel_stride, Py_ssize_t nr, bint accumulate,
                          floating* C, Py_ssize_t ldc) noexcept nogil:
    """C[:M, :cols] (+)= A[:M, :K] @ B, B packed in panels of nr columns: panel p at panels + p * panel_stride,
    its K rows nr apart (an offset into a longer panel selects a row range)."""
    cdef Py_ssize_t p
    for p in range((cols + nr - 1) // nr):
        panel_gemm(M, K, A, lda, panels + p * panel_stride, nr, accumulate, C + p * nr, ldc,
                   min(nr, cols - p * nr))


cdef inline void _product_rows(Py_ssize_t M, Py_ssize_t cols, Py_ssize_t K, const floating* A, Py_ssize_t lda,
                               const floating* B, Py_ssize_t ldb, Py_ssize_t nr, bint accumulate, floating* C,
                               Py_ssize_t ldc, floating* edge) noexcept nogil:
    """C[:M, :cols] (+)= A[:M, :K] @ B[:K, :cols], B row-major (rows ldb apart) read in place as panels
    of nr columns; a last partial panel is copied to edge (K * nr values) so no read passes a row's end."""
    cdef Py_ssize_t p, full = cols // nr
    for p in range(full):
        panel_gemm(M, K, A, lda, B + p * nr, ldb, accumulate, C + p * nr, ldc, nr)
    if cols > full * nr:
        _pack(B + full * nr, ldb, 1, K, cols - full * nr, nr, edge)
        panel_gemm(M, K, A, lda, edge, nr, accumulate, C + full * nr, ldc, cols - full * nr)


cdef inline void _transpose(const floating* src, Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t ld,
                            floating* dst) noexcept nogil:
    """dst (cols, rows) = src^T, src's rows ld apart."""
    if floating is float:
        fastnn_attn_transpose_f(src, rows, cols, ld, dst)
    else:
        fastnn_attn_transpose_d(src, rows, cols, ld, dst)


cdef object _float_type(floating* _):
    return np.float32 if floating is float else np.float64


cdef Py_ssize_t _width(object dtype):
    return fastnn_panel_width_f() if dtype == np.float32 else fastnn_panel_width_d()


# ----------------------------------------------------------------------------- argument checks

cdef object _check_problems(object x, str name, object ref=None):
    """x: a float32/float64 (N, L, D) array, rows contiguous within a problem; read-only and a
    strided (broadcast) problem axis are fine."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != np.float32 and x.dtype != np.float64:
        raise TypeError(f"{name} must be float32 or float64, got {x.dtype}")
    if ref is not None and x.dtype != ref.dtype:
        raise TypeError(f"{name} must have the dtype of query ({ref.dtype}), got {x.dtype}")
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D, got shape {x.shape}")
    if x.size and x.shape[2] > 1 and x.strides[2] != x.itemsize or \
            x.size and x.shape[1] > 1 and x.strides[1] != x.shape[2] * x.itemsize:
        raise ValueError(f"{name} must have contiguous (L, D) blocks (C-contiguous after the first axis)")
    return x


cdef tuple _check_qkv(q, k, v):
    _check_problems(q, "query")
    _check_problems(k, "key", q)
    _check_problems(v, "value", q)
    if k.shape[0] != q.shape[0] or v.shape[0] != q.shape[0]:
        raise ValueError(f"query, key and value must share the batch*heads dimension, got "
                         f"{q.shape[0]}, {k.shape[0]}, {v.shape[0]}")
    if k.shape[2] != q.shape[2]:
        raise ValueError(f"key head dim {k.shape[2]} differs from query head dim {q.shape[2]}")
    if v.shape[1] != k.shape[1]:
        raise ValueError(f"value length {v.shape[1]} differs from key length {k.shape[1]}")
    return q.shape[0], q.shape[1], k.shape[1], q.shape[2], v.shape[2]


cdef object _check_shaped(object x, str name, object q, tuple shape):
    _check_problems(x, name, q)
    if x.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {x.shape}")
    return x


# ----------------------------------------------------------------------------- entry points

def attention_forward(q, k, v, mask=None, scale=1.0, causal=False, key_mask=None):
    """softmax(scale * q k^T + mask + key_mask) v per problem, materialising the weights.

    q (N, Lq, D), k (N, Lk, D), v (N, Lk, Dv); mask None, bool (True keeps) or additive
    float, shape (1 or N, Lq, Lk) or (G1, G2, Lq, Lk) with G1 * G2 = N (problem n reads
    [n // G2, n % G2]; broadcast views are read in place); key_mask None or (G, Lk) of the
    same kinds, G dividing N, problem n reading row n // (N // G) (a per-batch key padding
    mask with N = batch * heads); causal masks key j > query i.
    Returns (out (N, Lq, Dv), weights (N, Lq, Lk), logsumexp (N, Lq) float64).
    """
    cdef Masks masks
    cdef Py_ssize_t nr
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    m = _prepare_mask(mask, q, N, Lq, Lk)
    km = _prepare_key_mask(key_mask, q, N, Lk)
    new = np.empty if N and Lq and Lk else np.zeros  # the kernel writes every value
    out = new((N, Lq, Dv), q.dtype)
    weights = new((N, Lq, Lk), q.dtype)
    lse = np.full((N, Lq), -np.inf)
    if N and Lq and Lk:
        masks = _masks(m, km, N)
        nr = _width(q.dtype)
        if q.dtype == np.float32:
            _full_forward[float](q, k, v, masks, scale, causal, nr, out, weights, lse)
        else:
            _full_forward[double](q, k, v, masks, scale, causal, nr, out, weights, lse)
    return out, weights, lse


def attention_backward(q, k, v, weights, grad_out, grad_weights=None, scale=1.0, causal=False):
    """Gradients (dq, dk, dv) of attention_forward from its saved weights.

    grad_weights: None or the gradient reaching the weights output (N, Lq, Lk).
    Masked positions have weight 0, so the masks are not needed here; causal (as given to
    forward) only skips the blocks of keys past every query of a block (their weights are 0).
    """
    cdef Py_ssize_t nr
    cdef bint has_gw
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    _check_shaped(weights, "weights", q, (N, Lq, Lk))
    _check_shaped(grad_out, "grad_out", q, (N, Lq, Dv))
    if grad_weights is not None:
        _check_shaped(grad_weights, "grad_weights", q, (N, Lq, Lk))
    new = np.empty if N and Lq and Lk else np.zeros  # the kernel writes every value
    dq, dk, dv = new(q.shape, q.dtype), new(k.shape, q.dtype), new(v.shape, q.dtype)
    if N and Lq and Lk:
        has_gw = grad_weights is not None
        nr = _width(q.dtype)
        gw = grad_weights if has_gw else weights  # not read without has_gw
        if q.dtype == np.float32:
            _full_backward[float](q, k, v, weights, grad_out, has_gw, gw, scale, causal, nr, dq, dk, dv)
        else:
            _full_backward[double](q, k, v, weights, grad_out, has_gw, gw, scale, causal, nr, dq, dk, dv)
    return dq, dk, dv


def attention_tiled_forward(q, k, v, mask=None, scale=1.0, causal=False, key_mask=None):
    """attention_forward without the weights: online softmax over (BQ, BK) tiles.

    Returns (out (N, Lq, Dv), logsumexp (N, Lq) float64).
    """
    cdef Masks masks
    cdef Py_ssize_t nr
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    m = _prepare_mask(mask, q, N, Lq, Lk)
    km = _prepare_key_mask(key_mask, q, N, Lk)
    out = np.zeros((N, Lq, Dv), q.dtype)
    lse = np.full((N, Lq), -np.inf)
    if N and Lq and Lk:
        masks = _masks(m, km, N)
        nr = _width(q.dtype)
        if q.dtype == np.float32:
            _tiled_forward[float](q, k, v, masks, scale, causal, nr, out, lse)
        else:
            _tiled_forward[double](q, k, v, masks, scale, causal, nr, out, lse)
    return out, lse


def attention_tiled_backward(q, k, v, out, grad_out, lse, mask=None, scale=1.0, causal=False, key_mask=None):
    """Gradients (dq, dk, dv) of attention_tiled_forward (or attention_forward), recomputing
    each (BQ, BK) tile of weights from the saved logsumexp (N, Lq); the masks as given to forward."""
    cdef Masks masks
    cdef Py_ssize_t nr
    N, Lq, Lk, D, Dv = _check_qkv(q, k, v)
    _check_shaped(out, "out", q, (N, Lq, Dv))
    _check_shaped(grad_out, "grad_out", q, (N, Lq, Dv))
    if not isinstance(lse, np.ndarray) or lse.dtype != np.float64 or lse.shape != (N, Lq):
        raise ValueError(f"lse must be a float64 array of shape {(N, Lq)}, got "
                         f"{getattr(lse, 'dtype', type(lse).__name__)} {getattr(lse, 'shape', '')}")
    m = _prepare_mask(mask, q, N, Lq, Lk)
    km = _prepare_key_mask(key_mask, q, N, Lk)
    new = np.empty if N and Lq and Lk else np.zeros  # dk and dv are written whole; dq accumulates
    dq, dk, dv = np.zeros(q.shape, q.dtype), new(k.shape, q.dtype), new(v.shape, q.dtype)
    if N and Lq and Lk:
        lse = np.ascontiguousarray(lse)
        masks = _masks(m, km, N)
        nr = _width(q.dtype)
        if q.dtype == np.float32:
            _tiled_backward[float](q, k, v, grad_out, out, lse, masks, scale, causal, nr, dq, dk, dv)
        else:
            _tiled_backward[double](q, k, v, grad_out, out, lse, masks, scale, causal, nr, dq, dk, dv)
    return dq, dk, dv


include "attention_full.pxi"
include "attention_tiled.pxi"
