"""When a leaf's first gradient may become its .grad without a copy.

PyTorch's AccumulateGrad steals the incoming gradient when nothing else holds it (its use
count shows no other owner); otherwise it copies, because optimizers and clip_grad_norm_
update .grad in place and must not write through into another tensor's memory. The Python
equivalent of the use count is the reference count: an array whose only reference is the
engine's local variable, that owns its memory (or is a view spanning the whole of a base
that nothing else references), cannot be reached by any other array, Tensor or container.
A view of it would hold a reference to its base, a Tensor wrapping it a reference to it.

The reference counts the interpreter reports for "held by one local variable" are measured
once at import through the same call shapes the engine uses, not hard-coded, so an
interpreter that counts differently stays correct (an extra owner always adds a reference).
"""
import sys

import numpy as np


def _refs(a):
    """References to a seen from here when the caller holds it in one local: as in unshared()."""
    return sys.getrefcount(a)


def _base_refs(a):
    return sys.getrefcount(a.base)


def _calibrate():
    a = np.empty(2)
    own = _refs(a)
    held = [a]
    counts_owners = _refs(a) > own  # the count must see a second owner, or nothing is adopted
    del held
    v = a[:]
    del a
    return own, _base_refs(v), counts_owners


_OWN_REFS, _BASE_REFS, _COUNTS_OWNERS = _calibrate()
# Bytes a cache-line-aligned kernel output may allocate past its data (csrc/graph_spmm.pxi's _aligned_empty).
ALIGN_SLACK = 64
# Reference counts mean ownership only on CPython with the GIL (a free-threaded build defers and
# splits them); elsewhere every first gradient is copied.
_ENABLED = (sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()
            and _COUNTS_OWNERS)


def unshared(g):
    """True if the caller's one local variable is the only reference to g.

    Call it as ``unshared(name)`` with ``name`` a local variable of the caller, and hold no
    other reference to the array in the caller (no tuple, list or iterator still holding it).
    """
    return _ENABLED and sys.getrefcount(g) <= _OWN_REFS  # the same call depth as _refs in _calibrate


def adoptable(g, dtype, shape):
    """g, known unshared, can be a leaf's .grad as it is: a writeable C-contiguous ndarray of
    the leaf's dtype and shape whose memory no other object can reach."""
    if type(g) is not np.ndarray or g.dtype != dtype or g.shape != shape:
        return False
    flags = g.flags
    if not (flags.writeable and flags.c_contiguous):
        return False
    if flags.owndata:
        return True
    base = g.base
    # a reshape of a fresh kernel output: g must cover a base that only g references, all of it or
    # all but an aligned allocation's slack (kernels that start their outputs on a cache line allocate
    # up to ALIGN_SLACK bytes more, which then stay unreachable: the SpMM kernels' outputs were copied,
    # 0.8 ms for Cora x 1433)
    covers = (type(base) is np.ndarray and base.flags.owndata
              and g.nbytes <= base.nbytes <= g.nbytes + ALIGN_SLACK)
    del base  # counted below: only g may hold it
    return covers and _base_refs(g) <= _BASE_REFS
