# LSTM (gates i, f, g, o; G = 4): the whole sequence and the single step of LSTMCell
# (included by rnn.pyx).

cdef struct _LstmFwd:
    # Arrays of lstm_forward's sweep, of the call's dtype.
    const void *h0
    const void *c0
    const void *bias    # b_ih + b_hh (4H,)
    const void *x       # (T, B, In), or (B, T, In) batch first: row (t, b) is row t * ts + b * bs
    const void *packed_ih   # W_ih^T packed as W_hh^T is (_pack_input_weights; unused for In = 0)
    Py_ssize_t In       # input features (not I: a C macro)
    void *gates         # (T, B, 4H): each step writes x_t W_ih^T + h_prev W_hh^T, then activates
    void *cells         # (T, B, H)
    void *out           # (T, B, H), or (B, T, H) as x
    Py_ssize_t ts, bs   # the row strides of x and out: (B, 1), or (1, T) batch first
    int *ahead          # (T, blocks) states of each block's input part (stepwork.h's fastnn_ahead_*; In > 0)


cdef extern from *:
    void fnn_prefetch "__builtin_prefetch" (const void *line) nogil


cdef enum:
    # Lines an LSTM backward block's product fetches along the way at most (~800 for B = 32 and 32 hidden units a
    # block); a larger batch's further lines are fetched before the product, as all of them were before.
    _PF_CAP = 2048


cdef void _lstm_fwd_input_part(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t,
                               Py_ssize_t w, Py_ssize_t q) noexcept nogil:
    # Step t, block q: x_t W_ih^T into the gates' columns (stored; the recurrent part adds to it). It needs
    # nothing of step t - 1, so a thread waiting for that step may do it (rnn_sweep.pxi's _work_ahead).
    cdef const _LstmFwd *k = <const _LstmFwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, In = k.In, g
    cdef floating *a = <floating *>k.gates + t * B * 4 * H
    cdef const floating *xt = <const floating *>k.x + t * k.ts * In
    cdef const floating *packed_ih = <const floating *>k.packed_ih
    for g in range(4):
        panel_gemm(B, In, xt, k.bs * In, packed_ih + (q * 4 + g) * In * nr, nr, False, a + g * H + q * nr, 4 * H,
                   min(nr, H - q * nr))


cdef void _lstm_fwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                          Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: gate pre-activations x_t W_ih^T + h_prev W_hh^T, then the cell.
    # The input's part is summed here too, not in one product over all steps before the sweep: that
    # product wrote the (T, B, 4H) gates a whole pass before each step read them back (LSTM medium
    # forward, T=50 B=32 I=128 H=256, Xeon AVX-512, 2 threads, both builds in one process: 5.62-6.01 ->
    # 5.34-5.71 ms, minima of 60 alternating calls). Each gate's rows take x's part first (stored) and
    # h_prev's on top.
    cdef const _LstmFwd *k = <const _LstmFwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, In = k.In, tp = _before(sw, t), g, col
    cdef Py_ssize_t blocks = (H + nr - 1) // nr
    cdef floating *out = <floating *>k.out
    cdef floating *cells = <floating *>k.cells
    cdef floating *a = <floating *>k.gates + t * B * 4 * H
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else out + tp * k.ts * H
    cdef Py_ssize_t ldh = H if tp < 0 else k.bs * H
    cdef const floating *cp = <const floating *>k.c0 if tp < 0 else cells + tp * B * H
    cdef int *ahead
    if In > 0:   # the input's part, unless a thread waiting for the step before did it already
        ahead = k.ahead + w * blocks + q
        if fastnn_ahead_take(ahead):
            _lstm_fwd_input_part(sw, packed, cell, t, w, q)
            fastnn_ahead_done(ahead)
        else:
            fastnn_ahead_wait(ahead)
    for g in range(4):
        col = g * H + q * nr
        panel_gemm(B, H, hp, ldh, packed + (q * 4 + g) * H * nr, nr, In > 0, a + col, 4 * H, min(nr, H - q * nr))
    lstm_step_fwd(B, H, q * nr, min(H, (q + 1) * nr), a, <const floating *>k.bias, cp, cells + t * B * H,
                  out + t * k.ts * H, k.bs * H)


