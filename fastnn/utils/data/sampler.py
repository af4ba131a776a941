"""Samplers (torch.utils.data.sampler's API): iterables of dataset indices, drawn lazily.

Random samplers draw from `generator` (a fastnn.Generator), or, when it is None, from a fresh
generator seeded by one draw from fastnn's default generator at each iteration, so
`fastnn.manual_seed` makes every epoch's order reproducible as in PyTorch.
"""
from typing import Generic, TypeVar

import numpy as np

from ...autograd.random import generator as _numpy_generator
from ...autograd.tensor import Tensor


def _fresh_rng(gen):
    if gen is not None:
        return _numpy_generator(gen)
    return np.random.default_rng(int(_numpy_generator(None).integers(1 << 63)))


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses define __iter__ over indices (and __len__ when they know it)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def _chunks(self):
        n = len(self.data_source)
        for start in range(0, n, self._CHUNK):
            yield np.arange(start, min(n, start + self._CHUNK))

    _CHUNK = 1 << 16

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A permutation of the indices (repeated for num_samples > len), or num_samples draws with replacement."""

    _CHUNK = 32  # with replacement, indices are drawn 32 at a time: an endless stream costs nothing up front

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not _is_int(self.num_samples) or self.num_samples <= 0:  # an empty dataset too
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples!r}"
                             if num_samples is not None else "num_samples should be a positive integer value, "
                             f"but got num_samples={self.num_samples} (the dataset is empty)")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        for chunk in self._chunks():
            yield from chunk.tolist()

    def _chunks(self):
        """The indices as int64 arrays, drawn lazily (BatchSampler batches them without a Python loop)."""
        n, total = len(self.data_source), self.num_samples
        rng = _fresh_rng(self.generator)
        if self.replacement:
            for _ in range(total // self._CHUNK):
                yield rng.integers(n, size=self._CHUNK)
            if total % self._CHUNK:
                yield rng.integers(n, size=total % self._CHUNK)
        else:
            for _ in range(total // n):
                yield rng.permutation(n)
            if total % n:
                yield rng.permutation(n)[:total % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _fresh_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices drawn with probabilities proportional to `weights`."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = Tensor(w)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights._data
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise RuntimeError("invalid multinomial distribution (weights must be finite and non-negative)")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > len(w):
            raise RuntimeError("cannot sample num_samples > len(weights) samples without replacement")
        rng = _fresh_rng(self.generator)
        if self.replacement:
            yield from rng.choice(len(w), size=self.num_samples, p=w / w.sum()).tolist()
            return
        # Without replacement: successive weighted draws, as keys log(u) / w sorted in decreasing order
        # (Efraimidis & Spirakis). Zero weights come last, in random order, as torch.multinomial lets them.
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, np.log(rng.random(len(w))) / np.where(w > 0, w, 1), -np.inf)
        order = np.lexsort((rng.random(len(w)), keys))[::-1]
        yield from order[:self.num_samples].tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of batch_size indices from `sampler` (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def _chunked(self):
        # only fastnn's own samplers, not subclasses that may redefine __iter__
        return type(self.sampler) in (SequentialSampler, RandomSampler)

    def _array_batches(self):
        """The batches as int64 arrays (for a chunked sampler): the same indices as __iter__'s lists."""
        buf, have = [], 0
        for chunk in self.sampler._chunks():
            while len(chunk):
                take = min(len(chunk), self.batch_size - have)
                buf.append(chunk[:take])
                have += take
                chunk = chunk[take:]
                if have == self.batch_size:
                    yield buf[0] if len(buf) == 1 else np.concatenate(buf)
                    buf, have = [], 0
        if have and not self.drop_last:
            yield buf[0] if len(buf) == 1 else np.concatenate(buf)

    def __iter__(self):
        if self._chunked():
            for batch in self._array_batches():
                yield batch.tolist()
            return
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]
