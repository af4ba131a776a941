"""torch.backends.mkl: fastnn uses the BLAS SciPy ships, not MKL."""


def is_available():
    return False
