"""Data-parallel training for a zoo entry (`fastnn zoo lenet --distributed N`), one rank per process.

The global batch stays the recipe's (each of N ranks takes batch/N samples a step), so the
optimisation is the single process's and the accuracy should be too; only the sample order
differs (DistributedSampler's permutation).
"""
import time

import numpy as np

from .. import distributed as dist, tensor
from ..nn.parallel import DistributedDataParallel
from ..utils.data import DataLoader
from ..utils.data.distributed import DistributedSampler


class DataParallelRun:
    def __init__(self, model, dataset, global_batch, seed=0, overlap=True):
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        if global_batch % self.world:
            raise ValueError(f"the recipe's batch of {global_batch} does not split evenly over {self.world} processes")
        self.model = DistributedDataParallel(model, overlap=overlap)
        self.sampler = DistributedSampler(dataset, self.world, self.rank, shuffle=True, seed=seed)
        self.loader = DataLoader(dataset, batch_size=global_batch // self.world, sampler=self.sampler)
        self.train_seconds = 0.0
        self.samples = 0
        self._t0 = None

    def start_epoch(self, epoch):
        self.sampler.set_epoch(epoch)
        self._t0 = time.perf_counter()

    def end_epoch(self):
        self.train_seconds += time.perf_counter() - self._t0
        self.samples += len(self.sampler) * self.world

    def sum(self, value):
        """value summed over the ranks (every rank gets the total)."""
        t = tensor(np.array([value], np.float64))
        dist.all_reduce(t)
        return t.item()

    def share(self, array):
        """This rank's rows of an evaluation array (every rank takes a disjoint stride)."""
        return array[self.rank::self.world]

    def summary(self):
        """samples/s and the all-reduce time (the slowest rank's: the one the others wait for)."""
        slowest = self._max(self.train_seconds)
        return {"processes": self.world, "samples_per_s": self.samples / max(slowest, 1e-9),
                "train_seconds": slowest, "allreduce_seconds": self._max(self.model.allreduce_seconds),
                "overlap": self.model.reducer.overlap}

    def _max(self, value):
        t = tensor(np.array([value], np.float64))
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return t.item()
