# Fused row-wise softmax / log-softmax and cross-entropy, forward and backward.
#
# Rows are independent, so OpenMP splits them across threads. Scale and mask are
# applied while the row is in cache: z = scale * x + mask, softmax over z.
# The row loops themselves live in rowsoftmax_impl.h (C, vectorisable).
from cython.parallel cimport prange, parallel
from cython cimport floating
import numpy as np
from parallel cimport threads_for
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end

from rowsoftmax cimport (softmax_row, softmax_row_backward, ce_row_backward, fastnn_prefetch_bytes,
                         fastnn_prefetch_bytes_w, fastnn_stream_fence)

include "checks.pxi"

# Below this many elements a loop stays on one thread: a guess (a parallel region costs a few
# microseconds to start), not a measured crossover.
cdef Py_ssize_t MIN_WORK = 16384
# Short rows are asked into cache this many rows ahead, while the current row computes: without
# it the first pass over each row (its max, or its dot product) waited on memory. Long rows are one
# long stream the hardware prefetcher follows on its own.
cdef Py_ssize_t PREFETCH_ROWS = 2
cdef Py_ssize_t PREFETCH_MAX_ROW = 4096
# Outputs of at least this many bytes are written with non-temporal stores (float32, AVX-512 build): they
# skip reading each output line into cache before writing it, a third of a softmax's memory traffic. Smaller
# ones stay in cache for whatever reads them next (the backward reads the forward's output).
STREAM_MIN_BYTES = 8 << 20
# Threads take rows in chunks of about this many bytes as they come free (dynamic schedule): on a shared
# machine a thread that loses its core leaves its rows to the other, where equal shares waited for it.
cdef Py_ssize_t CHUNK_BYTES = 64 << 10



def softmax_forward(x, scale=1.0, mask=None, log=False):
    """Row-wise softmax (or log-softmax) of ``scale * x + mask`` over the last axis.

    Parameters
    ----------
    x : ndarray, (R, C), float32 or float64, C-contiguous
    scale : float
    mask : None, ndarray (M, C) of x's dtype (added to the scaled logits), or bool ndarray (M, C)
        (True keeps a position, False masks it out). M must divide R; row r uses mask row r % M.
    log : bool
        Return log-softmax instead of softmax.

    Returns
    -------
    out : ndarray, (R, C), x's dtype
    """
    check_float(x, "x", 2)
    cdef double s = float(scale)
    mask_arr = _prepare_mask(mask, x)
    out = np.empty_like(x)
    if x.shape[0] == 0 or x.shape[1] == 0:
        return out
    _forward_into(x, out, s, mask_arr, bool(log))
    return out


def softmax_backward(out, grad, scale=1.0, log=False):
    """Gradient of softmax_forward with respect to x.

    softmax: ``dx = scale * y * (g - sum(g * y))``; log-softmax: ``dx = scale * (g - exp(y) * sum(g))``.

    Parameters
    ----------
    out : ndarray, (R, C), float32 or float64, C-contiguous: softmax_forward's output y
    grad : ndarray, (M, C) of out's dtype, C-contiguous, M dividing R (M == R: one row per row of y):
        the output gradient g; row r of y uses grad row r % M, so a gradient broadcast over the
        leading axes (that of a sum or a mean) is passed as its distinct rows, not materialised
    scale : float
    log : bool
        out is a log-softmax.

    Returns
    -------
    grad_x : ndarray, (R, C), out's dtype
    """
    check_float(out, "out", 2)
    check_same_dtype(grad, "grad", out, "out", 2)
    cdef Py_ssize_t R = out.shape[0], C = out.shape[1], M = grad.shape[0]
    if grad.shape[1] != C or (M != R and (M == 0 or R % M != 0)):
        raise ValueError(f"grad must have the shape of out {out.shape}, or (M, {C}) with M dividing {R}, "
                         f"got {grad.shape}")
    cdef double s = float(scale)
    gx = np.empty_like(out)
    if out.shape[0] == 0 or out.shape[1] == 0:
        return gx
    _backward_into(out, grad, gx, s, bool(log))
    return gx