cdef struct _LstmBwd:
    # Arrays of lstm_backward's sweep, of the call's dtype.
    const void *c0
    const void *gates       # (T, B, 4H), lstm_forward's
    const void *cells       # (T, B, H), lstm_forward's
    const void *grad_out    # (T, B, H), or (B, T, H) batch first (rows as x's)
    void *dh                # (B, H): the gradient reaching h_t (grad_hn on entry)
    void *dc                # (B, H): the gradient reaching c_t (grad_cn on entry)
    void *dgates            # (T * B, 4H): the pre-activation gradients, rows as x's
    void *gb                # (4H): their sums over the batch and the steps (the bias gradient), zero on entry
    const void *x           # (T, B, In), or (B, T, In) batch first
    const void *h0          # (B, H)
    const void *out         # lstm_forward's, rows as x's
    void *xh                # (T * B, In + H): [x | h_prev] of every step (rows as x's), filled block by block
    bint prepacked          # xh is in the packed engine's layout of op(B) (fastnn_prepacked_put), float32 only
    Py_ssize_t In
    Py_ssize_t ts, bs       # row (t, b) of x, out, grad_out, dgates and xh is row t * ts + b * bs
    int *ahead              # (T, blocks) states of each block's rows of xh (stepwork.h's fastnn_ahead_*)


cdef struct _LstmDirection:
    # One layer direction of an LSTM call: its sweep, its arrays (of the call's dtype) and its cell's.
    _Sweep sw
    const void *w_ih
    const void *w_hh
    const void *packed  # W_hh as _Recurrence packed it
    void *gx            # backward results (gx NULL: not asked for)
    void *gw_ih
    void *gw_hh
    void *gcat          # backward: _stacked_weight_grads' scratch
    _LstmFwd fwd
    _LstmBwd bwd


cdef class _LstmJob:
    """One direction's _LstmDirection, filled by _lstm_fwd_job or _lstm_bwd_job and run by _run_lstm or, two
    directions side by side, _run_lstm_pair. `keep` holds the arrays its pointers point into."""
    cdef _LstmDirection d
    cdef bint single
    cdef int nt
    cdef object keep


def _lstm_fwd_job(_LstmJob job, const floating[::1] x, const floating[::1] h0, const floating[::1] c0,
                  const floating[::1] packed_ih, const floating[::1] packed, const floating[::1] bias,
                  floating[::1] out, floating[::1] gates, floating[::1] cells, int[::1] ahead, Py_ssize_t T,
                  Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, bint reverse, bint batch_first, Py_ssize_t nr, int nt):
    job.d.sw = _Sweep(T, B, H, nr, reverse)
    job.d.packed = _c(packed)
    job.d.fwd = _LstmFwd(_c(h0), _c(c0), _c(bias), _c(x), _c(packed_ih), I, _p(gates), _p(cells), _p(out),
                         1 if batch_first else B, T if batch_first else 1, &ahead[0])
    job.single, job.nt = floating is float, nt


def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False, batch_first=False):
    """LSTM over a whole sequence (gates i, f, g, o; G = 4).

    Parameters
    ----------
    x : ndarray, (T, B, I), or (B, T, I) with batch_first; float32 or float64, C-contiguous; T >= 1
    h0 : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    c0 : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    w_ih : ndarray, (G*H, I), x's dtype, C-contiguous
    w_hh : ndarray, (G*H, H), x's dtype, C-contiguous
    b_ih, b_hh : ndarray (G*H,) of x's dtype, C-contiguous; or None (no bias)
    reverse : bool
        Run from t = T-1 down to 0 (a bidirectional layer's backward direction); output[t] stays at t.
    batch_first : bool
        x and output are (B, T, .), read and written in place: nn.LSTM(batch_first=True) needs no copy of
        its input, its output's gradient or its input's gradient (together 0.29 ms a step at T=50 B=32
        I=128 H=256).

    Returns
    -------
    output : ndarray (T, B, H), or (B, T, H) with batch_first
    h_n, c_n : ndarray (B, H)
    gates : ndarray (T, B, 4H): the activated gates of every step, for lstm_backward
    cells : ndarray (T, B, H): every c_t, for lstm_backward
    """
    job, out, gates, cells = _lstm_forward_job(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_first)
    _run_lstm(job, False)
    return _lstm_forward_results(out, gates, cells, reverse, batch_first)


