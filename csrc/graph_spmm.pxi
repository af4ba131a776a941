# SpMM with sum and mean aggregation (included by graph.pyx). The entry points check their arguments
# (a frozen structure in O(1), see graph_structure.pxi) and run the C row kernels of spmmcsr.h, the
# rows split over the threads by work. The kernels check every index they read as well, so even a
# structure changed behind its freeze cannot make them read out of bounds: they raise IndexError.
from libc.stdint cimport int64_t
from gemmsplit cimport fastnn_pool_run, FASTNN_HAVE_POOL

cdef extern from "spmmcsr.h" nogil:
    int64_t fastnn_spmm_rows_f32(const int64_t *indptr, const int64_t *indices, int64_t nnz, const float *w,
                                 Py_ssize_t H, int mean, const float *x, Py_ssize_t ldx, int64_t nx, float *out,
                                 Py_ssize_t ldo, Py_ssize_t F, Py_ssize_t r0, Py_ssize_t r1, int stream)
    int64_t fastnn_spmm_rows_f64(const int64_t *indptr, const int64_t *indices, int64_t nnz, const double *w,
                                 Py_ssize_t H, int mean, const double *x, Py_ssize_t ldx, int64_t nx, double *out,
                                 Py_ssize_t ldo, Py_ssize_t F, Py_ssize_t r0, Py_ssize_t r1, int stream)
    int64_t fastnn_spmm_edge_dots_f32(const int64_t *indptr, const int64_t *indices, int64_t nnz, const float *g,
                                      Py_ssize_t ldg, const float *x, Py_ssize_t ldx, int64_t nx, Py_ssize_t H,
                                      Py_ssize_t C, int mean, float *gv, Py_ssize_t r0, Py_ssize_t r1)
    int64_t fastnn_spmm_edge_dots_f64(const int64_t *indptr, const int64_t *indices, int64_t nnz, const double *g,
                                      Py_ssize_t ldg, const double *x, Py_ssize_t ldx, int64_t nx, Py_ssize_t H,
                                      Py_ssize_t C, int mean, double *gv, Py_ssize_t r0, Py_ssize_t r1)
    int64_t fastnn_spmm_transposed_weights_f32(const float *values, Py_ssize_t H, const int64_t *perm, int64_t nvalues,
                                               const float *rowscale, const int64_t *rows, int64_t nrows, int64_t nnz,
                                               float *tw)
    int64_t fastnn_spmm_transposed_weights_f64(const double *values, Py_ssize_t H, const int64_t *perm,
                                               int64_t nvalues, const double *rowscale, const int64_t *rows,
                                               int64_t nrows, int64_t nnz, double *tw)
    void fastnn_spmm_split(const int64_t *indptr, Py_ssize_t rows, int parts, Py_ssize_t *bounds)
    long fastnn_llc_bytes()

# the parallel loops deal out at most this many row ranges to their threads
cdef enum:
    MAX_PARTS = 256

# Work ((entries + rows) x features) below which an SpMM stays on one thread: twice this before a
# second thread joins. An OpenMP region wakes sleeping threads and ends at a barrier, which on a busy
# machine waits for a descheduled thread (Cora x 16, 0.02 ms of work on one thread: 0.08 ms on two,
# under load). 2M elements are about 0.1-0.2 ms of gathers on one core. The sum/mean product runs on
# gemmpool.h's threads instead, where the caller never waits for a helper that has not started (it
# claims the row ranges itself), so it splits from SPMM_POOL_MIN_WORK: 64K elements, ~2.5 us of
# gathers on one Zen 5 core, so each thread's share outweighs the hand-off (~1 us when the helper is
# awake, as after a layer's GEMM or the previous call's product).
cdef Py_ssize_t SPMM_MIN_WORK = 1 << 20
cdef Py_ssize_t SPMM_POOL_MIN_WORK = 1 << 16

# An output that, with the rows of x it gathers from, takes this many bytes or more goes to memory through
# non-temporal stores (the last-level cache's size; see fastnn_llc_bytes). A variable: tests move it.
cdef Py_ssize_t SPMM_STREAM_BYTES = fastnn_llc_bytes()


