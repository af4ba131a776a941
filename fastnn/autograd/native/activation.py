"""Autograd Functions and passes over the activation kernels (csrc/activation.pyx): LeakyReLU, ELU, GELU, SiLU,
Softplus and FromInput (hardsigmoid, hardswish, Mish) as Functions, binary cross-entropy with logits' elementwise passes, and the one-pass forward/backward of ReLU, sigmoid and tanh for their declared ops (ops/elementwise.py).
float32 and float64 arrays run on the kernels (one pass each way, threads for large arrays); other dtypes
(bfloat16, float16, integers) and mixed dtypes take the NumPy formulas."""
import numpy as np
from scipy.special import erfc as _erfc

from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

activation_kernels = family("activation")
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_GELU_K = np.sqrt(2 / np.pi)


def _on_kernel(a):
    """a float32 or float64 array (not a NumPy scalar, which a 0-d computation may hand over)"""
    return isinstance(a, np.ndarray) and a.dtype in _KERNEL_DTYPES


def _on_kernels(*arrays):
    return _on_kernel(arrays[0]) and all(isinstance(a, np.ndarray) and a.dtype == arrays[0].dtype
                                         for a in arrays[1:])


def _kernel_grad(g):
    """The output gradient as the kernels take it: one value broadcast over the shape (what x.sum().backward()
    sends) is read in place, anything else made C-contiguous."""
    return g if g.size > 1 and not any(g.strides) else kernel_input(g)


class LeakyReLU(Function):
    """x if x > 0 else slope * x; the gradient passes where x > 0 and is scaled by slope elsewhere. Arrays of
    other dtypes (bfloat16, integers) take NumPy's select. (The ONNX exporter knows this Function by its name.)"""
    @staticmethod
    def forward(ctx, a, slope):
        ctx.slope = slope
        if not _on_kernel(a):
            ctx.save_for_backward(a)
            return np.where(a > 0, a, a * slope)
        a = kernel_input(a)
        ctx.save_for_backward(a)
        return activation_kernels.leaky_relu_forward(a, slope)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if not _on_kernels(a, g):
            return np.where(a > 0, g, g * ctx.slope), None
        return activation_kernels.leaky_relu_backward(a, _kernel_grad(g), ctx.slope), None


# ReLU, sigmoid and tanh: (x) -> y and (g, x, y) -> dx for ops/_declare.unary
def relu_forward(x):
    if _on_kernel(x):
        return activation_kernels.relu_forward(kernel_input(x))
    return np.maximum(x, 0)


def relu_backward(g, x, y):
    # selects rather than multiplies (PyTorch's threshold_backward): an inactive unit passes 0 even for an
    # infinite or NaN gradient, and a NaN output passes the gradient on
    if _on_kernels(y, g):
        return activation_kernels.relu_backward(kernel_input(y), _kernel_grad(g))
    return np.where(y <= 0, g.dtype.type(0), g)


def sigmoid_forward(x):
    if _on_kernel(x):
        return activation_kernels.sigmoid_forward(kernel_input(x))
    e = np.exp(-np.abs(x))  # never overflows; pick the stable branch per element
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(g, x, y):
    if _on_kernels(y, g):
        return activation_kernels.sigmoid_backward(kernel_input(y), _kernel_grad(g))
    return g * y * (1 - y)


def tanh_backward(g, x, y):
    if _on_kernels(y, g):
        return activation_kernels.tanh_backward(kernel_input(y), _kernel_grad(g))
    return g * (1 - y * y)


