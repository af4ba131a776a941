"""Module: the base class of every layer and model (PyTorch's nn.Module API)."""
from collections import OrderedDict

import numpy as np

from ..autograd.tensor import Tensor, _wrap
from ..autograd.dtypes import canonical_dtype
from ..device import device, check_cpu
from .parameter import Parameter, Buffer
from . import module_hooks as _hooks
from ..autograd.grad_mode import state as _grad_state


def _check_name(name, kind):
    """A parameter's or buffer's name: a non-empty string without '.', as PyTorch requires."""
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")


class Module:
    training = True

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        for name, table in _hooks.new_tables().items():
            object.__setattr__(self, name, table)

    def __setstate__(self, state):
        """Unpickling (fastnn.load of a whole model): fastnn's internals first, then the saved attributes.
        A module PyTorch pickled names its non-persistent buffers `_non_persistent_buffers_set`."""
        Module.__init__(self)
        self.__dict__.update(state)
        if "_non_persistent_buffers_set" in state and "_non_persistent" not in state:
            self.__dict__["_non_persistent"] = set(state["_non_persistent_buffers_set"])

    # ------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError("cannot assign parameters or modules before Module.__init__() is called")
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        for store in (params, modules, buffers):
            if store is not None and name in store and not isinstance(value, (Parameter, Module, Tensor)) and value is not None:
                del store[name]
        if isinstance(value, Parameter):
            self.__dict__.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            self.__dict__.pop(name, None)
            modules[name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, value.persistent)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' (Parameter or None expected)")
            params[name] = None
        elif buffers is not None and name in buffers:
            buffers[name] = value
        elif modules is not None and name in modules and value is None:
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._buffers) + list(self._modules)

    def register_parameter(self, name, param):
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter '{name}' (Parameter or None expected)")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        _check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer '{name}' (Tensor or None expected)")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    def _get_entry(self, target, table, kind):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        entries = getattr(mod, table)
        if name not in entries:
            raise AttributeError(f"{type(mod).__name__} has no {kind} `{name}`")
        return entries[name]

    def get_parameter(self, target):
        return self._get_entry(target, "_parameters", "parameter")

    def get_buffer(self, target):
        return self._get_entry(target, "_buffers", "buffer")

    def get_submodule(self, target):
        mod = self
        for part in target.split(".") if target else []:
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no submodule '{part}'")
            mod = mod._modules[part]
        return mod

    # ------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        pre, post = d.get("_forward_pre_hooks"), d.get("_forward_hooks")
        back, back_pre = d.get("_backward_hooks"), d.get("_backward_pre_hooks")
        if not (pre or post or back or back_pre or _hooks.ANY_GLOBAL[0]):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _hooks_of(self, kind):
        """This module's hooks of a kind, after the global ones (PyTorch's order)."""
        glob = _hooks.GLOBAL[kind]
        own = self.__dict__.get(kind) or {}
        return list(glob.items()) + list(own.items()) if glob else list(own.items())

    def _call_with_hooks(self, args, kwargs):
        with_kwargs = set(self.__dict__.get("_hooks_with_kwargs", ())) | _hooks.GLOBAL_WITH_KWARGS
        for key, hook in self._hooks_of("_forward_pre_hooks"):
            if key in with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        boundary = None
        if (self._hooks_of("_backward_hooks") or self._hooks_of("_backward_pre_hooks")) and _grad_state.enabled:
            args, boundary = _hooks.mark_inputs(self, args)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            always = set(self.__dict__.get("_hooks_always_called", ())) | _hooks.GLOBAL_ALWAYS_CALLED
            for key, hook in self._hooks_of("_forward_hooks"):
                if key in always:
                    hook(self, args, kwargs, None) if key in with_kwargs else hook(self, args, None)
            raise
        for key, hook in self._hooks_of("_forward_hooks"):
            res = hook(self, args, kwargs, result) if key in with_kwargs else hook(self, args, result)
            if res is not None:
                result = res
        if boundary is not None:
            result = _hooks.mark_outputs(boundary, result)
        return result

    # ------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        handle = _hooks.add_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        handle = _hooks.add_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        if always_call:  # also runs (with output None) when forward raises
            self._hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        return _hooks.add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        return _hooks.add_hook(self._backward_pre_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated form; fastnn gives it the full backward hook's (correct) gradients."""
        return self.register_full_backward_hook(hook)

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, kind, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, v in getattr(m, kind).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{mp}.{name}" if mp else name), v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        mods = self._plain_modules() if recurse else [self]
        if mods is None or type(self).named_parameters is not Module.named_parameters:
            for _, p in self.named_parameters(recurse=recurse):  # a subclass's own traversal decides
                yield p
            return
        # named_parameters' order and deduplication without building the names: training loops call
        # parameters() every step (clipping, target-network updates), where the names cost microseconds
        seen = set()
        for m in mods:
            for v in m._parameters.values():
                if v is not None and id(v) not in seen:
                    seen.add(id(v))
                    yield v

    def _plain_modules(self):
        """named_modules()'s modules in its order, or None when a module overrides named_modules."""
        out, memo, stack = [], set(), [self]
        base = Module.named_modules
        while stack:
            m = stack.pop()
            if id(m) in memo:
                continue
            if type(m).named_modules is not base:
                return None
            memo.add(id(m))
            out.append(m)
            stack.extend(c for c in reversed(m._modules.values()) if c is not None)
        return out

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        if destination is None:
            destination = OrderedDict()
        for key, (m, kind, name) in self._state_targets(prefix).items():
            if kind == "extra":
                destination[key] = m.get_extra_state()
            else:
                t = getattr(m, kind)[name]
                destination[key] = t if keep_vars else t.detach()
        return destination

    def _state_targets(self, prefix=""):
        """state_dict key -> (module, store, name) in PyTorch's order: each module's parameters,
        persistent buffers and extra state, then its children's."""
        out = OrderedDict()

        def walk(m, p):
            for n, t in m._parameters.items():
                if t is not None:
                    out[p + n] = (m, "_parameters", n)
            for n, t in m._buffers.items():
                if t is not None and n not in m._non_persistent:
                    out[p + n] = (m, "_buffers", n)
            if type(m).get_extra_state is not Module.get_extra_state:
                out[p + "_extra_state"] = (m, "extra", None)
            for n, c in m._modules.items():
                if c is not None:
                    walk(c, p + n + ".")
        walk(self, prefix)
        return out

    def get_extra_state(self):
        """Override (with set_extra_state) to put picklable non-tensor state in the state_dict."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values (Tensors or NumPy arrays) into this module's parameters and buffers; with
        assign=True the module takes the given tensors' storage instead (PyTorch's assign)."""
        own = self._state_targets()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"Error(s) in loading state_dict for {type(self).__name__}: "
                           f"missing keys {missing}, unexpected keys {unexpected}")
        errors = []
        for key, (m, kind, name) in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if kind == "extra":
                m.set_extra_state(value)
                continue
            target = getattr(m, kind)[name]
            arr = value._data if isinstance(value, Tensor) else np.asarray(value)
            if arr.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {arr.shape}, "
                              f"the shape in current model is {target.shape}")
                continue
            if assign and kind == "_parameters":
                m._parameters[name] = Parameter(arr, requires_grad=target.requires_grad)
            elif assign:
                m._buffers[name] = value if isinstance(value, Tensor) else _wrap(arr)
            else:
                target._data[...] = arr  # in place, as PyTorch's copy_: views of it stay valid
        if errors:
            raise ValueError("Error(s) in loading state_dict:\n  " + "\n  ".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def set_submodule(self, target, module, strict=False):
        """Put `module` at the dotted path `target` (its parent must exist)."""
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and name not in parent._modules:
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if not isinstance(module, Module):
            raise TypeError(f"`module` is not an nn.Module, found {type(module)}")
        parent.add_module(name, module)

    def to_empty(self, *, device=None, recurse=True):
        """Parameters here always have storage (no meta device): the module is returned as it is."""
        check_cpu(device)
        return self

    # ------------------------------------------------------------ modes and types
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad._data[...] = 0

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _cast_floats(self, dtype):
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None and t.dtype.kind == "f":
                        t._data = t._data.astype(dtype)
                        if t.grad is not None:
                            t.grad = _wrap(t.grad._data.astype(dtype))
        return self

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        check_cpu(kwargs.get("device"))
        for a in args:
            if isinstance(a, (str, device)) or a is None:
                check_cpu(a)
            else:
                dtype = a
        return self if dtype is None else self._cast_floats(canonical_dtype(dtype))

    def float(self):
        return self._cast_floats(np.dtype(np.float32))

    def double(self):
        return self._cast_floats(np.dtype(np.float64))

    def half(self):
        return self._cast_floats(canonical_dtype(np.float16))

    def bfloat16(self):
        return self._cast_floats(canonical_dtype("bfloat16"))

    def type(self, dst_type):
        return self._cast_floats(canonical_dtype(dst_type))

    def compile(self, *args, **kwargs):
        """Like torch.compile without a compiler backend: the module runs eagerly, unchanged."""
        return None

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        from ..device import DeviceUnavailableError
        raise DeviceUnavailableError("Torch not compiled with CUDA enabled (fastnn runs on the CPU only)")

    def share_memory(self):
        """Move every parameter, gradient and buffer into shared memory (see Tensor.share_memory_)."""
        for t in [*self.parameters(), *self.buffers()]:
            t.share_memory_()
            if t.grad is not None:
                t.grad.share_memory_()
        return self

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class _IncompatibleKeys:
    def __init__(self, missing_keys, unexpected_keys):
        self.missing_keys = missing_keys
        self.unexpected_keys = unexpected_keys

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"
