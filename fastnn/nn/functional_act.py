"""The activations of torch.nn.functional and their in-place `_` forms.

Most are one pointwise Function: a NumPy forward y = f(x) and its derivative dy/dx, both
written from the formulas in PyTorch's documentation (subgradient choices at the kinks
follow PyTorch's backward: the kink itself takes the flat side).
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _wrap
from ..autograd.grad_mode import no_grad, state as _grad_state
from ..autograd.random import generator
from ..autograd import ops
from ..autograd.ops.elementwise import hardtanh as _hardtanh
from ..autograd.ops.elementwise import softplus  # noqa: F401 (re-exported)
from .functional_checks import _check_float
from ..autograd.native.activation import FromInput

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _Pointwise(Function):
    """y = f(x) elementwise with dy/dx = df(x, y); f and df are NumPy callables."""
    @staticmethod
    def forward(ctx, x, f, df):
        with np.errstate(over="ignore"):
            y = np.asarray(f(x)).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y)
        ctx.df = df
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return (g * ctx.df(x, y)).astype(g.dtype, copy=False), None, None


def _pointwise(x, fname, f, df):
    _check_float(x, "input", fname)
    return _Pointwise.apply(x, f, df)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _in_place(x, fn, fname):
    """Write fn(x) into x, as PyTorch's `_` functions do; only outside the autograd graph."""
    if _grad_state.enabled and x.requires_grad:
        raise RuntimeError(f"{fname}: in-place on a tensor that requires grad is not supported in fastnn; "
                           f"use the out-of-place form (y = F.{fname.rstrip('_')}(x))")
    with no_grad():
        out = fn(x)
    np.copyto(x._data, out._data)
    return x


def _maybe_inplace(x, inplace, fn, fname):
    """inplace=True writes into x when x is outside the autograd graph; inside it fastnn cannot
    rewrite a recorded tensor, so the result is a new tensor (the same values; layers such as
    nn.Hardswish(inplace=True) keep training). The explicit `_` functions raise there instead."""
    if inplace and not (_grad_state.enabled and x.requires_grad):
        return _in_place(x, fn, fname + "_")
    return fn(x)


# ------------------------------------------------------------------ the core activations

def relu(input, inplace=False):
    return _maybe_inplace(input, inplace, ops.relu, "relu")


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _maybe_inplace(input, inplace, lambda t: ops.leaky_relu(t, negative_slope), "leaky_relu")


def gelu(input, approximate="none"):
    return ops.gelu(input, approximate)


def silu(input, inplace=False):
    return _maybe_inplace(input, inplace, ops.silu, "silu")


def sigmoid(input):
    return ops.sigmoid(input)


def tanh(input):
    return ops.tanh(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _maybe_inplace(input, inplace, lambda t: _hardtanh(t, min_val, max_val), "hardtanh")


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return ops.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return ops.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return ops.softmax(-input, dim, dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    return input / ops.clamp(ops.norm(input, p, dim, keepdim=True), min=eps)


# ------------------------------------------------------------------ pointwise activations

def elu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(input, inplace, lambda t: ops.elu(t, alpha), "elu")


def selu(input, inplace=False):
    def f(x):
        return _SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    def df(x, y):
        return np.where(x > 0, _SELU_SCALE, y + _SELU_SCALE * _SELU_ALPHA)
    return _maybe_inplace(input, inplace, lambda t: _pointwise(t, "selu", f, df), "selu")


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise ValueError("celu: alpha must not be zero")

    def f(x):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))

    def df(x, y):
        return np.where(x > 0, 1.0, y / alpha + 1)
    return _maybe_inplace(input, inplace, lambda t: _pointwise(t, "celu", f, df), "celu")


def _from_input(x, fname, f, df):
    """One of the activation family's kernels that differentiate from the input (FromInput)."""
    _check_float(x, "input", fname)
    return FromInput.apply(x, fname, f, df)


def _hardsigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def hardsigmoid(input, inplace=False):
    return _maybe_inplace(input, inplace, lambda t: _from_input(
        t, "hardsigmoid", _hardsigmoid, lambda x: ((x > -3) & (x < 3)) / 6.0), "hardsigmoid")


def hardswish(input, inplace=False):
    return _maybe_inplace(input, inplace, lambda t: _from_input(
        t, "hardswish", lambda x: x * _hardsigmoid(x), lambda x: np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0))),
        "hardswish")


def _mish_derivative(x):
    t = np.tanh(np.logaddexp(0, x))
    return t + x * _sigmoid(x) * (1 - t * t)


def mish(input, inplace=False):
    return _maybe_inplace(input, inplace, lambda t: _from_input(
        t, "mish", lambda x: x * np.tanh(np.logaddexp(0, x)), _mish_derivative), "mish")


def softsign(input):
    return _pointwise(input, "softsign", lambda x: x / (1 + np.abs(x)), lambda x, y: 1 / (1 + np.abs(x)) ** 2)


