"""Autograd Function over the dropout kernel (csrc/dropout.pyx): one pass forward, the same mask backward."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

dropout_kernels = family("dropout")


class DropoutFn(Function):
    """Zero elements with probability p, scale the rest by 1 / (1 - p). The mask is a function of a
    seed drawn from `rng` (a NumPy Generator), so backward regenerates it instead of storing it."""
    @staticmethod
    def forward(ctx, x, p, rng):
        ctx.p, ctx.seed = p, int(rng.bit_generator.random_raw())
        return dropout_kernels.dropout_mask_apply(kernel_input(x), p, ctx.seed)

    @staticmethod
    def backward(ctx, g):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        return dropout_kernels.dropout_mask_apply(kernel_input(g), ctx.p, ctx.seed), None, None
