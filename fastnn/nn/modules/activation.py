"""torch.nn.modules.activation's import path: activations (defined in fastnn.nn)."""
from ..activation import (ReLU, ReLU6, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Hardtanh,
    Softmax, LogSoftmax, SELU, CELU, GLU, Hardsigmoid, Hardswish, Mish, Softsign, Softshrink, Hardshrink,
    Tanhshrink, Threshold, PReLU, RReLU, LogSigmoid, Softmin, Softmax2d)
from ..attention import (MultiheadAttention)

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Hardtanh",
    "Softmax", "LogSoftmax", "SELU", "CELU", "GLU", "Hardsigmoid", "Hardswish", "Mish", "Softsign",
    "Softshrink", "Hardshrink", "Tanhshrink", "Threshold", "PReLU", "RReLU", "LogSigmoid", "Softmin",
    "Softmax2d", "MultiheadAttention"]
