"""Process-wide settings fastnn makes at import, and the one switch that turns them off.

FASTNN_NO_PROCESS_TUNING=1 in the environment before `import fastnn` leaves the process as
it was: no environment variable is set (not even for a moment) and malloc is not touched
(config.tune_malloc). README "Process-wide settings" has the measurements behind them.

Idle-thread policy of the native thread pools fastnn loads, set before they load: both
pools read their policy once, from the environment, when their library loads, so this module
must be imported before anything that loads them; the variables are put back afterwards so
that runtimes loaded later (PyTorch's, say) keep their own defaults. Variables the user set
are left alone.

* libgomp (our OpenMP loops): by default idle threads spin for ~300k rounds,
  and the spinning steals the cores from the BLAS threads that run the GEMMs
  between our parallel loops. A process holds one libgomp, shared with any
  other library that uses it (PyTorch does), so the policy is a short spin
  (GOMP_SPINCOUNT=1000, some microseconds) rather than OMP_WAIT_POLICY=PASSIVE:
  fastnn's steps measured within this machine's run-to-run noise of either
  (the CharLM LSTM step 5-15% slower with the spin), but passive
  waiting made PyTorch
  in the same process pay a wake-up per parallel region (nn.LSTM medium
  forward+backward 12 ms -> 28 ms on an AMD EPYC Zen 5; README, "Process-wide
  settings").
* scipy's OpenBLAS (our GEMMs): idle threads spin for 2**28 cycles (~0.1 s)
  after each call, stealing a small machine's cores from whatever runs next
  (another library's kernels included). 2**18 cycles (~0.1 ms) still bridges
  the GEMMs of one kernel call.
"""
import os

import numpy  # noqa: F401  (loads NumPy's own BLAS first, so its policy stays the user's)

SWITCH = "FASTNN_NO_PROCESS_TUNING"


def process_tuning_enabled():
    """False when the user set FASTNN_NO_PROCESS_TUNING (to anything but '' or '0')."""
    return os.environ.get(SWITCH, "") in ("", "0")


TUNED = process_tuning_enabled()   # as it was at import, when the settings were made
_POLICY = {"GOMP_SPINCOUNT": "1000", "OPENBLAS_THREAD_TIMEOUT": "18"}
_set_here = [name for name in _POLICY if name not in os.environ] if TUNED else []
for _name in _set_here:
    os.environ[_name] = _POLICY[_name]


def restore_environment():
    """Remove the variables set above, once fastnn's native libraries have loaded."""
    for name in _set_here:
        os.environ.pop(name, None)
    _set_here.clear()
