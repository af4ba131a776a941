# GEMM split over fastnn's own threads, each part one single-threaded BLAS call (blas.pxd's gemm).
#
# Why: OpenBLAS's own threads meet at a join after every call, and its waiting threads spin and
# yield; on a busy machine (more runnable threads than cores) each call then waits for a
# descheduled worker: Linear LeNet fc1 forward+backward ran 15x slower on OpenBLAS's 2 threads
# than on 1. Here SciPy's OpenBLAS stays at one thread (fastnn/_blas_threads.py) and a large
# product is cut into slices of C's rows (or columns) that the caller and the helpers of
# gemmpool.h claim one at a time: a late thread delays only the slice it holds, and the caller
# never waits for a thread that has not started.
#
# Every slice is the same call on part of C. On the AVX-512 build float32 slices run on
# packedgemm.h, where each element of C is the same k-long sum in the same order whoever computes
# it, so the split result does not depend on the thread count. BLAS gives no such promise: the
# OpenBLAS (AVX2 kernels) of an AMD EPYC Zen 5 machine gave (12000, 8) @ (8, 256) results 2e-6
# apart on 1 and 2 threads. The same thread count always cuts the same slices, so timing (a
# busy machine) never changes a result.
from cython cimport floating
from cython.parallel cimport prange
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from scipy.linalg.cython_blas cimport sgemm, dgemm
from parallel cimport fastnn_max_threads

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static inline int fastnn_in_parallel(void) { return omp_in_parallel(); }
    #else
    static inline int fastnn_in_parallel(void) { return 0; }
    #endif
    """
    int fastnn_in_parallel() nogil   # inside a parallel region: the caller already uses the threads

cdef extern from "packedgemm.h" nogil:
    bint fastnn_packed_sgemm_pays(Py_ssize_t m, Py_ssize_t n, Py_ssize_t k)
    bint fastnn_packed_sgemm(bint trans_a, bint trans_b, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, float alpha,
                             const float *a, Py_ssize_t lda, const float *b, Py_ssize_t ldb, float beta, float *c,
                             Py_ssize_t ldc, const float *bias)
    Py_ssize_t fastnn_prepacked_size(Py_ssize_t k, Py_ssize_t n)
    void fastnn_prepacked_put(float *dst, Py_ssize_t k, Py_ssize_t n, Py_ssize_t r, Py_ssize_t c0, Py_ssize_t count,
                              const float *src)
    void fastnn_packed_sgemm_prepacked(bint trans_a, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, const float *a,
                                       Py_ssize_t lda,
                                       const float *bpacked, float *c, Py_ssize_t ldc)

cdef extern from "gemmpool.h" nogil:
    ctypedef void (*fastnn_part_fn)(void *ctx, int part) noexcept nogil
    int FASTNN_HAVE_POOL
    void fastnn_pool_run(int parts, int threads, fastnn_part_fn fn, void *ctx)

# A slice must be worth a hand-off: 8 MFLOP is ~80 us of one AVX-512 core, ~150 us of an AVX2
# one. Waiting for a slice costs up to ~30 us of spinning on each side, and on a busy machine
# a helper preempted inside its slice holds the caller for a time slice of the scheduler; below
# this the split cost more CPU than it saved (DQN's 128-wide layers, batch 128: 1.78 against
# 1.37 CPU ms a step, Xeon AVX-512, 2 cores). Counted in flops, not time, so a slower CPU (the
# baseline build) only splits later than it could.
cdef enum:
    SPLIT_MIN_PART_FLOPS = 8000000
# Slices per thread: a thread descheduled mid-product delays one slice, not its share. Two, not more:
# each slice repacks the other operand, and (4096, 1024) x 1024 products in 8 slices took 1.05-1.24x
# the CPU time of one call, in 2 slices 1.01-1.05x; under heavy load (load average 4.7 on 2 cores)
# 2 slices also had the lowest median wall time of 2, 4 and 8 (a caller waiting for a slice sleeps,
# which gives its core to the thread holding it).
cdef enum:
    SPLIT_PARTS_PER_THREAD = 2
# Each slice packs the whole other operand again (slicing C's rows re-reads all of op(B)), so
# beyond one slice per thread, slices stay at least this many rows (or columns) long: the
# repacking then costs a few percent of the slice's arithmetic.
cdef enum:
    SPLIT_MIN_EXTENT = 256
# Slices are cut at multiples of this (rows or columns), a multiple of every BLAS register tile,
# so a slice ends in a partial tile only where the whole product does.
cdef enum:
    SPLIT_ALIGN = 16


ctypedef struct gemm_job:
    bint trans_a, trans_b, by_rows, single
    int m, n, k, lda, ldb, ldc, step, extent
    double alpha, beta
    const void *a
    const void *b
    void *c
    const void *bias    # NULL, or n values added to every row of C (beta 0)
    const float *bpacked    # NULL, or op(B) packed whole (gemm_prepacked: float32 row slices of op(A) @ B)


cdef inline void gemm_serial_bias(bint trans_a, bint trans_b, int m, int n, int k,
                                  floating alpha, const floating* a, int lda,
                                  const floating* b, int ldb,
                                  floating beta, floating* c, int ldc, const floating* bias) noexcept nogil:
    """gemm_serial, and with `bias` (n values; beta must be 0) C = alpha op(A) op(B) + bias in every row: the
    engine sets each block of rows to the bias as it reaches it; BLAS gets C set to the bias and beta 1."""
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    cdef int i
    if floating is float:
        if fastnn_packed_sgemm_pays(m, n, k) and fastnn_packed_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                                                                      beta, c, ldc, bias):
            return
    if bias != NULL:
        for i in range(m):
            memcpy(c + <Py_ssize_t>i * ldc, bias, n * sizeof(floating))
        beta = 1
    # BLAS is column-major: row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float*>b, &ldb, <float*>a, &lda, &beta, c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double*>b, &ldb, <double*>a, &lda, &beta, c, &ldc)


cdef inline void gemm_serial(bint trans_a, bint trans_b, int m, int n, int k,
                             floating alpha, const floating* a, int lda,
                             const floating* b, int ldb,
                             floating beta, floating* c, int ldc) noexcept nogil:
    """One single-threaded product (row-major C = alpha op(A) op(B) + beta C), m, n, k > 0: float32 on
    the AVX-512 panel engine where it pays (packedgemm.h), else one BLAS call."""
    gemm_serial_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL)


cdef inline void _gemm_slice(floating alpha, const floating* a, const floating* b, floating beta, floating* c,
                             const gemm_job* j, int p) noexcept nogil:
    cdef int lo = p * j.step
    cdef int cnt = min(j.step, j.extent - lo)
    cdef const floating* bias = <const floating*>j.bias
    cdef const floating* a_lo = a + (lo if j.trans_a else <Py_ssize_t>lo * j.lda)
    if j.by_rows:
        if floating is float:
            if j.bpacked != NULL:   # gemm_prepacked's slices: B is packed already
                fastnn_packed_sgemm_prepacked(j.trans_a, cnt, j.n, j.k, a_lo, j.lda, j.bpacked,
                                              c + <Py_ssize_t>lo * j.ldc, j.ldc)
                return
        gemm_serial_bias(j.trans_a, j.trans_b, cnt, j.n, j.k, alpha, a_lo, j.lda, b, j.ldb, beta,
                         c + <Py_ssize_t>lo * j.ldc, j.ldc, bias)
    else:
        gemm_serial_bias(j.trans_a, j.trans_b, j.m, cnt, j.k, alpha, a, j.lda,
                         b + (<Py_ssize_t>lo * j.ldb if j.trans_b else lo), j.ldb, beta, c + lo, j.ldc,
                         NULL if bias == NULL else bias + lo)


cdef inline void gemm_part(void *ctx, int p) noexcept nogil:
    """Slice p of the product described by ctx (a gemm_job)."""
    cdef const gemm_job* j = <const gemm_job*>ctx
    if j.single:
        _gemm_slice(<float>j.alpha, <const float*>j.a, <const float*>j.b, <float>j.beta, <float*>j.c, j, p)
    else:
        _gemm_slice(j.alpha, <const double*>j.a, <const double*>j.b, j.beta, <double*>j.c, j, p)


cdef inline int split_parts(int m, int n, int k, int threads) noexcept nogil:
    """How many slices a product of C (m, n) over k gets with `threads` threads (1: unsplit):
    one per thread when the work allows, up to SPLIT_PARTS_PER_THREAD per thread when the
    slices stay SPLIT_MIN_EXTENT long; a multiple of the threads once there are more slices than
    threads."""
    cdef long long by_work = 2 * <long long>m * n * k // SPLIT_MIN_PART_FLOPS
    cdef long long extent = max(m, n)
    cdef long long parts = min(<long long>threads * SPLIT_PARTS_PER_THREAD, extent // SPLIT_MIN_EXTENT)
    if threads <= 1:
        return 1
    parts = max(parts, threads)
    parts = min(parts, min(by_work, (extent + SPLIT_ALIGN - 1) // SPLIT_ALIGN))
    # a whole number of slices per thread: 3 slices on 2 threads take 2/3 of the serial time on a
    # quiet machine, 2 slices 1/2 (LeNet fc1's gradient products, (64, 500) x 800)
    if parts > threads:
        parts -= parts % threads
    return <int>max(parts, 1)


cdef inline void _run_slices(gemm_job* j, int parts, int threads) noexcept nogil:
    """Cut j's C into about `parts` slices of its rows (j.by_rows) or columns, SPLIT_ALIGN-aligned, and run them on
    up to `threads` threads."""
    cdef int p
    j.extent = j.m if j.by_rows else j.n
    j.step = (j.extent + parts - 1) // parts
    j.step = (j.step + SPLIT_ALIGN - 1) // SPLIT_ALIGN * SPLIT_ALIGN
    parts = (j.extent + j.step - 1) // j.step
    if FASTNN_HAVE_POOL:
        fastnn_pool_run(parts, threads, gemm_part, j)
    else:   # no futex: an OpenMP region, slices claimed dynamically
        for p in prange(parts, num_threads=min(threads, parts), schedule="dynamic", chunksize=1):
            gemm_part(j, p)


cdef inline void gemm_split_bias(bint trans_a, bint trans_b, int m, int n, int k,
                                 floating alpha, const floating* a, int lda,
                                 const floating* b, int ldb,
                                 floating beta, floating* c, int ldc, int parts, int threads,
                                 const floating* bias) noexcept nogil:
    """gemm_split, with gemm_serial_bias's `bias` (NULL: none)."""
    cdef gemm_job j
    j.trans_a, j.trans_b, j.by_rows, j.single = trans_a, trans_b, m >= n, floating is float
    j.m, j.n, j.k, j.lda, j.ldb, j.ldc = m, n, k, lda, ldb, ldc
    j.alpha, j.beta, j.a, j.b, j.c, j.bias, j.bpacked = alpha, beta, a, b, c, bias, NULL
    _run_slices(&j, parts, threads)


