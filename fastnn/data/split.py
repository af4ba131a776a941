"""Seeded stratified train/test split."""
import numpy as np


def stratified_split(target, test_fraction=0.2, seed=0):
    """Indices (train, test): each class contributes round(test_fraction * its count) test samples."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    target = np.asarray(target)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(target):
        idx = rng.permutation(np.flatnonzero(target == c))
        k = int(round(test_fraction * len(idx)))
        test.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
