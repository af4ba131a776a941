# Elman RNN (tanh or relu; G = 1): the whole sequence and the single step of RNNCell
# (included by rnn.pyx).

cdef int _relu_flag(nonlinearity) except -1:
    if nonlinearity == "tanh":
        return 0
    if nonlinearity == "relu":
        return 1
    raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


cdef struct _RnnFwd:
    # Arrays of rnn_forward's sweep, of the call's dtype.
    const void *h0
    const void *bias    # b_ih + b_hh (H,)
    void *pre           # (T, B, H): x W_ih^T on entry; each step adds h_prev W_hh^T
    void *out           # (T, B, H)
    int relu


cdef void _rnn_fwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                         Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: pre-activations, then the nonlinearity.
    cdef const _RnnFwd *k = <const _RnnFwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t)
    cdef floating *out = <floating *>k.out
    cdef floating *a = <floating *>k.pre + t * B * H
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else out + tp * B * H
    _times_block(hp, B, H, H, packed, nr, 1, H, q, True, a, H)
    rnn_step_fwd(B, H, q * nr, min(H, (q + 1) * nr), a, <const floating *>k.bias, k.relu, out + t * B * H)


def _rnn_fwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] packed,
             const floating[::1] bias, floating[::1] out, floating[::1] pre, Py_ssize_t T, Py_ssize_t B,
             Py_ssize_t I, Py_ssize_t H, int relu, bint reverse, Py_ssize_t nr, int nt):
    cdef _Sweep sw = _Sweep(T, B, H, nr, reverse)
    cdef _RnnFwd k = _RnnFwd(_c(h0), _c(bias), _p(pre), _p(out), relu)
    with nogil:
        gemm(False, True, <int>(T * B), <int>H, <int>I, <floating>1, _c(x), <int>I, _c(w_ih), <int>I,
             <floating>0, _p(pre), <int>H)
    _sweep(_rnn_fwd_block[floating], &sw, _c(packed), &k, False, nt)


def rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh", reverse=False):
    """Elman RNN over a whole sequence (G = 1).

    Parameters
    ----------
    x, h0, w_ih, w_hh, b_ih, b_hh, reverse : as for lstm_forward, with G = 1
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    output : ndarray (T, B, H)
    h_n : ndarray (B, H)
    """
    cdef int relu = _relu_flag(nonlinearity)
    cdef _Dims d = _check_weights(x, w_ih, w_hh, b_ih, b_hh, 1)
    h0 = _state_or_zeros(h0, "h0", x, d)
    out = np.empty((d.T, d.B, d.H), x.dtype)
    pre = np.empty((d.T, d.B, d.H), x.dtype)
    cdef _Recurrence rec = _Recurrence(w_hh, d, False)
    args = (x.reshape(-1), h0.reshape(-1), w_ih.reshape(-1), rec.packed,
            _bias_or_zeros(b_ih, x, d) + _bias_or_zeros(b_hh, x, d), out.reshape(-1), pre.reshape(-1),
            d.T, d.B, d.In, d.H, relu, bool(reverse), rec.nr, rec.nt)
    _rnn_fwd(*args)
    return out, out[0 if reverse else d.T - 1].copy()


cdef struct _RnnBwd:
    # Arrays of rnn_backward's sweep, of the call's dtype.
    const void *out         # (T, B, H), rnn_forward's
    const void *grad_out    # (T, B, H)
    void *dh                # (B, H): the gradient reaching h_t (grad_hn on entry)
    void *da                # (T, B, H): the pre-activation gradients
    int relu


cdef void _rnn_bwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                         Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: the gradient reaching h_t through step t+1
    # (its pre-activation gradients @ W_hh; none at the last step), then through the nonlinearity.
    cdef const _RnnBwd *k = <const _RnnBwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tn = _after(sw, t)
    cdef floating *da = <floating *>k.da
    if tn >= 0:
        _times_block(da + tn * B * H, B, H, H, packed, nr, 1, H, q, False, <floating *>k.dh, H)
    rnn_step_bwd(B, H, q * nr, min(H, (q + 1) * nr), <const floating *>k.out + t * B * H, <floating *>k.dh,
                 <const floating *>k.grad_out + t * B * H, k.relu, da + t * B * H)


