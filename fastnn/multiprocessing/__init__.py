"""fastnn.multiprocessing: Python's multiprocessing plus tensors in shared memory (torch.multiprocessing's API).

Everything of the standard module is here (Process, Queue, Pool, get_context, set_start_method, ...).
Importing this module registers how tensors are pickled for other processes: a tensor moved into
shared memory with `share_memory_()` (or a model with `Module.share_memory()`) travels as a handle to
the same memory, so a child's in-place writes are seen by the parent (Hogwild training); any other
tensor travels as a copy. Children made by fork inherit shared tensors directly.

A child made by fork runs fastnn's kernels on one thread (it calls set_num_threads(1) as it starts):
GNU OpenMP's thread pool does not survive fork, and a forked child that entered a parallel region
sized like its parent's would wait forever for threads it does not have. Use the spawn start method
for children that need several threads each.
"""
import multiprocessing
import os
from multiprocessing import *  # noqa: F401,F403  (the standard API, as torch.multiprocessing re-exports it)

from .reductions import init_reductions, shared_empty
from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, spawn,
                    start_processes)

__all__ = list(multiprocessing.__all__) + [
    "ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException", "spawn",
    "start_processes", "SpawnContext", "get_sharing_strategy", "set_sharing_strategy",
    "get_all_sharing_strategies", "init_reductions"]

SpawnContext = ProcessContext  # PyTorch's older name, kept there as an alias too

_STRATEGIES = {"file_descriptor"}


def get_all_sharing_strategies():
    """The ways shared tensors can be passed: by file descriptor only (no named files left behind)."""
    return set(_STRATEGIES)


def get_sharing_strategy():
    return "file_descriptor"


def set_sharing_strategy(new_strategy):
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"sharing strategy must be one of {sorted(_STRATEGIES)}, got {new_strategy!r} "
                         "(fastnn passes shared tensors by file descriptor only)")


def _one_thread_after_fork():
    from ..config import set_num_threads
    set_num_threads(1)


init_reductions()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_one_thread_after_fork)
