# The one "prange over thread chunks" loop: split n elements into one contiguous chunk per
# thread and call a C body on each. Element-wise kernels (optimizer steps, dropout) use it, so
# the chunk arithmetic, the thread count and the empty-chunk rule live once.
from cython.parallel cimport prange
from parallel cimport threads_for

# A chunk body: works on elements [lo, hi) of the arrays its `args` struct points to.
ctypedef void (*chunk_body)(void *args, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil


cdef inline void for_thread_chunks(Py_ssize_t n, Py_ssize_t min_work, Py_ssize_t multiple, chunk_body body,
                                   void *args) noexcept nogil:
    """Call body(args, lo, hi) over [0, n) in threads_for(n, min_work) contiguous chunks, each
    a multiple of `multiple` elements long (except the last), one chunk per thread."""
    cdef int nt = threads_for(n, min_work)
    cdef Py_ssize_t chunk = ((n + nt - 1) // nt + multiple - 1) // multiple * multiple
    cdef Py_ssize_t c, lo
    for c in prange(nt, num_threads=nt, schedule="static"):
        lo = c * chunk
        if lo < n:
            body(args, lo, min(lo + chunk, n))
