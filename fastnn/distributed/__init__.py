"""fastnn.distributed: process groups and collectives over MPI, with torch.distributed's names.

Start the processes with `fastnn run -n N script.py` (mpiexec underneath) and call
init_process_group() in each. mpi4py is imported on first use, so fastnn itself imports
without it; `pip install "fastnn[distributed]"` installs mpi4py and MPICH.
"""
from ._mpi import is_available
from .process_group import (init_process_group, is_initialized, get_rank, get_world_size, get_backend,
                            destroy_process_group, DistError)
from .collectives import ReduceOp, Work, all_reduce, broadcast, all_gather, all_gather_object, barrier

DistBackendError = DistError  # PyTorch's name for a failed collective


def is_mpi_available():
    return is_available()


__all__ = ["is_available", "is_mpi_available", "init_process_group", "is_initialized", "get_rank",
           "get_world_size", "get_backend", "destroy_process_group", "DistError", "DistBackendError", "ReduceOp",
           "Work", "all_reduce", "broadcast", "all_gather", "all_gather_object", "barrier"]
