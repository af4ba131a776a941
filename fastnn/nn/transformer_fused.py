"""The Transformer layers' fused steps, each taken when the modules involved are plain (exactly the
class, no hooks) so that hooks and subclasses see the module calls they would otherwise:

* add_norm: a residual add and the LayerNorm after it, one kernel sweep each way (the sum formed in
  the normalisation's pass, its gradient added in the backward's);
* feed_forward: linear2(dropout(act(linear1(x)))), act ReLU or exact GELU, as one Function
  (native/feedforward.py).
"""
import numpy as np

from ..autograd.tensor import Tensor
from ..autograd.native.norm import AddLayerNormFn
from ..autograd.native.feedforward import FeedForwardFn
from ..autograd.random import generator
from .normalization import LayerNorm
from .linear import Linear
from .dropout import Dropout
from . import functional as F
from . import module_hooks as _hooks

_HOOK_TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks")


def plain_module(module, cls):
    """module is exactly a cls (not a subclass) and nothing hooks its calls."""
    d = module.__dict__
    return type(module) is cls and not _hooks.ANY_GLOBAL[0] and not any(d.get(t) for t in _HOOK_TABLES)


def _fusable(x, residual, norm):
    if not (isinstance(x, Tensor) and isinstance(residual, Tensor) and plain_module(norm, LayerNorm)):
        return False
    shape, dtype = tuple(norm.normalized_shape), x.dtype
    if dtype not in (np.float32, np.float64) or residual.dtype != dtype or tuple(x.shape) != tuple(residual.shape):
        return False
    if x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        return False
    return all(p is None or (p.dtype == dtype and tuple(p.shape) == shape) for p in (norm.weight, norm.bias))


def add_norm(x, residual, norm, return_sum=False, dropout=None):
    """norm(x + dropout(residual)), and with return_sum the pair (that, x + dropout(residual)); dropout a
    Dropout module or None. A plain Dropout's mask joins the fused sweep, drawn from the generator at the
    point where the module call would draw it."""
    p = 0.0
    if dropout is not None and plain_module(dropout, Dropout) and not dropout.inplace and \
            not (dropout.training and dropout.p >= 1.0):   # p 1 keeps the module call
        p = float(dropout.p) if dropout.training else 0.0
        dropout = None
    if dropout is None and _fusable(x, residual, norm):
        size = int(np.prod(norm.normalized_shape, dtype=np.int64))
        seed = int(generator().bit_generator.random_raw()) if p > 0.0 else 0  # F.dropout's draw
        return AddLayerNormFn.apply(x, residual, norm.weight, norm.bias, float(norm.eps), size, bool(return_sum),
                                    p, seed)
    if dropout is not None:
        residual = dropout(residual)
    elif p > 0.0:
        residual = F.dropout(residual, p, True)
    s = x + residual
    return (norm(s), s) if return_sum else norm(s)


_ACTIVATIONS = ((F.relu, "relu"), (F.gelu, "gelu"))  # the functions _activation("relu" / "gelu") gives


def feed_forward(layer, x):
    """layer.linear2(layer.dropout(act(layer.linear1(x)))) fused, or None when the layer's modules,
    activation or arguments need the module calls."""
    l1, l2, drop = layer.linear1, layer.linear2, layer.dropout
    activation = next((name for fn, name in _ACTIVATIONS if layer.activation is fn), None)
    if activation is None or not (plain_module(l1, Linear) and plain_module(l2, Linear)
                                  and plain_module(drop, Dropout)):
        return None
    if not isinstance(x, Tensor) or x.dtype not in (np.float32, np.float64) or x.ndim == 0 or \
            x.shape[-1] != l1.in_features or l2.in_features != l1.out_features:
        return None
    params = (l1.weight, l1.bias, l2.weight, l2.bias)
    if any(p is not None and p.dtype != x.dtype for p in params):
        return None
    p = float(drop.p) if drop.training else 0.0
    if not 0.0 <= p < 1.0 or drop.inplace:
        return None
    seed = int(generator().bit_generator.random_raw()) if p > 0.0 else 0  # F.dropout's draw, at its point
    return FeedForwardFn.apply(x, *params, activation, p, seed)
