"""Conv1d/2d/3d and ConvTranspose1d/2d/3d (PyTorch's parameters, layouts and initialisation).

1-d and 2-d run on the native conv kernels; 3-d on NumPy window GEMMs (functional_convnd).
padding_mode 'reflect', 'replicate' and 'circular' pad with F.pad, then convolve unpadded.
"""
import math

import numpy as np

from .module import Module
from ..device import check_cpu
from .parameter import Parameter
from . import init
from .functional_conv import conv2d, conv_transpose2d, pad as _pad
from .functional_convnd import conv1d, conv3d, conv_transpose1d, conv_transpose3d
from .arguments import _ntuple
from ..autograd.dtypes import canonical_dtype, float32

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, dtype, output_padding=0):
        super().__init__()
        nd = self._nd
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups ({groups}) must divide in_channels ({in_channels}) and out_channels "
                             f"({out_channels})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            if self._transposed or padding not in ("same", "valid"):
                raise ValueError(f"padding must be 'same', 'valid', an int or a tuple, got {padding!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ntuple(nd, kernel_size, "kernel_size")
        self.stride = _ntuple(nd, stride, "stride")
        self.padding = padding if isinstance(padding, str) else _ntuple(nd, padding, "padding")
        self.dilation = _ntuple(nd, dilation, "dilation")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        self.output_padding = _ntuple(nd, output_padding, "output_padding")
        self.transposed = self._transposed
        self.groups = groups
        self.padding_mode = padding_mode
        dt = float32 if dtype is None else canonical_dtype(dtype)
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dt))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # PyTorch: kaiming_uniform_(a=sqrt(5)), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check_channels(self, input):
        nd = self._nd
        if input.ndim in (nd + 1, nd + 2) and input.shape[-nd - 1] != self.in_channels:
            raise ValueError(f"{type(self).__name__}: input has {input.shape[-nd - 1]} channels, expected "
                             f"{self.in_channels} (input shape {tuple(input.shape)})")

    def _mode_padded(self, input):
        """For padding_mode != 'zeros': the input padded by self.padding in that mode."""
        nd = self._nd
        if isinstance(self.padding, str):
            if self.padding == "valid":
                return input, (0,) * nd
            total = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            widths = [(t // 2, t - t // 2) for t in total]
        else:
            widths = [(p, p) for p in self.padding]
        flat = [w for pair in reversed(widths) for w in pair]
        return _pad(input, flat, mode=self.padding_mode), (0,) * nd

    def extra_repr(self):
        nd = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * nd:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        check_cpu(device)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype)

    def forward(self, input):
        self._check_channels(input)
        padding = self.padding
        if self.padding_mode != "zeros":
            input, padding = self._mode_padded(input)
        return type(self)._fn(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_Conv):
    _nd = 1
    _fn = staticmethod(conv1d)


class Conv2d(_Conv):
    _nd = 2
    _fn = staticmethod(conv2d)


class Conv3d(_Conv):
    _nd = 3
    _fn = staticmethod(conv3d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        check_cpu(device)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, dtype, output_padding)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        nd = self._nd
        size = tuple(int(v) for v in output_size)[-nd:]
        if len(size) != nd:
            raise ValueError(f"output_size must have {nd} or {nd + 2} elements (got {len(output_size)})")
        pads = []
        for i in range(nd):
            least = ((input.shape[-nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                     + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            if not least <= size[i] < least + self.stride[i]:
                raise ValueError(f"requested an output size of {size}, but valid sizes range from {least} to "
                                 f"{least + self.stride[i] - 1} in dim {i}")
            pads.append(size[i] - least)
        return tuple(pads)

    def forward(self, input, output_size=None):
        self._check_channels(input)
        op = self._output_padding(input, output_size)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                              self.dilation)


class ConvTranspose1d(_ConvTranspose):
    _nd = 1
    _fn = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    _nd = 2
    _fn = staticmethod(conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    _nd = 3
    _fn = staticmethod(conv_transpose3d)