def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Per-row cross-entropy of class-index targets.

    Row loss = ``(1 - eps) * w[t] * -logp[t] + eps / C * sum_c w[c] * -logp[c]``; ignored rows give 0.

    Parameters
    ----------
    logits : ndarray, (R, C), float32 or float64, C-contiguous
    target : ndarray, (R,), int64, C-contiguous; values in [0, C) or == ignore_index
    weight : None or ndarray (C,), logits' dtype, C-contiguous: per-class weights w
    ignore_index : int
    label_smoothing : float in [0, 1] (eps)

    Returns
    -------
    loss : ndarray, (R,), logits' dtype
    log_probs : ndarray, (R, C), logits' dtype: what cross_entropy_backward needs
    """
    check_float(logits, "logits", 2)
    cdef Py_ssize_t R = logits.shape[0], C = logits.shape[1]
    _check_targets(target, R, C, ignore_index)
    w = _prepare_weight(weight, logits)
    eps = _check_smoothing(label_smoothing)
    logp = np.empty_like(logits)
    loss = np.zeros(R, dtype=logits.dtype)
    if R == 0 or C == 0:
        return loss, logp
    cdef const long long *tp = <const long long *>data_of(target)
    if is_single(logits):
        _ce_forward[float](<const float *>data_of(logits), tp, <const float *>data_of(w), int(ignore_index), eps,
                           <float *>data_of(logp), <float *>data_of(loss), R, C)
    else:
        _ce_forward[double](<const double *>data_of(logits), tp, <const double *>data_of(w), int(ignore_index), eps,
                            <double *>data_of(logp), <double *>data_of(loss), R, C)
    return loss, logp


def cross_entropy_backward(log_probs, target, grad_loss, weight=None, ignore_index=-100, label_smoothing=0.0):
    """Gradient of cross_entropy_forward's per-row loss with respect to the logits.

    Parameters
    ----------
    log_probs : ndarray, (R, C), float32 or float64, C-contiguous: cross_entropy_forward's log_probs
    target : ndarray, (R,), int64, C-contiguous; values in [0, C) or == ignore_index
    grad_loss : ndarray, (R,), log_probs' dtype, C-contiguous: gradient of each row's loss
    weight, ignore_index, label_smoothing : as given to cross_entropy_forward

    Returns
    -------
    grad_logits : ndarray, (R, C), log_probs' dtype
    """
    check_float(log_probs, "log_probs", 2)
    cdef Py_ssize_t R = log_probs.shape[0], C = log_probs.shape[1]
    _check_targets(target, R, C, ignore_index)
    check_same_dtype(grad_loss, "grad_loss", log_probs, "log_probs", 1)
    if grad_loss.shape[0] != R:
        raise ValueError(f"grad_loss must have shape ({R},), got {grad_loss.shape}")
    w = _prepare_weight(weight, log_probs)
    eps = _check_smoothing(label_smoothing)
    gx = np.empty_like(log_probs)
    if R == 0 or C == 0:
        return gx
    cdef const long long *tp = <const long long *>data_of(target)
    if is_single(log_probs):
        _ce_backward[float](<const float *>data_of(log_probs), tp, <const float *>data_of(grad_loss),
                            <const float *>data_of(w), int(ignore_index), eps, <float *>data_of(gx), R, C)
    else:
        _ce_backward[double](<const double *>data_of(log_probs), tp, <const double *>data_of(grad_loss),
                             <const double *>data_of(w), int(ignore_index), eps, <double *>data_of(gx), R, C)
    return gx


# ----------------------------------------------------------------------------- checks

cdef object _prepare_mask(object mask, object x):
    """Turn mask into a C-contiguous additive float mask of x's dtype (or None)."""
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy.ndarray or None, got {type(mask).__name__}")
    if mask.ndim != 2 or mask.shape[1] != x.shape[1] or mask.shape[0] == 0 or x.shape[0] % mask.shape[0] != 0:
        raise ValueError(f"mask must have shape (M, {x.shape[1]}) with M dividing {x.shape[0]}, got {mask.shape}")
    if mask.dtype == np.bool_:
        return np.where(mask, x.dtype.type(0), x.dtype.type(-np.inf))
    if mask.dtype != x.dtype:
        raise TypeError(f"mask must be bool or have the dtype of x ({x.dtype}), got {mask.dtype}")
    return np.ascontiguousarray(mask)


# read-only unit weights by (classes, dtype): the unweighted loss of a small batch would otherwise spend a
# microsecond of each call making them
cdef dict _UNIT_WEIGHTS = {}


cdef object _prepare_weight(object weight, object logits):
    C = logits.shape[1]
    if weight is None:
        key = (C, logits.dtype.char)
        ones = _UNIT_WEIGHTS.get(key)
        if ones is None:
            if len(_UNIT_WEIGHTS) > 64:
                _UNIT_WEIGHTS.clear()
            ones = np.ones(C, dtype=logits.dtype)
            ones.flags.writeable = False
            _UNIT_WEIGHTS[key] = ones
        return ones
    check_same_dtype(weight, "weight", logits, "logits", 1)
    if weight.shape[0] != C:
        raise ValueError(f"weight must have shape ({C},), got {weight.shape}")
    return weight