def _ahead_states(_Dims d, Py_ssize_t nr):
    """The fastnn_ahead_* state word of every block of every step (one more: never an empty array)."""
    return np.zeros(d.T * ((d.H + nr - 1) // nr) + 1, np.intc)


def _lstm_forward_job(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_first=False):
    """lstm_forward's checks and arrays: (a job to run, and the output, gates and cells it writes)."""
    cdef _Dims d = _check_weights(x, w_ih, w_hh, b_ih, b_hh, 4, batch_first)
    h0 = _state_or_zeros(h0, "h0", x, d)
    c0 = _state_or_zeros(c0, "c0", x, d)
    bias = _bias_or_zeros(b_ih, x, d) + _bias_or_zeros(b_hh, x, d)
    out = np.empty((d.B, d.T, d.H) if batch_first else (d.T, d.B, d.H), x.dtype)
    gates = np.empty((d.T, d.B, 4 * d.H), x.dtype)
    cells = np.empty((d.T, d.B, d.H), x.dtype)
    cdef _Recurrence rec = _Recurrence(w_hh, d, False)
    packed_ih = _pack_input_weights(w_ih, d, rec.nr)
    ahead = _ahead_states(d, rec.nr)
    job = _LstmJob()
    _lstm_fwd_job(job, x.reshape(-1), h0.reshape(-1), c0.reshape(-1), packed_ih, rec.packed, bias,
                  out.reshape(-1), gates.reshape(-1), cells.reshape(-1), ahead, d.T, d.B, d.In, d.H, bool(reverse),
                  bool(batch_first), rec.nr, rec.nt)
    job.keep = (x, h0, c0, packed_ih, rec, bias, out, gates, cells, ahead)
    return job, out, gates, cells


def _lstm_forward_results(out, gates, cells, reverse, batch_first=False):
    last = 0 if reverse else cells.shape[0] - 1
    return out, (out[:, last] if batch_first else out[last]).copy(), cells[last].copy(), gates, cells


def lstm_forward_pair(x, forward, backward):
    """Both directions of a bidirectional LSTM layer over x: lstm_forward(x, *forward) and
    lstm_forward(x, *backward, reverse=True), each as lstm_forward returns it. Where _pair_pays, the two
    run side by side, each whole on one thread; else one after the other.

    Parameters
    ----------
    x : as for lstm_forward
    forward, backward : (h0, c0, w_ih, w_hh, b_ih, b_hh) of each direction, as for lstm_forward
    """
    (a, *fwd), (b, *bwd) = _lstm_forward_job(x, *forward, False), _lstm_forward_job(x, *backward, True)
    _run_pair(_run_lstm, _run_lstm_pair, a, b, False)
    return _lstm_forward_results(*fwd, False), _lstm_forward_results(*bwd, True)


cdef void _lstm_bwd_block(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                          Py_ssize_t q) noexcept nogil:
    # Step t, the hidden units of block q: the gradient reaching h_t through step t+1
    # (its pre-activation gradients @ W_hh; none at the last step), then the cell's backward.
    cdef const _LstmBwd *k = <const _LstmBwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t), tn = _after(sw, t)
    cdef const floating *cells = <const floating *>k.cells
    cdef floating *da = <floating *>k.dgates
    cdef const floating *cp = <const floating *>k.c0 if tp < 0 else cells + tp * B * H
    cdef Py_ssize_t size = sizeof(floating), g, j0 = q * nr, nbytes = (min(H, (q + 1) * nr) - q * nr) * sizeof(floating)
    cdef Py_ssize_t In = k.In, K = k.In + H, blocks = (H + nr - 1) // nr
    cdef Py_ssize_t xs = (In + blocks - 1) // blocks, x0 = min(In, q * xs), x1 = min(In, x0 + xs)
    cdef Py_ssize_t ts = k.ts, bs = k.bs, ldh = H if tp < 0 else bs * H
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else <const floating *>k.out + tp * ts * H
    cdef const floating *xt = <const floating *>k.x + t * ts * In
    cdef const floating *go = <const floating *>k.grad_out + t * ts * H
    cdef floating *rows = <floating *>k.xh + t * ts * K
    # The cell's inputs of this step and its output rows, last touched a whole forward pass ago, are fetched
    # while the product runs (~10 us a block): the cell took 9.6K TSC cycles a block of 32 x 32 without this,
    # 6.1-7.2K with it (AMD EPYC Zen 5, T=50 B=32 H=256). So are the rows stacked for the weight gradients
    # below, read and written. The product takes the lines as a list and fetches one every few steps of its k
    # (panel_gemm_pf): issued in one burst before it, the ~800 misses stalled the core on the prefetches (LSTM
    # medium backward, Xeon AVX-512, 400 calls of each build in turn: quartile 9.42 -> 9.24 ms, median 9.57 ->
    # 9.40; with no prefetching at all 9.35 and 9.55).
    cdef const void *pf[_PF_CAP]
    cdef Py_ssize_t npf = 0
    for g in range(4):
        fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, <const floating *>k.gates + t * B * 4 * H, B, 4 * H * size,
                                  (g * H + j0) * size, nbytes)
        fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, da + t * ts * 4 * H, B, bs * 4 * H * size, (g * H + j0) * size,
                                  nbytes)
    fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, cells + t * B * H, B, H * size, j0 * size, nbytes)
    fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, cp, B, H * size, j0 * size, nbytes)
    fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, go, B, bs * H * size, j0 * size, nbytes)
    fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, hp, B, ldh * size, j0 * size, nbytes)
    fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, xt, B, bs * In * size, x0 * size, (x1 - x0) * size)
    if not k.prepacked:   # (fetching the packed rows ahead measured no gain)
        fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, rows, B, bs * K * size, (In + j0) * size, nbytes)
        fastnn_prefetch_list_rows(pf, &npf, _PF_CAP, rows, B, bs * K * size, x0 * size, (x1 - x0) * size)
    if tn >= 0:   # dh = the next step's pre-activation gradients @ W_hh, block q's columns
        panel_gemm_pf(B, 4 * H, da + tn * ts * 4 * H, bs * 4 * H, packed + q * 4 * H * nr, nr, False,
                      <floating *>k.dh + q * nr, H, min(nr, H - q * nr), pf, npf)
    else:
        for g in range(npf):
            fnn_prefetch(pf[g])
    lstm_step_bwd(B, H, q * nr, min(H, (q + 1) * nr), <const floating *>k.gates + t * B * 4 * H, cp,
                  cells + t * B * H, <floating *>k.dh, go, bs * H, <floating *>k.dc, da + t * ts * 4 * H, bs * 4 * H,
                  <floating *>k.gb)
    cdef int *ahead = k.ahead + w * blocks + q
    if fastnn_ahead_take(ahead):   # unless a thread waiting for the step before stacked them already
        _lstm_bwd_rows_part(sw, packed, cell, t, w, q)
        fastnn_ahead_done(ahead)


