"""Elementwise math with a NumPy/SciPy equivalent: one declaration per op (forward, gradient, variants)."""
import numpy as np
from scipy import special as _sp

from ..tensor import Tensor, _wrap
from ..dtypes import default_float
from ._declare import unary, binary, declare
from .elementwise import clamp

_zero = lambda g, x, y: np.zeros_like(g)  # noqa: E731 (piecewise-constant ops: PyTorch's zero gradient)

# ---------------------------------------------------------------- one input
tan = unary("tan", np.tan, lambda g, x, y: g * (1 + y * y))
asin = unary("asin", np.arcsin, lambda g, x, y: g / np.sqrt(1 - x * x), aliases=("arcsin",))
acos = unary("acos", np.arccos, lambda g, x, y: -g / np.sqrt(1 - x * x), aliases=("arccos",))
atan = unary("atan", np.arctan, lambda g, x, y: g / (1 + x * x), aliases=("arctan",))
sinh = unary("sinh", np.sinh, lambda g, x, y: g * np.cosh(x))
cosh = unary("cosh", np.cosh, lambda g, x, y: g * np.sinh(x))
asinh = unary("asinh", np.arcsinh, lambda g, x, y: g / np.sqrt(x * x + 1), aliases=("arcsinh",))
acosh = unary("acosh", np.arccosh, lambda g, x, y: g / np.sqrt(x * x - 1), aliases=("arccosh",))
atanh = unary("atanh", np.arctanh, lambda g, x, y: g / (1 - x * x), aliases=("arctanh",))
exp2 = unary("exp2", np.exp2, lambda g, x, y: g * y * np.log(2.0))
expm1 = unary("expm1", np.expm1, lambda g, x, y: g * (y + 1))
log2 = unary("log2", np.log2, lambda g, x, y: g / (x * np.log(2.0)))
log10 = unary("log10", np.log10, lambda g, x, y: g / (x * np.log(10.0)))
reciprocal = unary("reciprocal", lambda x: 1 / x, lambda g, x, y: -g * y * y)
erf = unary("erf", _sp.erf, lambda g, x, y: g * 2 / np.sqrt(np.pi) * np.exp(-x * x))
erfc = unary("erfc", _sp.erfc, lambda g, x, y: -g * 2 / np.sqrt(np.pi) * np.exp(-x * x))
erfinv = unary("erfinv", _sp.erfinv, lambda g, x, y: g * np.sqrt(np.pi) / 2 * np.exp(y * y))
lgamma = unary("lgamma", _sp.gammaln, lambda g, x, y: g * _sp.digamma(x))
digamma = unary("digamma", _sp.digamma, lambda g, x, y: g * _sp.polygamma(1, x), aliases=("psi",))
sinc = unary("sinc", np.sinc, lambda g, x, y: g * np.where(
    x == 0, 0, (np.cos(np.pi * x) * np.pi * x - np.sin(np.pi * x)) / (np.pi * x * x + (x == 0))))
deg2rad = unary("deg2rad", np.deg2rad, lambda g, x, y: g * (np.pi / 180))
rad2deg = unary("rad2deg", np.rad2deg, lambda g, x, y: g * (180 / np.pi))
square = unary("square", np.square, lambda g, x, y: 2 * g * x, kind="same")
trunc = unary("trunc", np.trunc, _zero, kind="same", aliases=("fix",))
frac = unary("frac", lambda x: x - np.trunc(x), lambda g, x, y: g, kind="same", ints=False)
sgn = unary("sgn", np.sign, _zero, kind="same")
signbit = unary("signbit", np.signbit, kind="bool")
isneginf = unary("isneginf", np.isneginf, kind="bool", method=True)
isposinf = unary("isposinf", np.isposinf, kind="bool", method=True)
isreal = unary("isreal", lambda x: np.ones(x.shape, bool), kind="bool", out=False)
positive = unary("positive", lambda x: x, lambda g, x, y: g, kind="same", inplace=False, out=False)
bitwise_not = unary("bitwise_not", np.invert, kind="same")


