"""Autograd Functions over the pooling and upsampling kernels of the conv family (csrc/conv.pyx)."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family
from ..ops._declare import ArgumentError

conv_kernels = family("conv")


class MaxPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        try:
            out, idx = conv_kernels.max_pool2d_forward(kernel_input(x), kernel, stride, padding, dilation, ceil_mode)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None
        ctx.argmax, ctx.input_shape = idx, x.shape
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, g, _):
        gx = conv_kernels.max_pool2d_backward(kernel_input(g), ctx.argmax, ctx.input_shape)
        return gx, None, None, None, None, None


class AvgPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad):
        ctx.input_shape, ctx.window = x.shape, (kernel, stride, padding, ceil_mode, count_include_pad)
        try:
            return conv_kernels.avg_pool2d_forward(kernel_input(x), kernel, stride, padding, ceil_mode, count_include_pad)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None

    @staticmethod
    def backward(ctx, g):
        return (conv_kernels.avg_pool2d_backward(kernel_input(g), ctx.input_shape, *ctx.window),) + (None,) * 5


class UpsampleNearestFn(Function):
    @staticmethod
    def forward(ctx, x, fh, fw):
        ctx.factors = (fh, fw)
        return conv_kernels.upsample_nearest2d_forward(kernel_input(x), fh, fw)

    @staticmethod
    def backward(ctx, g):
        return conv_kernels.upsample_nearest2d_backward(kernel_input(g), *ctx.factors), None, None
