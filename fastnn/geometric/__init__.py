"""fastnn.geometric: PyTorch Geometric's layout (data, loader, transforms, nn, utils, datasets) on fastnn.

`import fastnn.geometric as torch_geometric` (with `import fastnn as torch`) runs PyG code that uses
the parts provided here. Graph layers are also importable from fastnn.nn.
"""
import random

import numpy as np

from . import data, loader, sampler, transforms, nn, utils, datasets, typing, logging  # noqa: A004


def seed_everything(seed):
    """Seed Python's `random`, NumPy's global generator and fastnn's default generator."""
    from ..autograd.random import manual_seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % (1 << 32))
    manual_seed(int(seed))


def is_xpu_available():
    """False: fastnn runs on the CPU."""
    return False


__all__ = ["data", "loader", "sampler", "transforms", "nn", "utils", "datasets", "typing", "logging", "seed_everything",
           "is_xpu_available"]
