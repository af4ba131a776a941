"""The default process group: one MPI communicator over every process mpiexec started.

A rank that raises an uncaught exception calls MPI_Abort (through sys.excepthook), so mpiexec
stops the other ranks instead of leaving them waiting in a collective; a collective that
outlives the group's timeout aborts the job too (see collectives.wait_requests).
"""
import datetime
import os
import sys
import traceback

from ._mpi import mpi

# PyTorch's default_pg_timeout.
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)
BACKENDS = ("mpi", "gloo")  # gloo: PyTorch's CPU backend name, so CPU scripts run unchanged

_state = {"comm": None, "timeout": None, "hook": None}


class DistError(RuntimeError):
    """PyTorch's DistBackendError, for code that catches it (a timed-out collective aborts the job instead)."""


def _abort_on_exception(exc_type, exc, tb):
    comm = _state["comm"]
    rank = comm.Get_rank() if comm is not None else "?"
    sys.stderr.write(f"fastnn.distributed: rank {rank} raised an uncaught exception; aborting every rank\n")
    traceback.print_exception(exc_type, exc, tb)
    sys.stderr.flush()
    if comm is not None:
        comm.Abort(1)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the processes mpiexec started into the default group (a single process is a group of one).

    world_size and rank, when given, must agree with mpiexec's; timeout (a timedelta) bounds
    how long a collective waits for the other ranks before the job is aborted.
    """
    if _state["comm"] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in BACKENDS:
        raise ValueError(f"backend must be 'mpi' (fastnn's collectives run on MPI), got {backend!r}")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if not isinstance(timeout, datetime.timedelta) or timeout.total_seconds() <= 0:
        raise ValueError(f"timeout must be a positive datetime.timedelta, got {timeout!r}")
    if init_method not in (None, "env://", "mpi://"):
        raise ValueError(f"init_method {init_method!r} is not supported: processes are started by mpiexec "
                         f"(fastnn run -n N script.py)")
    comm = mpi().COMM_WORLD.Dup()
    size, me = comm.Get_size(), comm.Get_rank()
    expected = world_size if world_size != -1 else int(os.environ.get("WORLD_SIZE", size))
    if expected != size:
        comm.Free()
        source = "world_size" if world_size != -1 else "$WORLD_SIZE"
        raise ValueError(f"{source} is {expected} but mpiexec started {size} process(es) "
                         f"(launch with: fastnn run -n {expected} ...)")
    if rank != -1 and rank != me:
        comm.Free()
        raise ValueError(f"rank is {rank} but MPI gave this process rank {me}")
    _state.update(comm=comm, timeout=timeout.total_seconds())
    if size > 1:
        _state["hook"] = sys.excepthook
        sys.excepthook = _abort_on_exception


def is_initialized():
    return _state["comm"] is not None


def comm():
    """The group's MPI communicator; ValueError when init_process_group has not been called."""
    c = _state["comm"]
    if c is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return c


def timeout_seconds():
    return _state["timeout"]


def get_rank(group=None):
    return comm().Get_rank()


def get_world_size(group=None):
    return comm().Get_size()


def get_backend(group=None):
    comm()
    return "mpi"


def destroy_process_group(group=None):
    c = comm()
    _state["comm"] = None
    if _state["hook"] is not None:
        sys.excepthook, _state["hook"] = _state["hook"], None
    c.Free()
