"""Crafted dataset files are refused before anything is allocated or written out of bounds (issue 22).

Planetoid: a pickled csr_matrix is only a bag of fields until checked (scipy's unpickling checks
nothing, and `.toarray()` trusts indices and indptr); node ids must be >= 0. MNIST IDX: the sizes
the header promises are checked against the file and a cap before allocating.
"""
import gzip
import pickle
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

from fastnn.data import MNIST, Planetoid


def _write_planetoid(root, n_train=2, tamper=None, graph=None, test_index=None):
    """A tiny valid Cora-shaped dataset: 4 + 3 + 3 nodes (allx, tx), 3 classes."""
    rng = np.random.default_rng(0)
    parts = {"x": sp.csr_matrix(rng.random((n_train, 5)) < 0.5, dtype=np.float32),
             "allx": sp.csr_matrix(rng.random((504, 5)) < 0.5, dtype=np.float32),
             "tx": sp.csr_matrix(rng.random((3, 5)) < 0.5, dtype=np.float32)}
    eye = np.eye(3, dtype=np.int64)
    parts.update(y=eye[rng.integers(0, 3, n_train)], ally=eye[rng.integers(0, 3, 504)], ty=eye[[0, 1, 2]])
    parts["graph"] = graph if graph is not None else {0: [1, 2], 1: [0], 505: [506, 0]}
    if tamper:
        tamper(parts)
    for name, obj in parts.items():
        (root / f"ind.cora.{name}").write_bytes(pickle.dumps(obj, protocol=4))  # bytes without _codecs
    (root / "ind.cora.test.index").write_text("\n".join(map(str, test_index or [506, 504, 505])) + "\n")


def test_the_crafted_dataset_is_valid(tmp_path):
    _write_planetoid(tmp_path)
    data = Planetoid(tmp_path, "Cora")[0]
    assert data.x.shape == (507, 5)
    assert data.edge_index.numpy().tolist() == [[0, 0, 1, 505, 505], [1, 2, 0, 0, 506]]
    assert data.train_mask.numpy().sum() == 2 and data.test_mask.numpy().sum() == 3


@pytest.mark.parametrize("field, value, match", [
    ("indices", np.array([0, 10 ** 6, 2, 3, 4, 1, 2], np.int32), r"column index outside \[0, 5\)"),
    ("indices", np.array([-3] * 7, np.int32), r"column index outside"),
    ("indptr", np.array([0, 5, 2, 7], np.int32), "non-decreasing"),
    ("indptr", np.array([0, 2, 4], np.int32), "non-decreasing"),
    ("indptr", np.array([0, 2, 4, 9], np.int32), "entries by indptr"),
    ("data", np.ones(2, np.float32), "entries by indptr"),
    ("indices", np.array([0.5] * 7), "integer"),
    ("_shape", (3, -5), "bad format or shape"),
    ("_shape", (10 ** 6, 10 ** 6), "too large"),
], ids=["index-past-cols", "negative-index", "indptr-decreasing", "indptr-short", "indptr-past-indices",
        "data-short", "float-indices", "negative-shape", "huge-shape"])
def test_planetoid_sparse_matrices_are_checked_before_use(tmp_path, field, value, match):
    def tamper(parts):
        m = parts["tx"]
        m.indices = np.array([0, 1, 2, 3, 4, 1, 2], np.int32)  # 7 entries: rows of 2, 2, 3
        m.indptr = np.array([0, 2, 4, 7], np.int32)
        m.data = np.ones(7, np.float32)
        setattr(m, field, value)  # scipy does not check plain attribute assignment
    _write_planetoid(tmp_path, tamper=tamper)
    with pytest.raises(ValueError, match=match):
        Planetoid(tmp_path, "Cora")


def test_planetoid_out_of_bounds_indices_do_not_reach_scipy(tmp_path):
    """In a child process: before the fix this wrote past the dense array (a crash or silent corruption)."""
    def tamper(parts):
        m = parts["allx"]
        m.indices = np.full(len(m.indices), 2 ** 30, np.int32)
    _write_planetoid(tmp_path, tamper=tamper)
    child = textwrap.dedent(f"""
        from fastnn.data import Planetoid
        try:
            Planetoid({str(tmp_path)!r}, "Cora")
        except ValueError as err:
            print("refused:", err)
    """)
    run = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0 and run.stdout.startswith("refused:") and "column index" in run.stdout, run


