"""DistributedSampler: each process's share of a dataset's indices (PyTorch's semantics)."""
import math

import numpy as np

from ..._checks import int_at_least
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Indices rank, rank + num_replicas, ... of a (seeded, per-epoch) permutation of the dataset.

    Without drop_last the permutation is padded by repeating its first indices until every
    replica gets the same count (so some samples appear twice per epoch); with drop_last the
    tail that does not divide evenly is dropped. Every replica must call set_epoch(epoch) with
    the same epoch so that they shuffle alike and their shares stay disjoint.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler needs num_replicas and rank, or an initialised process "
                                   "group (fastnn.distributed.init_process_group)")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        num_replicas = int_at_least(num_replicas, "num_replicas", 1)
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = int(rank)
        self.epoch = 0
        self.shuffle = shuffle
        self.seed = int_at_least(seed, "seed", 0)
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            # Seeded by seed + epoch alone, so every replica draws the same permutation.
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:
            indices = np.resize(indices, self.total_size)  # repeats from the start, as PyTorch pads
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Shuffle differently in each epoch (call before creating the epoch's iterator)."""
        self.epoch = int_at_least(epoch, "epoch", 0)
