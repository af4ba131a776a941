"""Timing one function's calls: how many make a sample, and one sample's seconds per call.

Shared by the bench's timing in this process (timing.py) and PyTorch's side in its own
process (torch_side.py).
"""
import time


def loops_for(fn, warmup, min_time):
    """Calls of fn per sample: enough to last min_time, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(min_time / once))


def sample(fn, loops):
    """Seconds per call over `loops` calls."""
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - start) / loops
