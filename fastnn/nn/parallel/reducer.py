"""The gradient reducer behind DistributedDataParallel: buckets, hooks and overlapped all-reduce.

Parameters are grouped into buckets in reverse registration order (the order backward tends to
produce their gradients), each flattened into one contiguous buffer. When every gradient of a
bucket has been accumulated, the bucket's all-reduce starts without blocking (MPI Iallreduce)
while backward computes the remaining gradients; a callback at the end of backward waits for
the rest, averages over the ranks and copies the results back into each parameter's .grad.
A progress thread (fastnn.distributed.progress) keeps the started all-reduces moving meanwhile.
Buckets are started strictly in index order, so every rank issues the same collectives in the
same sequence even if its gradients become ready in another order.
"""
import time
import weakref

import numpy as np

from ...autograd.hooks import queue_callback
from ...autograd.tensor import _wrap
from ...distributed.collectives import start_all_reduce
from ...distributed.progress import progress_thread

# PyTorch's first bucket is small (1 MiB) so that communication starts early in backward.
FIRST_BUCKET_BYTES = 1 << 20


class Bucket:
    __slots__ = ("params", "offsets", "flat", "ready", "work")

    def __init__(self, params):
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.flat = np.empty(int(self.offsets[-1]), params[0]._data.dtype)
        self.ready = 0
        self.work = None


def assign_buckets(params, cap_bytes):
    """Lists of parameters (reversed order, one dtype per bucket) of about cap_bytes each."""
    buckets, open_by_dtype = [], {}
    for p in reversed(params):
        dtype = p._data.dtype
        current = open_by_dtype.setdefault(dtype, [])
        current.append(p)
        limit = FIRST_BUCKET_BYTES if not buckets else cap_bytes
        if sum(q._data.nbytes for q in current) >= limit:
            buckets.append(current)
            open_by_dtype[dtype] = []
    buckets.extend(b for b in open_by_dtype.values() if b)
    return buckets


class Reducer:
    """Averages gradients across ranks during backward; `seconds` sums the time spent blocked on it."""

    def __init__(self, params, cap_bytes, world_size, overlap=True):
        self.buckets = [Bucket(b) for b in assign_buckets(params, cap_bytes)]
        self.bucket_of = {id(p): bucket for bucket in self.buckets for p in bucket.params}
        self.world_size = world_size
        self.overlap = overlap
        self.progress = progress_thread() if overlap else None
        self.seconds = 0.0
        self.expect_backward = False
        self._queued = False
        self._next = 0
        # The hook holds the reducer weakly: the hook registry outlives a DistributedDataParallel
        # that is dropped, and must not keep it (and its buffers) alive.
        method = weakref.WeakMethod(self._grad_ready)

        def hook(param):
            alive = method()
            if alive is not None:
                alive(param)
        for bucket in self.buckets:
            for p in bucket.params:
                p.register_post_accumulate_grad_hook(hook)

    def _grad_ready(self, param):
        if not self.expect_backward:
            return
        if not self._queued:
            queue_callback(self._finish)
            self._queued = True
        bucket = self.bucket_of[id(param)]
        bucket.ready += 1
        if self.overlap and bucket.ready == len(bucket.params):
            self._start_ready_buckets()

    def _start_ready_buckets(self):
        t0 = time.perf_counter()
        while self._next < len(self.buckets) and self.buckets[self._next].ready == len(self.buckets[self._next].params):
            self._start(self.buckets[self._next])
            self._next += 1
        self.seconds += time.perf_counter() - t0

    def _start(self, bucket):
        for p, lo, hi in zip(bucket.params, bucket.offsets[:-1], bucket.offsets[1:]):
            # A parameter that got no gradient on this rank contributes zeros.
            bucket.flat[lo:hi] = p.grad._data.ravel() if p.grad is not None else 0
        bucket.work = start_all_reduce(bucket.flat, what="DistributedDataParallel gradient all_reduce")
        if self.progress is not None:
            self.progress.watch(bucket.work.requests)

    def _finish(self):
        t0 = time.perf_counter()
        try:
            while self._next < len(self.buckets):
                self._start(self.buckets[self._next])
                self._next += 1
            if self.progress is not None:
                self.progress.release()
            for bucket in self.buckets:
                bucket.work.wait()
                bucket.flat /= self.world_size
                for p, lo, hi in zip(bucket.params, bucket.offsets[:-1], bucket.offsets[1:]):
                    avg = bucket.flat[lo:hi].reshape(p._data.shape)
                    if p.grad is None:
                        p.grad = _wrap(avg.copy())
                    else:
                        p.grad._data[...] = avg
        finally:
            self.reset()
        self.seconds += time.perf_counter() - t0

    def reset(self):
        """Forget a pass's progress (after it finished, or when backward raised part-way)."""
        if self.progress is not None:
            self.progress.release()
        for bucket in self.buckets:
            bucket.ready = 0
            bucket.work = None
        self._next = 0
        self._queued = False
        self.expect_backward = False
