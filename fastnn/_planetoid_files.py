"""The raw Planetoid files (ind.<name>.{x,y,tx,ty,allx,ally,graph,test.index}): the one search for
their folder, and the reading of them as NumPy arrays.

The files are Python-2 pickles. They are read with an unpickler that admits only the NumPy and
SciPy-sparse classes those files hold and refuses everything else, so a hostile file cannot run code.
This module imports nothing from fastnn, so every floor can use it: fastnn.data.Planetoid, the zoo's
GCN recipe and the graph kernels' benchmark cases (fastnn/kernels/cases/graph.py).
"""
import io
import os
import pickle

import numpy as np


def find_planetoid(root, name="cora"):
    """The folder under `root` that holds ind.<name>.x (root itself, <name>, <Name>/raw, <name>/raw or
    planetoid), or None."""
    if not root:
        return None
    root, key = os.fspath(root), str(name).lower()
    for folder in (root, os.path.join(root, key), os.path.join(root, key.capitalize(), "raw"),
                   os.path.join(root, key, "raw"), os.path.join(root, "planetoid")):
        if os.path.exists(os.path.join(folder, f"ind.{key}.x")):
            return folder
    return None


def planetoid_edge_index(folder, key, num_nodes):
    """The (2, E) int64 edge_index of ind.<key>.graph: self loops and ids >= num_nodes dropped, sorted,
    duplicates merged (PyG's coalesced edge_index)."""
    path = os.path.join(folder, f"ind.{key}.graph")
    pairs = _graph_pairs(read_planetoid_pickle(path), path)
    edges = np.array(pairs, np.int64).reshape(-1, 2).T
    edges = edges[:, (edges[0] != edges[1]) & (edges.max(axis=0) < num_nodes)]
    edges = np.unique(edges[0] * num_nodes + edges[1])
    return np.stack([edges // num_nodes, edges % num_nodes]).astype(np.int64)


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
