# GRU (gates r, z, n; G = 3): the whole sequence and the single step of GRUCell
# (included by rnn.pyx).

cdef struct _GruFwd:
    # Arrays of gru_forward's sweep, of the call's dtype.
    const void *h0
    const void *b_ih
    const void *b_hh
    const void *xp      # (T, B, 3H): x W_ih^T
    void *hh            # (B, 3H): the step's h_prev W_hh^T (each block writes its own columns)
    void *gates         # (T, B, 4H)
    void *out           # (T, B, H)


cdef void _gru_fwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                         Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: hidden-side pre-activations, then the cell.
    cdef const _GruFwd *k = <const _GruFwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t)
    cdef floating *out = <floating *>k.out
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else out + tp * B * H
    _times_block(hp, B, H, H, packed, nr, 3, H, q, False, <floating *>k.hh, 3 * H)
    gru_step_fwd(B, H, q * nr, min(H, (q + 1) * nr), <const floating *>k.xp + t * B * 3 * H, <floating *>k.hh,
                 <const floating *>k.b_ih, <const floating *>k.b_hh, hp, <floating *>k.gates + t * B * 4 * H,
                 out + t * B * H)


def _gru_fwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] packed,
             const floating[::1] b_ih, const floating[::1] b_hh, floating[::1] out, floating[::1] gates,
             floating[::1] xp, floating[::1] hh, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I,
             Py_ssize_t H, bint reverse, Py_ssize_t nr, int nt):
    cdef int G = <int>(3 * H)
    cdef _Sweep sw = _Sweep(T, B, H, nr, reverse)
    cdef _GruFwd k = _GruFwd(_c(h0), _c(b_ih), _c(b_hh), _p(xp), _p(hh), _p(gates), _p(out))
    with nogil:
        gemm(False, True, <int>(T * B), G, <int>I, <floating>1, _c(x), <int>I, _c(w_ih), <int>I, <floating>0,
             _p(xp), G)
    _sweep(_gru_fwd_block[floating], &sw, _c(packed), &k, False, nt)


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """GRU over a whole sequence (gates r, z, n; G = 3).

    Parameters
    ----------
    x, h0, w_ih, w_hh, b_ih, b_hh, reverse : as for lstm_forward, with G = 3

    Returns
    -------
    output : ndarray (T, B, H)
    h_n : ndarray (B, H)
    gates : ndarray (T, B, 4H): r, z, n and W_hn h_prev + b_hn of every step, for gru_backward
    """
    cdef _Dims d = _check_weights(x, w_ih, w_hh, b_ih, b_hh, 3)
    h0 = _state_or_zeros(h0, "h0", x, d)
    out = np.empty((d.T, d.B, d.H), x.dtype)
    gates = np.empty((d.T, d.B, 4 * d.H), x.dtype)
    xp = np.empty((d.T, d.B, 3 * d.H), x.dtype)
    hh = np.empty((d.B, 3 * d.H), x.dtype)
    cdef _Recurrence rec = _Recurrence(w_hh, d, False)
    args = (x.reshape(-1), h0.reshape(-1), w_ih.reshape(-1), rec.packed, _bias_or_zeros(b_ih, x, d),
            _bias_or_zeros(b_hh, x, d), out.reshape(-1), gates.reshape(-1), xp.reshape(-1), hh.reshape(-1),
            d.T, d.B, d.In, d.H, bool(reverse), rec.nr, rec.nt)
    _gru_fwd(*args)
    return out, out[0 if reverse else d.T - 1].copy(), gates


cdef struct _GruBwd:
    # Arrays of gru_backward's sweep, of the call's dtype.
    const void *h0
    const void *out         # (T, B, H), gru_forward's
    const void *gates       # (T, B, 4H), gru_forward's
    const void *grad_out    # (T, B, H)
    void *dh                # (B, H) twice (dh, dh_prev): a step reads the gradient reaching h_t from
    void *dh_prev           # one and leaves the direct path to h_{t-1} in the other, alternately
    void *dgi               # (T, B, 3H): input-side pre-activation gradients
    void *dgh               # (T, B, 3H): hidden-side pre-activation gradients


cdef void _gru_bwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                         Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: complete the gradient reaching h_t (it holds step t+1's
    # direct path z * dh; add that step's hidden-side gradients @ W_hh, none at the last step),
    # then the cell.
    cdef const _GruBwd *k = <const _GruBwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t), tn = _after(sw, t)
    cdef floating *dgh = <floating *>k.dgh
    cdef floating *cur = <floating *>(k.dh if w % 2 == 0 else k.dh_prev)
    cdef floating *nxt = <floating *>(k.dh_prev if w % 2 == 0 else k.dh)
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else <const floating *>k.out + tp * B * H
    if tn >= 0:
        _times_block(dgh + tn * B * 3 * H, B, 3 * H, 3 * H, packed, nr, 1, H, q, True, cur, H)
    gru_step_bwd(B, H, q * nr, min(H, (q + 1) * nr), <const floating *>k.gates + t * B * 4 * H, hp, cur,
                 <const floating *>k.grad_out + t * B * H, <floating *>k.dgi + t * B * 3 * H, dgh + t * B * 3 * H,
                 nxt)


