"""The DataLoader worker process: its loop, its seeding, get_worker_info(), and how errors travel back."""
import os
import queue
import random
import signal
import sys
import traceback

import numpy as np

from ....autograd.random import manual_seed
from ....autograd.tensor import Tensor, _wrap
from ....config import set_num_threads
from ....multiprocessing.reductions import SUPPORTED as _SHARED_MEMORY, is_shared_array, shared_copy
from .worker_info import WorkerInfo, get_worker_info, _set_worker_info  # noqa: F401 (get_worker_info: PyTorch's path)
from .collate import SHARED_TRANSFER_BYTES
from .fetch import create_fetcher

# How often (seconds) waiting workers and the waiting main process check that the other side lives.
MP_STATUS_CHECK_INTERVAL = 1.0


class _KeyErrorMessage(str):
    """KeyError repr()s its argument; this keeps a multi-line traceback readable."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, with its formatted traceback, to re-raise in the main process."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception class whose constructor needs more than a message
            exception = RuntimeError(msg)
        try:
            raise exception
        finally:
            # no exception -> traceback -> this frame -> exception cycle: it would keep the loader's
            # iterator, and so its worker processes, alive until the cyclic garbage collector runs
            del exception


class _IterableDatasetStopIteration:
    """A worker's IterableDataset copy is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""


def _share_large(data):
    """The batch with its large tensors copied into shared memory (new tensor objects: the dataset's own
    tensors are never moved), recursing into lists, tuples and dicts."""
    if isinstance(data, Tensor):
        big = _SHARED_MEMORY and data._data.nbytes >= SHARED_TRANSFER_BYTES
        if big and not data.requires_grad and not is_shared_array(data._data):
            return _wrap(shared_copy(data._data))
        return data
    if type(data) in (list, tuple):
        return type(data)(_share_large(d) for d in data)
    if type(data) is dict:
        return {k: _share_large(v) for k, v in data.items()}
    return data


def _seed_worker(seed, base_seed, worker_id):
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    # one thread per worker: the workers already use the cores, and a forked OpenMP pool is not safe to reuse
    set_num_threads(1)


def _worker_loop(iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                 base_seed, init_fn, worker_id, num_workers, parent_pid):
    # Ctrl-C reaches the whole process group; the main process decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        seed = base_seed + worker_id
        _seed_worker(seed, base_seed, worker_id)
        _set_worker_info(WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset))
        init_error, fetcher = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid or done_event.is_set():
                    break  # the main process died, or is shutting down
                continue
            if r is None:
                break
            if isinstance(r, _ResumeIteration):
                iteration_end = False
                if init_error is None:
                    fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                data_queue.put((r, None))
                continue
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                    else:
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, _share_large(data)))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()  # do not block exit flushing results nobody will read
        data_queue.close()
