"""Dataset, TensorDataset, DataLoader (PyTorch's torch.utils.data API); DistributedSampler in .distributed."""
import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd.random import generator


class Dataset:
    def __getitem__(self, index):
        raise NotImplementedError

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Rows of tensors that share their first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = tensors[0].shape[0]
        for i, t in enumerate(tensors):
            if t.shape[0] != n:
                raise ValueError(f"size mismatch between tensors: tensor 0 has {n} rows, tensor {i} has {t.shape[0]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset):
    def __init__(self, datasets):
        self.datasets = list(datasets)
        self.cumulative = np.cumsum([len(d) for d in self.datasets])

    def __len__(self):
        return int(self.cumulative[-1]) if len(self.cumulative) else 0

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("index out of range")
        d = int(np.searchsorted(self.cumulative, index, side="right"))
        start = int(self.cumulative[d - 1]) if d else 0
        return self.datasets[d][index - start]


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator_seed=None):
    n = len(dataset)
    if all(0 <= x <= 1 for x in lengths) and abs(sum(lengths) - 1) < 1e-9 and sum(lengths) != n:
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("sum of input lengths does not equal the length of the input dataset")
    rng = generator() if generator_seed is None else np.random.default_rng(generator_seed)
    perm = rng.permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + length].tolist()))
        start += length
    return out


def default_collate(batch):
    """Stack a list of samples (tensors, arrays, numbers, or tuples/dicts of them) into batch tensors."""
    first = batch[0]
    if isinstance(first, Tensor):
        return _wrap(np.stack([b._data for b in batch]))
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(batch))
    if isinstance(first, (bool, int, float, np.number)):
        return Tensor(np.asarray(batch))
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(items)) for items in zip(*batch)) if isinstance(first, tuple) else [
            default_collate(list(items)) for items in zip(*batch)]
    if isinstance(first, dict):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    return batch


class DataLoader:
    """Batches of a dataset; shuffling draws from fastnn's seeded generator (or `generator`).

    A TensorDataset is batched by slicing its tensors directly (one fancy-index per
    tensor per batch), not sample by sample.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 generator=None, **_):
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.drop_last = drop_last
        self.collate_fn = collate_fn or default_collate
        self.generator = generator

    def _order(self):
        n = len(self.dataset)
        if self.sampler is not None:
            return np.asarray(list(iter(self.sampler)))
        if self.shuffle:
            rng = generator(self.generator)
            return rng.permutation(n)
        return np.arange(n)

    def __iter__(self):
        order = self._order()
        bs = self.batch_size or 1
        stop = len(order) - (len(order) % bs if self.drop_last else 0)
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate
        for start in range(0, stop, bs):
            idx = order[start:start + bs]
            if fast:
                yield tuple(_wrap(t._data[idx]) for t in self.dataset.tensors)
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in idx])

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        bs = self.batch_size or 1
        return n // bs if self.drop_last else -(-n // bs)


from .distributed import DistributedSampler  # noqa: E402  (PyTorch exports it here too)