def tanhshrink(input):
    return _pointwise(input, "tanhshrink", lambda x: x - np.tanh(x), lambda x, y: np.tanh(x) ** 2)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    return _pointwise(input, "softshrink",
                      lambda x: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0)),
                      lambda x, y: (np.abs(x) > lambd).astype(x.dtype))


def hardshrink(input, lambd=0.5):
    return _pointwise(input, "hardshrink", lambda x: np.where(np.abs(x) > lambd, x, 0),
                      lambda x, y: (np.abs(x) > lambd).astype(x.dtype))


def threshold(input, threshold, value, inplace=False):
    def run(t):
        return _pointwise(t, "threshold", lambda x: np.where(x > threshold, x, value),
                          lambda x, y: (x > threshold).astype(x.dtype))
    return _maybe_inplace(input, inplace, run, "threshold")


def logsigmoid(input):
    # log sigmoid(x) = -softplus(-x), on softplus's one-pass kernels (never linearised: threshold inf)
    _check_float(input, "input", "logsigmoid")
    return -softplus(-input, 1.0, float("inf"))


def glu(input, dim=-1):
    _check_float(input, "input", "glu")
    if input.ndim == 0:
        raise ValueError("glu does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    a, b = ops.chunk(input, 2, dim)
    return a * ops.sigmoid(b)


class _PReLU(Function):
    @staticmethod
    def forward(ctx, x, w, wshape):
        wb = w.reshape(wshape)
        ctx.save_for_backward(x, wb)
        ctx.wshape = w.shape
        return np.where(x > 0, x, wb * x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, wb = ctx.saved_tensors
        gx = np.where(x > 0, g, wb * g) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            contrib = np.where(x > 0, 0, g * x)
            axes = tuple(i for i in range(x.ndim) if wb.shape[i] == 1)
            gw = contrib.sum(axis=axes).reshape(ctx.wshape).astype(g.dtype, copy=False)
        return gx, gw, None


def prelu(input, weight):
    _check_float(input, "input", "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    n = weight.numel()
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 1-D or 0-D, got shape {tuple(weight.shape)}")
    if n == 1:
        wshape = (1,) * input.ndim
    else:
        channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
        if n != channels:
            raise ValueError(f"prelu: weight has {n} elements but the input has {channels} channels")
        wshape = [1] * input.ndim
        wshape[1 if input.ndim >= 2 else 0] = n
        wshape = tuple(wshape)
    return _PReLU.apply(input, weight, wshape)


class _RReLUTrain(Function):
    @staticmethod
    def forward(ctx, x, slopes):
        ctx.slopes = np.where(x >= 0, 1, slopes).astype(x.dtype)
        return x * ctx.slopes

    @staticmethod
    def backward(ctx, g):
        return g * ctx.slopes, None


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    _check_float(input, "input", "rrelu")
    if lower > upper:
        raise ValueError(f"rrelu: lower bound {lower} must not exceed upper bound {upper}")
    if not training:
        return _leaky_relu(input, (lower + upper) / 2, inplace, "rrelu")

    def run(t):
        slopes = generator().uniform(lower, upper, t.shape)
        return _RReLUTrain.apply(t, slopes)
    return _maybe_inplace(input, inplace, run, "rrelu")


def _leaky_relu(input, slope, inplace, fname):
    return _maybe_inplace(input, inplace, lambda t: ops.leaky_relu(t, slope), fname)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution; hard=True returns one-hot vectors whose
    gradient is the soft sample's (the straight-through estimator)."""
    _check_float(logits, "input", "gumbel_softmax")
    gumbels = -np.log(generator().exponential(1.0, logits.shape)).astype(logits.dtype)
    y_soft = ops.softmax((logits + _wrap(gumbels)) / tau, dim)
    if not hard:
        return y_soft
    d = dim % logits.ndim
    index = np.expand_dims(np.argmax(y_soft._data, axis=d), d)
    one_hot = np.zeros(logits.shape, logits.dtype)
    np.put_along_axis(one_hot, index, 1, axis=d)
    return _wrap(one_hot) - y_soft.detach() + y_soft


# ------------------------------------------------------------------ in-place twins of existing activations

def relu_(input):
    return _in_place(input, ops.relu, "relu_")


def elu_(input, alpha=1.0):
    return _in_place(input, lambda t: ops.elu(t, alpha), "elu_")


def selu_(input):
    return _in_place(input, selu, "selu_")


def celu_(input, alpha=1.0):
    return _in_place(input, lambda t: celu(t, alpha), "celu_")


def leaky_relu_(input, negative_slope=0.01):
    return _in_place(input, lambda t: ops.leaky_relu(t, negative_slope), "leaky_relu_")


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _in_place(input, lambda t: _hardtanh(t, min_val, max_val), "hardtanh_")


def threshold_(input, threshold_value, value):
    return _in_place(input, lambda t: threshold(t, threshold_value, value), "threshold_")


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _in_place(input, lambda t: rrelu(t, lower, upper, training), "rrelu_")
