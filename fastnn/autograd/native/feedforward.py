"""The Transformer layers' feed-forward block, linear2(dropout(act(linear1(x)))) with act ReLU or GELU, as one autograd
Function over the linear and dropout families' kernels (csrc/linear.pyx, csrc/dropout.pyx).

The first bias, the activation and the dropout run in one pass in place on the first GEMM's output (the
backward's mask pass sums the first bias's gradient as it goes), and the block keeps
one hidden array, the (dropped-out) activation h, which is both linear2's saved input and the ReLU's
mask: where dropout zeroed a unit its gradient is zero whatever the mask says, and elsewhere h > 0
exactly where the pre-activation was. The backward masks the hidden gradient in place, in one pass.
The dropout mask is dropout_mask_apply's, from a seed drawn from the same generator at the same
point as F.dropout would draw it, so the fused and unfused blocks give the same numbers."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

linear_kernels = family("linear")
dropout_kernels = family("dropout")


class FeedForwardFn(Function):
    """x (..., d) -> (..., d_out); activation "relu" or "gelu" (exact); p, seed: the hidden dropout (p 0:
    none). GELU's backward needs the pre-activation, which it keeps beside the activation."""
    @staticmethod
    def forward(ctx, x, w1, b1, w2, b2, activation, p, seed):
        x2 = kernel_input(x.reshape(-1, x.shape[-1]))
        w1, b1, w2, b2 = kernel_input(w1), kernel_input(b1), kernel_input(w2), kernel_input(b2)
        # the bias joins the activation's pass rather than the GEMM's (which would fill the output with it
        # first and then read it back)
        a = linear_kernels.linear_forward(x2, w1, None)
        if activation == "relu":
            h, pre = dropout_kernels.relu_dropout_forward(a, p, seed, b1), None
        else:
            h, pre = dropout_kernels.gelu_dropout_forward(a, p, seed, b1), a
        ctx.save_for_backward(x2, w1, h, w2, pre)
        ctx.xshape, ctx.p, ctx.seed = x.shape, p, seed
        return linear_kernels.linear_forward(h, w2, b2).reshape(x.shape[:-1] + (w2.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, w1, h, w2, pre = ctx.saved_tensors
        need = ctx.needs_input_grad
        first = need[0] or need[1] or need[2]
        g2 = kernel_input(g.reshape(-1, w2.shape[0]), h.dtype)
        gh, gw2, gb2 = linear_kernels.linear_backward(h, w2, g2, first, need[3], need[4])
        gx = gw1 = gb1 = None
        if first:
            if pre is None:
                gh, gb1 = dropout_kernels.relu_dropout_backward(gh, h, ctx.p, ctx.seed, need[2])
            else:
                gh, gb1 = dropout_kernels.gelu_dropout_backward(gh, pre, ctx.p, ctx.seed, need[2])
            gx, gw1, _ = linear_kernels.linear_backward(x2, w1, gh, need[0], need[1], False)
            if gx is not None:
                gx = gx.reshape(ctx.xshape)
        return gx, gw1, gb1, gw2, gb2, None, None, None