cdef inline void gemm_split(bint trans_a, bint trans_b, int m, int n, int k,
                            floating alpha, const floating* a, int lda,
                            const floating* b, int ldb,
                            floating beta, floating* c, int ldc, int parts, int threads) noexcept nogil:
    """The product in about `parts` slices of C's longer side, run on up to `threads` threads."""
    gemm_split_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parts, threads, NULL)


# A sum much longer than C's sides (a Linear layer's weight gradient over a large batch: C (1024, 1024)
# summed over k = 4096) is cut along k instead: slicing C's rows makes every slice pack the whole
# k-long other operand again (measured, serially on one core: 4 row slices of that product cost
# 1.26-1.41x the CPU time of one call, 8 slices 1.37-1.94x; 4 k-chunks plus their sum 1.01x).
# Each chunk is one BLAS call into C (the first) or a buffer of C's size, and the buffers are added
# to C in chunk order afterwards. The chunks follow from the shape alone, never the thread count,
# so the result is the same on any number of threads.
cdef enum:
    KSPLIT_MIN_K = 512      # each chunk's sum at least this long (and at least C's longer side)
    KSPLIT_MAX_CHUNKS = 8   # buffers: at most 7 times C


ctypedef struct ksplit_job:
    gemm_job g
    int chunks, rows_step
    void *bufs