def _spmm_stream_bytes(object nbytes=None):
    """The size (output + x bytes) from which the SpMM kernels stream their stores; with nbytes, set it first
    (for tests). Returns the size in force before the call."""
    global SPMM_STREAM_BYTES
    before = SPMM_STREAM_BYTES
    if nbytes is not None:
        SPMM_STREAM_BYTES = nbytes
    return before


cdef inline int _product_threads(Py_ssize_t work) noexcept nogil:
    return threads_for(work, SPMM_POOL_MIN_WORK if FASTNN_HAVE_POOL else SPMM_MIN_WORK)


def _spmm_threads(Py_ssize_t rows, int64_t entries, Py_ssize_t features):
    """The threads an SpMM product (spmm_csr, and the gradient of x) of this size runs on (the rules above,
    under fastnn.set_num_threads), for tests."""
    return _product_threads((entries + rows) * features)

cdef object _F32 = np.dtype(np.float32)
cdef object _F64 = np.dtype(np.float64)


cdef object _feature_rows(object a, str name):
    """A float32/float64 2-D array whose rows are contiguous: C-contiguous, a slice of rows, or a row
    broadcast down the first axis (row stride 0, as the gradient of a sum arrives)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    dt = a.dtype
    if dt is not _F32 and dt is not _F64 and dt != _F32 and dt != _F64:
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    cdef Py_ssize_t size = dt.itemsize
    strides = a.strides
    if (a.shape[1] > 1 and strides[1] != size) or strides[0] < 0 or strides[0] % size:
        raise ValueError(f"{name} must have C-contiguous rows (a C-contiguous array, or a row repeated by a "
                         f"zero stride)")
    return a


cdef object _edge_values(object values, str name, Py_ssize_t num_edges, object x):
    """None, or a float (E,) or (E, H) array of x's dtype; returned as (E, H) with H >= 1 (H = 0: None)."""
    if values is None:
        return None
    if not isinstance(values, np.ndarray) or values.dtype != x.dtype:
        check_same_dtype(values, name, x, "x", -1)  # raises, naming what is wrong
    if values.ndim == 1:
        if values.shape[0] != num_edges:
            raise ValueError(f"{name} must have shape ({num_edges},) or ({num_edges}, heads), got {values.shape}")
        if values.strides[0] != values.itemsize and num_edges > 1:
            raise ValueError(f"{name} must be C-contiguous")
        return values.reshape(num_edges, 1)
    check_float(values, name, -1)
    if values.ndim != 2 or values.shape[0] != num_edges:
        raise ValueError(f"{name} must have shape ({num_edges},) or ({num_edges}, heads), got {values.shape}")
    if values.shape[1] == 0 or x.shape[1] % values.shape[1]:
        raise ValueError(f"{name} has {values.shape[1]} heads, which must divide the {x.shape[1]} features of x")
    return values


cdef object _aligned_empty(Py_ssize_t rows, Py_ssize_t cols, object dtype):
    """np.empty((rows, cols), dtype) starting on a 64-byte line, so that the kernels' vector stores (streamed
    ones above all) are aligned wherever a row is, as every row is when its bytes are a multiple of 64.
    Under fastnn's NumPy policy (config.align_array_data) every array starts so: no over-allocation then."""
    out = np.empty((rows, cols), dtype)
    if <size_t>data_of(out) % 64 == 0:
        return out
    cdef Py_ssize_t nbytes = rows * cols * dtype.itemsize
    raw = np.empty(nbytes + 64, np.uint8)
    cdef Py_ssize_t skip = (64 - <size_t>data_of(raw) % 64) % 64
    return raw[skip:skip + nbytes].view(dtype).reshape(rows, cols)


cdef int _reduce_code(object reduce) except -1:
    if reduce == "sum":
        return 0
    if reduce == "mean":
        return 1
    raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")


cdef inline int _row_parts(int threads, Py_ssize_t rows) noexcept nogil:
    """How many row ranges a parallel loop deals out: several per thread, so that on a shared machine a thread
    that starts late (or is preempted) leaves its ranges to the others instead of being waited for."""
    cdef Py_ssize_t parts = 1 if threads <= 1 else 8 * threads
    if parts > rows:
        parts = rows
    if parts > MAX_PARTS:
        parts = MAX_PARTS
    return <int>parts


