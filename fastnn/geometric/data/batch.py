"""Batch: many graphs as one disjoint union, as PyTorch Geometric's Batch.from_data_list builds it.

Each attribute is concatenated along its `__cat_dim__`; '*index*' attributes are shifted by the
running `__inc__` (the nodes of the graphs before), so graph k's edges point at its own nodes.
`batch[i]` is the graph of node i and `ptr[k]:ptr[k + 1]` graph k's nodes. 0-d tensors (a graph label)
are stacked, Python numbers become a tensor, anything else a list.
"""
import numbers

import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd.ops.shape import cat, stack
from .data import Data


class Batch(Data):
    """A disjoint union of graphs with `batch` and `ptr`; build it with Batch.from_data_list."""

    @classmethod
    def from_data_list(cls, data_list, follow_batch=None, exclude_keys=None):
        data_list = list(data_list)
        if not data_list:
            raise ValueError("data_list must hold at least one graph")
        for i, d in enumerate(data_list):
            if not isinstance(d, Data):
                raise TypeError(f"data_list[{i}] must be a Data, got {type(d).__name__}")
        exclude = set(exclude_keys or ())
        follow = set(follow_batch or ())
        first = data_list[0]
        out = cls()
        slices, incs = {}, {}
        counts = [d.num_nodes or 0 for d in data_list]
        for key in first.keys():
            if key in exclude:
                continue
            values = [d.get(key) for d in data_list]
            if any(v is None for v in values):
                raise ValueError(f"attribute {key!r} is missing from some graphs of data_list")
            v0 = values[0]
            if isinstance(v0, Tensor):
                out._store[key], slices[key], incs[key], sizes = _collate_tensor(key, values, data_list)
                if key in follow:
                    out._store[f"{key}_batch"] = _wrap(np.repeat(np.arange(len(sizes), dtype=np.int64), sizes))
                    out._store[f"{key}_ptr"] = _wrap(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
            elif isinstance(v0, numbers.Number) and not isinstance(v0, bool):
                out._store[key] = _wrap(np.array(values))
            else:
                out._store[key] = list(values)
        out._store["batch"] = _wrap(np.repeat(np.arange(len(data_list), dtype=np.int64), counts))
        out._store["ptr"] = _wrap(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
        if first.x is None and first.pos is None:
            out._store["_num_nodes"] = int(sum(counts))
        object.__setattr__(out, "_slice_dict", slices)
        object.__setattr__(out, "_inc_dict", incs)
        object.__setattr__(out, "_data_class", type(first))
        object.__setattr__(out, "_node_counts", counts)
        object.__setattr__(out, "_stacked", {k for k in slices if first[k].ndim == 0})
        return out

    @property
    def num_graphs(self):
        ptr = self._store.get("ptr")
        return int(ptr.shape[0]) - 1 if ptr is not None else 1

    def __len__(self):
        return self.num_graphs

    def get_example(self, idx):
        """Graph idx of the batch, as it was before batching."""
        if "_slice_dict" not in self.__dict__:
            raise RuntimeError("this Batch was not built by Batch.from_data_list")
        n = self.num_graphs
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a batch of {n} graphs")
        idx %= n
        data = self._data_class()
        for key, sl in self._slice_dict.items():
            value = self._store[key]
            if key in self._stacked:
                data._store[key] = value[idx]
                continue
            dim = self.__cat_dim__(key, value) % value.ndim
            part = value[(slice(None),) * dim + (slice(sl[idx], sl[idx + 1]),)]
            inc = self._inc_dict[key][idx]
            data._store[key] = part - inc if inc else part
        for key, value in self:
            if key not in self._slice_dict and key not in ("batch", "ptr") and not key.endswith(("_batch", "_ptr")):
                data._store[key] = value[idx] if isinstance(value, (list, Tensor)) else value
        if "_num_nodes" in self._store:
            data._store["_num_nodes"] = self._node_counts[idx]
        return data

    def to_data_list(self):
        return [self.get_example(i) for i in range(self.num_graphs)]


def _collate_tensor(key, values, data_list):
    """(the concatenated tensor, slice offsets per graph, increments per graph, sizes per graph)."""
    v0, first = values[0], data_list[0]
    if v0.ndim == 0:  # a graph-level scalar: stacked into (num_graphs,)
        return stack(values), list(range(len(values) + 1)), [0] * len(values), [1] * len(values)
    dim = first.__cat_dim__(key, v0) % v0.ndim
    sizes = [int(v.shape[dim]) for v in values]
    incs, running = [], 0
    for d, v in zip(data_list, values):
        incs.append(running)
        inc = d.__inc__(key, v)
        running += int(inc) if inc is not None else 0
    shifted = [v + inc if inc else v for v, inc in zip(values, incs)]
    return cat(shifted, dim), [0, *np.cumsum(sizes).tolist()], incs, sizes
