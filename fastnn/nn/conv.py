"""Conv2d and ConvTranspose2d layers (PyTorch's parameters, layouts and initialisation)."""
import math

import numpy as np

from .module import Module
from .parameter import Parameter
from . import init
from .functional_conv import conv2d, conv_transpose2d
from .arguments import _pair
from ..autograd.dtypes import canonical_dtype, float32


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, weight_shape, dtype):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups ({groups}) must divide in_channels ({in_channels}) and out_channels ({out_channels})")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode {padding_mode!r} is not supported (only 'zeros')")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same', 'valid', an int or a pair, got {padding!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.groups = groups
        self.padding_mode = padding_mode
        dt = float32 if dtype is None else canonical_dtype(dtype)
        self.weight = Parameter(np.empty(weight_shape, dt))
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

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        k = _pair(kernel_size, "kernel_size")
        super().__init__(in_channels, out_channels, k, stride, padding, dilation, groups, bias, padding_mode,
                         (out_channels, in_channels // groups) + k, dtype)

    def forward(self, input):
        if input.ndim in (3, 4) and input.shape[-3] != self.in_channels:
            raise ValueError(f"Conv2d: input has {input.shape[-3]} channels, expected {self.in_channels} "
                             f"(input shape {tuple(input.shape)})")
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        k = _pair(kernel_size, "kernel_size")
        if isinstance(padding, str):
            raise ValueError("ConvTranspose2d: padding must be an int or a pair")
        self.output_padding = _pair(output_padding, "output_padding")
        super().__init__(in_channels, out_channels, k, stride, padding, dilation, groups, bias, padding_mode,
                         (in_channels, out_channels // groups) + k, dtype)

    def forward(self, input, output_size=None):
        if input.ndim in (3, 4) and input.shape[-3] != self.in_channels:
            raise ValueError(f"ConvTranspose2d: input has {input.shape[-3]} channels, expected {self.in_channels}")
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                self.groups, self.dilation)
