"""The BLAS library fastnn's kernels call (SciPy's, through scipy.linalg.cython_blas) runs on one thread.

fastnn splits large products over its own OpenMP threads itself (csrc/gemmsplit.pxd), each part a
single-threaded BLAS call; BLAS threads inside those would oversubscribe the cores, and OpenBLAS's
own thread hand-offs stall on a busy machine (README, "Large matrix products"). NumPy's BLAS, when it is a
different library (the PyPI wheels), keeps fastnn.set_num_threads's count.
"""
import ctypes
import ctypes.util
import os


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


# Names the BLAS sgemm goes by in the libraries SciPy links (scipy-openblas's prefix first).
_SGEMM_NAMES = ("scipy_sgemm_", "sgemm_", "scipy_sgemm_64_", "sgemm_64_", "sgemm")


def kernel_blas_path():
    """Real path of the shared library whose sgemm scipy.linalg.cython_blas calls, or None if unknown."""
    try:
        from scipy.linalg import cython_blas
        # dlsym on the module's handle searches the module and the libraries it links, in order
        module = ctypes.CDLL(cython_blas.__file__)
        libdl = ctypes.CDLL(ctypes.util.find_library("dl") or None)
        for name in _SGEMM_NAMES:
            try:
                address = ctypes.cast(getattr(module, name), ctypes.c_void_p).value
            except AttributeError:
                continue
            info = _DlInfo()
            if address and libdl.dladdr(ctypes.c_void_p(address), ctypes.byref(info)) and info.dli_fname:
                return os.path.realpath(os.fsdecode(info.dli_fname))
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    return None


def set_blas_threads(n=None):
    """The kernels' BLAS to 1 thread, any other BLAS (NumPy's) to n (None: left as it is). Without
    knowing which library the kernels call, every BLAS goes to 1."""
    from threadpoolctl import ThreadpoolController
    kernel_lib = kernel_blas_path()
    for lib in ThreadpoolController().select(user_api="blas").lib_controllers:
        if kernel_lib is None or os.path.realpath(lib.filepath) == kernel_lib:
            lib.set_num_threads(1)
        elif n is not None:
            lib.set_num_threads(n)
