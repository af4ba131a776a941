"""Graph datasets in PyTorch Geometric's shape: Planetoid (Cora, CiteSeer, PubMed) and Zachary's karate club.

The Planetoid files are Python-2 pickles. They are read with an unpickler that admits only the
NumPy and SciPy-sparse classes those files hold and refuses everything else, so a hostile file
cannot run code.
"""
import csv
import io
import os
import pickle

import numpy as np

from ..autograd.tensor import _wrap

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


# ------------------------------------------------------------------ the restricted unpickler

class _CsrRecord:
    """Stands in for scipy's csr_matrix while unpickling: it only collects the pickled fields, which
    _checked_csr validates before any matrix exists (scipy's unpickling checks nothing, so a crafted
    file could make `.toarray()` write out of bounds)."""


def _encode_latin1(text, encoding="latin1"):
    """_codecs.encode as protocol-2 pickles written by Python 3 use it to spell bytes; only that use."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _allowed_classes():
    import collections
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy < 2
        from numpy.core.multiarray import _reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("scipy.sparse.csr", "csr_matrix"): _CsrRecord,
        ("scipy.sparse._csr", "csr_matrix"): _CsrRecord,
        ("collections", "defaultdict"): collections.defaultdict,
        ("__builtin__", "list"): list,
        ("builtins", "list"): list,
        ("_codecs", "encode"): _encode_latin1,
    }


_MAX_DENSE = 1 << 31  # elements of a feature matrix made dense (PubMed's is 19717 x 500)


def _index_array(arr, what, path):
    if not (isinstance(arr, np.ndarray) and arr.ndim == 1 and arr.dtype.kind in "iu"):
        raise ValueError(f"{path}: sparse matrix {what} is not a 1-d integer array")
    return arr.astype(np.int64)


def _checked_csr(record, path):
    """A scipy csr_matrix built from the pickled fields after a full format check."""
    import scipy.sparse
    fields = vars(record)
    shape = fields.get("_shape", fields.get("shape"))
    if fields.get("format", "csr") != "csr" or not (
            isinstance(shape, tuple) and len(shape) == 2 and all(isinstance(v, int) and v >= 0 for v in shape)):
        raise ValueError(f"{path}: sparse matrix has a bad format or shape {shape!r:.60}")
    rows, cols = shape
    if rows * cols > _MAX_DENSE:
        raise ValueError(f"{path}: sparse matrix of shape {shape} is too large to use as features")
    indptr = _index_array(fields.get("indptr"), "indptr", path)
    indices = _index_array(fields.get("indices"), "indices", path)
    data = fields.get("data")
    if not (isinstance(data, np.ndarray) and data.ndim == 1 and data.dtype.kind in "biuf"):
        raise ValueError(f"{path}: sparse matrix data is not a 1-d numeric array")
    if len(indptr) != rows + 1 or indptr[0] != 0 or (np.diff(indptr) < 0).any():
        raise ValueError(f"{path}: sparse matrix indptr must hold {rows + 1} non-decreasing offsets from 0")
    if not indptr[-1] == len(indices) == len(data):
        raise ValueError(f"{path}: sparse matrix has {indptr[-1]} entries by indptr, {len(indices)} indices "
                         f"and {len(data)} values")
    if len(indices) and (indices.min() < 0 or indices.max() >= cols):
        raise ValueError(f"{path}: sparse matrix column index outside [0, {cols})")
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)


class _PlanetoidUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        allowed = _allowed_classes()
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: Planetoid files hold only NumPy "
                                         f"arrays, SciPy sparse matrices and the graph's dict of lists")
        return allowed[(module, name)]


def read_planetoid_pickle(path):
    """Unpickle one Planetoid file, admitting only the classes such files hold; a sparse matrix is
    checked in full before it is built."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        obj = _PlanetoidUnpickler(io.BytesIO(data), encoding="latin1").load()
    except pickle.UnpicklingError as err:
        if "refusing" in str(err):
            raise ValueError(f"{path}: {err}") from None
        raise ValueError(f"{path} is not a readable Planetoid file ({err})") from None
    except Exception as err:  # truncated or garbage files raise many kinds of errors
        raise ValueError(f"{path} is not a readable Planetoid file ({type(err).__name__}: {err})") from None
    return _checked_csr(obj, path) if isinstance(obj, _CsrRecord) else obj


def _labels(arr, rows, path):
    if not (isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.dtype.kind in "biuf" and arr.shape[0] == rows):
        raise ValueError(f"{path} should hold a 2-d numeric label array with {rows} rows")
    return arr


def _graph_pairs(graph, path):
    """(source, target) pairs of the graph's dict of neighbour lists; node ids must be integers >= 0."""
    if not isinstance(graph, dict):
        raise ValueError(f"{path} should hold a dict of neighbour lists")
    pairs = []
    for s, targets in graph.items():
        if not isinstance(targets, list):
            raise ValueError(f"{path}: neighbours of node {s!r:.40} are not a list")
        for t in (s, *targets):
            if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
                raise ValueError(f"{path}: node id {t!r:.40} is not an integer")
            if t < 0:
                raise ValueError(f"{path}: negative node id {int(t)}")
        pairs.extend((int(s), int(t)) for t in targets)
    return pairs


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
        folder = self._find(root, key)
        self._data = self._read(folder, key)
        if transform is not None:
            self._data = transform(self._data)

    @staticmethod
    def _find(root, key):
        root = os.fspath(root)
        for folder in (root, os.path.join(root, key), os.path.join(root, key.capitalize(), "raw"),
                       os.path.join(root, key, "raw"), os.path.join(root, "planetoid")):
            if os.path.exists(os.path.join(folder, f"ind.{key}.x")):
                return folder
        raise FileNotFoundError(f"no Planetoid files ind.{key}.* under {root}")

    @staticmethod
    def _read(folder, key):
        path = {p: os.path.join(folder, f"ind.{key}.{p}") for p in ("x", "y", "tx", "ty", "allx", "ally", "graph")}
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
        pairs = _graph_pairs(part["graph"], path["graph"])
        edges = np.array(pairs, np.int64).reshape(-1, 2).T
        edges = edges[:, (edges[0] != edges[1]) & (edges.max(axis=0) < n)]
        edges = np.unique(edges[0] * n + edges[1])  # coalesce: sorted, duplicates merged
        edge_index = np.stack([edges // n, edges % n]).astype(np.int64)
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
