"""The gradient reducer behind DistributedDataParallel: buckets, hooks and overlapped all-reduce.

Parameters are grouped into buckets in reverse registration order (the order backward tends to
produce their gradients), each flattened into one contiguous buffer. When every gradient of a
bucket has been accumulated, the bucket's all-reduce starts without blocking (MPI Iallreduce)
while backward computes the remaining gradients; a callback at the end of backward waits for
the rest, averages over the ranks and copies the results back into each parameter's .grad.
A progress thread (fastnn.distributed.progress) keeps the started all-reduces moving meanwhile,
or, where MPI is not thread-safe, the main thread tests them each time a gradient is ready.
Buckets are started strictly in index order, so every rank issues the same collectives in the
same sequence even if its gradients become ready in another order.

Unused parameters follow PyTorch's find_unused_parameters: without it, a parameter that got no
gradient in a synced backward is an error; with it, such a parameter contributes zeros (or the
gradient it accumulated under no_sync), and one that no rank used since the last sync keeps its
.grad untouched (None stays None, so weight decay and momentum leave it alone).
"""
import time
import weakref

import numpy as np

from ...autograd.hooks import queue_callback
from ...autograd.tensor import _wrap
from ...distributed.collectives import ReduceOp, start_all_reduce
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


_UNUSED = ("Expected every parameter to receive a gradient in a synced backward pass. This error indicates that "
           "your module has parameters that were not used in producing loss. You can enable unused parameter "
           "detection by passing the keyword argument `find_unused_parameters=True` to "
           "`fastnn.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
           "participate in calculating loss.")

_TWICE = ("DistributedDataParallel: a second backward pass reached the module's parameters after this iteration's "
          "gradients were already averaged across ranks (backward(retain_graph=True) called again without a new "
          "forward). Its gradients would stay local to this rank and the replicas would drift apart. Add the losses "
          "and call backward once, or run forward again before each backward.")


class Reducer:
    """Averages gradients across ranks during backward; `seconds` sums the time spent blocked on it.

    names maps id(parameter) to its name, for error messages.
    """

    def __init__(self, params, cap_bytes, world_size, overlap=True, find_unused_parameters=False, names=None):
        self.params = params
        self.names = names or {}
        self.buckets = [Bucket(b) for b in assign_buckets(params, cap_bytes)]
        self.bucket_of = {id(p): bucket for bucket in self.buckets for p in bucket.params}
        self.world_size = world_size
        self.overlap = overlap
        self.find_unused_parameters = find_unused_parameters
        self.progress = progress_thread() if overlap else None
        self.seconds = 0.0
        self.expect_backward = False
        self.synced = False  # a synced backward has finished since the last forward
        self.used = set()  # id of each parameter that got a gradient since the last sync (no_sync passes too)
        self._ready = set()  # id of each parameter that got a gradient in this synced pass
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
        if self.synced:
            raise RuntimeError(_TWICE)
        self.used.add(id(param))
        if not self.expect_backward:  # under no_sync: accumulate locally
            return
        if not self._queued:
            queue_callback(self._finish)
            self._queued = True
        self._ready.add(id(param))
        bucket = self.bucket_of[id(param)]
        bucket.ready += 1
        if self.overlap and bucket.ready == len(bucket.params):
            self._start_ready_buckets()
        if self.overlap and self.progress is None:
            self._advance()

    def _advance(self):
        """Without a progress thread, the main thread lets MPI move the started all-reduces (testing does)."""
        for bucket in self.buckets[:self._next]:
            if not bucket.work.is_completed():
                return

    def _start_ready_buckets(self):
        t0 = time.perf_counter()
        while self._next < len(self.buckets) and self.buckets[self._next].ready == len(self.buckets[self._next].params):
            self._start(self.buckets[self._next])
            self._next += 1
        self.seconds += time.perf_counter() - t0

    def _start(self, bucket):
        for p, lo, hi in zip(bucket.params, bucket.offsets[:-1], bucket.offsets[1:]):
            # A parameter that got no gradient on this rank (find_unused_parameters) contributes zeros.
            bucket.flat[lo:hi] = p.grad._data.ravel() if p.grad is not None else 0
        bucket.work = start_all_reduce(bucket.flat, what="DistributedDataParallel gradient all_reduce")
        if self.progress is not None:
            self.progress.watch(bucket.work.requests)

    def _finish(self):
        t0 = time.perf_counter()
        try:
            missing = [self.names.get(id(p), f"#{i}") for i, p in enumerate(self.params) if id(p) not in self._ready]
            if missing and not self.find_unused_parameters:
                # Finish what was started, so the ranks' collectives stay matched, then refuse.
                if self.progress is not None:
                    self.progress.release()
                for bucket in self.buckets[:self._next]:
                    bucket.work.wait()
                raise RuntimeError(f"{_UNUSED} Parameters which did not receive grad: {', '.join(missing)}")
            while self._next < len(self.buckets):
                self._start(self.buckets[self._next])
                self._next += 1
            used_work = None
            if self.find_unused_parameters:
                used = np.array([id(p) in self.used for p in self.params], np.int32)
                used_work = start_all_reduce(used, ReduceOp.MAX, "DistributedDataParallel unused-parameter map")
            if self.progress is not None:
                self.progress.release()
            globally_used = None
            if used_work is not None:
                used_work.wait()
                globally_used = {id(p) for p, u in zip(self.params, used) if u}
            for bucket in self.buckets:
                bucket.work.wait()
                bucket.flat /= self.world_size
                for p, lo, hi in zip(bucket.params, bucket.offsets[:-1], bucket.offsets[1:]):
                    if globally_used is not None and id(p) not in globally_used:
                        continue  # no rank used it: its .grad stays as it was, as in PyTorch
                    avg = bucket.flat[lo:hi].reshape(p._data.shape)
                    if p.grad is None:
                        p.grad = _wrap(avg.copy())
                    else:
                        p.grad._data[...] = avg
            self.synced = True
        finally:
            self.used.clear()
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
        self._ready.clear()
        self._queued = False
        self.expect_backward = False
