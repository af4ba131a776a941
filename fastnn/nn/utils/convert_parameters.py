"""Flatten parameters into one vector and back (torch.nn.utils.parameters_to_vector and its inverse)."""
from ...autograd.tensor import Tensor
from ...autograd import ops


def parameters_to_vector(parameters):
    """One 1-D tensor of every parameter, in order; differentiable, as PyTorch's (a cat of views)."""
    params = list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected a non-empty iterable of Tensors")
    return ops.cat([p.reshape(-1) for p in params], 0)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of vec into the parameters' data (outside the autograd graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise ValueError(f"vector_to_parameters: vec must be 1-D with {total} elements, got shape {tuple(vec.shape)}")
    offset = 0
    for p in params:
        n = p.numel()
        p._data[...] = vec._data[offset:offset + n].reshape(p.shape)
        offset += n
