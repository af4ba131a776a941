"""torch.nn.utils.parametrize: a tensor attribute computed from stored originals by modules.

After register_parametrization(module, "weight", P), `module.weight` is P(original) on every
access, with the original kept as `module.parametrizations.weight.original` (or original0,
original1, ... when P.right_inverse returns several tensors), the state_dict layout PyTorch uses.
The module's class is swapped for a subclass holding the property, as PyTorch does.
"""
from contextlib import contextmanager

from ...autograd.tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..container import ModuleList, ModuleDict
from ..parameter import Parameter


class ParametrizationList(ModuleList):
    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        with no_grad():
            new = first.right_inverse(original) if hasattr(first, "right_inverse") else original
        if isinstance(new, Tensor):
            self.is_tensor = True
            self.register_parameter("original", _as_parameter(new, original))
        else:
            self.is_tensor = False
            for i, t in enumerate(new):
                self.register_parameter(f"original{i}", _as_parameter(t, original))

    def right_inverse(self, value):
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
            if self.is_tensor:
                self.original._data[...] = value._data
            else:
                for i, t in enumerate(value):
                    getattr(self, f"original{i}")._data[...] = t._data

    def forward(self):
        mods = list(self)
        if self.is_tensor:
            x = mods[0](self.original)
        else:
            n = len([k for k in self._parameters if k.startswith("original")])
            x = mods[0](*(getattr(self, f"original{i}") for i in range(n)))
        for m in mods[1:]:
            x = m(x)
        return x


def _as_parameter(t, like):
    return Parameter(t._data.copy(), requires_grad=like.requires_grad)


def _inject_property(module, name):
    cls = module.__class__
    if not getattr(cls, "_is_parametrized_class", False):
        cls = type(f"Parametrized{cls.__name__}", (cls,), {"_is_parametrized_class": True,
                                                            "__module__": cls.__module__})
        module.__class__ = cls

    def getter(self):
        return self.parametrizations[name]()

    def setter(self, value):
        self.parametrizations[name].right_inverse(value)
    setattr(cls, name, property(getter, setter))


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        return module
    if tensor_name in module._parameters:
        original = module._parameters.pop(tensor_name)
    elif tensor_name in module._buffers:
        original = module._buffers.pop(tensor_name)
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    if not unsafe:
        with no_grad():
            out = parametrization(original)
        if not isinstance(out, Tensor) or tuple(out.shape) != tuple(original.shape) or out.dtype != original.dtype:
            raise ValueError(f"Registering a parametrization may not change the shape or dtype of the tensor "
                             f"(got {getattr(out, 'shape', None)} for {tuple(original.shape)}); pass unsafe=True")
    if "parametrizations" not in module._modules:
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = ParametrizationList([parametrization], original, unsafe)
    _inject_property(module, tensor_name)
    return module


def is_parametrized(module, tensor_name=None):
    p = module._modules.get("parametrizations")
    if p is None:
        return False
    return len(p) > 0 if tensor_name is None else tensor_name in p


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
        new = Parameter(value._data.copy())
    else:
        if not plist.is_tensor:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                             "parametrized in terms of a sequence of tensors.")
        new = plist.original
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    module.register_parameter(tensor_name, new)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        base = type(module).__mro__[1]
        module.__class__ = base
    return module


@contextmanager
def cached():
    """PyTorch caches parametrized tensors inside this context; fastnn recomputes them on each access,
    which gives the same values (the cache is an optimisation)."""
    yield


def type_before_parametrizations(module):
    cls = type(module)
    return cls.__mro__[1] if getattr(cls, "_is_parametrized_class", False) else cls

