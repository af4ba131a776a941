"""Every differentiable operation, and the Tensor methods that call them."""
from .arithmetic import (add, sub, rsub, mul, div, rdiv, neg, pow, rpow, matmul, mm, bmm,
                         maximum, minimum, floor_divide, remainder)
from .elementwise import (exp, log, log1p, sqrt, rsqrt, abs, sin, cos, tanh, sigmoid, relu, leaky_relu,
                          elu, gelu, silu, softplus, clamp, clip, cast, clone, sign, floor, ceil, round,
                          isnan, isinf, isfinite, eq, ne, lt, le, gt, ge, logical_and, logical_or,
                          logical_xor, logical_not, equal, allclose)
from .reductions import (sum, mean, max, min, amax, amin, argmax, argmin, var, std, logsumexp, prod,
                         norm, all, any, count_nonzero, cumsum)
from .shape import (reshape, view, view_as, reshape_as, flatten, unflatten, permute, transpose, t, squeeze,
                    unsqueeze, expand, expand_as, broadcast_to, repeat, cat, concat, concatenate, stack,
                    chunk, split, unbind, flip)
from .indexing import index_key, getitem, gather, index_select, where, masked_fill, nonzero
from .softmax import softmax, log_softmax

# Tensor methods that forward to the function of the same name with self first.
_METHODS = [
    "add", "sub", "mul", "div", "pow", "matmul", "mm", "bmm", "maximum", "minimum",
    "exp", "log", "log1p", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu",
    "clamp", "clip", "sign", "floor", "ceil", "round", "isnan", "isinf", "isfinite",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "equal", "allclose",
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "logsumexp", "prod",
    "norm", "all", "any", "count_nonzero", "cumsum",
    "reshape", "view", "view_as", "reshape_as", "flatten", "unflatten", "permute", "transpose", "t", "squeeze",
    "unsqueeze", "expand", "expand_as", "repeat", "chunk", "split", "unbind", "flip",
    "gather", "index_select", "masked_fill", "nonzero", "softmax", "log_softmax",
]
_ALIASES = {"multiply": "mul", "subtract": "sub", "divide": "div", "greater": "gt", "less": "lt",
            "negative": "neg", "neg": "neg", "absolute": "abs", "swapaxes": "transpose"}


def install_methods(cls):
    g = globals()
    for name in _METHODS:
        setattr(cls, name, g[name])
    for alias, name in _ALIASES.items():
        setattr(cls, alias, g[name])