@declare(inplace=True, out=True)
def logit(input, eps=None):
    x = input if input.dtype.kind == "f" else input.to(default_float())
    if eps is not None:
        x = clamp(x, eps, 1 - eps)
    return x.log() - (1 - x).log()


@declare(inplace=True, out=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    from .indexing import where
    d = input._data
    if d.dtype.kind != "f":
        return input.clone()
    info = np.finfo(d.dtype)
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    r = where(_wrap(np.isnan(d)), _wrap(np.asarray(nan, d.dtype)), input)
    r = where(_wrap(np.isposinf(d)), _wrap(np.asarray(big, d.dtype)), r)
    return where(_wrap(np.isneginf(d)), _wrap(np.asarray(small, d.dtype)), r)


# ---------------------------------------------------------------- two inputs
atan2 = binary("atan2", np.arctan2, lambda g, a, b, y: g * b / (a * a + b * b),
               lambda g, a, b, y: -g * a / (a * a + b * b), kind="float", aliases=("arctan2",), tensor_only=True)
hypot = binary("hypot", np.hypot, lambda g, a, b, y: g * a / y, lambda g, a, b, y: g * b / y, tensor_only=True)
fmod = binary("fmod", np.fmod, lambda g, a, b, y: g, lambda g, a, b, y: -g * np.trunc(a / b), int_div=True,
              bools=False)
logaddexp = binary("logaddexp", np.logaddexp, lambda g, a, b, y: g * np.exp(a - y),
                   lambda g, a, b, y: g * np.exp(b - y), tensor_only=True)
logaddexp2 = binary("logaddexp2", np.logaddexp2, lambda g, a, b, y: g * np.exp2(a - y),
                    lambda g, a, b, y: g * np.exp2(b - y), tensor_only=True)
fmax = binary("fmax", np.fmax, lambda g, a, b, y: g * ((a >= b) | np.isnan(b)),
              lambda g, a, b, y: g * ((b > a) | np.isnan(a)), inplace=False, tensor_only=True)
fmin = binary("fmin", np.fmin, lambda g, a, b, y: g * ((a <= b) | np.isnan(b)),
              lambda g, a, b, y: g * ((b < a) | np.isnan(a)), inplace=False, tensor_only=True)
copysign = binary("copysign", np.copysign, lambda g, a, b, y: g * np.sign(a) * np.sign(y),
                  lambda g, a, b, y: np.zeros_like(g), kind="float")
nextafter = binary("nextafter", np.nextafter, tensor_only=True)
heaviside = binary("heaviside", lambda a, b: np.where(a == 0, b, (a > 0).astype(a.dtype)), argnames=("input", "values"), tensor_only=True)
bitwise_and = binary("bitwise_and", np.bitwise_and)
bitwise_or = binary("bitwise_or", np.bitwise_or)
bitwise_xor = binary("bitwise_xor", np.bitwise_xor)
gcd = binary("gcd", np.gcd, tensor_only=True)
lcm = binary("lcm", np.lcm, tensor_only=True)
float_power = binary("float_power", np.power, lambda g, a, b, y: g * b * np.power(a, b - 1),
                     lambda g, a, b, y: g * y * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0), kind="double",
                     inplace=False)


def _xlogy(a, b):
    return np.where(a == 0, np.zeros((), a.dtype), a * np.log(b))


xlogy = binary("xlogy", _xlogy, lambda g, a, b, y: g * np.where(a == 0, 0, np.log(b)),
               lambda g, a, b, y: g * a / b, kind="float")


@declare(inplace=True, out=True)
def lerp(input, end, weight):
    """input + weight * (end - input)."""
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' must be Tensor, not {type(end).__name__}")
    if input.dtype != end.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype} for `end` but got dtype {end.dtype}")
    return input + weight * (end - input)