@pytest.mark.parametrize("graph, match", [({0: [1, -2]}, "negative node id -2"), ({-1: [0]}, "negative node id -1"),
                                          ({0: [1.5]}, "not an integer"), ({0: 3}, "not a list")],
                         ids=["negative-target", "negative-source", "float-id", "not-a-list"])
def test_planetoid_node_ids(tmp_path, graph, match):
    _write_planetoid(tmp_path, graph=graph)
    with pytest.raises(ValueError, match=match):
        Planetoid(tmp_path, "Cora")


@pytest.mark.parametrize("index, match", [([506, -1, 505], r"test\.index must hold one node id >= 0"),
                                          ([506, 504], r"test\.index must hold one node id >= 0 per row"),
                                          ([506, 504, 9999], "names node 9999, past the 507 nodes")],
                         ids=["negative", "too-few", "past-the-graph"])
def test_planetoid_test_index(tmp_path, index, match):
    _write_planetoid(tmp_path, test_index=index)
    with pytest.raises(ValueError, match=match):
        Planetoid(tmp_path, "Cora")


def test_planetoid_labels_must_match_features(tmp_path):
    _write_planetoid(tmp_path, tamper=lambda parts: parts.update(ally=np.eye(3)[:2]))
    with pytest.raises(ValueError, match="ind.cora.ally should hold a 2-d numeric label array with 504 rows"):
        Planetoid(tmp_path, "Cora")


# ------------------------------------------------------------------ MNIST IDX

def _idx(path, magic, dims, payload=b"", compress=False):
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _labels(root, n=2):
    _idx(root / "train-labels-idx1-ubyte", 2049, [n], bytes(n))


@pytest.mark.parametrize("compress", [False, True])
def test_idx_header_overflowing_int64(tmp_path, compress):
    # 2**32-1 cubed overflows int64 in np.prod, which then wrapped to a small or negative size
    _idx(tmp_path / "train-images-idx3-ubyte", 2051, [2 ** 32 - 1] * 3, bytes(64), compress)
    _labels(tmp_path)
    with pytest.raises(ValueError, match="more than the"):
        MNIST(str(tmp_path))


def test_idx_header_larger_than_the_file(tmp_path):
    _idx(tmp_path / "train-images-idx3-ubyte", 2051, [60000, 28, 28], bytes(784))
    _labels(tmp_path)
    with pytest.raises(ValueError, match="header promises .* file has 784"):
        MNIST(str(tmp_path))


def test_idx_gzip_is_checked_before_decompressing(tmp_path, monkeypatch):
    # a small gzip whose header promises 1.5 GB: refused from the trailer, before any large read
    _idx(tmp_path / "train-images-idx3-ubyte", 2051, [2000000, 28, 28], bytes(10), compress=True)
    _labels(tmp_path)
    reads = []
    real_read = gzip.GzipFile.read
    monkeypatch.setattr(gzip.GzipFile, "read", lambda self, size=-1: reads.append(size) or real_read(self, size))
    with pytest.raises(ValueError, match="gzip trailer"):
        MNIST(str(tmp_path))
    assert all(0 <= size <= 16 for size in reads), reads


def test_idx_gzip_bomb_is_not_decompressed_past_the_promise(tmp_path, monkeypatch):
    from fastnn.data import mnist
    path = tmp_path / "train-images-idx3-ubyte"
    _idx(path, 2051, [2, 28, 28], bytes(2 * 784 + 10 ** 6), compress=True)  # 1 MB more than promised
    _labels(tmp_path)
    monkeypatch.setattr(mnist, "_gzip_isize", lambda p: 16 + 2 * 784)  # a trailer that lies
    with pytest.raises(ValueError, match="file has more"):
        MNIST(str(tmp_path))