cdef inline int64_t _spmm_rows(const int64_t *indptr, const int64_t *indices, int64_t nnz, const floating *w,
                               Py_ssize_t H, int mean, const floating *x, Py_ssize_t ldx, int64_t nx, floating *out,
                               Py_ssize_t F, Py_ssize_t r0, Py_ssize_t r1, int stream) noexcept nogil:
    if floating is float:
        return fastnn_spmm_rows_f32(indptr, indices, nnz, w, H, mean, x, ldx, nx, out, F, F, r0, r1, stream)
    else:
        return fastnn_spmm_rows_f64(indptr, indices, nnz, w, H, mean, x, ldx, nx, out, F, F, r0, r1, stream)


# One SpMM product as a job of gemmpool.h: part t computes the rows bounds[t] .. bounds[t + 1].
cdef struct _SpmmJob:
    const int64_t *indptr
    const int64_t *indices
    int64_t nnz
    const void *w
    Py_ssize_t H
    int mean
    const void *x
    Py_ssize_t ldx
    int64_t nx
    void *out
    Py_ssize_t F
    int stream
    const Py_ssize_t *bounds
    int64_t *bad      # per part: each part writes its own


cdef void _spmm_part_f32(void *ctx, int t) noexcept nogil:
    cdef _SpmmJob *j = <_SpmmJob *>ctx
    j.bad[t] = fastnn_spmm_rows_f32(j.indptr, j.indices, j.nnz, <const float *>j.w, j.H, j.mean,
                                    <const float *>j.x, j.ldx, j.nx, <float *>j.out, j.F, j.F,
                                    j.bounds[t], j.bounds[t + 1], j.stream)


cdef void _spmm_part_f64(void *ctx, int t) noexcept nogil:
    cdef _SpmmJob *j = <_SpmmJob *>ctx
    j.bad[t] = fastnn_spmm_rows_f64(j.indptr, j.indices, j.nnz, <const double *>j.w, j.H, j.mean,
                                    <const double *>j.x, j.ldx, j.nx, <double *>j.out, j.F, j.F,
                                    j.bounds[t], j.bounds[t + 1], j.stream)


cdef int64_t _spmm_product(indptr, indices, w, bint mean, x, out, floating tag):
    """out[i] = sum (mean) over row i's entries e of w[e] x[indices[e]] (every element of out written; w None:
    weights 1); heads of w (its columns) weigh their own column blocks. Returns the number of entries
    found out of range. The arrays (checked by the caller) are read through their data pointers: taking
    five typed memoryviews cost more than Cora x 16's arithmetic."""
    cdef fastnn_team_steer _team
    cdef _SpmmJob job
    cdef Py_ssize_t N = out.shape[0], F = out.shape[1], H = 1 if w is None else w.shape[1]
    cdef Py_ssize_t t, ldx = x.strides[0] // <Py_ssize_t>sizeof(floating), nx = x.shape[0]
    cdef int64_t nnz = indices.shape[0], bad = 0
    cdef Py_ssize_t bounds[MAX_PARTS + 1]
    cdef int64_t part_bad[MAX_PARTS]
    cdef const floating *wp = NULL if w is None else <const floating *>data_of(w)
    cdef const floating *xp = NULL if nx == 0 else <const floating *>data_of(x)
    cdef floating *op = <floating *>data_of(out)
    if N == 0:
        return 0
    cdef const int64_t *ip = <const int64_t *>data_of(indptr)
    cdef const int64_t *ix = <const int64_t *>data_of(indices)
    # ranges of rows of about equal work (each range all columns, tile by tile), taken by the threads in turn
    cdef int nt = _product_threads((nnz + N) * F)
    cdef int parts = _row_parts(nt, N)
    cdef int stream = (N * F + (nx if ldx else 1) * F) * <Py_ssize_t>sizeof(floating) >= SPMM_STREAM_BYTES
    with nogil:
        if nt == 1:   # no hand-off at all (Cora x 16 on one thread is ~8 us of work)
            return _spmm_rows(ip, ix, nnz, wp, H, mean, xp, ldx, nx, op, F, 0, N, stream)
        fastnn_spmm_split(ip, N, parts, bounds)
        if FASTNN_HAVE_POOL:
            job.indptr, job.indices, job.nnz, job.w, job.H, job.mean = ip, ix, nnz, wp, H, mean
            job.x, job.ldx, job.nx, job.out, job.F, job.stream = xp, ldx, nx, op, F, stream
            job.bounds, job.bad = bounds, part_bad
            fastnn_pool_run(parts, nt, _spmm_part_f32 if floating is float else _spmm_part_f64, &job)
            for t in range(parts):
                bad += part_bad[t]
            return bad
        fastnn_team_begin(&_team, nt)
        for t in prange(parts, num_threads=nt, schedule="dynamic", chunksize=1):
            bad += _spmm_rows(ip, ix, nnz, wp, H, mean, xp, ldx, nx, op, F, bounds[t], bounds[t + 1], stream)
        fastnn_team_end(&_team)
    return bad


