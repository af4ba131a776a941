"""The global random generator behind rand/randn/init/dropout/shuffling (fastnn.manual_seed)."""
import numpy as np

_state = {"rng": np.random.default_rng()}


def manual_seed(seed):
    """Seed fastnn's global generator; returns it."""
    _state["rng"] = np.random.default_rng(int(seed))
    return _state["rng"]


seed = manual_seed


def generator():
    return _state["rng"]