cdef void _lstm_bwd_rows_part(const _Sweep *sw, const floating *packed, const void *cell, Py_ssize_t t, Py_ssize_t w,
                              Py_ssize_t q) noexcept nogil:
    # Step t's rows of [x | h_prev] for the weight gradients' one product (_stacked_weight_grads): block q's hidden
    # units of h_prev and its share of x's columns. Stacked in the sweep, the copy is shared by its threads; after
    # the sweep it ran on one thread while the other waited (as NumPy times the same copies, 0.2 ms of an LSTM
    # medium's 11-12 ms backward, and 0.3 for the bias gradient's sums, now in lstm_step_bwd). It needs nothing
    # of the step before, so a thread waiting for that step may do it (rnn_sweep.pxi's _work_ahead).
    cdef const _LstmBwd *k = <const _LstmBwd *>cell
    cdef Py_ssize_t B = sw.B, H = sw.H, nr = sw.nr, tp = _before(sw, t), b
    cdef Py_ssize_t j0 = q * nr, nbytes = (min(H, (q + 1) * nr) - q * nr) * sizeof(floating)
    cdef Py_ssize_t In = k.In, K = k.In + H, blocks = (H + nr - 1) // nr
    cdef Py_ssize_t xs = (In + blocks - 1) // blocks, x0 = min(In, q * xs), x1 = min(In, x0 + xs)
    cdef Py_ssize_t ts = k.ts, bs = k.bs, ldh = H if tp < 0 else bs * H
    cdef const floating *hp = <const floating *>k.h0 if tp < 0 else <const floating *>k.out + tp * ts * H
    cdef const floating *xt = <const floating *>k.x + t * ts * In
    cdef floating *rows = <floating *>k.xh + t * ts * K
    if floating is float:
        if k.prepacked:
            _lstm_prepack_block(k, sw, t, q, hp, ldh, xt, x0, x1)
            return
    for b in range(B):
        memcpy(rows + b * bs * K + In + j0, hp + b * ldh + j0, nbytes)
        if x1 > x0:
            memcpy(rows + b * bs * K + x0, xt + b * bs * In + x0, (x1 - x0) * sizeof(floating))


