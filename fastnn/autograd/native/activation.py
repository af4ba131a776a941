"""Autograd Functions over the activation kernels (csrc/activation.pyx): LeakyReLU, one pass each way."""
import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

activation_kernels = family("activation")
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class LeakyReLU(Function):
    """x if x > 0 else slope * x; the gradient passes where x > 0 and is scaled by slope elsewhere. Arrays of
    other dtypes (bfloat16, integers) take NumPy's select. (The ONNX exporter knows this Function by its name.)"""
    @staticmethod
    def forward(ctx, a, slope):
        ctx.slope = slope
        if a.dtype not in _KERNEL_DTYPES:
            ctx.save_for_backward(a)
            return np.where(a > 0, a, a * slope)
        a = kernel_input(a)
        ctx.save_for_backward(a)
        return activation_kernels.leaky_relu_forward(a, slope)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if a.dtype not in _KERNEL_DTYPES:
            return np.where(a > 0, g, g * ctx.slope), None
        return activation_kernels.leaky_relu_backward(a, kernel_input(g, a.dtype), ctx.slope), None
