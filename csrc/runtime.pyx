# Process-wide OpenMP settings, for fastnn.set_num_threads and fastnn.show_config; the process's helper
# pool (gemmpool.h), which every kernel module finds through the capsule _pool.
from cpython.pycapsule cimport PyCapsule_New
from cython.parallel cimport parallel, prange
from parallel cimport fastnn_max_threads, fastnn_has_openmp, fastnn_team_size, threads_for
from parallel cimport fastnn_solo_regions_inline

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static void fastnn_set_calling_thread(int n) { omp_set_num_threads(n); }
    #else
    static void fastnn_set_calling_thread(int n) { (void)n; }
    #endif
    /* kernels read the setting without the GIL (parallel.pxd): store it atomically, not as a plain write */
    #if defined(__GNUC__)
    static void fastnn_store_setting(int *p, int n) { __atomic_store_n(p, n, __ATOMIC_RELAXED); }
    #else
    static void fastnn_store_setting(int *p, int n) { *(volatile int *)p = n; }
    #endif
    """
    void fastnn_set_calling_thread(int n) nogil
    void fastnn_store_setting(int *p, int n) nogil

# The one thread count every kernel module reads (see parallel.pxd); 0: not set.
cdef int _thread_setting_value = 0
_thread_setting = PyCapsule_New(<void*>&_thread_setting_value, b"fastnn._runtime._thread_setting", NULL)

cdef extern from "gemmpool.h":
    """
    #if FASTNN_HAVE_POOL
    /* this module's pool is the process's: published below, and used here without a look-up */
    static void *fastnn_process_pool(void) {
        fastnn_pool_shared = &fastnn_pool_local;
        return &fastnn_pool_local;
    }
    #else
    static int fastnn_no_pool;
    static void *fastnn_process_pool(void) { return &fastnn_no_pool; }
    #endif
    """
    void *fastnn_process_pool()

_pool = PyCapsule_New(fastnn_process_pool(), b"fastnn._runtime._pool", NULL)


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(fastnn_has_openmp())


def solo_regions_inline():
    """True when one-thread parallel regions call their body directly (csrc/soloregion.h)."""
    return bool(fastnn_solo_regions_inline())


def openmp_threads():
    """Threads a kernel's OpenMP parallel region uses at most, from whichever thread it is called."""
    return fastnn_max_threads()


def set_openmp_threads(int n):
    if n < 1:
        raise ValueError(f"n must be a positive thread count, got {n}")
    fastnn_store_setting(&_thread_setting_value, n)
    fastnn_set_calling_thread(n)   # other OpenMP code run from this thread agrees


def _parallel_team_size():
    """Threads a kernel's parallel region with ample work actually gets when started from the
    calling thread (the way every kernel sizes its regions; for tests)."""
    cdef int team = 0
    cdef int* out = &team   # (a variable assigned in a parallel block would be thread-private)
    cdef int nt = threads_for(1 << 30, 1)
    with nogil, parallel(num_threads=nt):
        out[0] = fastnn_team_size()   # every thread writes the same number
    return team


cdef extern from *:
    """
    #ifdef _OPENMP
    static int fastnn_region_level(void) { return omp_get_level(); }
    #else
    static int fastnn_region_level(void) { return 0; }
    #endif
    """
    int fastnn_region_level() nogil


cdef void _one_thread_region(Py_ssize_t n, int *level, Py_ssize_t *covered) noexcept nogil:
    cdef Py_ssize_t i, count = 0
    for i in prange(n, num_threads=1, schedule="dynamic"):
        count += 1
        level[0] = fastnn_region_level()
    covered[0] = count


