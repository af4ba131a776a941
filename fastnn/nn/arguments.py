"""Argument rules shared by layers and the functional API, each written once.

Follows PyTorch's acceptance rules: a size-like argument is an int, or a
sequence of ints of the op's dimensionality, or (as PyTorch's convolution and
pooling accept) a one-element sequence that is repeated. The kernels receive
the normalised tuples and check only what memory safety needs.
"""
import numbers


def _ntuple(n, value, name):
    if type(value) is int:  # the common case, first: every conv and pool call passes several
        return (value,) * n
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a sequence of {n} ints, got {value!r}")
        items = tuple(value)
    else:
        items = (value,) * n
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int or a sequence of {n} ints, got {value!r}")
    return tuple(int(v) for v in items)


def _single(value, name):
    return _ntuple(1, value, name)


def _pair(value, name):
    return _ntuple(2, value, name)