cdef _raise_bad(int64_t bad, str what):
    if bad:
        raise IndexError(f"{bad} entries of {what} point outside their arrays: the structure was changed after "
                         f"it was checked (its arrays were made writeable again)")


def spmm_csr(indptr, indices, values, x, reduce="sum"):
    """Aggregate source features into targets: out[i] = reduce over edges e = (j -> i) of v[e] * x[j].

    Parameters
    ----------
    indptr : int64 (N_out + 1,). indices : int64 (E,) sources in [0, N_in).
    values : None (every edge weighs 1), float (E,), or float (E, H): per-head weights, head h
        scaling feature block h of x (F must be a multiple of H).
    x : float32/float64 (N_in, F) with C-contiguous rows (any row stride, 0 included).
    reduce : "sum" or "mean" (mean over the row's edges; empty rows give 0).

    Returns
    -------
    out : (N_out, F) of x's dtype.
    """
    _feature_rows(x, "x")
    cdef Py_ssize_t N = _check_csr(indptr, indices, x.shape[0])
    cdef int mode = _reduce_code(reduce)
    w = _edge_values(values, "values", indices.shape[0], x)
    if not N or not x.shape[1] or not indices.shape[0]:
        return np.zeros((N, x.shape[1]), x.dtype)
    out = _aligned_empty(N, x.shape[1], x.dtype)
    if is_single(x):
        bad = _spmm_product(indptr, indices, w, mode, x, out, <float>0)
    else:
        bad = _spmm_product(indptr, indices, w, mode, x, out, <double>0)
    _raise_bad(bad, "indptr/indices")
    return out


def spmm_csr_backward(indptr, indices, values, x, grad_out, t_indptr, t_indices, t_perm, reduce="sum",
                      need_x=True, need_values=True):
    """Gradients of spmm_csr.

    Parameters
    ----------
    indptr, indices, values, x, reduce : as given to spmm_csr.
    grad_out : float (N_out, F) of x's dtype, with C-contiguous rows (any row stride, 0 included).
    t_indptr, t_indices, t_perm : csr_transpose(indptr, indices, N_in), kept with the graph.
    need_x : compute grad_x = A^T grad_out (one parallel pass over the transposed rows, no atomics).
    need_values : compute grad_values[e, h] = <grad_out[i] block h, x[j] block h> (None when values is None).

    Returns
    -------
    (grad_x (N_in, F) or None, grad_values shaped as values or None).
    """
    _feature_rows(x, "x")
    cdef Py_ssize_t N = _check_csr(indptr, indices, x.shape[0])
    cdef int mode = _reduce_code(reduce)
    w = _edge_values(values, "values", indices.shape[0], x)
    _feature_rows(grad_out, "grad_out")
    if grad_out.dtype != x.dtype:
        raise TypeError(f"grad_out must have the dtype of x ({x.dtype}), got {grad_out.dtype}")
    if grad_out.shape[0] != N or grad_out.shape[1] != x.shape[1]:
        raise ValueError(f"grad_out must have shape {(N, x.shape[1])}, got {grad_out.shape}")
    if need_x:
        _check_transpose(t_indptr, t_indices, t_perm, N, x.shape[0], indices.shape[0])
    need_values = bool(need_values) and w is not None
    gx = gv = None
    empty = not x.shape[1] or not indices.shape[0]
    if need_x:
        gx = np.zeros(x.shape, x.dtype) if empty else _aligned_empty(x.shape[0], x.shape[1], x.dtype)
    if need_values:
        gv = np.zeros(w.shape, x.dtype) if empty else np.empty(w.shape, x.dtype)
    single = x.dtype.itemsize == 4
    if gx is not None and not empty:
        # A^T grad_out: the weights in the transposed entries' order, times 1/degree of the row they came
        # from for the mean (the forward divided that row)
        tw = None
        if w is not None or mode == 1:
            scale = (1 / np.maximum(np.diff(indptr), 1)).astype(x.dtype) if mode == 1 else None
            tw = np.empty((indices.shape[0], 1 if w is None else w.shape[1]), x.dtype)
            if single:
                bad = _transposed_weights[float](w, t_perm, scale, t_indices, tw)
            else:
                bad = _transposed_weights[double](w, t_perm, scale, t_indices, tw)
            _raise_bad(bad, "t_perm/t_indices")
        if single:
            bad = _spmm_product(t_indptr, t_indices, tw, False, grad_out, gx, <float>0)
        else:
            bad = _spmm_product(t_indptr, t_indices, tw, False, grad_out, gx, <double>0)
        _raise_bad(bad, "t_indptr/t_indices")
    if gv is not None and not empty:
        if single:
            bad = _edge_dots[float](indptr, indices, grad_out, x, mode, gv)
        else:
            bad = _edge_dots[double](indptr, indices, grad_out, x, mode, gv)
        _raise_bad(bad, "indptr/indices")
    if gv is not None and values.ndim == 1:
        gv = gv.reshape(-1)
    return gx, gv


