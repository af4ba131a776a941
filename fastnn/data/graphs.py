"""Graph datasets in PyTorch Geometric's shape: Planetoid (Cora, CiteSeer, PubMed) and Zachary's karate club.

The raw Planetoid files are found and read (with a restricted unpickler) by fastnn._planetoid_files.
"""
import csv
import os

import numpy as np

from ..autograd.tensor import _wrap
from .._planetoid_files import find_planetoid, planetoid_edge_index, read_planetoid_pickle, _labels

_FILES = os.path.join(os.path.dirname(__file__), "files")


class GraphData:
    """One graph, as PyG's Data: x, edge_index, y and optional masks, plus the usual counts."""

    def __init__(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)

    @property
    def num_nodes(self):
        return self.x.shape[0]

    @property
    def num_edges(self):
        return self.edge_index.shape[1]

    @property
    def num_node_features(self):
        return self.x.shape[1]

    num_features = num_node_features

    def __repr__(self):
        parts = [f"{k}={list(v.shape)}" for k, v in vars(self).items() if hasattr(v, "shape")]
        return f"GraphData({', '.join(parts)})"


class NormalizeFeatures:
    """Scale each node's features to sum to 1 (rows of zeros stay zero), as PyG's T.NormalizeFeatures."""

    def __call__(self, data):
        x = data.x.numpy()
        total = x.sum(axis=1, keepdims=True)
        data.x = _wrap((x / np.where(total == 0, 1, total)).astype(x.dtype))
        return data


# ------------------------------------------------------------------ Planetoid

class Planetoid:
    """The Planetoid citation graphs with the standard semi-supervised split (PyG's Planetoid).

    root: a folder holding the raw files `ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}`, directly
    or under <name>/raw, <name> or planetoid. dataset[0] has x, edge_index, y, train_mask, val_mask
    and test_mask; `transform` (e.g. NormalizeFeatures()) is applied to it.
    """
    names = ("cora", "citeseer", "pubmed")

    def __init__(self, root, name, split="public", transform=None):
        key = str(name).lower()
        if key not in self.names:
            raise ValueError(f"name must be one of Cora, CiteSeer, PubMed, got {name!r}")
        if split != "public":
            raise NotImplementedError(f"split {split!r} is not supported (only 'public')")
        self.name = name
        folder = find_planetoid(os.fspath(root), key)
        if folder is None:
            raise FileNotFoundError(f"no Planetoid files ind.{key}.* under {root}")
        self._data = self._read(folder, key)
        if transform is not None:
            self._data = transform(self._data)

    @staticmethod
    def _read(folder, key):
        path = {p: os.path.join(folder, f"ind.{key}.{p}") for p in ("x", "y", "tx", "ty", "allx", "ally")}
        part = {p: read_planetoid_pickle(path[p]) for p in path}
        with open(os.path.join(folder, f"ind.{key}.test.index")) as f:
            test_index = np.array([int(line) for line in f if line.strip()], np.int64)
        for p in ("x", "tx", "allx"):
            if not hasattr(part[p], "toarray"):
                raise ValueError(f"ind.{key}.{p} should hold a sparse feature matrix")
        if part["tx"].shape[1] != part["allx"].shape[1]:
            raise ValueError(f"ind.{key}.tx and ind.{key}.allx have different feature counts")
        if len(test_index) == 0 or test_index.min() < 0 or len(test_index) != part["tx"].shape[0]:
            raise ValueError(f"ind.{key}.test.index must hold one node id >= 0 per row of ind.{key}.tx")
        tx, ty = part["tx"].toarray(), _labels(part["ty"], part["tx"].shape[0], path["ty"])
        ally = _labels(part["ally"], part["allx"].shape[0], path["ally"])
        order = np.sort(test_index)
        if key == "citeseer":  # some test nodes are isolated and missing from tx: zero rows for them
            span = test_index.max() - test_index.min() + 1
            tx_full = np.zeros((span, tx.shape[1]), tx.dtype)
            ty_full = np.zeros((span, ty.shape[1]), ty.dtype)
            tx_full[order - test_index.min()] = tx
            ty_full[order - test_index.min()] = ty
            tx, ty = tx_full, ty_full
        x = np.vstack([part["allx"].toarray(), tx]).astype(np.float32)
        y = np.vstack([ally, ty]).argmax(axis=1).astype(np.int64)
        n = len(y)
        if test_index.max() >= n:
            raise ValueError(f"ind.{key}.test.index names node {test_index.max()}, past the {n} nodes")
        x[test_index], y[test_index] = x[order], y[order]
        edge_index = planetoid_edge_index(folder, key, n)
        n_train = len(_labels(part["y"], part["x"].shape[0], path["y"]))
        if n_train + 500 > n:
            raise ValueError(f"ind.{key}.y holds {n_train} training nodes; with 500 for validation that is past "
                             f"the {n} nodes")
        masks = {}
        for mask_name, index in (("train_mask", np.arange(n_train)),
                                 ("val_mask", np.arange(n_train, n_train + 500)),
                                 ("test_mask", test_index)):
            mask = np.zeros(n, bool)
            mask[index] = True
            masks[mask_name] = _wrap(mask)
        return GraphData(x=_wrap(x), edge_index=_wrap(edge_index), y=_wrap(y), **masks)

    def __len__(self):
        return 1

    def __getitem__(self, index):
        if index not in (0, -1):
            raise IndexError(f"Planetoid holds one graph, got index {index}")
        return self._data

    @property
    def num_features(self):
        return self._data.num_features

    @property
    def num_classes(self):
        return int(self._data.y.numpy().max()) + 1

    def __repr__(self):
        return f"{self.name}()"


# ------------------------------------------------------------------ karate club

def karate_club():
    """Zachary's karate club (bundled): 34 members, 78 friendships in both directions (156 edges),
    one-hot node features, y = the club each member joined (0: Mr. Hi, 1: Officer)."""
    with open(os.path.join(_FILES, "karate_edges.csv")) as f:
        pairs = np.array([(int(r["source"]), int(r["target"])) for r in csv.DictReader(f)], np.int64)
    with open(os.path.join(_FILES, "karate_clubs.csv")) as f:
        clubs = {int(r["node"]): r["club"] for r in csv.DictReader(f)}
    n = len(clubs)
    y = np.array([0 if clubs[i] == "Mr. Hi" else 1 for i in range(n)], np.int64)
    edge_index = np.concatenate([pairs.T, pairs.T[::-1]], axis=1)
    return GraphData(x=_wrap(np.eye(n, dtype=np.float32)), edge_index=_wrap(np.ascontiguousarray(edge_index)),
                     y=_wrap(y))
