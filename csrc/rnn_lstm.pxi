# LSTM (gates i, f, g, o; G = 4): the whole sequence and the single step of LSTMCell
# (included by rnn.pyx).

cdef struct _LstmFwd:
    # Arrays of lstm_forward's sweep, of the call's dtype.
    const void *h0
    const void *c0
    const void *bias    # b_ih + b_hh (4H,)
    void *gates         # (T, B, 4H): x W_ih^T on entry; each step adds h_prev W_hh^T, then activates
    void *cells         # (T, B, H)
    void *out           # (T, B, H)


cdef void _lstm_fwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                          Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: gate pre-activations, then the cell.
    cdef const _LstmFwd *k = <const _LstmFwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t)
    cdef floating *out = <floating *>k.out
    cdef floating *cells = <floating *>k.cells
    cdef floating *a = <floating *>k.gates + t * B * 4 * H
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else out + tp * B * H
    cdef const floating *cp = <const floating *>k.c0 if tp < 0 else cells + tp * B * H
    _times_block(hp, B, H, packed, nr, 4, H, q, True, a, 4 * H)
    lstm_step_fwd(B, H, q * nr, min(H, (q + 1) * nr), a, <const floating *>k.bias, cp, cells + t * B * H,
                  out + t * B * H)


def _lstm_fwd(const floating[::1] x, const floating[::1] h0, const floating[::1] c0, const floating[::1] w_ih,
              const floating[::1] packed, const floating[::1] bias, floating[::1] out, floating[::1] gates,
              floating[::1] cells, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H,
              bint reverse, Py_ssize_t nr, int nt):
    cdef int G = <int>(4 * H)
    cdef _Sweep sw = _Sweep(T, B, H, nr, reverse)
    cdef _LstmFwd k = _LstmFwd(_c(h0), _c(c0), _c(bias), _p(gates), _p(cells), _p(out))
    with nogil:
        gemm(False, True, <int>(T * B), G, <int>I, <floating>1, _c(x), <int>I, _c(w_ih), <int>I, <floating>0,
             _p(gates), G)
    _sweep(_lstm_fwd_block[floating], &sw, _c(packed), &k, False, nt)


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """LSTM over a whole sequence (gates i, f, g, o; G = 4).

    Parameters
    ----------
    x : ndarray, (T, B, I), float32 or float64, C-contiguous; T >= 1
    h0 : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    c0 : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    w_ih : ndarray, (G*H, I), x's dtype, C-contiguous
    w_hh : ndarray, (G*H, H), x's dtype, C-contiguous
    b_ih, b_hh : ndarray (G*H,) of x's dtype, C-contiguous; or None (no bias)
    reverse : bool
        Run from t = T-1 down to 0 (a bidirectional layer's backward direction); output[t] stays at t.

    Returns
    -------
    output : ndarray (T, B, H)
    h_n, c_n : ndarray (B, H)
    gates : ndarray (T, B, 4H): the activated gates of every step, for lstm_backward
    cells : ndarray (T, B, H): every c_t, for lstm_backward
    """
    cdef _Dims d = _check_weights(x, w_ih, w_hh, b_ih, b_hh, 4)
    h0 = _state_or_zeros(h0, "h0", x, d)
    c0 = _state_or_zeros(c0, "c0", x, d)
    bias = _bias_or_zeros(b_ih, x, d) + _bias_or_zeros(b_hh, x, d)
    out = np.empty((d.T, d.B, d.H), x.dtype)
    gates = np.empty((d.T, d.B, 4 * d.H), x.dtype)
    cells = np.empty((d.T, d.B, d.H), x.dtype)
    cdef _Recurrence rec = _Recurrence(w_hh, d, False)
    args = (x.reshape(-1), h0.reshape(-1), c0.reshape(-1), w_ih.reshape(-1), rec.packed, bias,
            out.reshape(-1), gates.reshape(-1), cells.reshape(-1), d.T, d.B, d.In, d.H, bool(reverse), rec.nr, rec.nt)
    _lstm_fwd(*args)
    last = 0 if reverse else d.T - 1
    return out, out[last].copy(), cells[last].copy(), gates, cells


cdef struct _LstmBwd:
    # Arrays of lstm_backward's sweep, of the call's dtype.
    const void *c0
    const void *gates       # (T, B, 4H), lstm_forward's
    const void *cells       # (T, B, H), lstm_forward's
    const void *grad_out    # (T, B, H)
    void *dh                # (B, H): the gradient reaching h_t (grad_hn on entry)
    void *dc                # (B, H): the gradient reaching c_t (grad_cn on entry)
    void *dgates            # (T, B, 4H): the pre-activation gradients


cdef void _lstm_bwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                          Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: the gradient reaching h_t through step t+1
    # (its pre-activation gradients @ W_hh; none at the last step), then the cell's backward.
    cdef const _LstmBwd *k = <const _LstmBwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t), tn = _after(sw, t)
    cdef const floating *cells = <const floating *>k.cells
    cdef floating *da = <floating *>k.dgates
    cdef const floating *cp = <const floating *>k.c0 if tp < 0 else cells + tp * B * H
    if tn >= 0:
        _times_block(da + tn * B * 4 * H, B, 4 * H, packed, nr, 1, H, q, False, <floating *>k.dh, H)
    lstm_step_bwd(B, H, q * nr, min(H, (q + 1) * nr), <const floating *>k.gates + t * B * 4 * H, cp,
                  cells + t * B * H, <floating *>k.dh, <const floating *>k.grad_out + t * B * H,
                  <floating *>k.dc, da + t * B * 4 * H)


