"""embedding and one_hot, with embedding's max_norm (rows renormalised in place before the lookup, as
PyTorch's embedding_renorm_) and scale_grad_by_freq (each row's gradient divided by how often its index
occurs in the batch)."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import _wrap
from ..autograd.native.linear import EmbeddingFn
from .functional_checks import _check_tensor


def renorm_rows(weight, idx, max_norm, norm_type):
    """In place and outside the graph: rows of weight referenced by idx whose norm exceeds max_norm
    are scaled to max_norm (PyTorch's factor max_norm / (norm + 1e-7))."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1) if norm_type != np.inf else np.abs(w[rows]).max(1)
    big = norms > max_norm
    w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)


class ScaleGradByFreq(Function):
    """Identity forward; backward divides each looked-up row's gradient by its index's count."""
    @staticmethod
    def forward(ctx, out, idx):
        uniq, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        ctx.scale = (1.0 / counts[inverse]).reshape(idx.shape + (1,))
        return out

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.scale).astype(g.dtype, copy=False), None


def _check_indices(input, n, name):
    _check_tensor(input, name)
    if input.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an int64 tensor of indices, got {input.dtype}")
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"{name} holds index {bad}, out of range [0, {n})")
    return idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    _check_tensor(weight, "weight")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    idx = _check_indices(input, weight.shape[0], "input")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    if max_norm is not None:
        renorm_rows(weight, idx, max_norm, norm_type)
    out = EmbeddingFn.apply(idx, weight, padding_idx)
    return ScaleGradByFreq.apply(out, idx) if scale_grad_by_freq else out


def one_hot(tensor, num_classes=-1):
    idx = tensor._data
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must be int64, got {tensor.dtype}")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"one_hot: class values must be in [0, {n})")
    return _wrap((idx[..., None] == np.arange(n)).astype(np.int64))