class GELU(Function):
    """x * Phi(x) (exact, with erf) or the tanh approximation. (The ONNX exporter knows this Function by its
    name and reads approximate from its second argument.)"""
    @staticmethod
    def forward(ctx, a, approximate):
        ctx.approximate = approximate
        if _on_kernel(a):
            a = kernel_input(a)
            ctx.save_for_backward(a)
            return activation_kernels.gelu_forward(a, approximate)
        ctx.save_for_backward(a)
        if approximate == "tanh":
            return (0.5 * a * (1 + np.tanh(_GELU_K * (a + 0.044715 * a ** 3)))).astype(a.dtype, copy=False)
        return (0.5 * a * _erfc(-a / np.sqrt(2))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if _on_kernels(a, g):
            return activation_kernels.gelu_backward(a, _kernel_grad(g), ctx.approximate), None
        if ctx.approximate == "tanh":
            t = np.tanh(_GELU_K * (a + 0.044715 * a ** 3))
            d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _GELU_K * (1 + 3 * 0.044715 * a * a)
        else:
            d = 0.5 * _erfc(-a / np.sqrt(2)) + a * np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
        return (g * d).astype(g.dtype, copy=False), None


class SiLU(Function):
    """x * sigmoid(x); the backward recomputes sigmoid from the saved input. (Known to the ONNX exporter by name.)"""
    @staticmethod
    def forward(ctx, a):
        if _on_kernel(a):
            a = kernel_input(a)
            ctx.save_for_backward(a)
            return activation_kernels.silu_forward(a)
        ctx.save_for_backward(a)
        return (a * sigmoid_forward(a)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if _on_kernels(a, g):
            return activation_kernels.silu_backward(a, _kernel_grad(g))
        s = sigmoid_forward(a)
        return (g * s * (1 + a * (1 - s))).astype(g.dtype, copy=False)


class ELU(Function):
    """x if x > 0 else alpha (exp(x) - 1); the gradient from the input (alpha exp(x) on the negative side)."""
    @staticmethod
    def forward(ctx, a, alpha):
        ctx.alpha = alpha
        if _on_kernel(a):
            a = kernel_input(a)
            ctx.save_for_backward(a)
            return activation_kernels.elu_forward(a, alpha)
        ctx.save_for_backward(a)
        return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if _on_kernels(a, g):
            return activation_kernels.elu_backward(a, _kernel_grad(g), ctx.alpha), None
        return np.where(a > 0, g, g * ctx.alpha * np.exp(np.minimum(a, 0))).astype(g.dtype, copy=False), None


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (known to the ONNX exporter by name)."""
    @staticmethod
    def forward(ctx, a, beta, threshold):
        ctx.beta, ctx.threshold = beta, threshold
        if _on_kernel(a):
            a = kernel_input(a)
            ctx.save_for_backward(a)
            return activation_kernels.softplus_forward(a, beta, threshold)
        ctx.save_for_backward(a)
        z = a * beta
        return np.where(z > threshold, a, np.logaddexp(0, z) / beta).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if _on_kernels(a, g):
            return activation_kernels.softplus_backward(a, _kernel_grad(g), ctx.beta, ctx.threshold), None, None
        z = a * ctx.beta
        return np.where(z > ctx.threshold, g, g * sigmoid_forward(z)).astype(a.dtype, copy=False), None, None


# binary cross-entropy with logits, elementwise: (x, t) -> loss and (x, t, g) -> dx, for float32/float64 arrays of
# one dtype (the caller keeps its NumPy formula for the others and for pos_weight)
def bce_logits_on_kernels(x, t):
    return _on_kernels(x, t)


def bce_logits_forward(x, t):
    return activation_kernels.bce_logits_forward(kernel_input(x), kernel_input(t))


def bce_logits_backward(x, t, g):
    return activation_kernels.bce_logits_backward(kernel_input(x), kernel_input(t), _kernel_grad(g))


class FromInput(Function):
    """y = f(x) on the kernels `<name>_forward(x)` / `<name>_backward(x, g)` (the gradient from the input: hardsigmoid,
    hardswish, Mish); other dtypes take the NumPy f(x) and derivative df(x)."""
    @staticmethod
    def forward(ctx, a, name, f, df):
        ctx.name, ctx.df = name, df
        if _on_kernel(a):
            a = kernel_input(a)   # saved as the kernels take it: the backward does not copy it again
            ctx.save_for_backward(a)
            return getattr(activation_kernels, f"{name}_forward")(a)
        ctx.save_for_backward(a)
        return np.asarray(f(a)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        if _on_kernels(a, g):
            return getattr(activation_kernels, f"{ctx.name}_backward")(a, _kernel_grad(g)), None, None, None
        return (g * ctx.df(a)).astype(g.dtype, copy=False), None, None, None
