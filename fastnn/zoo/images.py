"""Digit images for the CNN and autoencoder entries: MNIST when its files are given, else bundled 8x8 digits."""
import sys

import numpy as np

from ..data import MNIST, load_digits, stratified_split
from ..data.mnist import find_mnist


def load_images(data_dir=None, quick=False, seed=0):
    """(x_train, y_train, x_test, y_test, description) as float32 (N, 1, H, W) in [0, 1] and int64 labels."""
    folder = find_mnist(data_dir)
    if folder:
        train, test = MNIST(folder, train=True), MNIST(folder, train=False)
        xtr, ytr, xte, yte = train.images, train.targets, test.images, test.targets
        name = "MNIST"
        if quick:
            xtr, ytr, xte, yte = xtr[:2000], ytr[:2000], xte[:1000], yte[:1000]
            name += " (subset)"
        return xtr, ytr, xte, yte, name
    if data_dir:
        print(f"fastnn zoo: no MNIST IDX files in {data_dir} (or {data_dir}/mnist); using the bundled 8x8 digits",
              file=sys.stderr)
    X, y, _ = load_digits()
    tr, te = stratified_split(y, 0.2, seed)
    images = (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    return images[tr], y[tr], images[te], y[te], "UCI digits 8x8 (80/20)"
