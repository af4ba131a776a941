"""The DataLoader iterator that loads in worker processes.

The main process sends (task index, sampler item) to the workers round robin, keeping
prefetch_factor * num_workers tasks in flight; workers send (task index, batch) back on one
result queue, and batches are yielded in task order (in_order=True) or as they arrive. Workers
are daemonic, ignore SIGINT, exit when told, when the main process stops waiting for them, or
when it dies (they watch their parent); the main process shuts them down when the epoch ends
(unless persistent), on any exception or Ctrl-C inside next(), when the iterator is collected,
and at interpreter exit.
"""
import atexit
import itertools
import multiprocessing
import os
import queue
import weakref

from ... import multiprocessing as _fastnn_mp  # noqa: F401  (registers how tensors cross processes)
from ._iterators import _BaseDataLoaderIter
from ._utils import MP_STATUS_CHECK_INTERVAL
from ._utils.worker import ExceptionWrapper, _IterableDatasetStopIteration, _ResumeIteration, _worker_loop

_live_iterators = weakref.WeakSet()


@atexit.register
def _shutdown_all():
    for it in list(_live_iterators):
        it._shutdown_workers()


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._owner_pid = os.getpid()  # a forked child may inherit (and collect) this object: it must not act
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        self._persistent_workers = loader.persistent_workers
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        _live_iterators.add(self)
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # never block the main process's exit on tasks left unread
                w = ctx.Process(target=_worker_loop, daemon=True, args=(
                    self._iterable, self._dataset, index_queue, self._worker_result_queue, self._workers_done_event,
                    self._auto_collation, self._collate_fn, self._drop_last, self._base_seed, loader.worker_init_fn,
                    i, self._num_workers, os.getpid()))
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader)
        self._send_idx = 0       # index of the next task to send
        self._rcvd_idx = 0       # index of the next batch to yield in order
        self._task_info = {}     # task index -> worker, for tasks sent and not yet answered
        self._reorder = {}       # task index -> batch, for batches that arrived ahead of their turn
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # persistent workers: restart each worker's fetcher and wait until every one has
            for q in self._index_queues:
                q.put(_ResumeIteration())
            pending = self._num_workers
            while pending:
                r, _ = self._get_data()
                if isinstance(r, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        if self._tasks_outstanding >= self._prefetch_factor * self._num_workers or not any(self._workers_status):
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._worker_cycle)
            if self._workers_status[worker]:
                break
        self._index_queues[worker].put((self._send_idx, index))
        self._task_info[self._send_idx] = worker
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _try_get_data(self, timeout):
        try:
            return True, self._worker_result_queue.get(timeout=timeout)
        except queue.Empty:
            dead = [w.pid for i, w in enumerate(self._workers) if self._workers_status[i] and not w.is_alive()]
            if dead:
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) exited unexpectedly")
            return False, None

    def _get_data(self):
        if self._timeout > 0:
            ok, data = self._try_get_data(self._timeout)
            if not ok:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            ok, data = self._try_get_data(MP_STATUS_CHECK_INTERVAL)
            if ok:
                return data

    def __next__(self):
        if self._shutdown:
            raise StopIteration
        self._reraising = False
        try:
            return super().__next__()
        except StopIteration:
            raise
        except BaseException:
            # A timeout, a dead worker, Ctrl-C: stop the workers now. A worker's exception leaves the
            # iterator usable, as in PyTorch (the workers stop when it is collected or at exit).
            if not self._reraising:
                self._shutdown_workers()
            raise

    def _next_data(self):
        while True:
            if self._rcvd_idx in self._reorder:
                data = self._reorder.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data)
            # skip task indices already yielded out of order, or dropped with an exhausted worker
            while (self._rcvd_idx < self._send_idx and self._rcvd_idx not in self._task_info
                   and self._rcvd_idx not in self._reorder):
                self._rcvd_idx += 1
            if self._rcvd_idx in self._reorder:
                continue
            if not self._task_info:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            idx, data = self._get_data()
            if isinstance(idx, _ResumeIteration):
                continue
            self._tasks_outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                self._retire_worker(data.worker_id)
                self._task_info.pop(idx, None)
                self._try_put_index()
                continue
            self._task_info.pop(idx, None)
            if idx == self._rcvd_idx:
                self._rcvd_idx += 1
                return self._process_data(data)
            if self._in_order:
                self._reorder[idx] = data
            else:
                return self._process_data(data)

    def _retire_worker(self, worker_id):
        """An IterableDataset worker ran out: send it nothing more (tasks it was sent never get an answer)."""
        self._workers_status[worker_id] = False
        for idx in [i for i, w in self._task_info.items() if w == worker_id]:
            del self._task_info[idx]
            self._tasks_outstanding -= 1

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            self._reraising = True
            data.reraise()
        return data

    def _shutdown_workers(self):
        if self._shutdown or os.getpid() != self._owner_pid:
            return
        self._shutdown = True
        _live_iterators.discard(self)
        self._workers_done_event.set()
        for q, w in zip(self._index_queues, self._workers):
            if w.is_alive():
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
        for w in self._workers:
            w.join(timeout=MP_STATUS_CHECK_INTERVAL)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in self._index_queues:
            q.close()
        self._worker_result_queue.cancel_join_thread()
        self._worker_result_queue.close()

    def __del__(self):
        if not getattr(self, "_shutdown", True):
            self._shutdown_workers()
