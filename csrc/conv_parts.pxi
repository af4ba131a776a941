# Running a kernel's parts on gemmpool.h's threads, tasks claimed one at a time. Included by
# conv.pyx before the kernels that use it.

cdef extern from *:
    """
    /* The next task (block, image) of a pass, claimed by whichever thread asks first. */
    #if defined(_MSC_VER)
    #include <intrin.h>
    static inline Py_ssize_t fnn_claim(Py_ssize_t *next) {
        return (Py_ssize_t)_InterlockedExchangeAdd64((volatile __int64 *)next, 1);
    }
    #else
    static inline Py_ssize_t fnn_claim(Py_ssize_t *next) {
        return __atomic_fetch_add(next, 1, __ATOMIC_RELAXED);
    }
    #endif
    /* Set a job's flag (any part may, at once). */
    #if defined(_MSC_VER)
    static inline void fnn_flag(Py_ssize_t *flag) { _InterlockedExchange64((volatile __int64 *)flag, 1); }
    #else
    static inline void fnn_flag(Py_ssize_t *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }
    #endif
    """
    Py_ssize_t fnn_claim(Py_ssize_t* next) nogil
    void fnn_flag(Py_ssize_t* flag) nogil


cdef inline Py_ssize_t _claim_run(Py_ssize_t* next, Py_ssize_t runs, Py_ssize_t tasks, Py_ssize_t* first,
                                  Py_ssize_t* end) noexcept nogil:
    """Claim the next of `runs` fixed runs of a pass's tasks (run r: tasks [r * tasks // runs, (r + 1) * tasks //
    runs)) and return r, or -1 when none is left. A sum over the tasks kept per run, each in task order, then
    added over the runs in run order, has the same bits whichever thread ran which run: the weight gradients,
    summed per claiming thread, differed run to run in their last bits (LeNet's second layer in 3 of 30
    backward passes, a conv autoencoder's first in 29 of 30)."""
    cdef Py_ssize_t r = fnn_claim(next)
    if r >= runs:
        return -1
    first[0], end[0] = r * tasks // runs, (r + 1) * tasks // runs
    return r


cdef void _run_parts(Py_ssize_t* next, int parts, fastnn_part_fn fn, void* job) noexcept nogil:
    """fn(job, part) for part < parts, each part on its own workspace, claiming the job's tasks
    through *next (set to 0 here) until none is left: on the pool of gemmpool.h, where the caller
    never waits for a thread that has not started (a descheduled thread costs at most the task
    it holds), else one OpenMP thread per part."""
    cdef int tid
    next[0] = 0
    if FASTNN_HAVE_POOL or parts == 1:
        fastnn_pool_run(parts, parts, fn, job)
    else:
        with parallel(num_threads=parts):
            tid = threadid()
            fn(job, tid)
