"""Small real datasets shipped inside the package (UCI iris and optdigits, CC BY 4.0)."""
import gzip
import os
from collections import namedtuple

import numpy as np

FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")

Bundle = namedtuple("Bundle", ["data", "target", "target_names"])


def load_iris():
    """Fisher's iris: data (150, 4) float32 in cm, target (150,) int64 in {0, 1, 2}."""
    path = os.path.join(FILES, "iris.csv")
    with open(path) as f:
        header = f.readline().strip().split(",")
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    n, d = int(header[0]), int(header[1])
    if table.shape != (n, d + 1):
        raise ValueError(f"{path}: expected {n} rows of {d + 1} values, got {table.shape}")
    return Bundle(table[:, :d].astype(np.float32), table[:, d].astype(np.int64), tuple(header[2:]))


def load_digits():
    """UCI optdigits 8x8: data (1797, 64) float32 with values 0..16, target (1797,) int64 in 0..9."""
    path = os.path.join(FILES, "digits.csv.gz")
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    if table.ndim != 2 or table.shape[1] != 65:
        raise ValueError(f"{path}: expected rows of 65 values, got shape {table.shape}")
    return Bundle(table[:, :64].astype(np.float32), table[:, 64].astype(np.int64), tuple(str(i) for i in range(10)))
