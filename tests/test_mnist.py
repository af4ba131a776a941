"""MNIST IDX reader on small files the tests write, and on the real files when present."""
import gzip
import struct

import numpy as np
import pytest

from fastnn.data import MNIST
from conftest import shared_data


def _write_idx(path, magic, array, compress=True):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def _fake_mnist(root, n=5, compress=True, train=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28))
    labels = rng.integers(0, 10, n)
    prefix = "train" if train else "t10k"
    _write_idx(root / f"{prefix}-images-idx3-ubyte", 2051, images, compress)
    _write_idx(root / f"{prefix}-labels-idx1-ubyte", 2049, labels, compress)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_reads_images_and_labels(tmp_path, compress):
    images, labels = _fake_mnist(tmp_path, compress=compress)
    ds = MNIST(str(tmp_path), train=True)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy()[0], images[3] / 255.0, rtol=1e-6)
    assert y == labels[3]
    X, Y = ds.tensors()
    assert X.shape == (5, 1, 28, 28) and Y.dtype == np.int64


def test_wrong_magic(tmp_path):
    _fake_mnist(tmp_path)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", 2051, np.zeros(5))
    with pytest.raises(ValueError, match="magic number 2051, expected 2049"):
        MNIST(str(tmp_path))


def test_truncated_file(tmp_path):
    _fake_mnist(tmp_path, compress=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="header promises"):
        MNIST(str(tmp_path))


def test_truncated_gzip(tmp_path):
    _fake_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="truncated"):
        MNIST(str(tmp_path))


def test_count_mismatch_and_missing(tmp_path):
    _fake_mnist(tmp_path)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", 2049, np.zeros(4))
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        MNIST(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="t10k-images"):
        MNIST(str(tmp_path), train=False)


def test_real_mnist_when_present():
    root = shared_data("mnist")
    test = MNIST(str(root), train=False)
    assert len(test) == 10000
    assert test.images.shape == (10000, 1, 28, 28)
    assert 0.0 <= test.images.min() and test.images.max() <= 1.0
    assert np.bincount(test.targets).min() > 800  # every digit well represented
