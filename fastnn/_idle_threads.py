"""Idle-thread policy of the native thread pools fastnn loads, set before they load.

Both pools read their policy once, from the environment, when their library
loads, so this module must be imported before anything that loads them; the
variables are put back afterwards so that runtimes loaded later (PyTorch's,
say) keep their own defaults. Variables the user set are left alone.

* libgomp (our OpenMP loops): by default idle threads spin, and the spinning
  steals the cores from the BLAS threads that run the GEMMs between our
  parallel loops.
* scipy's OpenBLAS (our GEMMs): idle threads spin for 2**28 cycles (~0.1 s)
  after each call, stealing a small machine's cores from whatever runs next
  (another library's kernels included). 2**18 cycles (~0.1 ms) still bridges
  the GEMMs of one kernel call.
"""
import os

import numpy  # noqa: F401  (loads NumPy's own BLAS first, so its policy stays the user's)

_POLICY = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "18"}
_set_here = [name for name in _POLICY if name not in os.environ]
for _name in _set_here:
    os.environ[_name] = _POLICY[_name]


def restore_environment():
    """Remove the variables set above, once fastnn's native libraries have loaded."""
    for name in _set_here:
        os.environ.pop(name, None)
    _set_here.clear()
