"""Embedding's max_norm (rows renormalised in place before the lookup, as PyTorch's embedding_renorm_)
and scale_grad_by_freq (each row's gradient divided by how often its index occurs in the batch)."""
import numpy as np

from ..autograd.function import Function


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
