"""MNIST from the standard IDX files (gzipped or not) in a folder you point to."""
import gzip
import os

import numpy as np

from ..utils.data import Dataset
from ..autograd.tensor import _wrap

_FILES = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def _open(root, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(root, name)
        if os.path.exists(path):
            return path, (gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb"))
    raise FileNotFoundError(f"MNIST file {stem}(.gz) not found in {root}")


def read_idx(root, stem, magic, ndim):
    """Read one IDX file: big-endian magic, ndim sizes, then uint8 data. Checks magic and length."""
    path, f = _open(root, stem)
    with f:
        try:
            data = f.read()
        except (OSError, EOFError) as err:
            raise ValueError(f"{path}: cannot read ({err}); the file may be truncated") from None
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise ValueError(f"{path}: magic number {got}, expected {magic}; not an MNIST {'image' if ndim == 3 else 'label'} file")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise ValueError(f"{path}: header promises {dims} = {expected} bytes of data, file has {len(data) - header}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(dims)


class MNIST(Dataset):
    """MNIST digits from the IDX files in `root`.

    images: float32 (N, 1, 28, 28) scaled to [0, 1]; targets: int64 (N,). Items are
    (image tensor, label int). `tensors()` gives both whole, for a TensorDataset.
    """

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        if download:
            raise ValueError("MNIST: download is not supported; point root at a folder with the IDX files")
        images = read_idx(root, _FILES[train][0], _IMAGES_MAGIC, 3)
        labels = read_idx(root, _FILES[train][1], _LABELS_MAGIC, 1)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"MNIST in {root}: {images.shape[0]} images but {labels.shape[0]} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"MNIST in {root}: label {labels.max()} is not a digit")
        self.images = (images.astype(np.float32) / 255.0)[:, None]
        self.targets = labels.astype(np.int64)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        image, label = _wrap(self.images[index]), int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def tensors(self):
        return _wrap(self.images), _wrap(self.targets)


def find_mnist(data_dir):
    """The folder holding MNIST under data_dir (itself or data_dir/mnist), or None."""
    if not data_dir:
        return None
    for folder in (data_dir, os.path.join(data_dir, "mnist")):
        if any(os.path.exists(os.path.join(folder, "train-images-idx3-ubyte" + ext)) for ext in (".gz", "")):
            return folder
    return None
