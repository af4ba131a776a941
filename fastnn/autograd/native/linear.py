"""Autograd Functions over the linear kernels (csrc/linear.pyx): y = x W^T + b, one GEMM each way, and
the embedding lookup (a linear map of one-hot rows), whose gradient is one scatter-add pass."""
import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

linear_kernels = family("linear")


class LinearFn(Function):
    """x (..., in) @ W^T (out, in) + b (out,): the bias fused into the GEMM's output pass."""
    @staticmethod
    def forward(ctx, x, w, b):
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        x2, w, b = kernel_input(x2), kernel_input(w), kernel_input(b)
        out = linear_kernels.linear_forward(x2, w, b)
        ctx.save_for_backward(x2, w)
        ctx.xshape = x.shape
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, w = ctx.saved_tensors
        g2 = g.reshape(-1, w.shape[0]) if g.ndim != 2 else g
        g2 = kernel_input(g2, x2.dtype)
        need = ctx.needs_input_grad
        gx, gw, gb = linear_kernels.linear_backward(x2, w, g2, need[0], need[1], need[2])
        return (gx.reshape(ctx.xshape) if gx is not None else None), gw, gb


_GEMM_DTYPES = (np.float32, np.float64)


def matmul(a, b):
    """np.matmul(a, b), on the kernels' GEMM (split over fastnn's threads, not NumPy's BLAS threads, which
    stall on a busy machine) when b is a 2-D matrix of a's float dtype and a is 2-D, or C-contiguous
    (..., K) rows; NumPy's matmul otherwise."""
    if b.ndim == 2 and a.ndim >= 2 and a.dtype == b.dtype and a.dtype in _GEMM_DTYPES:
        if a.ndim == 2:
            return linear_kernels.matmul(a, b)
        if a.flags.c_contiguous:
            return linear_kernels.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))
    return np.matmul(a, b)


class EmbeddingFn(Function):
    """weight[idx]; the gradient rows of padding_idx stay zero."""
    @staticmethod
    def forward(ctx, idx, weight, padding_idx):
        ctx.meta = (idx, weight.shape[0], padding_idx)
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        idx, num_embeddings, padding_idx = ctx.meta
        flat = np.ascontiguousarray(idx.reshape(-1), dtype=np.int64)
        gw = linear_kernels.embedding_backward(kernel_input(flat), kernel_input(g.reshape(flat.shape[0], -1)), num_embeddings)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return None, gw, None