@declare(out=True)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = input._data, other._data if isinstance(other, Tensor) else np.asarray(other)
    return _wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@declare(inplace=True, out=True)
def addcmul(input, tensor1, tensor2, value=1):
    return input + value * tensor1 * tensor2


@declare(inplace=True, out=True)
def addcdiv(input, tensor1, tensor2, value=1):
    return input + value * tensor1 / tensor2


@declare(torch=False, name="float_power_")
def _float_power_inplace(input, exponent):
    if input.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {input.dtype} but the operation's result "
                           f"requires dtype float64")
    return input.pow_(exponent)


# ---------------------------------------------------------------- special functions and activations
i0 = unary("i0", _sp.i0, lambda g, x, y: g * _sp.i1(x))
igamma = binary("igamma", _sp.gammainc, None, lambda g, a, b, y: g * np.exp(-b + (a - 1) * np.log(b) - _sp.gammaln(a)),
                kind="float", tensor_only=True)
igammac = binary("igammac", _sp.gammaincc, None,
                 lambda g, a, b, y: -g * np.exp(-b + (a - 1) * np.log(b) - _sp.gammaln(a)), kind="float",
                 tensor_only=True)
ldexp = binary("ldexp", lambda a, b: a * np.exp2(b), lambda g, a, b, y: g * np.exp2(b),
               lambda g, a, b, y: g * y * np.log(2.0), kind="float", tensor_only=True)
bitwise_left_shift = binary("bitwise_left_shift", np.left_shift)
bitwise_right_shift = binary("bitwise_right_shift", np.right_shift)
selu = unary("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
             lambda g, x, y: g * 1.0507009873554805 * np.where(x > 0, 1, 1.6732632423543772 * np.exp(np.minimum(x, 0))),
             method=False, out=False)


@declare(inplace=True, out=True)
def polygamma(n, input):
    """torch.polygamma(n, input); the method is input.polygamma(n)."""
    if isinstance(n, Tensor):  # called as a method: self is the input
        n, input = input, n
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    op = unary("polygamma", lambda x: _sp.polygamma(n, x), lambda g, x, y: g * _sp.polygamma(n + 1, x),
               register=False)
    return op(input)


@declare(inplace=True, out=True)
def mvlgamma(input, p):
    x = input if input.dtype.kind == "f" else input.to(default_float())
    if (x._data <= (p - 1) / 2).any():
        raise RuntimeError("All elements must be greater than (p-1)/2")
    from .reductions import sum as _sum
    from .shape import stack
    terms = stack([lgamma(x - j / 2) for j in range(p)], -1)
    return _sum(terms, -1) + p * (p - 1) / 4 * np.log(np.pi)


@declare(out=True)
def frexp(input):
    if input.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = np.frexp(input._data)
    return _wrap(m), _wrap(e.astype(np.int32))


@declare(method=False, inplace=True, out=True)
def celu(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    from .elementwise import elu
    return elu(input / alpha, 1.0) * alpha if alpha != 1 else elu(input, 1.0)


@declare(method=False, inplace=True, out=False)
def threshold(input, threshold, value):
    from .indexing import where
    return where(input > threshold, input, _wrap(np.asarray(value, input.dtype)))


@declare()
def hardshrink(input, lambd=0.5):
    from .indexing import where
    return where((input > lambd) | (input < -lambd), input, _wrap(np.zeros((), input.dtype)))


@declare(inplace=True, out=True)
def clamp_min(input, min):
    return clamp(input, min=min)


@declare(inplace=True, out=True)
def clamp_max(input, max):
    return clamp(input, max=max)


@declare(method=True)
def prelu(input, weight):
    """max(0, x) + weight * min(0, x), weight per channel (dim 1) or one shared value."""
    from .indexing import where
    if weight.numel() != 1:
        if input.ndim < 2 or weight.numel() != input.shape[1]:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {input.shape[1] if input.ndim > 1 else 1}.")
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return where(input > 0, input, weight * input)
