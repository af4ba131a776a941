"""FASTNN_NO_PROCESS_TUNING=1 leaves the process as `import fastnn` found it: the environment
never changes (not even while the native libraries load) and glibc's malloc thresholds stay
glibc's, and NumPy keeps its own allocation policy. Without it, fastnn raises the thresholds, aligns
NumPy's array data (and puts its variables back after loading)."""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")

# A 64 MiB malloc is served by mmap under glibc's default thresholds (its dynamic threshold
# never passes 32 MiB) and from the heap under fastnn's (256 MiB): mallinfo2's hblkhd, the
# bytes in mmapped blocks, tells which. The environment is watched with a hook that sees every
# change os.environ makes during the import (threadpoolctl, imported later by config(), sets one).
PROBE = """
import ctypes, json, os

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]

changes = []
real_setitem, real_delitem = type(os.environ).__setitem__, type(os.environ).__delitem__
type(os.environ).__setitem__ = lambda self, k, v: (changes.append(("set", k)), real_setitem(self, k, v))[1]
type(os.environ).__delitem__ = lambda self, k: (changes.append(("del", k)), real_delitem(self, k))[1]
before = dict(os.environ)
import fastnn
after = dict(os.environ)
type(os.environ).__setitem__, type(os.environ).__delitem__ = real_setitem, real_delitem

mmapped = libc.mallinfo2().hblkhd
p = libc.malloc(64 << 20)
grew = libc.mallinfo2().hblkhd - mmapped
libc.free(p)
import numpy as np
try:
    from numpy._core.multiarray import get_handler_name
except ImportError:   # NumPy 1.x
    from numpy.core.multiarray import get_handler_name
print(json.dumps({"env_same": before == after, "changes": changes, "mmapped_64mib": grew >= 64 << 20,
                  "tuned": fastnn.config.config()["malloc_tuned"],
                  "numpy_policy": get_handler_name(np.empty(10))}))
"""


def _probe(tmp_path, **env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("FASTNN_NO_PROCESS_TUNING", "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT",
                         "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    base.update(env)
    # from an empty folder: from the checkout, `import fastnn` would find the uncompiled sources
    out = subprocess.run([sys.executable, "-c", PROBE], env=base, capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_switch_leaves_environment_and_malloc_alone(tmp_path):
    r = _probe(tmp_path, FASTNN_NO_PROCESS_TUNING="1")
    assert r["env_same"] and r["changes"] == []
    assert r["mmapped_64mib"] and not r["tuned"]
    assert r["numpy_policy"] == "default_allocator"


def test_by_default_malloc_is_tuned_and_the_environment_restored(tmp_path):
    r = _probe(tmp_path)
    assert r["env_same"]
    assert sorted(k for op, k in r["changes"] if op == "set") == ["GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT"]
    assert not r["mmapped_64mib"] and r["tuned"]
    assert r["numpy_policy"] == "fastnn_aligned_allocator"