cdef Py_ssize_t _first_bad_target(const long long *t, Py_ssize_t n, long long upper, long long ignore) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if (t[i] < 0 or t[i] >= upper) and t[i] != ignore:
            return i
    return -1


cdef object _check_targets(object t, Py_ssize_t R, Py_ssize_t C, object ignore_index):
    """check_index's rules for the class targets, the range test as one C loop: a small batch's cross-entropy
    is a few microseconds, which NumPy's masked min and max would double."""
    if not (cnp.PyArray_Check(t) and cnp.PyArray_TYPE(<cnp.ndarray>t) == cnp.NPY_INT64
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>t) and cnp.PyArray_NDIM(<cnp.ndarray>t) == 1
            and cnp.PyArray_DIM(<cnp.ndarray>t, 0) == R and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>t)
            and isinstance(ignore_index, (int, np.integer))):
        return check_index(t, "target", R, C, ignore_index)  # the general check (raises for bad arguments)
    if not -2 ** 63 <= ignore_index < 2 ** 63:
        return check_index(t, "target", R, C, ignore_index)
    cdef Py_ssize_t bad = _first_bad_target(<const long long *>data_of(t), R, C, ignore_index) if R else -1
    if bad >= 0:
        raise IndexError(f"target holds {t[bad]}, out of range [0, {C})")
    return t


cdef double _check_smoothing(object label_smoothing) except -1:
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return eps


# ----------------------------------------------------------------------------- loops

