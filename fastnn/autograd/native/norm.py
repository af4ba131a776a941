"""Autograd Functions of the normalisation family (csrc/norm.pyx): layer norm and training batch norm."""
import numpy as np

from ..function import Function
from ...kernels.arrays import kernel_array, kernel_input
from ...kernels.backend import family

norm_kernels = family("norm")
dropout_kernels = family("dropout")  # AddLayerNormFn's residual dropout: the dropout family's mask


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


class AddLayerNormFn(Function):
    """Layer norm of s = x + dropout(residual) (same shapes; p 0: no dropout) over the trailing `size`
    elements, s formed in the same kernel sweep; outputs y, and s too when return_sum (a pre-norm layer's
    residual stream). The backward adds s's own gradient inside the layer-norm sweep; x gets that array,
    residual the same through dropout's mask."""
    @staticmethod
    def forward(ctx, x, residual, weight, bias, eps, size, return_sum, p=0.0, seed=0):
        x2 = kernel_array(x.reshape(-1, size))
        r2 = kernel_array(residual.reshape(-1, size))
        w = kernel_array(weight.reshape(-1)) if weight is not None else None
        b = kernel_array(bias.reshape(-1)) if bias is not None else None
        y, s, mean, rstd = norm_kernels.add_layer_norm_forward(x2, r2, w, b, eps, p, seed)
        ctx.save_for_backward(s, mean, rstd, w)
        ctx.shapes = (x.shape, None if weight is None else weight.shape, None if bias is None else bias.shape)
        ctx.return_sum, ctx.p, ctx.seed = return_sum, p, seed
        if return_sum:
            return y.reshape(x.shape), s.reshape(x.shape)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g, g_sum=None):
        s, mean, rstd, w = ctx.saved_tensors
        xshape, wshape, bshape = ctx.shapes
        need = ctx.needs_input_grad
        g2 = kernel_array(g.reshape(s.shape), s.dtype)
        gs = None if g_sum is None else kernel_array(g_sum.reshape(s.shape), s.dtype)
        gx, gw, gb = norm_kernels.layer_norm_backward(s, mean, rstd, g2, w, need[2], need[3], need[0] or need[1],
                                                      grad_residual=gs)
        gx = gx.reshape(xshape) if gx is not None else None
        gr = gx
        if gx is not None and ctx.p > 0.0 and need[1]:  # the residual went through dropout's mask
            gr = dropout_kernels.dropout_mask_apply(gx, ctx.p, ctx.seed)
        return (gx, gr, gw.reshape(wshape) if gw is not None else None,
                gb.reshape(bshape) if gb is not None else None, None, None, None, None, None)


class BatchNormFn(Function):
    """Training batch norm of x (N, C, ...) over every dim but the channels, with batch statistics (fused
    kernel, threads over channels); weight/bias (C,) or None. `stats`, a list, receives the batch's float64
    mean and biased variance for the running statistics."""
    @staticmethod
    def forward(ctx, x, weight, bias, eps, stats):
        N, C = x.shape[:2]
        x3 = kernel_input(x).reshape(N, C, int(np.prod(x.shape[2:])))
        y, mean, var, rstd = norm_kernels.batch_norm_forward(x3, weight, bias, eps)
        stats[:] = [mean, var]
        ctx.save_for_backward(x3, mean, rstd, weight)
        ctx.shape = x.shape
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x3, mean, rstd, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        g3 = kernel_input(g, x3.dtype).reshape(x3.shape)
        gx, gw, gb = norm_kernels.batch_norm_backward(x3, mean, rstd, g3, w, need[1], need[2], need[0])
        return (gx.reshape(ctx.shape) if gx is not None else None), gw, gb, None, None
