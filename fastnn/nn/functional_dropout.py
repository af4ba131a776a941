"""dropout: one kernel call that draws the mask and scales by 1 / (1 - p)."""
import numpy as np

from ..autograd.native.dropout import DropoutFn
from ..autograd.random import generator
from .functional_act import _maybe_inplace


def dropout(input, p=0.5, training=True, inplace=False):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if inplace:  # written into input outside the autograd graph; a new tensor inside it
        return _maybe_inplace(input, True, lambda t: dropout(t, p, training), "dropout")
    if p == 1.0:
        return input * 0.0
    if input.dtype not in (np.float32, np.float64):
        raise TypeError(f"dropout: input must be float32 or float64, got {input.dtype}")
    return DropoutFn.apply(input, float(p), generator())