def _rnn_bwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] w_hh,
             const floating[::1] packed, const floating[::1] out, const floating[::1] grad_out, floating[::1] dh,
             floating[::1] da, floating[::1] gx, floating[::1] gw_ih, floating[::1] gw_hh, floating[::1] gb,
             floating[::1] xh, floating[::1] gcat, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, int relu,
             bint reverse, Py_ssize_t nr, int nt):
    cdef floating *d = _p(da)
    cdef _Sweep sw = _Sweep(T, B, H, nr, reverse)
    cdef _RnnBwd k = _RnnBwd(_c(out), _c(grad_out), _p(dh), d, relu)
    _sweep(_rnn_bwd_block[floating], &sw, _c(packed), &k, True, nt)
    with nogil:
        gemm(False, False, <int>B, <int>H, <int>H, <floating>1, d + _step(0, T, reverse) * B * H, <int>H, _c(w_hh),
             <int>H, <floating>0, _p(dh), <int>H)
        _input_grads(d, <int>H, _c(x), _c(w_ih), _p(gx), NULL, _p(gb), T * B, I)
        _weight_grads(d, <int>H, _c(x), _c(h0), _c(out), _p(xh), _p(gcat), _p(gw_ih), _p(gw_hh), T, B, I, H, reverse)


def rnn_backward(x, h0, w_ih, w_hh, output, grad_output, grad_hn, nonlinearity="tanh", reverse=False, need_input=True):
    """Backward through time of rnn_forward.

    Parameters
    ----------
    x, h0, w_ih, w_hh, nonlinearity, reverse : as given to rnn_forward
    output : ndarray, rnn_forward's output (x's dtype, C-contiguous)
    grad_output : ndarray (T, B, H) of x's dtype, C-contiguous; or None (zeros)
    grad_hn : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    need_input : bool
        False skips grad_x (returned as None)

    Returns
    -------
    grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
        (the two bias gradients are equal)
    """
    cdef int relu = _relu_flag(nonlinearity)
    cdef _Dims d = _check_weights(x, w_ih, w_hh, None, None, 1)
    h0 = _state_or_zeros(h0, "h0", x, d)
    _check_saved(output, "output", x, (d.T, d.B, d.H))
    grad_output = np.zeros_like(output) if grad_output is None else _check_saved(grad_output, "grad_output", x,
                                                                                  (d.T, d.B, d.H))
    dh = _state_or_zeros(grad_hn, "grad_hn", x, d).copy()
    da = np.empty((d.T, d.B, d.H), x.dtype)
    gx = np.empty_like(x) if need_input else None
    gw_ih, gw_hh = np.empty_like(w_ih), np.empty_like(w_hh)
    gb = np.empty(d.H, x.dtype)
    xh, gcat = _stack_buffers(x, d.H, d.H)
    cdef _Recurrence rec = _Recurrence(w_hh, d, True)
    args = (x.reshape(-1), h0.reshape(-1), w_ih.reshape(-1), w_hh.reshape(-1), rec.packed, output.reshape(-1),
            grad_output.reshape(-1), dh.reshape(-1), da.reshape(-1), _flat_or_none(gx), gw_ih.reshape(-1),
            gw_hh.reshape(-1), gb, xh.reshape(-1), gcat.reshape(-1), d.T, d.B, d.In, d.H, relu, bool(reverse), rec.nr,
            rec.nt)
    _rnn_bwd(*args)
    return gx, dh, gw_ih, gw_hh, gb, gb.copy()


def rnn_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """One Elman RNN step (RNNCell): rnn_forward with T = 1.

    Parameters
    ----------
    x : ndarray (B, I); h : ndarray (B, H) or None; the rest as for rnn_forward

    Returns
    -------
    h_new : ndarray (B, H)
    """
    _check_cell_input(x)
    return rnn_forward(x[None], h, w_ih, w_hh, b_ih, b_hh, nonlinearity)[0][0]


def rnn_cell_backward(x, h, w_ih, w_hh, h_new, grad_h_new, nonlinearity="tanh"):
    """Gradients of rnn_cell_forward.

    Parameters
    ----------
    x, h, w_ih, w_hh, nonlinearity : as given to rnn_cell_forward
    h_new : ndarray (B, H), its result; grad_h_new : ndarray (B, H) or None (zeros)

    Returns
    -------
    grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
    """
    _check_cell_input(x)
    _check_cell_arrays(x, h, h_new=h_new, grad_h_new=grad_h_new)
    gx, gh, gwi, gwh, gbi, gbh = rnn_backward(x[None], h, w_ih, w_hh, _steps(h_new), _steps(grad_h_new), None,
                                              nonlinearity)
    return gx[0], gh, gwi, gwh, gbi, gbh