def _one_thread_region_probe(Py_ssize_t n, int callers):
    """For tests of soloregion.h: a one-thread region with a dynamic loop over n items, entered from
    this thread (callers=1) or from each thread of a `callers`-thread region. Returns, per caller,
    the OpenMP nesting level seen inside the one-thread region and the items its loop covered."""
    cdef int levels[8]
    cdef Py_ssize_t covered[8]
    cdef int c
    if not 1 <= callers <= 8:
        raise ValueError(f"callers must be in [1, 8], got {callers}")
    for c in range(callers):
        levels[c] = -1
        covered[c] = 0
    with nogil:
        if callers == 1:
            _one_thread_region(n, &levels[0], &covered[0])
        else:
            for c in prange(callers, num_threads=callers, schedule="static", chunksize=1):
                _one_thread_region(n, &levels[c], &covered[c])
    return [levels[c] for c in range(callers)], [covered[c] for c in range(callers)]


cdef extern from "cpulevel.h" nogil:
    int fastnn_cpu_level()


def vector_build():
    """Which build of the vectorised kernels runs here: 'avx512', 'avx2' or 'baseline'."""
    return ("baseline", "avx2", "avx512")[fastnn_cpu_level()]


cdef extern from "cpusteer.h" nogil:
    """
    /* For tests: steer the calling thread off `cpu` as a pool caller steers a helper, report the mask
     * it then had, and put the mask back as the helper does. Returns 1 if steered; mask_during gets
     * the CPUs of the steered mask (up to n of them), *count how many. */
    static int fastnn_steer_self_for_test(int cpu, int *mask_during, int n, int *count) {
    #if defined(__linux__)
        cpu_set_t saved, during;
        int steered = fastnn_steer_off(fastnn_thread_id(), cpu, &saved);
        *count = 0;
        if (sched_getaffinity(0, sizeof during, &during) == 0)
            for (int c = 0; c < CPU_SETSIZE && *count < n; c++)
                if (CPU_ISSET(c, &during)) mask_during[(*count)++] = c;
        if (steered) fastnn_steer_restore(&saved);
        return steered;
    #else
        (void)cpu; (void)mask_during; (void)n; *count = 0;
        return 0;
    #endif
    }
    """
    int fastnn_steer_self_for_test(int cpu, int *mask_during, int n, int *count)


def _steer_self(int cpu):
    """(steered, CPUs of the calling thread's mask while steered off `cpu`); the mask is put back before
    returning (cpusteer.h; for tests)."""
    cdef int during[1024]
    cdef int count = 0
    cdef int steered = fastnn_steer_self_for_test(cpu, during, 1024, &count)
    return bool(steered), {during[i] for i in range(count)}


# NumPy's allocation policy with 64-byte aligned data (alignedalloc.h says why).
cimport numpy as cnp
cnp.import_array()

cdef extern from "alignedalloc.h":
    """
    #if NPY_API_VERSION >= 0x00000010   /* NumPy 1.22: PyDataMem_Handler */
    static PyDataMem_Handler fastnn_aligned_handler = {
        "fastnn_aligned_allocator", 1,
        {NULL, fastnn_aligned_malloc, fastnn_aligned_calloc, fastnn_aligned_realloc, fastnn_aligned_free}};
    /* Make it the policy of the calling thread's context; 1 on success. */
    static int fastnn_install_aligned_handler(void) {
        PyObject *capsule = PyCapsule_New(&fastnn_aligned_handler, "mem_handler", NULL);
        if (capsule == NULL)
            return -1;
        PyObject *old = PyDataMem_SetHandler(capsule);
        Py_DECREF(capsule);
        if (old == NULL)
            return -1;
        Py_DECREF(old);
        return 1;
    }
    #else
    static int fastnn_install_aligned_handler(void) { return 0; }
    #endif
    """
    int fastnn_install_aligned_handler() except -1


def install_aligned_allocator():
    """Make NumPy allocate array data on 64-byte lines from the calling thread's context on (other threads
    keep NumPy's default). Arrays made before keep their own policy, which frees them. Returns True if
    installed (False with a NumPy too old to have allocation policies)."""
    return fastnn_install_aligned_handler() == 1
