"""Thread control and build information (set_num_threads, show_config)."""
import os

from .kernels import compiled_modules
from .kernels import _runtime

_threads = {"n": None}


def _blas_limits(n):
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n, user_api="blas")


def set_num_threads(n):
    """Use n threads in fastnn's OpenMP kernels and in BLAS (NumPy's and SciPy's).

    One number governs both so that a kernel's parallel loops and the GEMMs
    around them never run more threads than the machine has cores.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    _runtime.set_openmp_threads(n)
    _blas_limits(n)
    _threads["n"] = n


def get_num_threads():
    return _threads["n"] or _runtime.openmp_threads()


def config():
    """Build and runtime facts as a dict (what `fastnn info` prints)."""
    from threadpoolctl import threadpool_info
    from . import __version__
    try:
        from .kernels import _build_info
        compile_args = list(_build_info.COMPILE_ARGS)
    except ImportError:
        compile_args = []
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads, {os.path.basename(i.get('filepath', ''))})"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return {
        "version": __version__,
        "kernels": sorted(compiled_modules),
        "openmp": _runtime.openmp_enabled(),
        "threads": get_num_threads(),
        "cpu_count": os.cpu_count(),
        "blas": blas,
        "compile_args": compile_args,
    }


def show_config():
    for key, value in config().items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        print(f"{key:>13}: {value}")
