"""Reddit and Flickr node classification sets, read from their raw files in a local folder (root/raw or root).

Only NumPy's npz/npy (read without pickle) and JSON are parsed; sizes and node ids are checked before use.
"""
import json
import os

import numpy as np

from ...autograd.tensor import _wrap
from ..data import Data, InMemoryDataset
from ._local import raw_folder
from ..utils.graph import coalesce


def _npz(path):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable .npz/.npy file ({err})") from None


def _edges(row, col, n, path):
    row, col = np.asarray(row, np.int64), np.asarray(col, np.int64)
    if row.shape != col.shape or row.ndim != 1 or (row.size and (min(row.min(), col.min()) < 0 or
                                                                max(row.max(), col.max()) >= n)):
        raise ValueError(f"{path}: the adjacency's node ids must lie in [0, {n})")
    return np.stack([row, col])


def _mask(n, index, path):
    index = np.asarray(index, np.int64).reshape(-1)
    if index.size and (index.min() < 0 or index.max() >= n):
        raise ValueError(f"{path}: split node ids must lie in [0, {n})")
    mask = np.zeros(n, bool)
    mask[index] = True
    return _wrap(mask)


class Reddit(InMemoryDataset):
    """Reddit(root, transform=None, pre_transform=None): posts as nodes (602-d features, 41 communities),
    from reddit_data.npz (feature, label, node_types: 1 train, 2 val, 3 test) and reddit_graph.npz (a
    SciPy COO adjacency); edges coalesced."""

    def __init__(self, root, transform=None, pre_transform=None, force_reload=False):
        super().__init__(root, transform, pre_transform)
        folder = raw_folder(root, ["reddit_data.npz", "reddit_graph.npz"], "Reddit")
        data_path, graph_path = os.path.join(folder, "reddit_data.npz"), os.path.join(folder, "reddit_graph.npz")
        arrays = _npz(data_path)
        x, y, split = (np.asarray(arrays[k]) for k in ("feature", "label", "node_types"))
        n = len(x)
        if len(y) != n or len(split) != n:
            raise ValueError(f"{data_path}: feature, label and node_types must have one row per node")
        g = _npz(graph_path)
        fmt = g["format"].item() if "format" in g.files else b""
        if (fmt.decode(errors="replace") if isinstance(fmt, bytes) else str(fmt)) != "coo":
            raise ValueError(f"{graph_path}: expected a SciPy COO adjacency (save_npz of a coo_matrix)")
        edge_index = coalesce(_wrap(_edges(g["row"], g["col"], n, graph_path)), num_nodes=n)
        data = Data(x=_wrap(x.astype(np.float32)), edge_index=edge_index, y=_wrap(y.astype(np.int64)),
                    train_mask=_wrap(split == 1), val_mask=_wrap(split == 2), test_mask=_wrap(split == 3))
        self._data_list = [data if pre_transform is None else pre_transform(data)]


class Flickr(InMemoryDataset):
    """Flickr(root, transform=None, pre_transform=None): images as nodes, from adj_full.npz (a CSR
    adjacency's data/indices/indptr/shape), feats.npy, class_map.json and role.json (tr/va/te node ids)."""

    def __init__(self, root, transform=None, pre_transform=None, force_reload=False):
        super().__init__(root, transform, pre_transform)
        files = ["adj_full.npz", "feats.npy", "class_map.json", "role.json"]
        folder = raw_folder(root, files, "Flickr")
        adj_path, x_path, class_path, role_path = (os.path.join(folder, f) for f in files)
        x = np.asarray(_npz(x_path))
        n = len(x)
        f = _npz(adj_path)
        indptr, indices = np.asarray(f["indptr"], np.int64), np.asarray(f["indices"], np.int64)
        if tuple(f["shape"]) != (n, n) or len(indptr) != n + 1 or indptr[0] != 0 or indptr[-1] != len(indices) \
                or (np.diff(indptr) < 0).any():
            raise ValueError(f"{adj_path}: not a CSR adjacency of the {n} nodes of feats.npy")
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        edge_index = _edges(rows, indices, n, adj_path)
        with open(class_path) as fh:
            class_map = json.load(fh)
        y = np.full(n, -1, np.int64)
        for key, label in class_map.items():
            if not 0 <= int(key) < n:
                raise ValueError(f"{class_path}: node id {key} outside [0, {n})")
            y[int(key)] = int(label)
        with open(role_path) as fh:
            role = json.load(fh)
        data = Data(x=_wrap(x.astype(np.float32)), edge_index=_wrap(np.ascontiguousarray(edge_index)), y=_wrap(y),
                    train_mask=_mask(n, role["tr"], role_path), val_mask=_mask(n, role["va"], role_path),
                    test_mask=_mask(n, role["te"], role_path))
        self._data_list = [data if pre_transform is None else pre_transform(data)]
