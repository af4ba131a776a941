"""torch.backends.openmp: whether the kernels were compiled with OpenMP."""


def is_available():
    from .. import _runtime
    return bool(_runtime.openmp_enabled())
