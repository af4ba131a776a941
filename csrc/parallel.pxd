# OpenMP shims that compile with or without OpenMP support.
# Without OpenMP, Cython's prange runs serially and these report one thread.
#
# fastnn.set_num_threads is process-wide, as PyTorch's is: omp_set_num_threads would set the
# calling thread's count only, so a kernel called from another Python thread would still use
# every core. The count lives once, in fastnn._runtime (an int behind the capsule
# fastnn._runtime._thread_setting); each extension module finds it on its first kernel call,
# and every parallel region passes num_threads(threads_for(...)), which reads it.
cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #endif
    #include "soloregion.h"
    static int fastnn_thread_setting_unset = 0;
    static int *fastnn_thread_setting_ptr = NULL;
    /* The pointer is read and written with relaxed atomics (GCC/Clang builtins), so first calls
     * from two threads each repeat the look-up instead of racing on a plain pointer. */
    #if defined(__GNUC__)
    #define FASTNN_LOAD_PTR(v) __atomic_load_n(&(v), __ATOMIC_RELAXED)
    #define FASTNN_STORE_PTR(v, x) __atomic_store_n(&(v), (x), __ATOMIC_RELAXED)
    #define FASTNN_LOAD_INT(p) __atomic_load_n((p), __ATOMIC_RELAXED)
    #else
    #define FASTNN_LOAD_PTR(v) (*(int *volatile *)&(v))
    #define FASTNN_STORE_PTR(v, x) (*(int *volatile *)&(v) = (x))
    #define FASTNN_LOAD_INT(p) (*(volatile int *)(p))
    #endif
    /* fastnn.set_num_threads's count, or 0 before any call (then OpenMP's own default, which
     * OMP_NUM_THREADS sets for every thread). The first call of a module looks the capsule up
     * (under the GIL). */
    static int fastnn_thread_setting(void) {
        int *p = FASTNN_LOAD_PTR(fastnn_thread_setting_ptr);
        if (p == NULL) {
            PyGILState_STATE gil = PyGILState_Ensure();
            p = (int *)PyCapsule_Import("fastnn._runtime._thread_setting", 0);
            if (p == NULL) {
                PyErr_Clear();
                p = &fastnn_thread_setting_unset;
            }
            PyGILState_Release(gil);
            FASTNN_STORE_PTR(fastnn_thread_setting_ptr, p);
        }
        return FASTNN_LOAD_INT(p);  /* set_num_threads stores it atomically (runtime.pyx) */
    }
    #ifdef _OPENMP
    static inline int fastnn_max_threads(void) {
        int n = fastnn_thread_setting();
        return n > 0 ? n : omp_get_max_threads();
    }
    static inline int fastnn_has_openmp(void) { return 1; }
    static inline int fastnn_team_size(void) { return omp_get_num_threads(); }
    #else
    static inline int fastnn_max_threads(void) { return 1; }
    static inline int fastnn_has_openmp(void) { return 0; }
    static inline int fastnn_team_size(void) { return 1; }
    #endif
    """
    int fastnn_max_threads() nogil   # threads a kernel's parallel region may use, in any thread
    int fastnn_has_openmp() nogil
    int fastnn_team_size() nogil   # threads of the enclosing parallel region (1 outside one)
    int fastnn_solo_regions_inline() nogil   # one-thread regions skip libgomp (soloregion.h)


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


# Around every parallel region: fastnn_team_begin(&steer, nt) before it, fastnn_team_end(&steer) after.
# A team idle for a while is steered off the calling thread's CPU (cpusteer.h: on an idle virtual
# machine its workers would otherwise wake onto it and share it for milliseconds).
cdef extern from "cpusteer.h" nogil:
    ctypedef struct fastnn_team_steer:
        pass
    void fastnn_team_begin(fastnn_team_steer *steer, int threads)
    void fastnn_team_end(fastnn_team_steer *steer)
