"""Workers woken off their caller's CPU (csrc/cpusteer.h): the steering takes exactly the caller's CPU out
of a thread's mask and puts the mask back, leaves one-CPU masks alone, and after kernel calls have woken
sleeping pool helpers and idle OpenMP workers every thread of the process has its CPUs back."""
import os
import sys
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import _runtime

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread affinity is Linux's")


def _in_thread(fn):
    """fn() on a fresh thread (its mask may be changed without touching the test's own thread)."""
    out = {}
    thread = threading.Thread(target=lambda: out.update(value=fn()))
    thread.start()
    thread.join()
    return out["value"]


def test_steering_takes_out_the_one_cpu_and_puts_the_mask_back():
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("needs a process allowed at least 2 CPUs")
    cpu = min(allowed)

    def steer():
        before = os.sched_getaffinity(0)
        steered, during = _runtime._steer_self(cpu)
        return before, steered, during, os.sched_getaffinity(0)
    before, steered, during, after = _in_thread(steer)
    assert steered and during == before - {cpu} and after == before


def test_a_one_cpu_mask_or_a_cpu_outside_the_mask_is_left_alone():
    allowed = sorted(os.sched_getaffinity(0))

    def pinned():
        os.sched_setaffinity(0, {allowed[0]})
        return _runtime._steer_self(allowed[0]), os.sched_getaffinity(0)
    (steered, during), after = _in_thread(pinned)
    assert not steered and during == {allowed[0]} and after == {allowed[0]}
    if len(allowed) >= 2:
        def outside():
            os.sched_setaffinity(0, {allowed[1]})
            return _runtime._steer_self(allowed[0])
        steered, during = _in_thread(outside)
        assert not steered and during == {allowed[1]}


def _thread_masks():
    masks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            masks[int(tid)] = os.sched_getaffinity(int(tid))
        except (ProcessLookupError, FileNotFoundError):
            pass  # a thread that ended meanwhile
    return masks


def test_helpers_woken_after_a_pause_get_their_cpus_back_and_results_hold():
    allowed = os.sched_getaffinity(0)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 512)).astype(np.float32)
    x = rng.standard_normal((20, 8, 16)).astype(np.float32)
    lstm = fastnn.nn.LSTM(16, 64)
    with fastnn.no_grad():
        want_lstm = lstm(fastnn.tensor(x))[0].numpy().copy()
    want = fastnn.mm(fastnn.tensor(a), fastnn.tensor(a)).numpy().copy()
    scores = rng.standard_normal((64, 64, 256)).astype(np.float32)   # softmax: an OpenMP region
    want_softmax = fastnn.softmax(fastnn.tensor(scores), -1).numpy().copy()
    for _ in range(3):
        time.sleep(0.05)   # the helpers go to sleep: the next call wakes them (steered)
        got = fastnn.mm(fastnn.tensor(a), fastnn.tensor(a)).numpy()
        np.testing.assert_array_equal(got, want)
        time.sleep(0.05)
        with fastnn.no_grad():
            np.testing.assert_array_equal(lstm(fastnn.tensor(x))[0].numpy(), want_lstm)
        time.sleep(0.05)   # the OpenMP team idles: the region's workers are steered, then given their masks back
        np.testing.assert_array_equal(fastnn.softmax(fastnn.tensor(scores), -1).numpy(), want_softmax)
    deadline = time.monotonic() + 2
    while any(m != allowed for m in _thread_masks().values()) and time.monotonic() < deadline:
        time.sleep(0.01)   # a helper puts its mask back when it next runs
    assert all(m == allowed for m in _thread_masks().values())


THREADS_PROBE = """
import os, fastnn
fastnn.set_num_threads(2)
def count():
    return len(os.listdir('/proc/self/task'))
start = count()
a = fastnn.randn(512, 512)
fastnn.mm(a, a)                                                        # linear algebra
lstm = fastnn.nn.LSTM(64, 128)
lstm(fastnn.randn(20, 32, 64))[0].sum().backward()                     # recurrent
conv = fastnn.nn.Conv2d(32, 32, 3, padding=1)
conv(fastnn.randn(8, 32, 56, 56)).sum().backward()                     # convolution
fastnn.softmax(fastnn.randn(4096, 1024), -1)                           # softmax
print(count() - start)
"""


def test_one_helper_pool_for_every_kernel_module(tmp_path):
    # On 2 threads: one pool helper for all modules, and one OpenMP worker; a pool per module (as before) made
    # a helper for each of the linear, recurrent and convolution modules.
    import subprocess
    out = subprocess.run([sys.executable, "-c", THREADS_PROBE], capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    assert int(out.stdout.strip().splitlines()[-1]) <= 2
