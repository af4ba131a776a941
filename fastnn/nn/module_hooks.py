"""Module hooks: forward pre/post hooks and full backward (pre-)hooks, with PyTorch's signatures.

A full backward hook needs the gradients at the module's boundary: the inputs pass through
one identity Function (its backward sees every input's gradient at once) and the outputs
through another (its backward sees the output gradients first). Hooks may return
replacements, as in PyTorch.
"""
import itertools
from collections import OrderedDict

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _wrap

_ids = itertools.count()


class RemovableHandle:
    """Returned by the register_*_hook methods; remove() unregisters (also as a context manager)."""

    def __init__(self, *tables):
        self.id = next(_ids)
        self._tables = tables

    def remove(self):
        for t in self._tables:
            t.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# hooks registered for every module (torch.nn.modules.module.register_module_*_hook)
GLOBAL = {"_forward_pre_hooks": OrderedDict(), "_forward_hooks": OrderedDict(), "_backward_hooks": OrderedDict(),
          "_backward_pre_hooks": OrderedDict()}
ANY_GLOBAL = [False]  # checked on every call: one list lookup when no global hook exists
GLOBAL_WITH_KWARGS, GLOBAL_ALWAYS_CALLED = set(), set()


class _GlobalHandle(RemovableHandle):
    def remove(self):
        super().remove()
        ANY_GLOBAL[0] = any(GLOBAL.values())


def add_global_hook(kind, hook, with_kwargs=False, always_call=False):
    handle = _GlobalHandle(GLOBAL[kind])
    GLOBAL[kind][handle.id] = hook
    if with_kwargs:
        GLOBAL_WITH_KWARGS.add(handle.id)
    if always_call:
        GLOBAL_ALWAYS_CALLED.add(handle.id)
    ANY_GLOBAL[0] = True
    return handle



def add_hook(table, hook, prepend=False, extra=None):
    handle = RemovableHandle(table, *([] if extra is None else [extra]))
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def new_tables():
    return {name: OrderedDict() for name in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks",
                                             "_backward_pre_hooks")} | {"_hooks_with_kwargs": set(),
                                                                        "_hooks_always_called": set()}


class _Boundary:
    """What the two identity Functions of one call share."""
    def __init__(self, module, n_inputs):
        self.module = module
        self.n_inputs = n_inputs
        self.grad_output = None


def _as_arrays(grads, hooked, fname):
    if hooked is None:
        return grads
    hooked = tuple(hooked) if isinstance(hooked, (tuple, list)) else (hooked,)
    if len(hooked) != len(grads):
        raise RuntimeError(f"{fname} hook returned {len(hooked)} gradients, expected {len(grads)}")
    return tuple(None if h is None else (h._data if isinstance(h, Tensor) else h) for h in hooked)


def _wrapped(grads):
    return tuple(None if g is None else _wrap(g) for g in grads)


def _call_backward_hooks(b, grad_input):
    for _, hook in b.module._hooks_of("_backward_hooks"):
        out = hook(b.module, _wrapped(grad_input), _wrapped(b.grad_output))
        grad_input = _as_arrays(grad_input, out, "full backward")
    return grad_input


class _IdentityAtBoundary(Function):
    """Identity on the arrays it is given; its backward is where a hooked module's gradient hooks run."""
    @staticmethod
    def forward(ctx, boundary, *arrays):
        ctx.boundary = boundary
        return arrays if len(arrays) > 1 else arrays[0]


class BoundaryOut(_IdentityAtBoundary):
    @staticmethod
    def backward(ctx, *grads):
        b = ctx.boundary
        for _, hook in b.module._hooks_of("_backward_pre_hooks"):
            grads = _as_arrays(grads, hook(b.module, _wrapped(grads)), "full backward pre")
        b.grad_output = grads
        if b.n_inputs == 0:  # nothing below needs a gradient: PyTorch calls the hooks with None inputs
            _call_backward_hooks(b, (None,))
        return (None,) + tuple(grads)


class BoundaryIn(_IdentityAtBoundary):
    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(_call_backward_hooks(ctx.boundary, grads))


def mark_inputs(module, args):
    """Route the tensor arguments that require grad through BoundaryIn; returns (args, boundary)."""
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    b = _Boundary(module, len(positions))
    if not positions:
        return args, b
    out = BoundaryIn.apply(b, *(args[i] for i in positions))
    out = out if isinstance(out, tuple) else (out,)
    args = list(args)
    for i, t in zip(positions, out):
        args[i] = t
    return tuple(args), b


def mark_outputs(boundary, result):
    """Route the output tensor(s) through BoundaryOut."""
    if isinstance(result, Tensor):
        return BoundaryOut.apply(boundary, result) if result.requires_grad else result
    if isinstance(result, tuple):
        positions = [i for i, r in enumerate(result) if isinstance(r, Tensor) and r.requires_grad]
        if not positions:
            return result
        out = BoundaryOut.apply(boundary, *(result[i] for i in positions))
        out = out if isinstance(out, tuple) else (out,)
        result = list(result)
        for i, t in zip(positions, out):
            result[i] = t
        return tuple(result)
    return result
