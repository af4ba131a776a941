"""Post-accumulate-grad hooks on leaves and callbacks queued to run when backward ends.

PyTorch's `Tensor.register_post_accumulate_grad_hook(hook)` calls `hook(tensor)` once per
backward, after the leaf's `.grad` holds every contribution of that pass; DistributedDataParallel
uses it to start a bucket's all-reduce while the rest of backward still runs, and
`queue_callback` to wait for the reductions once the pass is over.

The registry lives here, not in a Tensor slot, so a plain backward with no hooks pays one
emptiness test.
"""
import itertools
import weakref

# id(leaf) -> {handle id: hook}. Keyed by id, not by the tensor, because Tensor's == is
# elementwise; an entry leaves when its tensor is collected (weakref.finalize).
_hooks = {}
_callbacks = []
_ids = itertools.count(1)


class RemovableHandle:
    """Returned by register_post_accumulate_grad_hook; remove() unregisters the hook."""

    def __init__(self, tensor, key):
        self._tensor = weakref.ref(tensor)
        self.id = key

    def remove(self):
        t = self._tensor()
        table = _hooks.get(id(t)) if t is not None else None
        if table is not None:
            table.pop(self.id, None)
            if not table:
                del _hooks[id(t)]


def register_post_accumulate_grad_hook(tensor, hook):
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    if tensor._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    key = next(_ids)
    if id(tensor) not in _hooks:
        _hooks[id(tensor)] = {}
        weakref.finalize(tensor, _hooks.pop, id(tensor), None)
    _hooks[id(tensor)][key] = hook
    return RemovableHandle(tensor, key)


# Gradient hooks (Tensor.register_hook): on leaves keyed by id(leaf) -> {handle id: hook}; on non-leaf
# tensors they live on their creator node (ctx.grad_hooks: [(output index, handle id, hook)]).
_grad_hooks = {}


class GradHookHandle:
    def __init__(self, table_owner, key, remove):
        self.id = key
        self._remove = remove

    def remove(self):
        self._remove(self.id)


def register_grad_hook(tensor, hook):
    """hook(grad) -> Tensor or None, called with the tensor's gradient before it is used (PyTorch's register_hook)."""
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = next(_ids)
    ctx = tensor._ctx
    if ctx is None:
        if id(tensor) not in _grad_hooks:
            _grad_hooks[id(tensor)] = {}
            weakref.finalize(tensor, _grad_hooks.pop, id(tensor), None)
        _grad_hooks[id(tensor)][key] = hook
        table = _grad_hooks[id(tensor)]
        return GradHookHandle(tensor, key, lambda k: table.pop(k, None))
    hooks = ctx.__dict__.setdefault("grad_hooks", [])
    hooks.append((tensor._idx, key, hook))
    return GradHookHandle(ctx, key, lambda k: hooks.__setitem__(slice(None), [h for h in hooks if h[1] != k]))


def run_grad_hooks(hooks, grad):
    from .tensor import _wrap
    for hook in hooks:
        out = hook(_wrap(grad))
        if out is not None:
            if tuple(out.shape) != grad.shape:
                raise RuntimeError(f"hook returned a gradient of shape {tuple(out.shape)}, expected {grad.shape}")
            grad = out._data
    return grad


def queue_callback(fn):
    """Run fn() once the current backward pass has finished (PyTorch's engine.queue_callback)."""
    _callbacks.append(fn)


def run_callbacks():
    # Callbacks may queue further callbacks; run until none are left, in order.
    while _callbacks:
        _callbacks.pop(0)()


def clear_callbacks():
    _callbacks.clear()


def fire(leaf):
    for hook in list(_hooks.get(id(leaf), {}).values()):
        hook(leaf)


class PendingLeaves:
    """Counts, per hooked leaf, the graph edges still to deliver a gradient in this pass.

    The engine accumulates a leaf each time a consumer hands it a gradient, so the hook is
    due after the leaf's last consumer has run (or was skipped for lack of an incoming
    gradient), and only if some gradient reached the leaf.
    """

    def __init__(self, order):
        self.remaining = {}  # id(leaf) -> edges still to come
        self.fed = set()
        for node in order:
            for p, need in zip(node.parents, node.needs_input_grad):
                if need and p._ctx is None and id(p) in _hooks:
                    self.remaining[id(p)] = self.remaining.get(id(p), 0) + 1

    @staticmethod
    def active():
        return bool(_hooks)

    def feed(self, leaf):
        if id(leaf) in self.remaining:
            self.fed.add(id(leaf))

    def node_done(self, node):
        for p, need in zip(node.parents, node.needs_input_grad):
            if not need or id(p) not in self.remaining:
                continue
            self.remaining[id(p)] -= 1
            if self.remaining[id(p)] == 0 and id(p) in self.fed:
                fire(p)
