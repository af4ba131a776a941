"""The DataLoader's iterators: what every one does (_BaseDataLoaderIter) and the one that loads in this
process; the worker-process iterator (_multiprocessing.py) builds on the same base."""
import warnings

from ...autograd.random import generator as _numpy_generator
from .sampler import BatchSampler
from ._utils.fetch import create_fetcher


class _DatasetKind:
    Map = 0
    Iterable = 1


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._dataset_kind == _DatasetKind.Iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._sampler_iter = iter(self._index_sampler)
        # drawn whatever num_workers is, so the sampler's draws that follow are the same in both cases
        self._base_seed = int(_numpy_generator(loader.generator).integers(1 << 63))
        self._num_yielded = 0
        self._shutdown = False
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be used as the device,"
                          f"ignore pin_memory_device={loader.pin_memory_device!r}.", UserWarning, stacklevel=3)
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", UserWarning, stacklevel=3)

    def __iter__(self):
        return self

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._index_sampler)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = create_fetcher(self._iterable, self._dataset, self._auto_collation, self._collate_fn,
                                       self._drop_last)
        self._reset(loader)

    def _reset(self, loader):
        super()._reset(loader)
        # A TensorDataset batched by fastnn's own samplers: index arrays straight into one gather per tensor
        sampler = self._index_sampler
        if getattr(self._fetcher, "_gather", False) and type(sampler) is BatchSampler and sampler._chunked():
            self._sampler_iter = sampler._array_batches()

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())
