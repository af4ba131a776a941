"""Reference fully connected layer: y = x W^T + b, and the embedding lookup's gradient."""
import numpy as np


def linear_forward(x, weight, bias=None):
    out = x @ weight.T
    return out + bias if bias is not None else out


def linear_backward(x, weight, grad_out, need_input=True, need_weight=True, need_bias=True):
    return (grad_out @ weight if need_input else None,
            grad_out.T @ x if need_weight else None,
            grad_out.sum(axis=0) if need_bias else None)


def matmul(a, b):
    """a (M, K) @ b (K, N), both 2-D float arrays of one dtype."""
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype not in (np.float32, np.float64):
        raise TypeError("matmul takes two 2-D float32 or float64 arrays of one dtype")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a {a.shape} and b {b.shape} cannot be multiplied")
    return np.ascontiguousarray(a @ b)


def embedding_backward(indices, grad_out, num_embeddings):
    """d/dW of W[indices]: every row of grad_out added into the row its index names."""
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        raise IndexError(f"indices out of range [0, {num_embeddings})")
    grad_weight = np.zeros((num_embeddings, grad_out.shape[1]), grad_out.dtype)
    np.add.at(grad_weight, indices, grad_out)
    return grad_weight
