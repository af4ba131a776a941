"""Integer argument checks any floor may use (this module imports nothing from fastnn).

Errors are ValueErrors that name the argument; bools are refused although Python counts them as ints.
"""
import numpy as np


def int_at_least(value, name, low):
    """value as a Python int, if it is an integer (Python or NumPy) >= low."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        expected = "a positive int" if low == 1 else f"an int >= {low}"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def positive_int(value, name):
    return int_at_least(value, name, 1)
