"""Function: one differentiable operation, its forward and its backward.

Subclasses define `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` as static
methods working on NumPy arrays (Tensors arrive unwrapped); `apply` wraps the
result in Tensors and, when grad mode is on and an input requires grad, records
the ctx (the Function instance itself) as the outputs' creator.
"""

from .grad_mode import state as _grad_state
from .tensor import Tensor, _wrap


class Function:
    # parents: the apply() arguments; needs_input_grad: one bool per argument;
    # saved_tensors: arrays saved by forward; outputs: (shape, dtype) per output.
    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def mark_non_differentiable(self, *arrays):
        self.non_differentiable = {id(a) for a in arrays}

    @classmethod
    def apply(cls, *args):
        ctx = cls.__new__(cls)
        arrays = []
        needs = []
        track = False
        enabled = _grad_state.enabled
        for a in args:
            if isinstance(a, Tensor):
                if enabled:  # an in-place op on a would now corrupt this node (see ops._declare._inplace)
                    a._used = True
                arrays.append(a._data)
                rg = a.requires_grad
                needs.append(rg)
                track = track or rg
            else:
                arrays.append(a)
                needs.append(False)
        track = track and enabled
        ctx.needs_input_grad = tuple(needs) if track else (False,) * len(needs)
        out = cls.forward(ctx, *arrays)
        if not track:
            if type(out) is tuple:
                return tuple(_wrap(o) for o in out)
            return _wrap(out)
        ctx.parents = args
        if type(out) is tuple:
            skip = getattr(ctx, "non_differentiable", ())
            ctx.outputs = tuple((o.shape, o.dtype) for o in out)
            return tuple(_wrap(o) if id(o) in skip else _wrap(o, ctx, i) for i, o in enumerate(out))
        ctx.outputs = None
        return _wrap(out, ctx, 0)
