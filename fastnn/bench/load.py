"""Background load for `fastnn bench --load N`: N busy-looping processes beside the timed cases.

Users' machines are rarely idle (a data loader, a second experiment, an editor), and a kernel
whose threads wait for each other can lose far more than its share of the cores there. With
the load running for the whole run, fastnn and PyTorch take turns under the same interference.
"""
import contextlib
import os
import subprocess
import sys

# Each process spins in pure Python, and leaves by itself once its parent is gone (its parent id
# is no longer the one it was given), so a killed bench leaves no busy loops behind.
_BUSY_LOOP = ("import os, sys\n"
              "parent = int(sys.argv[1])\n"
              "while os.getppid() == parent:\n"
              "    for _ in range(200000):\n"
              "        pass\n")


def start_load(n):
    """Start n busy-looping processes; returns their Popen objects."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"load must be a non-negative number of processes, got {n!r}")
    procs = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen([sys.executable, "-c", _BUSY_LOOP, str(os.getpid())], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    except BaseException:
        stop_load(procs)
        raise
    return procs


def stop_load(procs):
    """Kill the processes start_load started and wait for them."""
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        p.wait()


@contextlib.contextmanager
def background_load(n):
    """n busy-looping processes for the duration of the with-block (killed on leaving it, also on
    an exception such as KeyboardInterrupt)."""
    procs = start_load(n)
    try:
        yield procs
    finally:
        stop_load(procs)


def load_average():
    """The 1-minute load average, or None where the OS has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