cdef void _lstm_prepack_block(const _LstmBwd *k, const _Sweep *sw, Py_ssize_t t, Py_ssize_t q, const float *hp,
                              Py_ssize_t ldh, const float *xt, Py_ssize_t x0, Py_ssize_t x1) noexcept nogil:
    # This block's rows of [x | h_prev] (step t), written where the engine's packing of op(B) would put them: the
    # weight gradients' product then reads them as they are, where each of its slices (of C's rows) had packed
    # the whole [x | h_prev] again.
    cdef Py_ssize_t B = sw.B, H = sw.H, rows = sw.T * sw.B, K = k.In + H, j0 = q * sw.nr, b
    cdef Py_ssize_t nc = min(H, j0 + sw.nr) - j0
    for b in range(B):
        fastnn_prepacked_put(<float *>k.xh, rows, K, t * k.ts + b * k.bs, k.In + j0, nc, hp + b * ldh + j0)
        if x1 > x0:
            fastnn_prepacked_put(<float *>k.xh, rows, K, t * k.ts + b * k.bs, x0, x1 - x0, xt + b * k.bs * k.In + x0)


def _lstm_bwd_job(_LstmJob job, const floating[::1] x, const floating[::1] h0, const floating[::1] c0,
                  const floating[::1] w_ih, const floating[::1] w_hh, const floating[::1] packed,
                  const floating[::1] out, const floating[::1] gates, const floating[::1] cells,
                  const floating[::1] grad_out, floating[::1] dh, floating[::1] dc, floating[::1] dgates,
                  floating[::1] gx, floating[::1] gw_ih, floating[::1] gw_hh, floating[::1] gb, floating[::1] xh,
                  bint prepacked, floating[::1] gcat, int[::1] ahead, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I,
                  Py_ssize_t H, bint reverse, bint batch_first, Py_ssize_t nr, int nt):
    job.d.sw = _Sweep(T, B, H, nr, reverse)
    job.d.w_ih, job.d.w_hh, job.d.packed = _c(w_ih), _c(w_hh), _c(packed)
    job.d.gx, job.d.gw_ih, job.d.gw_hh, job.d.gcat = _p(gx), _p(gw_ih), _p(gw_hh), _p(gcat)
    job.d.bwd = _LstmBwd(_c(c0), _c(gates), _c(cells), _c(grad_out), _p(dh), _p(dc), _p(dgates), _p(gb), _c(x),
                         _c(h0), _c(out), _p(xh), prepacked, I, 1 if batch_first else B, T if batch_first else 1,
                         &ahead[0])
    job.single, job.nt = floating is float, nt


