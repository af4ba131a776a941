# OpenMP shims that compile with or without OpenMP support.
# Without OpenMP, Cython's prange runs serially and these report one thread.
cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static inline int fastnn_max_threads(void) { return omp_get_max_threads(); }
    static inline void fastnn_set_threads(int n) { omp_set_num_threads(n); }
    static inline int fastnn_has_openmp(void) { return 1; }
    static inline int fastnn_team_size(void) { return omp_get_num_threads(); }
    #else
    static inline int fastnn_max_threads(void) { return 1; }
    static inline void fastnn_set_threads(int n) { (void)n; }
    static inline int fastnn_has_openmp(void) { return 0; }
    static inline int fastnn_team_size(void) { return 1; }
    #endif
    """
    int fastnn_max_threads() nogil
    void fastnn_set_threads(int n) nogil
    int fastnn_has_openmp() nogil
    int fastnn_team_size() nogil   # threads of the enclosing parallel region (1 outside one)


cdef inline int threads_for(Py_ssize_t work, Py_ssize_t min_work_per_thread) noexcept nogil:
    """How many threads a loop over `work` elements deserves: small loops stay serial,
    because starting a parallel region costs a few microseconds."""
    cdef int n = fastnn_max_threads()
    cdef Py_ssize_t useful = work // min_work_per_thread
    if useful < 1:
        return 1
    if useful < n:
        return <int>useful
    return n
