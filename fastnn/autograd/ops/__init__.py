"""The op catalogue: every differentiable operation, declared once.

Each module below declares its ops with `_declare.declare` (or the `unary` / `binary` factories for
elementwise ops); REGISTRY then generates fastnn.x (with out=), Tensor.x and Tensor.x_. The ops
written before the catalogue existed are registered here by name, with the variants PyTorch gives them.
"""
from . import _declare
from ._declare import REGISTRY, declare, torch_functions, install
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
from . import math, stats, sorting, scatter, structure, linalg, tensor_methods, views, numeric  # noqa: F401
from . import linalg_decomp, linalg_solve, linalg_lu, linalg_householder  # noqa: F401
from . import fills  # noqa: F401
from .math import bitwise_not, bitwise_and, bitwise_or, bitwise_xor

# Ops from before the catalogue: name -> variants (T: fastnn.x, M: Tensor.x, I: Tensor.x_, O: out=,
# V: Tensor.x_ that re-views self, as t_ and squeeze_ do).
_LEGACY = {
    "matmul": "TMO", "mm": "TMO",
    "bmm": "TMO", "clamp": "TMIO", "clip": "TMIO",
    "logical_not": "TMIO",
    "equal": "TM", "allclose": "TM", "sum": "TMO", "mean": "TMO", "max": "TMO", "min": "TMO", "amax": "TMO",
    "amin": "TMO", "argmax": "TMO", "argmin": "TMO", "var": "TMO", "std": "TMO", "logsumexp": "TMO",
    "prod": "TMO", "norm": "TMO", "all": "TMO", "any": "TMO", "count_nonzero": "TM", "cumsum": "TMIO",
    "reshape": "TM", "view": "M", "view_as": "M", "reshape_as": "M", "flatten": "TM", "unflatten": "TM",
    "permute": "TM", "transpose": "TMV", "t": "TMV", "squeeze": "TMV", "unsqueeze": "TMV", "expand": "M",
    "expand_as": "M", "broadcast_to": "TM", "repeat": "M", "cat": "TO", "concat": "TO", "concatenate": "TO",
    "stack": "TO", "chunk": "TM", "split": "TM", "unbind": "TM", "flip": "TM", "gather": "TMO",
    "index_select": "TMO", "where": "TMO", "masked_fill": "TMI", "nonzero": "TMO", "softmax": "TM",
    "log_softmax": "TM",
}
_ALIASES = {"swapaxes": "transpose", "swapdims": "transpose"}
for _name, _kinds in _LEGACY.items():
    declare(globals()[_name], name=_name, torch="T" in _kinds, method="M" in _kinds,
            inplace="view" if "V" in _kinds else "I" in _kinds,
            out="O" in _kinds,
            aliases=tuple(a for a, n in _ALIASES.items() if n == _name))


def install_methods(cls):
    own = set(cls.__dict__)
    install(cls)
    for name, prop in tensor_methods.PROPERTIES.items():
        _declare._put(cls, name, prop, own)