cdef void _lstm_bwd_finish(const _LstmDirection *d, floating tag) noexcept nogil:
    # After the sweep: the gradient reaching h0, then the input and weight gradients over all steps.
    cdef Py_ssize_t T = d.sw.T, B = d.sw.B, H = d.sw.H
    cdef int G = <int>(4 * H)
    cdef floating *da = <floating *>d.bwd.dgates
    gemm(False, False, <int>B, <int>H, G, <floating>1, da + _step(0, T, d.sw.reverse) * d.bwd.ts * G,
         <int>(d.bwd.bs * G), <const floating *>d.w_hh, <int>H, <floating>0, <floating *>d.bwd.dh, <int>H)
    _input_grads(da, G, <const floating *>d.bwd.x, <const floating *>d.w_ih, <floating *>d.gx, NULL, NULL, T * B,
                 d.bwd.In)
    if floating is float:
        if d.bwd.prepacked:
            gemm_prepacked(True, G, <int>(d.bwd.In + H), <int>(T * B), <const float *>da, G,
                           <const float *>d.bwd.xh, <float *>d.gcat, <int>(d.bwd.In + H))
            _split_weight_grads(<const float *>d.gcat, <float *>d.gw_ih, <float *>d.gw_hh, G, d.bwd.In, H)
            return
    _stacked_weight_grads(da, G, <const floating *>d.bwd.xh, <floating *>d.gcat, <floating *>d.gw_ih,
                          <floating *>d.gw_hh, T * B, d.bwd.In, H)


cdef void _lstm_alone(const _LstmDirection *d, bint backward, floating tag) noexcept nogil:
    # A whole direction on the calling thread (inside _run_lstm_pair's parallel region: its GEMMs stay serial).
    if backward:
        _sweep_serial(_lstm_bwd_block[floating], &d.sw, <const floating *>d.packed, &d.bwd, True)
        _lstm_bwd_finish(d, tag)
    else:
        _sweep_serial(_lstm_fwd_block[floating], &d.sw, <const floating *>d.packed, &d.fwd, False)


cdef int _run_lstm_typed(_LstmJob job, bint backward, floating tag) except -1:
    cdef _LstmDirection *d = &job.d
    if backward:
        _sweep(_lstm_bwd_block[floating], &d.sw, <const floating *>d.packed, &d.bwd, True, job.nt,
               <_AnyBlock>_lstm_bwd_rows_part[floating], d.bwd.ahead)
        with nogil:
            _lstm_bwd_finish(d, tag)
    else:
        _sweep(_lstm_fwd_block[floating], &d.sw, <const floating *>d.packed, &d.fwd, False, job.nt,
               <_AnyBlock>_lstm_fwd_input_part[floating] if d.fwd.In > 0 else NULL, d.fwd.ahead)
    return 0


def _run_lstm(_LstmJob job, bint backward):
    """One direction: its products split over the threads, its steps shared by job.nt threads."""
    if job.single:
        _run_lstm_typed(job, backward, <float>0)
    else:
        _run_lstm_typed(job, backward, <double>0)


def _run_lstm_pair(_LstmJob a, _LstmJob b, bint backward):
    """Two directions at once, each whole on one thread: a bidirectional layer on two threads without a
    barrier between steps (see _pair_pays)."""
    cdef _LstmDirection *d[2]
    cdef bint single = a.single
    cdef int i
    cdef fastnn_team_steer _team
    d[0], d[1] = &a.d, &b.d
    with nogil:
        fastnn_team_begin(&_team, 2)
        for i in prange(2, num_threads=2, schedule="dynamic", chunksize=1):
            if single:
                _lstm_alone(d[i], backward, <float>0)
            else:
                _lstm_alone(d[i], backward, <double>0)
        fastnn_team_end(&_team)


def lstm_backward(x, h0, c0, w_ih, w_hh, output, gates, cells, grad_output, grad_hn, grad_cn, reverse=False,
                  need_input=True, batch_first=False):
    """Backward through time of lstm_forward.

    Parameters
    ----------
    x, h0, c0, w_ih, w_hh, reverse, batch_first : as given to lstm_forward
    output, gates, cells : ndarray, lstm_forward's results (x's dtype, C-contiguous)
    grad_output : ndarray of output's shape and x's dtype, C-contiguous; or None (zeros)
    grad_hn, grad_cn : ndarray (B, H) of x's dtype, C-contiguous; or None (zeros)
    need_input : bool
        False skips grad_x (returned as None), a GEMM as large as the input projection.

    Returns
    -------
    grad_x, grad_h0, grad_c0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh : ndarray
        (the two bias gradients are equal)
    """
    job, grads = _lstm_backward_job(x, h0, c0, w_ih, w_hh, output, gates, cells, grad_output, grad_hn, grad_cn,
                                    reverse, need_input, batch_first)
    _run_lstm(job, True)
    return _lstm_backward_results(grads)


