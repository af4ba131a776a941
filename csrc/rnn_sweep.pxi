# The one loop over time of every recurrent kernel (included by rnn.pyx).
#
# A sweep runs the T steps of one layer and direction, forward or backward through time, in one
# parallel region of nt threads. A step's work is its blocks of hidden units (one panel of W_hh
# wide); each block is one call of the cell's block function. Threads take their own blocks
# first, then any another has not started, and a step begins once every block of the previous
# one is done (csrc/stepwork.h), so a descheduled thread stalls no one for longer than one block.
# The threads are gemmpool.h's (an OpenMP team where it is missing).
# A block's result does not depend on which thread computes it.

cdef extern from "stepwork.h" nogil:
    ctypedef struct fastnn_steps:
        pass
    int fastnn_steps_init(fastnn_steps *w, Py_ssize_t blocks, int owners)
    void fastnn_steps_free(fastnn_steps *w)
    Py_ssize_t fastnn_steps_claim(fastnn_steps *w, Py_ssize_t s, int tid, int *owner)
    void fastnn_steps_finish(fastnn_steps *w, Py_ssize_t s, int finished)
    void fastnn_steps_wait(fastnn_steps *w, Py_ssize_t s)


cdef struct _Sweep:
    # What every block of a sweep needs besides its cell's arrays.
    Py_ssize_t T        # steps
    Py_ssize_t B        # batch
    Py_ssize_t H        # hidden units
    Py_ssize_t nr       # hidden units per block (the panel width of the packed W_hh)
    bint reverse        # the layer runs from t = T-1 down to 0 (a bidirectional layer's backward direction)


cdef inline Py_ssize_t _step(Py_ssize_t s, Py_ssize_t T, bint reverse) noexcept nogil:
    # Time index of the s-th step of the layer's forward order.
    return T - 1 - s if reverse else s


cdef inline Py_ssize_t _before(const _Sweep *sw, Py_ssize_t t) noexcept nogil:
    # The time index whose output is the state entering step t, or -1 for the first step of the
    # forward order (its state is the initial one).
    t = t + 1 if sw.reverse else t - 1
    return t if 0 <= t < sw.T else -1


cdef inline Py_ssize_t _after(const _Sweep *sw, Py_ssize_t t) noexcept nogil:
    # The time index of the step that follows step t in the forward order (backward through
    # time, the step whose gradient reaches h_t), or -1 for the last step.
    t = t - 1 if sw.reverse else t + 1
    return t if 0 <= t < sw.T else -1


ctypedef void (*_AnyBlock)() noexcept nogil   # a block function of either precision, cast back by _sweep_share


cdef struct _SweepJob:
    # One sweep as a job of gemmpool.h: part r runs thread r's share (_sweep_share).
    _AnyBlock block
    const _Sweep *sw
    const void *packed
    const void *cell
    bint backward
    bint single
    fastnn_steps *work


cdef void _sweep_share(const _SweepJob *job, int tid, floating tag) noexcept nogil:
    # Every step in order: wait for the previous step, then take blocks (own ones first) until none is left.
    cdef const _Sweep *sw = job.sw
    cdef void (*block)(const _Sweep *, const floating *, const void *, Py_ssize_t, Py_ssize_t,
                       Py_ssize_t) noexcept nogil
    block = <void (*)(const _Sweep *, const floating *, const void *, Py_ssize_t, Py_ssize_t, Py_ssize_t) noexcept nogil>job.block
    cdef Py_ssize_t w, t, q
    cdef int owner, finished
    for w in range(sw.T):
        t = _step(sw.T - 1 - w if job.backward else w, sw.T, sw.reverse)
        if w > 0:
            fastnn_steps_wait(job.work, w - 1)
        owner, finished = -1, 0
        q = fastnn_steps_claim(job.work, w, tid, &owner)
        while q >= 0:
            block(sw, <const floating *>job.packed, job.cell, t, w, q)
            finished = finished + 1
            q = fastnn_steps_claim(job.work, w, tid, &owner)
        fastnn_steps_finish(job.work, w, finished)


cdef void _sweep_part(void *ctx, int tid) noexcept nogil:
    cdef const _SweepJob *job = <const _SweepJob *>ctx
    if job.single:
        _sweep_share(job, tid, <float>0)
    else:
        _sweep_share(job, tid, <double>0)


cdef int _sweep(void (*block)(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t,
                              Py_ssize_t w, Py_ssize_t q) noexcept nogil,
                const _Sweep *sw, const floating *packed, const void *cell, bint backward, int nt) except -1:
    """Call block(sw, packed, cell, t, w, q) for every block q of every step: step w (0 .. T-1, in
    the order run) is time index t, the layer's forward order, or its reverse for backward through
    time. `packed` is W_hh as _Recurrence packed it; `cell` the cell's own arrays.

    The nt shares run on gemmpool.h's threads (the GEMMs' own, still awake from the product before, and
    woken off the caller's CPU), else in an OpenMP region. The caller never waits for a thread that has
    not started: it takes the blocks nobody has, so a share that starts late finds its steps done."""
    cdef fastnn_steps work
    cdef _SweepJob job
    cdef int tid
    if nt <= 1:
        with nogil:
            _sweep_serial(block, sw, packed, cell, backward)
        return 0
    if fastnn_steps_init(&work, (sw.H + sw.nr - 1) // sw.nr, nt) != 0:
        raise MemoryError("no memory for the step counters of a recurrent kernel")
    job.block, job.sw, job.packed, job.cell = <_AnyBlock>block, sw, packed, cell
    job.backward, job.single, job.work = backward, floating is float, &work
    try:
        with nogil:
            if FASTNN_HAVE_POOL:
                fastnn_pool_run(nt, nt, _sweep_part, &job)
            else:   # no pool (not Linux): no steering either
                with parallel(num_threads=nt):
                    tid = threadid()
                    _sweep_part(&job, tid)
    finally:
        fastnn_steps_free(&work)
    return 0


cdef void _sweep_serial(void (*block)(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t,
                                      Py_ssize_t w, Py_ssize_t q) noexcept nogil,
                        const _Sweep *sw, const floating *packed, const void *cell, bint backward) noexcept nogil:
    """_sweep on the calling thread alone: every block of every step in order, no parallel region. How one
    thread runs each direction of a bidirectional layer when the two directions run side by side."""
    cdef Py_ssize_t w, t, q, blocks = (sw.H + sw.nr - 1) // sw.nr
    for w in range(sw.T):
        t = _step(sw.T - 1 - w if backward else w, sw.T, sw.reverse)
        for q in range(blocks):
            block(sw, packed, cell, t, w, q)
