"""Pure-NumPy kernels: the oracle for tests and the baseline for benchmarks.

Written from the math, not ported from the Cython; each name and signature
matches its compiled twin in fastnn.kernels.
"""
from .softmax import softmax_forward, softmax_backward, cross_entropy_forward, cross_entropy_backward
