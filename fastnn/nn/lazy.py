"""Lazy modules: the input size (in_features / in_channels / num_features) is read from the first input.

Until that first call the module has no parameters (PyTorch shows UninitializedParameter
placeholders; build the optimizer after a dry run, as PyTorch's docs advise). The first call
builds the parameters with the real class's initialisation and turns the module into that class.
"""
import inspect

from .module import Module
from .linear import Linear
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from . import module_hooks as _hooks


class LazyModuleMixin:
    cls_to_become = None

    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        self._lazy_args = (args, kwargs)

    def has_uninitialized_params(self):
        return True

    def _input_size(self, input):
        raise NotImplementedError

    def initialize_parameters(self, input, *rest, **kwargs):
        args, kw = self._lazy_args
        keep = {name: self.__dict__[name] for name in list(_hooks.new_tables()) + ["training"]}
        real = self.cls_to_become
        real.__init__(self, self._input_size(input), *args, **kw)
        self.__dict__.update(keep)
        del self.__dict__["_lazy_args"]
        self.__class__ = real

    def forward(self, input, *rest, **kwargs):
        self.initialize_parameters(input)
        return self.forward(input, *rest, **kwargs)

    def extra_repr(self):
        return "(uninitialized)"


def _channels(nd):
    def size(self, input):
        return input.shape[1] if input.ndim == nd + 2 else input.shape[0]
    return size


def _make(name, real, size):
    # the real constructor's signature without its first size argument: bad arguments fail here, not later
    sig = inspect.signature(real.__init__)
    params = list(sig.parameters.values())
    sig = sig.replace(parameters=[params[0]] + params[2:])

    def __init__(self, *args, **kwargs):
        sig.bind(self, *args, **kwargs)
        LazyModuleMixin.__init__(self, *args, **kwargs)
    __init__.__signature__ = sig
    return type(name, (LazyModuleMixin, real), {"cls_to_become": real, "_input_size": size, "__init__": __init__,
                                                "__module__": __name__,
                                                "__doc__": f"{real.__name__} whose input size is read from the "
                                                           f"first input."})


LazyLinear = _make("LazyLinear", Linear, lambda self, x: x.shape[-1])
LazyConv1d = _make("LazyConv1d", Conv1d, _channels(1))
LazyConv2d = _make("LazyConv2d", Conv2d, _channels(2))
LazyConv3d = _make("LazyConv3d", Conv3d, _channels(3))
LazyConvTranspose1d = _make("LazyConvTranspose1d", ConvTranspose1d, _channels(1))
LazyConvTranspose2d = _make("LazyConvTranspose2d", ConvTranspose2d, _channels(2))
LazyConvTranspose3d = _make("LazyConvTranspose3d", ConvTranspose3d, _channels(3))
LazyBatchNorm1d = _make("LazyBatchNorm1d", BatchNorm1d, lambda self, x: x.shape[1])
LazyBatchNorm2d = _make("LazyBatchNorm2d", BatchNorm2d, lambda self, x: x.shape[1])
LazyBatchNorm3d = _make("LazyBatchNorm3d", BatchNorm3d, lambda self, x: x.shape[1])
LazyInstanceNorm1d = _make("LazyInstanceNorm1d", InstanceNorm1d, _channels(1))
LazyInstanceNorm2d = _make("LazyInstanceNorm2d", InstanceNorm2d, _channels(2))
LazyInstanceNorm3d = _make("LazyInstanceNorm3d", InstanceNorm3d, _channels(3))