# The row loops take the arrays' data pointers (checked by the public functions), for the reason given at the
# cross-entropy loops below.
cdef void _rows_forward(const floating *x, floating *out, Py_ssize_t R, Py_ssize_t C, double scale,
                        const floating *mask, Py_ssize_t M, bint log_output) noexcept:
    cdef fastnn_team_steer _team
    cdef Py_ssize_t r
    cdef int nt = threads_for(R * C, MIN_WORK)
    cdef Py_ssize_t ahead = PREFETCH_ROWS if C * sizeof(floating) <= PREFETCH_MAX_ROW else R
    cdef bint stream = R * C * sizeof(floating) >= STREAM_MIN_BYTES
    cdef Py_ssize_t chunk = max(1, CHUNK_BYTES // max(1, C * <Py_ssize_t>sizeof(floating)))
    fastnn_team_begin(&_team, nt)
    with nogil, parallel(num_threads=nt):
        for r in prange(R, schedule="dynamic", chunksize=chunk):
            if r + ahead < R:
                fastnn_prefetch_bytes(x + (r + ahead) * C, C * sizeof(floating))
                if not stream:
                    fastnn_prefetch_bytes_w(out + (r + ahead) * C, C * sizeof(floating))
            softmax_row(x + r * C, out + r * C, C, scale, mask + (r % M) * C if mask != NULL else NULL, log_output,
                        stream)
        if stream:
            fastnn_stream_fence()
    fastnn_team_end(&_team)


cdef void _rows_backward(const floating *y, const floating *g, Py_ssize_t M, floating *gx, Py_ssize_t R,
                         Py_ssize_t C, double scale, bint log_output) noexcept:
    cdef fastnn_team_steer _team
    cdef Py_ssize_t r
    cdef int nt = threads_for(R * C, MIN_WORK)
    cdef Py_ssize_t ahead = PREFETCH_ROWS if C * sizeof(floating) <= PREFETCH_MAX_ROW else R
    cdef bint stream = R * C * sizeof(floating) >= STREAM_MIN_BYTES
    cdef Py_ssize_t chunk = max(1, CHUNK_BYTES // max(1, C * <Py_ssize_t>sizeof(floating)))
    fastnn_team_begin(&_team, nt)
    with nogil, parallel(num_threads=nt):
        for r in prange(R, schedule="dynamic", chunksize=chunk):
            if r + ahead < R:
                fastnn_prefetch_bytes(y + (r + ahead) * C, C * sizeof(floating))
                if not stream:
                    fastnn_prefetch_bytes_w(gx + (r + ahead) * C, C * sizeof(floating))
                if M == R:
                    fastnn_prefetch_bytes(g + (r + ahead) * C, C * sizeof(floating))
            softmax_row_backward(y + r * C, g + (r % M) * C, gx + r * C, C, scale, log_output, stream)
        if stream:
            fastnn_stream_fence()
    fastnn_team_end(&_team)


cdef void _forward_into(x, out, double scale, mask, bint log_output) noexcept:
    """The forward rows of x (R, C) into out, mask None or (M, C) of x's dtype: all checked by the caller."""
    cdef Py_ssize_t R = x.shape[0], C = x.shape[1], M = 1 if mask is None else mask.shape[0]
    cdef void *mp = NULL if mask is None else data_of(mask)
    if is_single(x):
        _rows_forward(<const float *>data_of(x), <float *>data_of(out), R, C, scale, <const float *>mp, M, log_output)
    else:
        _rows_forward(<const double *>data_of(x), <double *>data_of(out), R, C, scale, <const double *>mp, M,
                      log_output)


cdef void _backward_into(y, g, gx, double scale, bint log_output) noexcept:
    """The backward rows of y (R, C) into gx, g (M, C) with M dividing R: all checked by the caller."""
    cdef Py_ssize_t R = y.shape[0], C = y.shape[1], M = g.shape[0]
    if is_single(y):
        _rows_backward(<const float *>data_of(y), <const float *>data_of(g), M, <float *>data_of(gx), R, C, scale,
                       log_output)
    else:
        _rows_backward(<const double *>data_of(y), <const double *>data_of(g), M, <double *>data_of(gx), R, C, scale,
                       log_output)


cdef _check_rows_divide(a, str name, x):
    if a.shape[1] != x.shape[1] or a.shape[0] == 0 or x.shape[0] % a.shape[0]:
        raise ValueError(f"{name} must be (M, {x.shape[1]}) with M dividing {x.shape[0]}, got {a.shape}")


def _softmax_rows(x, out, double scale, mask, bint log_output):
    """The forward rows into a given out (C-contiguous like x): for tests that place the output."""
    check_float(x, "x", 2)
    check_like(out, "out", x, "x")
    if mask is not None:
        check_same_dtype(mask, "mask", x, "x", 2)
        _check_rows_divide(mask, "mask", x)
    _forward_into(x, out, scale, mask, log_output)


def _softmax_backward_rows(y, g, gx, double scale, bint log_output):
    """The backward rows into a given gx (C-contiguous like y): for tests that place the output."""
    check_float(y, "y", 2)
    check_same_dtype(g, "g", y, "y", 2)
    check_like(gx, "gx", y, "y")
    _check_rows_divide(g, "g", y)
    _backward_into(y, g, gx, scale, log_output)


# cdef on the arrays' data pointers, called with the dtype spelled out: a def over fused memoryviews picks its
# specialisation at run time by matching buffer formats, and each memoryview costs about 0.3 us to take, which
# together cost more than a small batch's whole loss
cdef void _ce_forward(const floating *x, const long long *t, const floating *w, long long ignore, double eps,
                      floating *logp, floating *loss, Py_ssize_t R, Py_ssize_t C) noexcept:
    cdef fastnn_team_steer _team
    cdef Py_ssize_t r, c
    cdef double smooth, nll
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for r in prange(R, num_threads=nt, schedule="static"):
            softmax_row(x + r * C, logp + r * C, C, 1.0, NULL, True)
            if t[r] == ignore:
                loss[r] = 0
                continue
            nll = -w[t[r]] * logp[r * C + t[r]]
            smooth = 0
            if eps != 0:
                for c in range(C):
                    smooth = smooth - w[c] * logp[r * C + c]
                smooth = smooth / C
            loss[r] = <floating>((1.0 - eps) * nll + eps * smooth)
        fastnn_team_end(&_team)


cdef void _ce_backward(const floating *logp, const long long *t, const floating *g, const floating *w,
                       long long ignore, double eps, floating *gx, Py_ssize_t R, Py_ssize_t C) noexcept:
    cdef fastnn_team_steer _team
    cdef Py_ssize_t r, c
    cdef double wsum = 0, a, b, wt
    for c in range(C):
        wsum += w[c]
    cdef int nt = threads_for(R * C, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for r in prange(R, num_threads=nt, schedule="static"):
            if t[r] == ignore:
                for c in range(C):
                    gx[r * C + c] = 0
                continue
            # d loss / d x = (1-eps) w_t (p - e_t) + eps/C (wsum p - w)
            wt = w[t[r]]
            a = g[r] * ((1.0 - eps) * wt + eps * wsum / C)
            b = g[r] * eps / C
            ce_row_backward(logp + r * C, w, gx + r * C, C, a, b)
            gx[r * C + t[r]] = <floating>(gx[r * C + t[r]] - g[r] * (1.0 - eps) * wt)
        fastnn_team_end(&_team)
