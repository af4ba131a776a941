"""Padding layers: constant (and zero), reflection, replication and circular, in 1, 2 and 3 dims."""
from .module import Module
from .functional_conv import pad as _pad
from .arguments import _ntuple


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self._nd, padding, "padding")

    def forward(self, input):
        if input.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"{type(self).__name__}: expected {self._nd + 1}-D or {self._nd + 2}-D input, got "
                             f"shape {tuple(input.shape)}")
        if self._mode == "constant":
            return _pad(input, self.padding, "constant", self.value)
        return _pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _make(name, base, nd, mode="constant"):
    return type(name, (base,), {"_nd": nd, "_mode": mode, "__module__": __name__})


ConstantPad1d, ConstantPad2d, ConstantPad3d = (_make(f"ConstantPad{n}d", _ConstantPadNd, n) for n in (1, 2, 3))
ZeroPad1d, ZeroPad2d, ZeroPad3d = (_make(f"ZeroPad{n}d", _ZeroPadNd, n) for n in (1, 2, 3))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (_make(f"ReflectionPad{n}d", _PadNd, n, "reflect")
                                                     for n in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (_make(f"ReplicationPad{n}d", _PadNd, n, "replicate")
                                                        for n in (1, 2, 3))
CircularPad1d, CircularPad2d, CircularPad3d = (_make(f"CircularPad{n}d", _PadNd, n, "circular") for n in (1, 2, 3))
