"""Autograd Functions over the recurrent kernels: one layer direction, or one cell step.

Each Function makes one native call per pass: the whole sequence loop, the gate
arithmetic and the GEMMs run inside the rnn kernels (csrc/rnn.pyx).
"""
from ..function import Function
from ...kernels.arrays import kernel_input
from ...kernels.backend import family

rnn_kernels = family("rnn")




def _bias_grads(gb_ih, gb_hh, b_ih, b_hh):
    return (None if b_ih is None else gb_ih), (None if b_hh is None else gb_hh)


class LSTMDirectionFn(Function):
    """One LSTM layer in one direction over (T, B, I) -> (output (T,B,H), h_n, c_n); with batch_first,
    (B, T, I) -> (B, T, H), read and written in that layout by the kernels."""
    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_first=False):
        x, h0, c0 = kernel_input(x), kernel_input(h0), kernel_input(c0)
        out, hn, cn, gates, cells = rnn_kernels.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse,
                                                             batch_first)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, out, gates, cells)
        ctx.reverse, ctx.batch_first, ctx.has_bias = reverse, batch_first, (b_ih, b_hh)
        return out, hn, cn

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        x, h0, c0, w_ih, w_hh, out, gates, cells = ctx.saved_tensors
        gx, gh0, gc0, gwi, gwh, gbi, gbh = rnn_kernels.lstm_backward(
            x, h0, c0, w_ih, w_hh, out, gates, cells, kernel_input(g_out), kernel_input(g_hn), kernel_input(g_cn),
            ctx.reverse, ctx.needs_input_grad[0], ctx.batch_first)
        return (gx, gh0, gc0, gwi, gwh) + _bias_grads(gbi, gbh, *ctx.has_bias) + (None, None)


class LSTMPairFn(Function):
    """Both directions of one bidirectional LSTM layer over (T, B, I) -> (output, h_n, c_n) of the forward
    direction, then of the reverse one; the kernels run the two side by side where that pays."""
    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, h0_r, c0_r, w_ih_r, w_hh_r, b_ih_r, b_hh_r):
        x = kernel_input(x)
        sides = ((kernel_input(h0), kernel_input(c0), w_ih, w_hh, b_ih, b_hh),
                 (kernel_input(h0_r), kernel_input(c0_r), w_ih_r, w_hh_r, b_ih_r, b_hh_r))
        results = rnn_kernels.lstm_forward_pair(x, *sides)
        ctx.save_for_backward(x)
        ctx.sides = [side[:4] + res[:1] + res[3:] for side, res in zip(sides, results)]
        ctx.has_bias = (b_ih, b_hh, b_ih_r, b_hh_r)
        return tuple(r for res in results for r in res[:3])

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn, g_out_r, g_hn_r, g_cn_r):
        x, = ctx.saved_tensors
        grads = ((g_out, g_hn, g_cn), (g_out_r, g_hn_r, g_cn_r))
        args = [side + tuple(kernel_input(g) for g in g3) for side, g3 in zip(ctx.sides, grads)]
        ctx.sides = None
        need_x = ctx.needs_input_grad[0]
        (gx, gh0, gc0, gwi, gwh, gbi, gbh), (gx_r, gh0_r, gc0_r, gwi_r, gwh_r, gbi_r, gbh_r) = \
            rnn_kernels.lstm_backward_pair(x, *args, need_input=need_x)
        b = ctx.has_bias
        return ((gx + gx_r if need_x else None), gh0, gc0, gwi, gwh) + _bias_grads(gbi, gbh, b[0], b[1]) + \
            (gh0_r, gc0_r, gwi_r, gwh_r) + _bias_grads(gbi_r, gbh_r, b[2], b[3])


class GRUDirectionFn(Function):
    """One GRU layer in one direction -> (output, h_n)."""
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        x, h0 = kernel_input(x), kernel_input(h0)
        out, hn, gates = rnn_kernels.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)
        ctx.save_for_backward(x, h0, w_ih, w_hh, out, gates)
        ctx.reverse, ctx.has_bias = reverse, (b_ih, b_hh)
        return out, hn

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, h0, w_ih, w_hh, out, gates = ctx.saved_tensors
        gx, gh0, gwi, gwh, gbi, gbh = rnn_kernels.gru_backward(x, h0, w_ih, w_hh, out, gates, kernel_input(g_out), kernel_input(g_hn),
                                                     ctx.reverse, ctx.needs_input_grad[0])
        return (gx, gh0, gwi, gwh) + _bias_grads(gbi, gbh, *ctx.has_bias) + (None,)


class RNNDirectionFn(Function):
    """One Elman RNN layer (tanh or relu) in one direction -> (output, h_n)."""
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse):
        x, h0 = kernel_input(x), kernel_input(h0)
        out, hn = rnn_kernels.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse)
        ctx.save_for_backward(x, h0, w_ih, w_hh, out)
        ctx.nonlinearity, ctx.reverse, ctx.has_bias = nonlinearity, reverse, (b_ih, b_hh)
        return out, hn

    @staticmethod
    def backward(ctx, g_out, g_hn):
        x, h0, w_ih, w_hh, out = ctx.saved_tensors
        gx, gh0, gwi, gwh, gbi, gbh = rnn_kernels.rnn_backward(x, h0, w_ih, w_hh, out, kernel_input(g_out), kernel_input(g_hn), ctx.nonlinearity,
                                                     ctx.reverse, ctx.needs_input_grad[0])
        return (gx, gh0, gwi, gwh) + _bias_grads(gbi, gbh, *ctx.has_bias) + (None, None)


class LSTMCellFn(Function):
    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b_ih, b_hh):
        x, h, c = kernel_input(x), kernel_input(h), kernel_input(c)
        h1, c1, gates = rnn_kernels.lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, h, c, w_ih, w_hh, h1, gates, c1)
        ctx.has_bias = (b_ih, b_hh)
        return h1, c1

    @staticmethod
    def backward(ctx, g_h, g_c):
        gx, gh, gc, gwi, gwh, gbi, gbh = rnn_kernels.lstm_cell_backward(*ctx.saved_tensors, kernel_input(g_h), kernel_input(g_c))
        return (gx, gh, gc, gwi, gwh) + _bias_grads(gbi, gbh, *ctx.has_bias)


class GRUCellFn(Function):
    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh):
        x, h = kernel_input(x), kernel_input(h)
        h1, gates = rnn_kernels.gru_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh)
        ctx.save_for_backward(x, h, w_ih, w_hh, h1, gates)
        ctx.has_bias = (b_ih, b_hh)
        return h1

    @staticmethod
    def backward(ctx, g_h):
        gx, gh, gwi, gwh, gbi, gbh = rnn_kernels.gru_cell_backward(*ctx.saved_tensors, kernel_input(g_h))
        return (gx, gh, gwi, gwh) + _bias_grads(gbi, gbh, *ctx.has_bias)


class RNNCellFn(Function):
    @staticmethod
    def forward(ctx, x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity):
        x, h = kernel_input(x), kernel_input(h)
        h1 = rnn_kernels.rnn_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        ctx.save_for_backward(x, h, w_ih, w_hh, h1)
        ctx.nonlinearity, ctx.has_bias = nonlinearity, (b_ih, b_hh)
        return h1

    @staticmethod
    def backward(ctx, g_h):
        gx, gh, gwi, gwh, gbi, gbh = rnn_kernels.rnn_cell_backward(*ctx.saved_tensors, kernel_input(g_h), ctx.nonlinearity)
        return (gx, gh, gwi, gwh) + _bias_grads(gbi, gbh, *ctx.has_bias) + (None,)
