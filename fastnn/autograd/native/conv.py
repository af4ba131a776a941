"""Autograd Functions over the convolution kernels (csrc/conv.pyx): conv2d and conv_transpose2d."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family
from ..ops._declare import ArgumentError

conv_kernels = family("conv")


class _ConvFn(Function):
    """What conv2d and conv_transpose2d share: inputs saved in the kernels' layout, the kernel's argument
    errors raised as PyTorch's RuntimeError, and the backward asked only for the gradients needed."""
    def run_forward(self, kernel, x, w, b, args):
        x, w = kernel_input(x), kernel_input(w)
        self.save_for_backward(x, w)
        self.args = args
        self.has_bias = b is not None
        try:
            return kernel(x, w, None if b is None else kernel_input(b), *args)
        except ValueError as e:  # the kernel's argument checks: PyTorch raises RuntimeError
            raise ArgumentError(str(e)) from None

    def run_backward(self, kernel, g):
        x, w = self.saved_tensors
        need = self.needs_input_grad
        grads = kernel(x, w, kernel_input(g), *self.args, need[0], need[1], need[2] and self.has_bias)
        return tuple(grads) + (None,) * (len(need) - 3)


class Conv2dFn(_ConvFn):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        return ctx.run_forward(conv_kernels.conv2d_forward, x, w, b, (stride, padding, dilation, groups))

    @staticmethod
    def backward(ctx, g):
        return ctx.run_backward(conv_kernels.conv2d_backward, g)


class ConvTranspose2dFn(_ConvFn):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        return ctx.run_forward(conv_kernels.conv_transpose2d_forward, x, w, b,
                               (stride, padding, output_padding, dilation, groups))

    @staticmethod
    def backward(ctx, g):
        return ctx.run_backward(conv_kernels.conv_transpose2d_backward, g)
