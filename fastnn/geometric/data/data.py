"""Data: one graph as PyTorch Geometric holds it (x, edge_index, edge_attr, y, pos, masks, anything else).

Attributes are stored as given (fastnn Tensors, usually). Batching asks each attribute how it
concatenates: `__cat_dim__` (edge_index and other '*index*' or 'face' keys along their last dimension,
everything else along the first) and `__inc__` (what is added to an index when graphs are stacked:
the number of nodes for '*index*' and 'face' keys, else 0), as PyG's Data does.
"""
import copy

import numpy as np

from ...autograd.tensor import Tensor, _wrap


# the attributes PyG's Data reads as None when unset; any other missing attribute is an AttributeError
_STANDARD = frozenset(("x", "edge_index", "edge_attr", "edge_weight", "y", "pos", "batch", "face", "time"))


def _is_tensor(v):
    return isinstance(v, Tensor)


class Data:
    """Data(x=None, edge_index=None, edge_attr=None, y=None, pos=None, **kwargs)."""

    def __init__(self, x=None, edge_index=None, edge_attr=None, y=None, pos=None, **kwargs):
        store = {}
        object.__setattr__(self, "_store", store)
        for key, value in dict(x=x, edge_index=edge_index, edge_attr=edge_attr, y=y, pos=pos, **kwargs).items():
            if value is not None:
                setattr(self, key, value)

    # ------------------------------------------------------------------ attribute storage
    def __setattr__(self, key, value):
        if key == "num_nodes":
            self._store["_num_nodes"] = None if value is None else int(value)
        elif isinstance(getattr(type(self), key, None), property):
            object.__setattr__(self, key, value)
        elif value is None:
            self._store.pop(key, None)
        else:
            self._store[key] = value

    def __getattr__(self, key):
        store = self.__dict__.get("_store")
        if store is None:
            raise AttributeError(key)
        if key in store:
            return store[key]
        if key in _STANDARD:  # PyG: data.edge_attr on a graph without one reads as None
            return None
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'")

    def __delattr__(self, key):
        self._store.pop(key, None)

    def __getitem__(self, key):
        if key not in self._store or key.startswith("_"):
            raise KeyError(key)
        return self._store[key]

    def get(self, key, default=None):
        return self._store.get(key, default) if not key.startswith("_") else default

    def __setitem__(self, key, value):
        setattr(self, key, value)

    def __contains__(self, key):
        return key in self.keys()

    def keys(self):
        return [k for k in self._store if not k.startswith("_")]

    def __iter__(self):
        for key in self.keys():
            yield key, self._store[key]

    def __call__(self, *keys):
        for key in (keys or self.keys()):
            if key in self._store:
                yield key, self._store[key]

    def to_dict(self):
        return {k: v for k, v in self}

    def update(self, data):
        """Set every attribute of `data` (a Data or a dict) on this one, replacing those of the same name."""
        if isinstance(data, Data):
            items = list(data)
            if data._store.get("_num_nodes") is not None:
                items.append(("num_nodes", data._store["_num_nodes"]))
        elif hasattr(data, "items"):
            items = list(data.items())
        else:
            raise TypeError(f"Data.update takes a Data or a dict, got {type(data).__name__}")
        for key, value in items:
            self[key] = value
        return self

    def __len__(self):
        return len(self.keys())

    def __getstate__(self):
        return dict(self._store)

    def __setstate__(self, state):
        object.__setattr__(self, "_store", dict(state))

    def __copy__(self):
        out = type(self).__new__(type(self))
        object.__setattr__(out, "_store", dict(self._store))
        return out

    def clone(self):
        out = copy.copy(self)
        for key, value in out._store.items():
            if _is_tensor(value):
                out._store[key] = value.clone()
            elif not key.startswith("_"):
                out._store[key] = copy.deepcopy(value)
        return out

    # ------------------------------------------------------------------ sizes
    @property
    def num_nodes(self):
        explicit = self._store.get("_num_nodes")
        if explicit is not None:
            return explicit
        for key in ("x", "pos", "batch"):
            value = self._store.get(key)
            if _is_tensor(value):
                return int(value.shape[0])
        ei = self._store.get("edge_index")
        if _is_tensor(ei):
            return int(ei._data.max()) + 1 if ei._data.size else 0
        return None

    @property
    def num_edges(self):
        ei = self._store.get("edge_index")
        if _is_tensor(ei):
            return int(ei.shape[1])
        attr = self._store.get("edge_attr")
        return int(attr.shape[0]) if _is_tensor(attr) else 0

    def _columns(self, key):
        """The feature count of attribute key: its last dim (1 for a 1-D tensor), 0 when absent."""
        t = self._store.get(key)
        if not _is_tensor(t):
            return 0
        return 1 if t.ndim == 1 else int(t.shape[-1])

    @property
    def num_node_features(self):
        return self._columns("x")

    @property
    def num_features(self):
        return self.num_node_features

    @property
    def num_edge_features(self):
        return self._columns("edge_attr")

    def _attr_kind(self, key, value):
        """'node', 'edge' or None: which items a tensor attribute has one entry per (along its cat dim)."""
        if not _is_tensor(value) or value.ndim == 0 or "index" in key or key == "face":
            return None
        size = value.shape[self.__cat_dim__(key, value) % value.ndim]
        if "edge" in key and size == self.num_edges:
            return "edge"
        if size == self.num_nodes:
            return "node"
        return "edge" if size == self.num_edges else None

    def is_node_attr(self, key):
        return self._attr_kind(key, self._store.get(key)) == "node"

    def is_edge_attr(self, key):
        return self._attr_kind(key, self._store.get(key)) == "edge"

    # ------------------------------------------------------------------ batching rules
    def __cat_dim__(self, key, value, *args, **kwargs):
        return -1 if ("index" in key or key == "face") else 0

    def __inc__(self, key, value, *args, **kwargs):
        return self.num_nodes if ("index" in key or key == "face") else 0

    # ------------------------------------------------------------------ graph properties
    def has_isolated_nodes(self):
        n = self.num_nodes
        ei = self.edge_index
        if ei is None:
            return n > 0
        return np.unique(ei._data.reshape(-1)).size < n

    def has_self_loops(self):
        ei = self.edge_index
        return bool(ei is not None and (ei._data[0] == ei._data[1]).any())

    def is_undirected(self):
        from ..utils.graph import is_undirected
        return self.edge_index is None or is_undirected(self.edge_index, self.edge_attr, self.num_nodes)

    def is_directed(self):
        return not self.is_undirected()

    def subgraph(self, subset):
        """The graph induced by `subset` (bool mask or node indices): node attributes indexed, edges
        between kept nodes kept and relabelled, edge attributes masked."""
        from ..utils.graph import subgraph
        n = self.num_nodes
        ei, _, edge_mask = subgraph(subset, self.edge_index, None, relabel_nodes=True, num_nodes=n,
                                    return_edge_mask=True)
        index = _node_index(subset, n)
        out = copy.copy(self)
        for key, value in self:
            if key == "edge_index":
                out._store[key] = ei
            elif _is_tensor(value) and value.ndim:
                dim = self.__cat_dim__(key, value) % value.ndim
                kind = self._attr_kind(key, value)
                if kind == "node":
                    out._store[key] = value.index_select(dim, _wrap(index))
                elif kind == "edge":
                    out._store[key] = value.index_select(dim, _wrap(np.flatnonzero(edge_mask)))
        if "_num_nodes" in out._store:
            out._store["_num_nodes"] = len(index)
        return out

    def edge_subgraph(self, subset):
        mask = _node_index(subset, self.num_edges)
        out = copy.copy(self)
        for key, value in self:
            if _is_tensor(value) and value.ndim and self.is_edge_attr(key):
                out._store[key] = value[_wrap(mask)]
        out._store["edge_index"] = self.edge_index.index_select(1, _wrap(mask))
        return out

    # ------------------------------------------------------------------ devices and dtypes
    def apply(self, func, *keys):
        for key, value in self(*keys):
            if _is_tensor(value):
                self._store[key] = func(value)
        return self

    def to(self, device, *keys, non_blocking=False):
        from ...device import check_cpu
        check_cpu(device)
        return self

    def cpu(self, *keys):
        return self

    def contiguous(self, *keys):
        return self.apply(lambda t: t.contiguous(), *keys)

    def pin_memory(self, *keys):
        return self

    def validate(self, raise_on_error=True):
        from ...graph.utils import check_edge_index
        try:
            if self.edge_index is not None:
                check_edge_index(self.edge_index, self.num_nodes)
        except (TypeError, ValueError, IndexError):
            if raise_on_error:
                raise
            return False
        return True

    def __repr__(self):
        parts = []
        for key, value in self:
            if _is_tensor(value):
                parts.append(f"{key}={list(value.shape)}")
            elif isinstance(value, (list, tuple)):
                parts.append(f"{key}=[{len(value)}]")
            else:
                parts.append(f"{key}={value!r}")
        if self._store.get("_num_nodes") is not None:
            parts.append(f"num_nodes={self._store['_num_nodes']}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _node_index(subset, n):
    """Node indices (int64) of a bool mask or index tensor/array/list."""
    a = subset._data if _is_tensor(subset) else np.asarray(subset)
    if a.dtype == bool:
        if a.shape != (n,):
            raise ValueError(f"subset mask must have shape ({n},), got {a.shape}")
        return np.flatnonzero(a).astype(np.int64)
    if a.dtype.kind not in "iu":
        raise TypeError(f"subset must be a bool mask or an integer index, got {a.dtype}")
    a = a.astype(np.int64).reshape(-1)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise IndexError(f"subset holds node ids outside [0, {n})")
    return a
