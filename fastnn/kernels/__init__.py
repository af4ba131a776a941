"""Compiled kernels (from csrc/*.pyx), one module per kernel family.

`fastnn.kernels.reference` has a pure-NumPy twin of every kernel with the same
name and signature; `fastnn.kernels.registry` lists them with benchmark shapes.
Autograd Functions reach the kernels through `fastnn.kernels.backend`, which
can swap in the reference; the names re-exported here are always the compiled
ones (for tests and benchmarks that compare the two).
"""
from .backend import FAMILIES, compiled_modules, _public_kernels

for _module in compiled_modules.values():
    globals().update(_public_kernels(_module))


def kernel_names():
    """Names of all compiled kernel entry points."""
    return sorted(name for m in compiled_modules.values() for name in _public_kernels(m))
