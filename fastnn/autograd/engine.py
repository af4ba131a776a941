"""Reverse-mode differentiation: walk the recorded graph once in topological order."""
import numpy as np

from . import hooks
from .grad_buffer import adoptable, unshared
from .tensor import _wrap  # engine is imported by Tensor.backward, once tensor has loaded


def _topological_order(root_ctx):
    """Creators reachable from root_ctx, each after every creator that consumes its outputs."""
    order = []
    seen = set()
    stack = [(root_ctx, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for p in node.parents:
            ctx = getattr(p, "_ctx", None)
            if ctx is not None and ctx not in seen:
                stack.append((ctx, False))
    order.reverse()
    return order


def _accumulate_leaf(t, g, sole=False):
    """sole: the caller vouches (grad_buffer.unshared) that g is referenced by nothing else."""
    if g.dtype != t._data.dtype:
        g = g.astype(t._data.dtype)
        sole = True
    if g.shape != t._data.shape:
        g = np.broadcast_to(g, t._data.shape)
    if t.grad is None:
        # Own the array: optimizers and clip_grad_norm_ update .grad in place. An array no
        # one else can reach is adopted as it is (PyTorch steals such a buffer too).
        if sole and adoptable(g, t._data.dtype, t._data.shape):
            t.grad = _wrap(g)
        else:
            t.grad = _wrap(np.array(g, copy=True))
    elif t._ctx is None and _accumulates_in_place(t.grad._data, g):
        # PyTorch adds into a leaf's existing .grad (the same tensor object stays .grad); a
        # retained non-leaf gradient gets a new tensor, below, as there
        np.add(t.grad._data, g, out=t.grad._data)
    else:
        t.grad = _wrap(t.grad._data + g)


def _accumulates_in_place(cur, g):
    """cur (a .grad someone may have assigned) can take += g: writeable, g's shape and dtype, and
    contiguous, so no two of its elements share an address; otherwise a new array is made."""
    flags = cur.flags
    return (type(cur) is np.ndarray and flags.writeable and (flags.c_contiguous or flags.f_contiguous)
            and cur.shape == g.shape and cur.dtype == g.dtype and not np.may_share_memory(cur, g))


# What a node keeps after backward frees it: the graph's shape, not the buffers forward saved.
_STRUCTURE = frozenset(("parents", "needs_input_grad", "outputs", "retained", "grad_hooks"))

_SECOND_PASS = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
                "have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward(). Specify retain_graph=True if you need to backward through the graph a second time.")


def _free(node):
    """Drop what forward saved for backward (as PyTorch does unless retain_graph=True)."""
    for key in [k for k in node.__dict__ if k not in _STRUCTURE]:
        del node.__dict__[key]
    node.freed = True


def run_backward(root, grad, retain_graph=False):
    """Accumulate d(root)/d(leaf) * grad into .grad of every leaf that requires grad."""
    try:
        if root._ctx is None:
            if root.requires_grad:
                if id(root) in hooks._grad_hooks:
                    grad = hooks.run_grad_hooks(list(hooks._grad_hooks[id(root)].values()), grad)
                _accumulate_leaf(root, grad)
                hooks.fire(root)
        else:
            _run_graph(root, grad, retain_graph)
        hooks.run_callbacks()
    finally:
        hooks.clear_callbacks()


def _run_graph(root, grad, retain_graph):
    pending = {root._ctx: {root._idx: grad}}
    order = _topological_order(root._ctx)
    leaves = hooks.PendingLeaves(order) if hooks.PendingLeaves.active() else None
    hooked_leaves = {} if hooks._grad_hooks else None
    for node in order:
        got = pending.pop(node, None)
        if got is None:
            if leaves is not None:
                leaves.node_done(node)
            continue
        if "freed" in node.__dict__:
            raise RuntimeError(_SECOND_PASS)
        if node.outputs is None:
            grads = (got[0],)
        else:
            grads = tuple(got[i] if i in got else np.zeros(shape, dtype)
                          for i, (shape, dtype) in enumerate(node.outputs))
        if "grad_hooks" in node.__dict__:  # a membership test, not a call: this loop is the hot path
            node_hooks = node.grad_hooks
            grads = list(grads)
            for i in range(len(grads)):
                mine = [h for j, _, h in node_hooks if j == i]
                if mine:
                    grads[i] = hooks.run_grad_hooks(mine, grads[i])
                    if i in got:
                        got[i] = grads[i]
            grads = tuple(grads)
        if getattr(node, "retained", None):
            for i, t in node.retained:
                if i in got:
                    _accumulate_leaf(t, got[i])
        in_grads = node.backward(node, *grads)
        if not retain_graph:
            _free(node)
        # a list emptied as it is read: the gradient in hand then has no other reference from here
        in_grads = list(in_grads) if type(in_grads) is tuple else [in_grads]
        for i, (p, need) in enumerate(zip(node.parents, node.needs_input_grad)):
            if i == len(in_grads):
                break
            g = in_grads[i]
            in_grads[i] = None
            if not need or g is None:
                continue
            ctx = p._ctx
            if ctx is None:
                if hooked_leaves is not None and id(p) in hooks._grad_hooks:
                    # a leaf's hooks see its whole gradient: gather it, hook and accumulate after the pass
                    prev = hooked_leaves.get(id(p))
                    hooked_leaves[id(p)] = (p, g if prev is None else prev[1] + g)
                    continue
                sole = unshared(g)  # not inside the call below: its pushed arguments would count
                _accumulate_leaf(p, g, sole)
                if leaves is not None:
                    leaves.feed(p)
                continue
            slot = pending.get(ctx)
            if slot is None:
                pending[ctx] = {p._idx: g}
            elif p._idx in slot:
                slot[p._idx] = slot[p._idx] + g
            else:
                slot[p._idx] = g
        if leaves is not None:
            leaves.node_done(node)
    if hooked_leaves:
        for p, g in hooked_leaves.values():
            _accumulate_leaf(p, hooks.run_grad_hooks(list(hooks._grad_hooks[id(p)].values()), g))
            hooks.fire(p)
