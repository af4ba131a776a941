"""MNIST from the standard IDX files (gzipped or not) in a folder you point to."""
import gzip
import os
import zlib

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


_MAX_BYTES = 1 << 31  # far above any IDX dataset (EMNIST's largest is ~0.7 GB); a header may not ask for more


def _gzip_isize(path):
    """The uncompressed size (mod 2**32) a gzip file records in its last 4 bytes."""
    with open(path, "rb") as raw:
        raw.seek(max(os.path.getsize(path) - 4, 0))
        return int.from_bytes(raw.read(4), "little")


def read_idx(root, stem, magic, ndim):
    """Read one IDX file: big-endian magic, ndim sizes, then uint8 data.

    The sizes the header promises are checked against the file (for gzip, the size its trailer
    records) and against a cap before anything is allocated, and no more than that is decompressed.
    """
    path, f = _open(root, stem)
    header = 4 + 4 * ndim
    with f:
        try:
            head = f.read(header)
            if len(head) < header:
                raise ValueError(f"{path}: too short for an IDX header ({len(head)} bytes)")
            got = int.from_bytes(head[:4], "big")
            if got != magic:
                raise ValueError(f"{path}: magic number {got}, expected {magic}; not an MNIST "
                                 f"{'image' if ndim == 3 else 'label'} file")
            dims = [int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
            expected = 1
            for d in dims:  # Python ints: no overflow, unlike np.prod
                expected *= d
            if expected > _MAX_BYTES:
                raise ValueError(f"{path}: header promises {dims} = {expected} bytes, more than the "
                                 f"{_MAX_BYTES} an IDX file may hold here")
            if path.endswith(".gz"):
                recorded = _gzip_isize(path)
                if recorded != (header + expected) % (1 << 32):
                    raise ValueError(f"{path}: header promises {dims} = {expected} bytes of data, but the gzip "
                                     f"trailer records {recorded} bytes in all (truncated or damaged)")
            elif os.path.getsize(path) - header != expected:
                raise ValueError(f"{path}: header promises {dims} = {expected} bytes of data, file has "
                                 f"{os.path.getsize(path) - header}")
            data = f.read(expected + 1)  # one byte more shows trailing data without reading it all
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path}: cannot read ({err}); the file may be truncated") from None
    if len(data) != expected:
        raise ValueError(f"{path}: header promises {dims} = {expected} bytes of data, file has "
                         f"{len(data) if len(data) <= expected else 'more'} (truncated or damaged)")
    return np.frombuffer(data, np.uint8).reshape(dims)


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
