"""Autograd Functions over the attention-head layout kernels (csrc/heads.pyx): the q/k/v split, with the
projection's bias added in the same pass, and the head merge; each one copy each way."""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

heads_kernels = family("heads")


class SplitHeadsFn(Function):
    """(N * L, 3E) projections without their bias, tokens in (N, L) or (L, N) order, plus the bias (3E,)
    or None -> q, k, v, each (N, H, L, hd), views of one (3, N, H, L, hd) buffer."""
    @staticmethod
    def forward(ctx, qkv, bias, N, L, H, batch_first):
        ctx.batch_first = batch_first
        heads = heads_kernels.split_heads(kernel_input(qkv), kernel_input(bias), 3, N, L, H, batch_first)
        return heads[0], heads[1], heads[2]

    @staticmethod
    def backward(ctx, gq, gk, gv):
        dtype = gq.dtype
        blocks = [kernel_input(g, dtype) for g in (gq, gk, gv)]
        rows, gb = heads_kernels.split_heads_backward(blocks, ctx.batch_first, ctx.needs_input_grad[1])
        return rows, gb, None, None, None, None


class MergeHeadsFn(Function):
    """(N, H, L, hd) -> (N * L, H * hd), tokens in (N, L) or (L, N) order."""
    @staticmethod
    def forward(ctx, o, batch_first):
        N, H, L, _ = o.shape
        ctx.meta = (N, L, H, batch_first)
        return heads_kernels.merge_heads(kernel_input(o), batch_first)

    @staticmethod
    def backward(ctx, g):
        N, L, H, batch_first = ctx.meta
        return heads_kernels.merge_heads_backward(kernel_input(g), N, L, H, batch_first), None
