# The one loop over time of every recurrent kernel (included by rnn.pyx).
#
# A sweep runs the T steps of one layer and direction, forward or backward through time, in one
# parallel region of nt threads. A step's work is its blocks of hidden units (one panel of W_hh
# wide); each block is one call of the cell's block function. Threads take their own blocks
# first, then any another has not started, and a step begins once every block of the previous
# one is done (csrc/stepwork.h), so a descheduled thread stalls no one for longer than one block.
# The threads are gemmpool.h's (an OpenMP team where it is missing).
# A block's result does not depend on which thread computes it.
# A cell may name a part of its block that needs nothing of the step before (`ahead`: the LSTM forward's input
# projection, the LSTM backward's stacking of [x | h_prev]); a thread waiting for a step does those parts of
# the next one meanwhile, and the block skips what was done (LSTM medium, T=50 B=32 I=128 H=256, Xeon AVX-512,
# both builds in one process: forward minima 4.21 -> 4.08-4.12 ms, medians 4.45-4.58 -> 4.27-4.54; backward
# minima 8.77 -> 8.64).

cdef extern from "stepwork.h" nogil:
    ctypedef struct fastnn_steps:
        int owners
    Py_ssize_t fastnn_steps_first(const fastnn_steps *w, int owner)
    int fastnn_steps_init(fastnn_steps *w, Py_ssize_t blocks, int owners)
    void fastnn_steps_free(fastnn_steps *w)
    Py_ssize_t fastnn_steps_claim(fastnn_steps *w, Py_ssize_t s, int tid, int *owner)
    void fastnn_steps_finish(fastnn_steps *w, Py_ssize_t s, int finished)
    void fastnn_steps_wait(fastnn_steps *w, Py_ssize_t s)
    int fastnn_steps_complete(fastnn_steps *w, Py_ssize_t s)
    int fastnn_ahead_take(int *state)
    void fastnn_ahead_done(int *state)
    void fastnn_ahead_wait(int *state)


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
    _AnyBlock ahead     # NULL, or the part of a block that needs nothing of the step before (_work_ahead)
    int *ahead_state    # (T, blocks) fastnn_ahead_* words, step-major in the order run


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
            if job.ahead != NULL:
                _work_ahead(job, tid, w, t, tag)
            fastnn_steps_wait(job.work, w - 1)
        owner, finished = -1, 0
        q = fastnn_steps_claim(job.work, w, tid, &owner)
        while q >= 0:
            block(sw, <const floating *>job.packed, job.cell, t, w, q)
            finished = finished + 1
            q = fastnn_steps_claim(job.work, w, tid, &owner)
        fastnn_steps_finish(job.work, w, finished)


cdef void _work_ahead(const _SweepJob *job, int tid, Py_ssize_t w, Py_ssize_t t, floating tag) noexcept nogil:
    # While step w - 1 runs on: the parts of step w's blocks that do not need it, own blocks first, one at a
    # time until that step is complete (the spin of a barrier, spent on work the step would do anyway).
    cdef const _Sweep *sw = job.sw
    cdef void (*ahead)(const _Sweep *, const floating *, const void *, Py_ssize_t, Py_ssize_t,
                       Py_ssize_t) noexcept nogil
    ahead = <void (*)(const _Sweep *, const floating *, const void *, Py_ssize_t, Py_ssize_t, Py_ssize_t) noexcept nogil>job.ahead
    cdef Py_ssize_t blocks = (sw.H + sw.nr - 1) // sw.nr, first = fastnn_steps_first(job.work, tid % job.work.owners)
    cdef Py_ssize_t i, q
    cdef int *state
    for i in range(blocks):
        if fastnn_steps_complete(job.work, w - 1):
            return
        q = (first + i) % blocks
        state = job.ahead_state + w * blocks + q
        if fastnn_ahead_take(state):
            ahead(sw, <const floating *>job.packed, job.cell, t, w, q)
            fastnn_ahead_done(state)


cdef void _sweep_part(void *ctx, int tid) noexcept nogil:
    cdef const _SweepJob *job = <const _SweepJob *>ctx
    if job.single:
        _sweep_share(job, tid, <float>0)
    else:
        _sweep_share(job, tid, <double>0)


cdef int _sweep(void (*block)(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t,
                              Py_ssize_t w, Py_ssize_t q) noexcept nogil,
                const _Sweep *sw, const floating *packed, const void *cell, bint backward, int nt,
                _AnyBlock ahead=NULL, int *ahead_state=NULL) except -1:
    """Call block(sw, packed, cell, t, w, q) for every block q of every step: step w (0 .. T-1, in
    the order run) is time index t, the layer's forward order, or its reverse for backward through
    time. `packed` is W_hh as _Recurrence packed it; `cell` the cell's own arrays. With `ahead` (a block
    function of the same signature), a thread waiting for step w - 1 runs ahead(..., w, q) for blocks of
    step w, each claimed through its word of ahead_state (T x blocks, zero on entry); block() skips what
    was done (its own part of the protocol: fastnn_ahead_take / _done / _wait).

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
    job.ahead, job.ahead_state = ahead, ahead_state
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
