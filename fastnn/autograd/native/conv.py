"""Autograd Functions over the convolution kernels (csrc/conv.pyx): conv2d and conv_transpose2d."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family
from ..ops._declare import ArgumentError

conv_kernels = family("conv")


class Conv2dFn(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        x, w = kernel_input(x), kernel_input(w)
        ctx.save_for_backward(x, w)
        ctx.args = (stride, padding, dilation, groups)
        ctx.has_bias = b is not None
        try:
            return conv_kernels.conv2d_forward(x, w, None if b is None else kernel_input(b), stride, padding, dilation, groups)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = conv_kernels.conv2d_backward(x, w, kernel_input(g), *ctx.args, need[0], need[1], need[2] and ctx.has_bias)
        return gx, gw, gb, None, None, None, None


class ConvTranspose2dFn(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        x, w = kernel_input(x), kernel_input(w)
        ctx.save_for_backward(x, w)
        ctx.args = (stride, padding, output_padding, dilation, groups)
        ctx.has_bias = b is not None
        try:
            return conv_kernels.conv_transpose2d_forward(x, w, None if b is None else kernel_input(b), *ctx.args)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx, gw, gb = conv_kernels.conv_transpose2d_backward(x, w, kernel_input(g), *ctx.args, need[0], need[1], need[2] and ctx.has_bias)
        return gx, gw, gb, None, None, None, None, None
