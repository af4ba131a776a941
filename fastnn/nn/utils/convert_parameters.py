"""Flatten parameters into one vector and back."""
import numpy as np

from ...autograd.tensor import _wrap


def parameters_to_vector(parameters):
    return _wrap(np.concatenate([p._data.reshape(-1) for p in parameters]))


def vector_to_parameters(vec, parameters):
    offset = 0
    for p in parameters:
        n = p.numel()
        p._data[...] = vec._data[offset:offset + n].reshape(p.shape)
        offset += n
