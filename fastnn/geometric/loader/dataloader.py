"""DataLoader: fastnn.utils.data.DataLoader whose batches of Data are merged by Batch.from_data_list."""
from ...utils.data import DataLoader as _BaseLoader
from ..data import Batch, Data


class Collater:
    """Merges a list of Data into a Batch (follow_batch, exclude_keys as PyG)."""

    def __init__(self, dataset=None, follow_batch=None, exclude_keys=None):
        self.follow_batch, self.exclude_keys = follow_batch, exclude_keys

    def __call__(self, batch):
        if batch and isinstance(batch[0], Data):
            return Batch.from_data_list(batch, self.follow_batch, self.exclude_keys)
        raise TypeError(f"DataLoader found a batch of {type(batch[0]).__name__}; it batches Data objects")


class DataLoader(_BaseLoader):
    """DataLoader(dataset, batch_size=1, shuffle=False, follow_batch=None, exclude_keys=None, **kwargs):
    the other keywords are those of fastnn.utils.data.DataLoader (collate_fn is set here)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, follow_batch=None, exclude_keys=None, **kwargs):
        if "collate_fn" in kwargs:
            raise TypeError("DataLoader: collate_fn is set by the loader (Batch.from_data_list)")
        self.follow_batch, self.exclude_keys = follow_batch, exclude_keys
        super().__init__(dataset, batch_size=batch_size, shuffle=shuffle,
                         collate_fn=Collater(dataset, follow_batch, exclude_keys), **kwargs)