cdef inline int ksplit_chunks(int m, int n, int k) noexcept nogil:
    """How many chunks of its k sum a product of C (m, n) is cut into (1: none)."""
    cdef long long flops = 2 * <long long>m * n * k
    cdef long long side = max(max(m, n), KSPLIT_MIN_K)
    if k < 2 * side or flops < 2 * <long long>SPLIT_MIN_PART_FLOPS:
        return 1
    return <int>max(1, min(min(<long long>k // side, <long long>KSPLIT_MAX_CHUNKS), flops // SPLIT_MIN_PART_FLOPS))


cdef inline void _ksplit_chunk(floating alpha, const floating* a, const floating* b, floating beta, floating* c,
                               floating* bufs, const gemm_job* j, int p) noexcept nogil:
    cdef int k0 = p * j.step
    cdef int cnt = min(j.step, j.k - k0)
    a = a + (<Py_ssize_t>k0 * j.lda if j.trans_a else k0)
    b = b + (k0 if j.trans_b else <Py_ssize_t>k0 * j.ldb)
    if p == 0:
        gemm_serial_bias(j.trans_a, j.trans_b, j.m, j.n, cnt, alpha, a, j.lda, b, j.ldb, beta, c, j.ldc,
                         <const floating*>j.bias)
    else:
        gemm_serial(j.trans_a, j.trans_b, j.m, j.n, cnt, alpha, a, j.lda, b, j.ldb, 0,
                    bufs + <Py_ssize_t>(p - 1) * j.m * j.n, j.n)


cdef inline void ksplit_chunk_part(void *ctx, int p) noexcept nogil:
    cdef const ksplit_job* kj = <const ksplit_job*>ctx
    cdef const gemm_job* j = &kj.g
    if j.single:
        _ksplit_chunk(<float>j.alpha, <const float*>j.a, <const float*>j.b, <float>j.beta, <float*>j.c,
                      <float*>kj.bufs, j, p)
    else:
        _ksplit_chunk(j.alpha, <const double*>j.a, <const double*>j.b, j.beta, <double*>j.c, <double*>kj.bufs, j, p)


cdef inline void _ksplit_add(floating* c, const floating* bufs, const ksplit_job* kj, int p) noexcept nogil:
    """Rows [p * rows_step, ...) of C += the buffers, in chunk order."""
    cdef const gemm_job* j = &kj.g
    cdef Py_ssize_t mn = <Py_ssize_t>j.m * j.n, i, col, q
    cdef Py_ssize_t lo = <Py_ssize_t>p * kj.rows_step, hi = min(lo + kj.rows_step, <Py_ssize_t>j.m)
    cdef floating v
    for i in range(lo, hi):
        for col in range(j.n):
            v = c[i * j.ldc + col]
            for q in range(kj.chunks - 1):
                v = v + bufs[q * mn + i * j.n + col]
            c[i * j.ldc + col] = v


cdef inline void ksplit_add_part(void *ctx, int p) noexcept nogil:
    cdef const ksplit_job* kj = <const ksplit_job*>ctx
    if kj.g.single:
        _ksplit_add(<float*>kj.g.c, <const float*>kj.bufs, kj, p)
    else:
        _ksplit_add(<double*>kj.g.c, <const double*>kj.bufs, kj, p)


cdef inline bint gemm_ksplit(bint trans_a, bint trans_b, int m, int n, int k,
                             floating alpha, const floating* a, int lda,
                             const floating* b, int ldb,
                             floating beta, floating* c, int ldc, int chunks, int threads,
                             const floating* bias) noexcept nogil:
    """The product as `chunks` k-chunks on up to `threads` threads (the first chunk adds `bias`, if any); False
    (nothing done) when the buffers cannot be allocated."""
    cdef ksplit_job kj
    cdef int p, adds
    kj.bufs = malloc(<size_t>(chunks - 1) * m * n * sizeof(floating))
    if kj.bufs == NULL:
        return False
    kj.g.trans_a, kj.g.trans_b, kj.g.by_rows, kj.g.single = trans_a, trans_b, True, floating is float
    kj.g.m, kj.g.n, kj.g.k, kj.g.lda, kj.g.ldb, kj.g.ldc = m, n, k, lda, ldb, ldc
    kj.g.alpha, kj.g.beta, kj.g.a, kj.g.b, kj.g.c, kj.g.bias, kj.g.bpacked = alpha, beta, a, b, c, bias, NULL
    kj.g.step = (k + chunks - 1) // chunks
    kj.g.extent = k
    kj.chunks = (k + kj.g.step - 1) // kj.g.step
    adds = min(m, 2 * threads)
    kj.rows_step = (m + adds - 1) // adds
    adds = (m + kj.rows_step - 1) // kj.rows_step
    if FASTNN_HAVE_POOL and threads > 1:
        fastnn_pool_run(kj.chunks, threads, ksplit_chunk_part, &kj)
        fastnn_pool_run(adds, threads, ksplit_add_part, &kj)
    else:
        for p in range(kj.chunks):
            ksplit_chunk_part(&kj, p)
        for p in range(adds):
            ksplit_add_part(&kj, p)
    free(kj.bufs)
    return True


cdef inline void gemm_dispatch_bias(bint trans_a, bint trans_b, int m, int n, int k,
                                    floating alpha, const floating* a, int lda,
                                    const floating* b, int ldb,
                                    floating beta, floating* c, int ldc, const floating* bias) noexcept nogil:
    """gemm_dispatch, with gemm_serial_bias's `bias` (NULL: none; beta must be 0 with one)."""
    cdef int threads = 1 if fastnn_in_parallel() else fastnn_max_threads()
    cdef int chunks = ksplit_chunks(m, n, k)
    if chunks > 1 and gemm_ksplit(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, chunks, threads,
                                  bias):
        return
    cdef int parts = split_parts(m, n, k, threads)
    if parts > 1:
        gemm_split_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parts, threads, bias)
    else:
        gemm_serial_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias)


cdef inline void gemm_dispatch(bint trans_a, bint trans_b, int m, int n, int k,
                               floating alpha, const floating* a, int lda,
                               const floating* b, int ldb,
                               floating beta, floating* c, int ldc) noexcept nogil:
    """Cut a long sum into k-chunks; else split C when the product is large and no parallel region
    encloses the call; else one call."""
    gemm_dispatch_bias(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL)


cdef inline void gemm_prepacked(bint trans_a, int m, int n, int k, const float* a, int lda, const float* bpacked,
                                float* c, int ldc) noexcept nogil:
    """C (m, n) = op(A) (m, k) @ B with B packed whole (fastnn_prepacked_put's layout), split into slices of C's
    rows as gemm_dispatch splits a product, every slice reading the one packed B. Only where
    fastnn_packed_sgemm_pays(m, n, k). No k-chunks: those were for slices that each packed a long B again."""
    cdef int threads = 1 if fastnn_in_parallel() else fastnn_max_threads()
    cdef int parts = split_parts(m, n, k, threads)
    cdef gemm_job j
    if parts <= 1:
        fastnn_packed_sgemm_prepacked(trans_a, m, n, k, a, lda, bpacked, c, ldc)
        return
    j.trans_a, j.trans_b, j.by_rows, j.single = trans_a, False, True, True
    j.m, j.n, j.k, j.lda, j.ldb, j.ldc = m, n, k, lda, 0, ldc
    j.alpha, j.beta, j.a, j.b, j.c, j.bias, j.bpacked = 1, 0, a, NULL, c, NULL, bpacked
    _run_slices(&j, parts, threads)
