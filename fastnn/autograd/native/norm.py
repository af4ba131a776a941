"""Autograd Functions of the normalisation family (csrc/norm.pyx): layer norm."""
from ..function import Function
from ...kernels.arrays import kernel_array
from ...kernels.backend import family

norm_kernels = family("norm")


class LayerNormFn(Function):
    """Layer norm over the trailing `size` elements of x (fused kernel); weight/bias may be None."""
    @staticmethod
    def forward(ctx, x, weight, bias, eps, size):
        x2 = kernel_array(x.reshape(-1, size))
        w = kernel_array(weight.reshape(-1)) if weight is not None else None
        b = kernel_array(bias.reshape(-1)) if bias is not None else None
        y, mean, rstd = norm_kernels.layer_norm_forward(x2, w, b, eps)
        ctx.save_for_backward(x2, mean, rstd, w)
        ctx.shapes = (x.shape, None if weight is None else weight.shape, None if bias is None else bias.shape)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x2, mean, rstd, w = ctx.saved_tensors
        xshape, wshape, bshape = ctx.shapes
        need = ctx.needs_input_grad
        g2 = kernel_array(g.reshape(x2.shape), x2.dtype)
        gx, gw, gb = norm_kernels.layer_norm_backward(x2, mean, rstd, g2, w, need[1], need[2], need[0])
        return (gx.reshape(xshape) if gx is not None else None,
                gw.reshape(wshape) if gw is not None else None,
                gb.reshape(bshape) if gb is not None else None, None, None)
