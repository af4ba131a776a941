"""Reference LeakyReLU: PyTorch's definition, x if x > 0 else negative_slope * x, in NumPy."""
import numpy as np


def leaky_relu_forward(x, negative_slope=0.01):
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_backward(x, grad, negative_slope=0.01):
    if grad.shape != x.shape or grad.dtype != x.dtype:
        raise ValueError(f"grad must have the shape and dtype of x {x.shape}, got {grad.shape}")
    return np.where(x > 0, grad, grad * x.dtype.type(negative_slope))
