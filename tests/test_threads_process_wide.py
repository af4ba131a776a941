"""fastnn.set_num_threads is process-wide, as PyTorch's is: kernels called from any Python thread
use at most that many OpenMP threads (omp_set_num_threads alone would bind the calling thread only)."""
import os
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import _runtime, kernels as K

pytestmark = pytest.mark.skipif(not _runtime.openmp_enabled() or (os.cpu_count() or 1) < 2,
                                reason="needs OpenMP and two cores")


def _in_new_thread(fn):
    result = []
    t = threading.Thread(target=lambda: result.append(fn()))
    t.start()
    t.join()
    return result[0]


def test_the_count_holds_in_other_threads(threads):
    fastnn.set_num_threads(1)
    assert _in_new_thread(lambda: (_runtime.openmp_threads(), _runtime._parallel_team_size())) == (1, 1)
    fastnn.set_num_threads(2)
    assert _in_new_thread(lambda: (_runtime.openmp_threads(), _runtime._parallel_team_size())) == (2, 2)
    assert fastnn.get_num_threads() == 2


def _os_threads():
    return len(os.listdir("/proc/self/task"))


def _settled_os_threads():
    """The thread count once the workers of earlier, finished threads' teams have exited."""
    n = _os_threads()
    for _ in range(100):
        time.sleep(0.02)
        n, last = _os_threads(), n
        if n == last:
            return n
    return n


def _threads_a_kernel_starts():
    """OS threads that appear while a new Python thread runs a kernel with ample work (OpenMP
    starts a thread team's workers for each thread that opens a parallel region)."""
    x = np.ones(1 << 20, np.float32)
    before = _settled_os_threads()
    K.dropout_mask_apply(x, 0.5, 7)
    K.softmax_forward(x.reshape(1024, 1024))
    return _os_threads() - before


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_a_kernel_in_another_thread_uses_one_thread_after_set_num_threads_1(threads):
    fastnn.set_num_threads(2)
    assert _in_new_thread(_threads_a_kernel_starts) >= 1   # the count can see a team start
    fastnn.set_num_threads(1)
    assert _in_new_thread(_threads_a_kernel_starts) == 0