def _lstm_bwd(const floating[::1] x, const floating[::1] h0, const floating[::1] c0, const floating[::1] w_ih,
              const floating[::1] w_hh, const floating[::1] packed, const floating[::1] out, const floating[::1] gates,
              const floating[::1] cells, const floating[::1] grad_out, floating[::1] dh, floating[::1] dc,
              floating[::1] dgates, floating[::1] gx, floating[::1] gw_ih, floating[::1] gw_hh,
              floating[::1] gb, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, bint reverse,
              Py_ssize_t nr, int nt):
    cdef int G = <int>(4 * H)
    cdef floating *da = _p(dgates)
    cdef _Sweep sw = _Sweep(T, B, H, nr, reverse)
    cdef _LstmBwd k = _LstmBwd(_c(c0), _c(gates), _c(cells), _c(grad_out), _p(dh), _p(dc), da)
    _sweep(_lstm_bwd_block[floating], &sw, _c(packed), &k, True, nt)
    with nogil:
        gemm(False, False, <int>B, <int>H, G, <floating>1, da + _step(0, T, reverse) * B * G, G, _c(w_hh), <int>H,
             <floating>0, _p(dh), <int>H)
        _input_grads(da, G, _c(x), _c(w_ih), _p(gx), _p(gw_ih), _p(gb), T * B, I)
        _weight_hh_grad(da, G, _c(h0), _c(out), _p(gw_hh), T, B, H, reverse)


def lstm_backward(x, h0, c0, w_ih, w_hh, output, gates, cells, grad_output, grad_hn, grad_cn, reverse=False,
                  need_input=True):
    """Backward through time of lstm_forward.

    Parameters
    ----------
    x, h0, c0, w_ih, w_hh, reverse : as given to lstm_forward
    output, gates, cells : ndarray, lstm_forward's results (x's dtype, C-contiguous)
    grad_output : ndarray (T, B, H) of x's dtype, C-contiguous; or None (zeros)
    grad_hn, grad_cn : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    need_input : bool
        False skips grad_x (returned as None), a GEMM as large as the input projection.

    Returns
    -------
    grad_x, grad_h0, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
        (the two bias gradients are equal)
    """
    cdef _Dims d = _check_weights(x, w_ih, w_hh, None, None, 4)
    h0 = _state_or_zeros(h0, "h0", x, d)
    c0 = _state_or_zeros(c0, "c0", x, d)
    _check_saved(output, "output", x, (d.T, d.B, d.H))
    _check_saved(gates, "gates", x, (d.T, d.B, 4 * d.H))
    _check_saved(cells, "cells", x, (d.T, d.B, d.H))
    grad_output = np.zeros_like(output) if grad_output is None else _check_saved(grad_output, "grad_output", x,
                                                                                  (d.T, d.B, d.H))
    dh = _state_or_zeros(grad_hn, "grad_hn", x, d).copy()
    dc = _state_or_zeros(grad_cn, "grad_cn", x, d).copy()
    dgates = np.empty((d.T, d.B, 4 * d.H), x.dtype)
    gx = np.empty_like(x) if need_input else None
    gw_ih, gw_hh = np.empty_like(w_ih), np.empty_like(w_hh)
    gb = np.empty(4 * d.H, x.dtype)
    cdef _Recurrence rec = _Recurrence(w_hh, d, True)
    args = (x.reshape(-1), h0.reshape(-1), c0.reshape(-1), w_ih.reshape(-1), w_hh.reshape(-1), rec.packed,
            output.reshape(-1), gates.reshape(-1), cells.reshape(-1), grad_output.reshape(-1), dh.reshape(-1),
            dc.reshape(-1), dgates.reshape(-1), _flat_or_none(gx), gw_ih.reshape(-1), gw_hh.reshape(-1), gb,
            d.T, d.B, d.In, d.H, bool(reverse), rec.nr, rec.nt)
    _lstm_bwd(*args)
    return gx, dh, dc, gw_ih, gw_hh, gb, gb.copy()


def lstm_cell_forward(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step (LSTMCell): lstm_forward with T = 1.

    Parameters
    ----------
    x : ndarray (B, I); h, c : ndarray (B, H) or None; the rest as for lstm_forward

    Returns
    -------
    h_new, c_new : ndarray (B, H)
    gates : ndarray (B, 4H), for lstm_cell_backward
    """
    _check_cell_input(x)
    out, _, c_new, gates, _ = lstm_forward(x[None], h, c, w_ih, w_hh, b_ih, b_hh)
    return out[0], c_new, gates[0]


def lstm_cell_backward(x, h, c, w_ih, w_hh, h_new, gates, c_new, grad_h_new, grad_c_new):
    """Gradients of lstm_cell_forward.

    Parameters
    ----------
    x, h, c, w_ih, w_hh : as given to lstm_cell_forward
    h_new, gates, c_new : its results
    grad_h_new : ndarray (B, H) or None (zeros); grad_c_new : ndarray (B, H) or None (zeros)

    Returns
    -------
    grad_x, grad_h, grad_c, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
    """
    _check_cell_input(x)
    _check_cell_arrays(x, h, h_new=h_new, gates=gates, c_new=c_new, grad_h_new=grad_h_new, grad_c_new=grad_c_new)
    gx, gh, gc, gwi, gwh, gbi, gbh = lstm_backward(x[None], h, c, w_ih, w_hh, _steps(h_new), _steps(gates),
                                                   _steps(c_new), _steps(grad_h_new), None, grad_c_new)
    return gx[0], gh, gc, gwi, gwh, gbi, gbh
