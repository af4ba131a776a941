"""Argument checks shared by the agents: errors name the argument and what was expected."""
import numpy as np


def positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_index(value, n, name):
    """An integer state or action in [0, n), as a Python int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
            value = value.item()
        else:
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not 0 <= value < n:
        raise IndexError(f"{name} must be in [0, {n}), got {value}")
    return int(value)
