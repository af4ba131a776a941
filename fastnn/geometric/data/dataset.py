"""Dataset and InMemoryDataset: a list of graphs with PyG's indexing, shuffling and counting.

Downloading and processing to disk (PyG's raw/processed folders) are not done here: the datasets
of fastnn.geometric.datasets read their raw files directly.
"""
import numpy as np

from ...autograd.random import generator


class Dataset:
    """A sequence of Data objects with an optional `transform` applied on access."""

    def __init__(self, root=None, transform=None, pre_transform=None, pre_filter=None, log=True,
                 force_reload=False):
        self.root, self.transform = root, transform
        self.pre_transform, self.pre_filter = pre_transform, pre_filter
        self._indices = None

    def len(self):
        raise NotImplementedError

    def get(self, idx):
        raise NotImplementedError

    def indices(self):
        return range(self.len()) if self._indices is None else self._indices

    def __len__(self):
        return len(self.indices())

    def __getitem__(self, idx):
        if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool):
            n = len(self)
            if not -n <= idx < n:
                raise IndexError(f"index {idx} is out of range for a dataset of {n} graphs")
            data = self.get(self.indices()[int(idx) % n])
            return data if self.transform is None else self.transform(data)
        return self.index_select(idx)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def index_select(self, idx):
        indices = list(self.indices())
        if isinstance(idx, slice):
            chosen = indices[idx]
        else:
            a = idx._data if hasattr(idx, "_data") else np.asarray(idx)
            if a.dtype == bool:
                if a.shape != (len(indices),):
                    raise IndexError(f"a mask must have shape ({len(indices)},), got {a.shape}")
                a = np.flatnonzero(a)
            chosen = [indices[int(i)] for i in a.reshape(-1)]
        out = _copy(self)
        out._indices = chosen
        return out

    def shuffle(self, return_perm=False):
        perm = generator().permutation(len(self))
        out = self.index_select(perm)
        return (out, perm) if return_perm else out

    @property
    def num_node_features(self):
        data = self[0]
        return data.num_node_features

    @property
    def num_features(self):
        return self.num_node_features

    @property
    def num_edge_features(self):
        return self[0].num_edge_features

    @property
    def num_classes(self):
        ys = [self.get(i).y for i in self.indices()]
        ys = [y for y in ys if y is not None]
        if not ys:
            return 0
        first = ys[0].numpy()
        if first.dtype.kind == "f" and first.ndim > 1:  # multi-label targets: one column per class
            return int(first.shape[-1])
        return max(int(y.numpy().max()) for y in ys if y.numpy().size) + 1

    def __repr__(self):
        return f"{type(self).__name__}({len(self)})"


class InMemoryDataset(Dataset):
    """A Dataset whose graphs are held in a Python list (`self._data_list`)."""

    def __init__(self, root=None, transform=None, pre_transform=None, pre_filter=None, log=True,
                 force_reload=False):
        super().__init__(root, transform, pre_transform, pre_filter, log, force_reload)
        self._data_list = []

    def len(self):
        return len(self._data_list)

    def get(self, idx):
        return self._data_list[idx]

    def _keep(self, graphs):
        """Hold the graphs that pass pre_filter, each after pre_transform (PyG's processing order)."""
        if self.pre_filter is not None:
            graphs = [g for g in graphs if self.pre_filter(g)]
        if self.pre_transform is not None:
            graphs = [self.pre_transform(g) for g in graphs]
        self._data_list = graphs


def _copy(dataset):
    out = type(dataset).__new__(type(dataset))
    out.__dict__.update(dataset.__dict__)
    return out
