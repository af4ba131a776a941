"""Thread control and build information (set_num_threads, show_config)."""
import os
import sys

from .kernels.backend import compiled_modules, family_backends, get_backend
from . import _idle_threads, _runtime
from ._checks import positive_int

_threads = {"n": None}

# glibc returns freed blocks above its mmap threshold (128 KiB-32 MiB) straight to the OS, so
# every new large array is page-faulted in afresh; on virtual machines that costs as much as
# the arithmetic of a softmax over the same array. Raising the thresholds lets big temporaries
# be reused from the heap.
_MALLOC_MMAP_THRESHOLD = 256 << 20
_MALLOC_TRIM_THRESHOLD = 512 << 20


def tune_malloc():
    """Keep freed large blocks for reuse (glibc only; FASTNN_NO_PROCESS_TUNING=1 opts out). Returns True if applied."""
    if not _idle_threads.process_tuning_enabled() or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, _MALLOC_MMAP_THRESHOLD) == 1
        return ok and libc.mallopt(M_TRIM_THRESHOLD, _MALLOC_TRIM_THRESHOLD) == 1
    except (OSError, AttributeError):
        return False


_malloc_tuned = tune_malloc()


def align_array_data():
    """NumPy's array data on 64-byte lines from here on, in the importing thread's context, as PyTorch's
    tensors are (csrc/alignedalloc.h: rows of 16 float32 otherwise straddle two cache lines in three arrays
    of four); FASTNN_NO_PROCESS_TUNING=1 opts out. Returns True if applied."""
    if not _idle_threads.process_tuning_enabled():
        return False
    return _runtime.install_aligned_allocator()


_data_aligned = align_array_data()


def _hold_kernel_blas():
    from ._blas_threads import set_blas_threads
    set_blas_threads()


_hold_kernel_blas()   # the kernels split their GEMMs over fastnn's threads (csrc/gemmsplit.pxd)


def _blas_limits(n):
    from ._blas_threads import set_blas_threads
    set_blas_threads(n)


def set_num_threads(n):
    """Use n threads in fastnn's OpenMP kernels and in BLAS (NumPy's and SciPy's).

    One number governs both so that a kernel's parallel loops and the GEMMs
    around them never run more threads than the machine has cores. The kernels'
    own GEMMs are split over these threads by fastnn, each part on a single BLAS
    thread, so SciPy's BLAS (the one the kernels call) is held at one thread. Process-wide,
    as PyTorch's: kernels called from any Python thread use at most n threads.
    """
    try:
        n = positive_int(n, "n")
    except ValueError as e:
        from .autograd.ops._declare import ArgumentError  # PyTorch: RuntimeError
        raise ArgumentError(str(e)) from None
    _runtime.set_openmp_threads(n)
    _blas_limits(n)
    _threads["n"] = n


def get_num_threads():
    return _threads["n"] or _runtime.openmp_threads()


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux, else what platform reports)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def config():
    """Build and runtime facts as a dict (what `fastnn info` prints)."""
    from threadpoolctl import threadpool_info
    from ._version import __version__
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads, {os.path.basename(i.get('filepath', ''))})"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return {
        "version": __version__,
        "cpu": cpu_model(),
        "kernels": sorted(compiled_modules),
        "backend": get_backend(),
        "families": [f"{name}: {where}" for name, where in family_backends().items()],
        "openmp": _runtime.openmp_enabled(),
        "solo_regions_inline": _runtime.solo_regions_inline(),
        "vector_build": _runtime.vector_build(),
        "threads": get_num_threads(),
        "cpu_count": os.cpu_count(),
        "blas": blas,
        "malloc_tuned": _malloc_tuned,
        "array_data_aligned": _data_aligned,
        "process_tuning": _idle_threads.TUNED,
    }


def show_config():
    for key, value in config().items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        print(f"{key:>19}: {value}")
