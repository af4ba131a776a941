"""Reference activations, from PyTorch's definitions, in NumPy (float64 inside for the transcendental ones):
LeakyReLU, ReLU, sigmoid, tanh's gradient, SiLU, GELU (exact and tanh forms), ELU, softplus, hardsigmoid, hardswish
and Mish, and binary cross-entropy with logits."""
import numpy as np
from scipy.special import erfc


def _check_grad(x, grad):
    if grad.shape != x.shape or grad.dtype != x.dtype:
        raise ValueError(f"grad must have the shape and dtype of x {x.shape}, got {grad.shape}")


def leaky_relu_forward(x, negative_slope=0.01):
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_backward(x, grad, negative_slope=0.01):
    _check_grad(x, grad)
    return np.where(x > 0, grad, grad * x.dtype.type(negative_slope))


def relu_forward(x):
    return np.where(x < 0, x.dtype.type(0), x)  # NaN and -0.0 pass through, as in PyTorch


def relu_backward(out, grad):
    _check_grad(out, grad)
    return np.where((out > 0) | np.isnan(out), grad, grad.dtype.type(0))  # a NaN output passes grad on


def _sigmoid64(x):
    x = np.asarray(x, np.float64)
    e = np.exp(-np.abs(x))  # never overflows, and no cancellation in either tail
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_forward(x):
    return _sigmoid64(x).astype(x.dtype)


def sigmoid_backward(out, grad):
    _check_grad(out, grad)
    return (grad * out * (1 - out)).astype(out.dtype)


def tanh_backward(out, grad):
    _check_grad(out, grad)
    return (grad * (1 - out * out)).astype(out.dtype)


def silu_forward(x):
    return (x * _sigmoid64(x)).astype(x.dtype)


def silu_backward(x, grad):
    _check_grad(x, grad)
    s = _sigmoid64(x)
    return (grad * (s + x * s * (1 - s))).astype(x.dtype)


def _gelu_tanh_parts(x):
    x = x.astype(np.float64)
    k = np.sqrt(2 / np.pi)
    u = k * (x + 0.044715 * x ** 3)
    return x, np.tanh(u), k * (1 + 3 * 0.044715 * x * x)


def gelu_forward(x, approximate="none"):
    if approximate == "tanh":
        x64, t, _ = _gelu_tanh_parts(x)
        return (0.5 * x64 * (1 + t)).astype(x.dtype)
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    x64 = x.astype(np.float64)
    return (x64 * 0.5 * erfc(-x64 / np.sqrt(2))).astype(x.dtype)


def gelu_backward(x, grad, approximate="none"):
    _check_grad(x, grad)
    if approximate == "tanh":
        x64, t, du = _gelu_tanh_parts(x)
        return (grad * (0.5 * (1 + t) + 0.5 * x64 * (1 - t * t) * du)).astype(x.dtype)
    if approximate != "none":
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    x64 = x.astype(np.float64)
    cdf = 0.5 * erfc(-x64 / np.sqrt(2))
    pdf = np.exp(-0.5 * x64 * x64) / np.sqrt(2 * np.pi)
    return (grad * (cdf + x64 * pdf)).astype(x.dtype)


def elu_forward(x, alpha=1.0):
    x64 = x.astype(np.float64)
    return np.where(x64 <= 0, alpha * np.expm1(np.minimum(x64, 0)), x64).astype(x.dtype)


def elu_backward(x, grad, alpha=1.0):
    _check_grad(x, grad)
    x64 = x.astype(np.float64)
    return np.where(x64 > 0, grad, grad * alpha * np.exp(np.minimum(x64, 0))).astype(x.dtype)  # NaN x: NaN


def _softplus64(z):
    return np.logaddexp(0, z)


def softplus_forward(x, beta=1.0, threshold=20.0):
    z = x.astype(np.float64) * beta
    return np.where(z > threshold, x, _softplus64(z) / beta).astype(x.dtype)


def softplus_backward(x, grad, beta=1.0, threshold=20.0):
    _check_grad(x, grad)
    z = x.astype(np.float64) * beta
    return np.where(z > threshold, grad, grad * _sigmoid64(z)).astype(x.dtype)


def bce_logits_forward(x, target):
    _check_grad(x, target)
    x64 = x.astype(np.float64)
    return ((1 - target) * x64 + _softplus64(-x64)).astype(x.dtype)


def bce_logits_backward(x, target, grad):
    _check_grad(x, target)
    _check_grad(x, grad)
    return (grad * (_sigmoid64(x) - target)).astype(x.dtype)


def hardsigmoid_forward(x):
    return np.minimum(np.maximum(x.astype(np.float64) / 6 + 0.5, 0), 1).astype(x.dtype)


def hardsigmoid_backward(x, grad):
    _check_grad(x, grad)
    return np.where((x > -3) & (x < 3), grad / 6, 0).astype(x.dtype)


def hardswish_forward(x):
    return (x * hardsigmoid_forward(x.astype(np.float64))).astype(x.dtype)


def hardswish_backward(x, grad):
    _check_grad(x, grad)
    return np.where(x <= -3, 0, np.where(x < 3, grad * (x / 3 + 0.5), np.where(x >= 3, grad, x))).astype(x.dtype)


def mish_forward(x):
    x64 = x.astype(np.float64)
    return (x64 * np.tanh(_softplus64(x64))).astype(x.dtype)


def mish_backward(x, grad):
    _check_grad(x, grad)
    x64 = x.astype(np.float64)
    t = np.tanh(_softplus64(x64))
    return (grad * (t + x64 * _sigmoid64(x64) * (1 - t * t))).astype(x.dtype)


def sum_float32(x):
    """The sum of every value of a float32 array in float64, rounded once to float32 (0-d)."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float32 or not x.flags.c_contiguous:
        raise TypeError("x must be a C-contiguous float32 numpy.ndarray")
    return np.asarray(x.sum(dtype=np.float64), np.float32)
