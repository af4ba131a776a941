"""torch.nn.modules.module's import path: Module and the hooks registered for every module."""
from ..module import Module
from ..module_hooks import add_global_hook

__all__ = ["Module", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_hook", "register_module_full_backward_pre_hook"]


def register_module_forward_pre_hook(hook):
    """hook(module, args) runs before every module's forward (before the module's own hooks)."""
    return add_global_hook("_forward_pre_hooks", hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    return add_global_hook("_forward_hooks", hook, with_kwargs, always_call)


def register_module_full_backward_hook(hook):
    return add_global_hook("_backward_hooks", hook)


def register_module_full_backward_pre_hook(hook):
    return add_global_hook("_backward_pre_hooks", hook)


def _addindent(s_, num_spaces):
    """Indent every line but the first (PyTorch's helper for nested reprs)."""
    lines = s_.split("\n")
    if len(lines) == 1:
        return s_
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)
