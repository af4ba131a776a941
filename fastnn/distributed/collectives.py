"""Collectives on tensors, in place, as in torch.distributed: all_reduce, broadcast, all_gather, barrier.

Each starts a non-blocking MPI operation and, unless async_op=True, waits for it by polling
with the group's deadline. A rank whose peer died or never arrives gives up at the deadline and
aborts the whole job (MPI_Abort) with a message naming the collective: MPI cannot cancel a
started collective, so carrying on would leave its request in flight and the ranks' later
collectives mismatched (PyTorch's NCCL watchdog likewise tears the process down on a timeout).
"""
import pickle
import sys
import time

import numpy as np

from ..autograd.tensor import Tensor
from ._mpi import mpi
from .process_group import comm, timeout_seconds


class ReduceOp:
    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"


_OPS = (ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.AVG)


def _mpi_op(op, dtype):
    MPI = mpi()
    if dtype == np.bool_:  # MPI reduces booleans only with logical ops: sum/max are "any", product/min "all"
        return MPI.LAND if op in (ReduceOp.PRODUCT, ReduceOp.MIN) else MPI.LOR
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]


def abort_job(message):
    """Print message on stderr and end every rank of the job (MPI_Abort); does not return."""
    sys.stderr.write(f"fastnn.distributed: {message}; aborting every rank\n")
    sys.stderr.flush()
    comm().Abort(1)


def wait_requests(requests, what, seconds=None):
    """Wait for MPI requests; after seconds (default: the group's timeout) abort the job."""
    MPI = mpi()
    seconds = timeout_seconds() if seconds is None else seconds
    deadline = time.monotonic() + seconds
    polls, delay = 0, 2e-5
    while not MPI.Request.Testall(requests):
        polls += 1
        if polls < 200:  # a short spin catches the common fast completion without sleeping
            continue
        if time.monotonic() > deadline:
            abort_job(f"rank {comm().Get_rank()}: {what} did not complete within {seconds:g} s; another rank "
                      f"has probably failed or is not calling it")
        time.sleep(delay)
        # At most 0.1 ms late: a rank waiting on a slower one (DDP's end of backward) loses little.
        delay = min(delay * 2, 1e-4)


class Work:
    """A started collective: wait() finishes it (and copies results into place); PyTorch's Work."""

    def __init__(self, requests, what, finish=None):
        self.requests = requests
        self._what = what
        self._finish = finish
        self._done = False

    def is_completed(self):
        if not self._done and mpi().Request.Testall(self.requests):
            self._complete()
        return self._done

    def wait(self, timeout=None):
        """timeout: a datetime.timedelta, default the group's (init_process_group's timeout)."""
        if not self._done:
            wait_requests(self.requests, self._what, None if timeout is None else timeout.total_seconds())
            self._complete()
        return True

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


def _result(work, async_op):
    """PyTorch's return convention: the Work when async_op, else None once the collective is done."""
    if async_op:
        return work
    work.wait()
    return None


def _check_group(group):
    if group is not None:
        raise ValueError("only the default process group (group=None) is supported")


def _buffer(name, tensor):
    """The tensor's array if MPI can write into it, else a contiguous copy; and a copy-back step."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a fastnn.Tensor, got {type(tensor).__name__}")
    arr = tensor._data
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr, None
    if not arr.flags.writeable:
        raise ValueError(f"{name}'s array is read-only, so the collective cannot write its result into it")
    buf = np.ascontiguousarray(arr)

    def copy_back():
        arr[...] = buf
    return buf, copy_back


def _steps(*steps):
    steps = [s for s in steps if s is not None]
    if not steps:
        return None

    def run():
        for s in steps:
            s()
    return run


def start_all_reduce(array, op=ReduceOp.SUM, what="all_reduce"):
    """Start an in-place all-reduce of a C-contiguous array; the Work divides for AVG when it finishes."""
    if op not in _OPS:
        raise ValueError(f"op must be one of ReduceOp.{', ReduceOp.'.join(o.upper() for o in _OPS)}, got {op!r}")
    if op == ReduceOp.AVG and array.dtype.kind != "f":
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got {array.dtype}")
    c = comm()
    req = c.Iallreduce(mpi().IN_PLACE, array, _mpi_op(op, array.dtype))
    size = c.Get_size()

    def average():
        np.divide(array, size, out=array)
    return Work([req], what, average if op == ReduceOp.AVG else None)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce tensor across every rank with op, leaving the result in tensor on each."""
    _check_group(group)
    buf, copy_back = _buffer("tensor", tensor)
    work = start_all_reduce(buf, op)
    work._finish = _steps(work._finish, copy_back)
    return _result(work, async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank src's tensor into tensor on every rank."""
    _check_group(group)
    size = comm().Get_size()
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < size:
        raise ValueError(f"src must be a rank in [0, {size - 1}], got {src!r}")
    buf, copy_back = _buffer("tensor", tensor)
    work = Work([comm().Ibcast(buf, root=int(src))], "broadcast", copy_back)
    return _result(work, async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill tensor_list[r] with rank r's tensor, on every rank."""
    _check_group(group)
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor must be a fastnn.Tensor, got {type(tensor).__name__}")
    size = comm().Get_size()
    if not isinstance(tensor_list, list) or len(tensor_list) != size:
        raise ValueError(f"tensor_list must be a list of world_size ({size}) tensors, got "
                         f"{len(tensor_list) if isinstance(tensor_list, list) else type(tensor_list).__name__}")
    for i, t in enumerate(tensor_list):
        if not isinstance(t, Tensor) or t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError(f"tensor_list[{i}] must be a tensor of shape {tuple(tensor.shape)} and dtype "
                             f"{tensor.dtype}, like tensor")
    send = np.ascontiguousarray(tensor._data)
    gathered = np.empty((size,) + send.shape, send.dtype)

    def scatter():
        for t, row in zip(tensor_list, gathered):
            t._data[...] = row
    work = Work([comm().Iallgather(send, gathered)], "all_gather", scatter)
    return _result(work, async_op)


def all_gather_object(object_list, obj, group=None):
    """Fill object_list[r] with rank r's obj (small picklable values, such as model signatures).

    Like PyTorch's, it unpickles what the other ranks send: use it only among the processes of one job.
    """
    _check_group(group)
    size = comm().Get_size()
    if not isinstance(object_list, list) or len(object_list) != size:
        raise ValueError(f"object_list must be a list of world_size ({size}) entries")
    # Exchange lengths then bytes with non-blocking calls, so a missing rank times out here too.
    payload = np.frombuffer(pickle.dumps(obj), np.uint8)
    lengths = np.empty(size, np.int64)
    wait_requests([comm().Iallgather(np.array([payload.size], np.int64), lengths)], "all_gather_object")
    data = np.empty(int(lengths.sum()), np.uint8)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    wait_requests([comm().Iallgatherv(payload, [data, lengths, offsets, mpi().BYTE])], "all_gather_object")
    for r in range(size):
        object_list[r] = pickle.loads(data[offsets[r]:offsets[r] + lengths[r]].tobytes())


def barrier(group=None, async_op=False, device_ids=None):
    """Return once every rank has reached the barrier."""
    _check_group(group)
    work = Work([comm().Ibarrier()], "barrier")
    return _result(work, async_op)
