"""Autograd Functions over the pooling and upsampling kernels of the conv family (csrc/conv.pyx)."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family
from ..ops._declare import ArgumentError

K = family("conv")
_c = kernel_input


class MaxPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        try:
            out, idx = K.max_pool2d_forward(_c(x), kernel, stride, padding, dilation, ceil_mode)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None
        ctx.meta = (idx, x.shape)
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, g, _):
        idx, shape = ctx.meta
        return K.max_pool2d_backward(_c(g), idx, shape), None, None, None, None, None


class AvgPool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad):
        ctx.meta = (x.shape, kernel, stride, padding, ceil_mode, count_include_pad)
        try:
            return K.avg_pool2d_forward(_c(x), kernel, stride, padding, ceil_mode, count_include_pad)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None

    @staticmethod
    def backward(ctx, g):
        shape, *args = ctx.meta
        return (K.avg_pool2d_backward(_c(g), shape, *args),) + (None,) * 5


class UpsampleNearestFn(Function):
    @staticmethod
    def forward(ctx, x, fh, fw):
        ctx.factors = (fh, fw)
        return K.upsample_nearest2d_forward(_c(x), fh, fw)

    @staticmethod
    def backward(ctx, g):
        return K.upsample_nearest2d_backward(_c(g), *ctx.factors), None, None
