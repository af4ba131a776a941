# Process-wide OpenMP settings, for fastnn.set_num_threads and fastnn.show_config.
from parallel cimport fastnn_max_threads, fastnn_set_threads, fastnn_has_openmp


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(fastnn_has_openmp())


def openmp_threads():
    """Threads an OpenMP parallel region started from this thread would use."""
    return fastnn_max_threads()


def set_openmp_threads(int n):
    if n < 1:
        raise ValueError(f"n must be a positive thread count, got {n}")
    fastnn_set_threads(n)


cdef extern from "cpulevel.h" nogil:
    int fastnn_cpu_level()


def vector_build():
    """Which build of the vectorised kernels runs here: 'avx512', 'avx2' or 'baseline'."""
    return ("baseline", "avx2", "avx512")[fastnn_cpu_level()]