def _lstm_backward_job(x, h0, c0, w_ih, w_hh, output, gates, cells, grad_output, grad_hn, grad_cn, reverse,
                       need_input, batch_first=False):
    """lstm_backward's checks and arrays: (a job to run, and the gradients it writes: gx, dh, dc, gw_ih, gw_hh,
    gb)."""
    cdef _Dims d = _check_weights(x, w_ih, w_hh, None, None, 4, batch_first)
    h0 = _state_or_zeros(h0, "h0", x, d)
    c0 = _state_or_zeros(c0, "c0", x, d)
    out_shape = (d.B, d.T, d.H) if batch_first else (d.T, d.B, d.H)
    _check_saved(output, "output", x, out_shape)
    _check_saved(gates, "gates", x, (d.T, d.B, 4 * d.H))
    _check_saved(cells, "cells", x, (d.T, d.B, d.H))
    grad_output = np.zeros_like(output) if grad_output is None else _check_saved(grad_output, "grad_output", x,
                                                                                  out_shape)
    dh = _state_or_zeros(grad_hn, "grad_hn", x, d).copy()
    dc = _state_or_zeros(grad_cn, "grad_cn", x, d).copy()
    dgates = np.empty((d.T * d.B, 4 * d.H), x.dtype)   # rows as x's
    gx = np.empty_like(x) if need_input else None
    gw_ih, gw_hh = np.empty_like(w_ih), np.empty_like(w_hh)
    gb = np.zeros(4 * d.H, x.dtype)
    if _prepacked_pays(x, 4 * d.H, d.H):
        prepacked, (xh, gcat) = True, _prepacked_buffers(x, 4 * d.H, d.H)
    else:
        prepacked, (xh, gcat) = False, _stack_buffers(x, 4 * d.H, d.H)
    cdef _Recurrence rec = _Recurrence(w_hh, d, True)
    ahead = _ahead_states(d, rec.nr)
    job = _LstmJob()
    _lstm_bwd_job(job, x.reshape(-1), h0.reshape(-1), c0.reshape(-1), w_ih.reshape(-1), w_hh.reshape(-1),
                  rec.packed, output.reshape(-1), gates.reshape(-1), cells.reshape(-1), grad_output.reshape(-1),
                  dh.reshape(-1), dc.reshape(-1), dgates.reshape(-1), _flat_or_none(gx), gw_ih.reshape(-1),
                  gw_hh.reshape(-1), gb, xh.reshape(-1), prepacked, gcat.reshape(-1), ahead, d.T, d.B, d.In, d.H,
                  bool(reverse), bool(batch_first), rec.nr, rec.nt)
    job.keep = (x, h0, c0, w_ih, w_hh, rec, output, gates, cells, grad_output, dh, dc, dgates, gx, gw_ih, gw_hh, gb,
                xh, gcat, ahead)
    return job, (gx, dh, dc, gw_ih, gw_hh, gb)


def _lstm_backward_results(grads):
    """lstm_backward's result from the job's gradients: the bias gradient twice (b_ih's and b_hh's)."""
    gb = grads[5]   # (the module is compiled without wraparound: no negative index)
    return grads + (gb.copy(),)


def lstm_backward_pair(x, forward, backward, need_input=True):
    """Backward through time of both directions of lstm_forward_pair: (lstm_backward(x, *forward,
    need_input=need_input), lstm_backward(x, *backward, reverse=True, need_input=need_input)), side by side
    where _pair_pays.

    Parameters
    ----------
    x, need_input : as for lstm_backward
    forward, backward : (h0, c0, w_ih, w_hh, output, gates, cells, grad_output, grad_hn, grad_cn) of each
        direction, as for lstm_backward
    """
    (a, fwd), (b, bwd) = (_lstm_backward_job(x, *forward, False, need_input),
                          _lstm_backward_job(x, *backward, True, need_input))
    _run_pair(_run_lstm, _run_lstm_pair, a, b, True)
    return _lstm_backward_results(fwd), _lstm_backward_results(bwd)


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