def _gru_bwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] w_hh,
             const floating[::1] packed, const floating[::1] out, const floating[::1] gates,
             const floating[::1] grad_out, floating[::1] dh, floating[::1] dh_prev, floating[::1] dgi,
             floating[::1] dgh, floating[::1] gx, floating[::1] gw_ih, floating[::1] gw_hh, floating[::1] gb_ih,
             floating[::1] gb_hh, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, bint reverse,
             Py_ssize_t nr, int nt):
    cdef int G = <int>(3 * H)
    cdef Py_ssize_t i
    cdef floating *last
    cdef _Sweep sw = _Sweep(T, B, H, nr, reverse)
    cdef _GruBwd k = _GruBwd(_c(h0), _c(out), _c(gates), _c(grad_out), _p(dh), _p(dh_prev), _p(dgi), _p(dgh))
    _sweep(_gru_bwd_block[floating], &sw, _c(packed), &k, True, nt)
    with nogil:
        last = _p(dh) if T % 2 == 0 else _p(dh_prev)   # where the last step left the gradient for h0
        gemm(False, False, <int>B, <int>H, G, <floating>1, _p(dgh) + _step(0, T, reverse) * B * G, G, _c(w_hh),
             <int>H, <floating>1, last, <int>H)
        if last != _p(dh):   # the gradient for h0 must end in dh
            for i in range(B * H):
                _p(dh)[i] = last[i]
        _input_grads(_p(dgi), G, _c(x), _c(w_ih), _p(gx), _p(gw_ih), _p(gb_ih), T * B, I)
        _weight_hh_grad(_p(dgh), G, _c(h0), _c(out), _p(gw_hh), T, B, H, reverse)
        column_sums(_p(dgh), T * B, G, _p(gb_hh))


def gru_backward(x, h0, w_ih, w_hh, output, gates, grad_output, grad_hn, reverse=False, need_input=True):
    """Backward through time of gru_forward.

    Parameters
    ----------
    x, h0, w_ih, w_hh, reverse : as given to gru_forward
    output, gates : ndarray, gru_forward's results (x's dtype, C-contiguous)
    grad_output : ndarray (T, B, H) of x's dtype, C-contiguous; or None (zeros)
    grad_hn : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    need_input : bool
        False skips grad_x (returned as None)

    Returns
    -------
    grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
    """
    cdef _Dims d = _check_weights(x, w_ih, w_hh, None, None, 3)
    h0 = _state_or_zeros(h0, "h0", x, d)
    _check_saved(output, "output", x, (d.T, d.B, d.H))
    _check_saved(gates, "gates", x, (d.T, d.B, 4 * d.H))
    grad_output = np.zeros_like(output) if grad_output is None else _check_saved(grad_output, "grad_output", x,
                                                                                  (d.T, d.B, d.H))
    dh = _state_or_zeros(grad_hn, "grad_hn", x, d).copy()
    dh_prev = np.empty_like(dh)
    dgi = np.empty((d.T, d.B, 3 * d.H), x.dtype)
    dgh = np.empty_like(dgi)
    gx = np.empty_like(x) if need_input else None
    gw_ih, gw_hh = np.empty_like(w_ih), np.empty_like(w_hh)
    gb_ih, gb_hh = np.empty(3 * d.H, x.dtype), np.empty(3 * d.H, x.dtype)
    cdef _Recurrence rec = _Recurrence(w_hh, d, True)
    args = (x.reshape(-1), h0.reshape(-1), w_ih.reshape(-1), w_hh.reshape(-1), rec.packed, output.reshape(-1),
            gates.reshape(-1), grad_output.reshape(-1), dh.reshape(-1), dh_prev.reshape(-1), dgi.reshape(-1),
            dgh.reshape(-1), _flat_or_none(gx), gw_ih.reshape(-1), gw_hh.reshape(-1), gb_ih, gb_hh,
            d.T, d.B, d.In, d.H, bool(reverse), rec.nr, rec.nt)
    _gru_bwd(*args)
    return gx, dh, gw_ih, gw_hh, gb_ih, gb_hh


def gru_cell_forward(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU step (GRUCell): gru_forward with T = 1.

    Parameters
    ----------
    x : ndarray (B, I); h : ndarray (B, H) or None; the rest as for gru_forward

    Returns
    -------
    h_new : ndarray (B, H)
    gates : ndarray (B, 4H), for gru_cell_backward
    """
    _check_cell_input(x)
    out, _, gates = gru_forward(x[None], h, w_ih, w_hh, b_ih, b_hh)
    return out[0], gates[0]


def gru_cell_backward(x, h, w_ih, w_hh, h_new, gates, grad_h_new):
    """Gradients of gru_cell_forward.

    Parameters
    ----------
    x, h, w_ih, w_hh : as given to gru_cell_forward
    h_new, gates : its results; grad_h_new : ndarray (B, H) or None (zeros)

    Returns
    -------
    grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
    """
    _check_cell_input(x)
    _check_cell_arrays(x, h, h_new=h_new, gates=gates, grad_h_new=grad_h_new)
    gx, gh, gwi, gwh, gbi, gbh = gru_backward(x[None], h, w_ih, w_hh, _steps(h_new), _steps(gates),
                                              _steps(grad_h_new), None)
    return gx[0], gh, gwi, gwh, gbi, gbh