cdef int64_t _transposed_weights(const floating[:, ::1] w, const idx_t[::1] perm, const floating[::1] scale,
                                 const idx_t[::1] rows, floating[:, ::1] tw):
    cdef const floating *wp = NULL
    cdef const floating *sp = NULL
    cdef Py_ssize_t H = tw.shape[1]
    cdef int64_t nvalues = 0, nrows = 0
    if w is not None:
        wp = &w[0, 0]
        nvalues = w.shape[0]
    if scale is not None:
        sp = &scale[0]
        nrows = scale.shape[0]
    with nogil:
        if floating is float:
            return fastnn_spmm_transposed_weights_f32(wp, H, <const int64_t *>&perm[0], nvalues, sp,
                                                      <const int64_t *>&rows[0], nrows, tw.shape[0], &tw[0, 0])
        else:
            return fastnn_spmm_transposed_weights_f64(wp, H, <const int64_t *>&perm[0], nvalues, sp,
                                                      <const int64_t *>&rows[0], nrows, tw.shape[0], &tw[0, 0])


cdef int64_t _edge_dots(const idx_t[::1] indptr, const idx_t[::1] indices, const floating[:, :] g,
                        const floating[:, :] x, bint mean, floating[:, ::1] gv):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t N = indptr.shape[0] - 1, H = gv.shape[1], C = x.shape[1] // gv.shape[1], t
    cdef Py_ssize_t ldg = g.strides[0] // <Py_ssize_t>sizeof(floating), ldx = x.strides[0] // <Py_ssize_t>sizeof(floating)
    cdef int64_t nnz = indices.shape[0], bad = 0, part
    cdef Py_ssize_t bounds[MAX_PARTS + 1]
    cdef const int64_t *ip = <const int64_t *>&indptr[0]
    cdef const int64_t *ix = <const int64_t *>&indices[0]
    cdef const floating *xp = NULL
    if x.shape[0]:
        xp = &x[0, 0]
    if N == 0:
        return 0
    cdef int nt = threads_for((nnz + N) * x.shape[1], SPMM_MIN_WORK)
    cdef int parts = _row_parts(nt, N)
    with nogil:
        fastnn_spmm_split(ip, N, parts, bounds)
        fastnn_team_begin(&_team, nt)
        for t in prange(parts, num_threads=nt, schedule="dynamic", chunksize=1):
            if floating is float:
                part = fastnn_spmm_edge_dots_f32(ip, ix, nnz, &g[0, 0], ldg, xp, ldx, x.shape[0], H, C, mean,
                                                 &gv[0, 0], bounds[t], bounds[t + 1])
            else:
                part = fastnn_spmm_edge_dots_f64(ip, ix, nnz, &g[0, 0], ldg, xp, ldx, x.shape[0], H, C, mean,
                                                 &gv[0, 0], bounds[t], bounds[t + 1])
            bad += part
        fastnn_team_end(&_team)
    return bad
