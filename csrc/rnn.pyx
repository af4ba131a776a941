# Whole-sequence RNN / LSTM / GRU forward and backward-through-time, one native call per
# layer per direction per pass.
#
# Forward: the input projection of all T steps is one GEMM, (T*B, I) x (I, G*H); the loop
# over time then does one (B, H) x (H, G*H) product per step and the fused gate arithmetic of
# csrc/rnncell.h. Backward: the loop keeps only what is sequential (gate gradients and the
# (B, G*H) x (G*H, H) product carrying the gradient to h_{t-1}); the input gradient and the
# weight gradients are then a few large GEMMs over all steps, which run near BLAS peak.
#
# The per-step products reuse W_hh T times, so W_hh is packed once per call into column panels
# (csrc/panelgemm.h) instead of being re-packed by a BLAS call at every step. Each thread owns
# a range of hidden units, with all their gates: it computes their columns of the product and
# then their gate arithmetic, so the threads meet once per step (csrc/stepbarrier.h), inside one
# parallel region per call.
#
# Layouts are PyTorch's: x (T, B, I), states (B, H), w_ih (G*H, I), w_hh (G*H, H), biases
# (G*H,); LSTM gates i, f, g, o; GRU gates r, z, n. `reverse` runs from t = T-1 down to 0
# (the backward direction of a bidirectional layer); output[t] stays at index t.
from cython cimport floating
import numpy as np
from blas cimport gemm
from flatarray cimport column_sums, data_or_null as _p, const_data_or_null as _c   # addresses of flat views
# (_c for arrays only read: inputs, weights and saved results may be read-only)
from rnncell cimport lstm_step_fwd, lstm_step_bwd, gru_step_fwd, gru_step_bwd, rnn_step_fwd, rnn_step_bwd
from panelgemm cimport panel_gemm, pack_panels, fastnn_panel_width_f, fastnn_panel_width_d
from parallel cimport threads_for, fastnn_team_size
from cython.parallel cimport parallel, threadid

cdef extern from "stepbarrier.h" nogil:
    ctypedef struct fastnn_step_barrier:
        pass
    void fastnn_step_barrier_init(fastnn_step_barrier *b)
    void fastnn_step_barrier_wait(fastnn_step_barrier *b, int threads, int *sense)

include "checks.pxi"

cdef class _Dims:
    # Validated sizes of one call: T steps, batch B, input In (not I: a C macro), hidden H, G gate blocks.
    cdef public Py_ssize_t T, B, In, H, G


cdef _Dims _check_weights(x, w_ih, w_hh, b_ih, b_hh, int G):
    cdef _Dims d = _Dims()
    check_float(x, "x", 3)
    check_same_dtype(w_ih, "w_ih", x, "x", 2)
    check_same_dtype(w_hh, "w_hh", x, "x", 2)
    d.T, d.B, d.In = x.shape
    if d.T == 0:
        raise ValueError("input is an empty sequence (T = 0)")
    d.H, d.G = w_hh.shape[1], G
    if w_hh.shape[0] != G * d.H:
        raise ValueError(f"w_hh must have shape ({G} * hidden_size, hidden_size), got {w_hh.shape}")
    if w_ih.shape != (G * d.H, d.In):
        raise ValueError(f"w_ih must have shape ({G * d.H}, {d.In}) for input size {d.In}, got {w_ih.shape}")
    for b, name in ((b_ih, "b_ih"), (b_hh, "b_hh")):
        if b is not None:
            check_same_dtype(b, name, x, "x", 1)
            if b.shape[0] != G * d.H:
                raise ValueError(f"{name} must have shape ({G * d.H},), got {b.shape}")
    return d


cdef object _check_state(s, str name, x, _Dims d):
    check_same_dtype(s, name, x, "x", 2)
    if s.shape != (d.B, d.H):
        raise ValueError(f"{name} must have shape (batch, hidden_size) = ({d.B}, {d.H}), got {s.shape}")
    return s


cdef object _check_saved(a, str name, x, tuple shape):
    check_same_dtype(a, name, x, "x")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


cdef object _state_or_zeros(s, str name, x, _Dims d):
    return np.zeros((d.B, d.H), x.dtype) if s is None else _check_state(s, name, x, d)


cdef object _bias_or_zeros(b, x, _Dims d):
    return np.zeros(d.G * d.H, x.dtype) if b is None else b


cdef object _flat_or_none(a):
    return None if a is None else a.reshape(-1)


cdef inline Py_ssize_t _step(Py_ssize_t s, Py_ssize_t T, bint reverse) noexcept nogil:
    # Time index of the s-th step processed.
    return T - 1 - s if reverse else s


cdef inline Py_ssize_t _prev(Py_ssize_t t, bint reverse) noexcept nogil:
    # Time index whose output is the state entering step t (the caller handles the first step).
    return t + 1 if reverse else t - 1


# Multiply-adds of one step's product below which the loop over time stays on one thread: the
# threads meet at a barrier after every step, a cost the smallest products would not repay
# (the threshold was not tuned: the same as the dropout kernel's).
cdef Py_ssize_t MIN_STEP_WORK = 65536


def _pack(const floating[::1] w, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K, Py_ssize_t gates,
          Py_ssize_t H, Py_ssize_t nr, floating[::1] dst):
    with nogil:
        pack_panels(&w[0], k_stride, n_stride, K, gates, H, nr, &dst[0])


cdef class _Recurrence:
    """W_hh packed for the per-step products of one call, and how many threads share a step.

    Forward multiplies by W_hh^T ((H, G*H): one panel set per gate); backward by W_hh
    ((G*H, H): one set)."""
    cdef public object packed
    cdef public Py_ssize_t nr
    cdef public int nt

    def __init__(self, w_hh, _Dims d, bint backward):
        self.nr = fastnn_panel_width_f() if w_hh.dtype == np.float32 else fastnn_panel_width_d()
        blocks = (d.H + self.nr - 1) // self.nr
        self.nt = min(threads_for(d.B * d.G * d.H * d.H, MIN_STEP_WORK), blocks)
        if backward:
            K, gates, k_stride, n_stride = d.G * d.H, 1, d.H, 1
        else:
            K, gates, k_stride, n_stride = d.H, d.G, 1, d.H
        self.packed = np.empty(blocks * gates * K * self.nr, w_hh.dtype)
        _pack(w_hh.reshape(-1), k_stride, n_stride, K, gates, d.H, self.nr, self.packed)


cdef inline Py_ssize_t _first_unit_block(Py_ssize_t tid, int nt, Py_ssize_t H, Py_ssize_t nr) noexcept nogil:
    # Thread tid of nt owns the panel-wide blocks of hidden units [first(tid), first(tid + 1)).
    return tid * ((H + nr - 1) // nr) // nt


cdef inline void _times_panels(const floating *A, Py_ssize_t B, Py_ssize_t K, const floating *packed,
                               Py_ssize_t nr, Py_ssize_t gates, Py_ssize_t H, Py_ssize_t q0, Py_ssize_t q1,
                               bint accumulate, floating *C, Py_ssize_t ldc) noexcept nogil:
    """C[:, g*H + j] (+)= (A @ packed)[:, g*H + j] for every gate g and the hidden units j of
    blocks [q0, q1); A is (B, K), contiguous."""
    cdef Py_ssize_t q, g
    for q in range(q0, q1):
        for g in range(gates):
            panel_gemm(B, K, A, K, packed + (q * gates + g) * K * nr, nr, accumulate, C + g * H + q * nr, ldc,
                       min(nr, H - q * nr))


cdef void _weight_hh_grad(floating *d, int G, const floating *h0, const floating *out, floating *gw,
                          Py_ssize_t T, Py_ssize_t B, Py_ssize_t H, bint reverse) noexcept nogil:
    """gw (G, H) = sum_t d[t]^T h_prev(t), d (T, B, G): two GEMMs, since h_prev is h0 for the
    first step processed and the outputs shifted by one step for all others."""
    cdef Py_ssize_t first = T - 1 if reverse else 0
    gemm(True, False, G, <int>H, <int>B, <floating>1, d + first * B * G, G, h0, <int>H, <floating>0, gw, <int>H)
    if T > 1:
        if reverse:   # steps 0..T-2 follow outputs 1..T-1
            gemm(True, False, G, <int>H, <int>((T - 1) * B), <floating>1, d, G, out + B * H, <int>H,
                 <floating>1, gw, <int>H)
        else:         # steps 1..T-1 follow outputs 0..T-2
            gemm(True, False, G, <int>H, <int>((T - 1) * B), <floating>1, d + B * G, G, out, <int>H,
                 <floating>1, gw, <int>H)


cdef void _input_grads(floating *d, int G, const floating *x, const floating *w_ih, floating *gx, floating *gw_ih,
                       floating *gb, Py_ssize_t rows, Py_ssize_t I) noexcept nogil:
    # gx = d @ W_ih (skipped for gx NULL: the input needs no gradient), gW_ih = d^T x, gb = column
    # sums of d, with d the (T*B, G) pre-activation gradients.
    if gx != NULL:
        gemm(False, False, <int>rows, <int>I, G, <floating>1, d, G, w_ih, <int>I, <floating>0, gx, <int>I)
    gemm(True, False, G, <int>I, <int>rows, <floating>1, d, G, x, <int>I, <floating>0, gw_ih, <int>I)
    column_sums(d, rows, G, gb)


# ---------------------------------------------------------------------------------------- LSTM

cdef void _lstm_fwd_units(Py_ssize_t tid, int nt, Py_ssize_t nr, const floating *packed, const floating *hp,
                          const floating *cp, const floating *bias, floating *a, floating *c, floating *h,
                          Py_ssize_t B, Py_ssize_t H) noexcept nogil:
    # One step, the hidden units of thread tid: gate pre-activations, then the cell.
    cdef Py_ssize_t q0 = _first_unit_block(tid, nt, H, nr), q1 = _first_unit_block(tid + 1, nt, H, nr)
    _times_panels(hp, B, H, packed, nr, 4, H, q0, q1, True, a, 4 * H)
    lstm_step_fwd(B, H, q0 * nr, min(H, q1 * nr), a, bias, cp, c, h)


def _lstm_fwd(const floating[::1] x, const floating[::1] h0, const floating[::1] c0, const floating[::1] w_ih,
              const floating[::1] packed, const floating[::1] bias, floating[::1] out, floating[::1] gates,
              floating[::1] cells, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H,
              bint reverse, Py_ssize_t nr, int nt):
    cdef int G = <int>(4 * H)
    cdef Py_ssize_t s, t, tp, tid
    cdef floating *a = _p(gates)
    cdef floating *o = _p(out)
    cdef floating *c = _p(cells)
    cdef const floating *hp
    cdef const floating *cp
    cdef fastnn_step_barrier step_done
    cdef int team, sense
    fastnn_step_barrier_init(&step_done)
    with nogil:
        gemm(False, True, <int>(T * B), G, <int>I, <floating>1, _c(x), <int>I, _c(w_ih), <int>I, <floating>0, a, G)
        with parallel(num_threads=nt):
            tid, team, sense = threadid(), fastnn_team_size(), 0
            for s in range(T):
                t = _step(s, T, reverse)
                if s == 0:
                    hp, cp = _c(h0), _c(c0)
                else:
                    tp = _prev(t, reverse)
                    hp, cp = o + tp * B * H, c + tp * B * H
                _lstm_fwd_units(tid, team, nr, _c(packed), hp, cp, _c(bias), a + t * B * G, c + t * B * H,
                                o + t * B * H, B, H)
                fastnn_step_barrier_wait(&step_done, team, &sense)


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


cdef void _lstm_bwd_units(Py_ssize_t tid, int nt, Py_ssize_t nr, const floating *packed, const floating *da_next,
                          const floating *a, const floating *cp, const floating *c, floating *dh,
                          const floating *grad_out, floating *dc, floating *da, Py_ssize_t B,
                          Py_ssize_t H) noexcept nogil:
    # One step, the hidden units of thread tid: the gradient reaching h_t through step t+1
    # (da_next @ W_hh; none at the last step), then the cell's backward.
    cdef Py_ssize_t q0 = _first_unit_block(tid, nt, H, nr), q1 = _first_unit_block(tid + 1, nt, H, nr)
    if da_next != NULL:
        _times_panels(da_next, B, 4 * H, packed, nr, 1, H, q0, q1, False, dh, H)
    lstm_step_bwd(B, H, q0 * nr, min(H, q1 * nr), a, cp, c, dh, grad_out, dc, da)


def _lstm_bwd(const floating[::1] x, const floating[::1] h0, const floating[::1] c0, const floating[::1] w_ih,
              const floating[::1] w_hh, const floating[::1] packed, const floating[::1] out, const floating[::1] gates,
              const floating[::1] cells, const floating[::1] grad_out, floating[::1] dh, floating[::1] dc,
              floating[::1] dgates, floating[::1] gx, floating[::1] gw_ih, floating[::1] gw_hh,
              floating[::1] gb, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, bint reverse,
              Py_ssize_t nr, int nt):
    cdef int G = <int>(4 * H)
    cdef Py_ssize_t s, t, tp, tid
    cdef floating *da = _p(dgates)
    cdef floating *da_next
    cdef const floating *cp
    cdef fastnn_step_barrier step_done
    cdef int team, sense
    fastnn_step_barrier_init(&step_done)
    with nogil:
        with parallel(num_threads=nt):
            tid, team, sense, da_next = threadid(), fastnn_team_size(), 0, NULL
            for s in range(T - 1, -1, -1):   # undo the forward order
                t = _step(s, T, reverse)
                if s == 0:
                    cp = _c(c0)
                else:
                    tp = _prev(t, reverse)
                    cp = _c(cells) + tp * B * H
                _lstm_bwd_units(tid, team, nr, _c(packed), da_next, _c(gates) + t * B * G, cp, _c(cells) + t * B * H,
                                _p(dh), _c(grad_out) + t * B * H, _p(dc), da + t * B * G, B, H)
                da_next = da + t * B * G
                fastnn_step_barrier_wait(&step_done, team, &sense)
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


# ----------------------------------------------------------------------------------------- GRU

cdef void _gru_fwd_units(Py_ssize_t tid, int nt, Py_ssize_t nr, const floating *packed, const floating *hp,
                         const floating *xp, floating *hh, const floating *b_ih, const floating *b_hh,
                         floating *gates, floating *h, Py_ssize_t B, Py_ssize_t H) noexcept nogil:
    # One step, the hidden units of thread tid: hidden-side pre-activations, then the cell.
    cdef Py_ssize_t q0 = _first_unit_block(tid, nt, H, nr), q1 = _first_unit_block(tid + 1, nt, H, nr)
    _times_panels(hp, B, H, packed, nr, 3, H, q0, q1, False, hh, 3 * H)
    gru_step_fwd(B, H, q0 * nr, min(H, q1 * nr), xp, hh, b_ih, b_hh, hp, gates, h)


def _gru_fwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] packed,
             const floating[::1] b_ih, const floating[::1] b_hh, floating[::1] out, floating[::1] gates,
             floating[::1] xp, floating[::1] hh, Py_ssize_t T, Py_ssize_t B, Py_ssize_t I,
             Py_ssize_t H, bint reverse, Py_ssize_t nr, int nt):
    cdef int G = <int>(3 * H)
    cdef Py_ssize_t s, t, tid
    cdef floating *o = _p(out)
    cdef const floating *hp
    cdef fastnn_step_barrier step_done
    cdef int team, sense
    fastnn_step_barrier_init(&step_done)
    with nogil:
        gemm(False, True, <int>(T * B), G, <int>I, <floating>1, _c(x), <int>I, _c(w_ih), <int>I, <floating>0,
             _p(xp), G)
        with parallel(num_threads=nt):
            tid, team, sense = threadid(), fastnn_team_size(), 0
            for s in range(T):
                t = _step(s, T, reverse)
                hp = _c(h0) if s == 0 else o + _prev(t, reverse) * B * H
                _gru_fwd_units(tid, team, nr, _c(packed), hp, _p(xp) + t * B * G, _p(hh), _c(b_ih), _c(b_hh),
                               _p(gates) + t * B * 4 * H, o + t * B * H, B, H)
                fastnn_step_barrier_wait(&step_done, team, &sense)


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


cdef void _gru_bwd_units(Py_ssize_t tid, int nt, Py_ssize_t nr, const floating *packed, const floating *dgh_next,
                         const floating *gates, const floating *hp, floating *dh, const floating *grad_out,
                         floating *dgi, floating *dgh, floating *dh_prev, Py_ssize_t B,
                         Py_ssize_t H) noexcept nogil:
    # One step, the hidden units of thread tid: complete the gradient reaching h_t (dh holds
    # step t+1's direct path z * dh; add dgh_next @ W_hh, none at the last step), then the cell.
    cdef Py_ssize_t q0 = _first_unit_block(tid, nt, H, nr), q1 = _first_unit_block(tid + 1, nt, H, nr)
    if dgh_next != NULL:
        _times_panels(dgh_next, B, 3 * H, packed, nr, 1, H, q0, q1, True, dh, H)
    gru_step_bwd(B, H, q0 * nr, min(H, q1 * nr), gates, hp, dh, grad_out, dgi, dgh, dh_prev)


def _gru_bwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] w_hh, const floating[::1] packed,
             const floating[::1] out, const floating[::1] gates, const floating[::1] grad_out, floating[::1] dh,
             floating[::1] dh_prev, floating[::1] dgi, floating[::1] dgh, floating[::1] gx,
             floating[::1] gw_ih, floating[::1] gw_hh, floating[::1] gb_ih, floating[::1] gb_hh,
             Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, bint reverse, Py_ssize_t nr, int nt):
    cdef int G = <int>(3 * H)
    cdef Py_ssize_t s, t, tid
    cdef floating *cur
    cdef floating *nxt
    cdef floating *tmp
    cdef const floating *hp
    cdef floating *dgh_next
    cdef fastnn_step_barrier step_done
    cdef int team, sense
    fastnn_step_barrier_init(&step_done)
    with nogil:
        with parallel(num_threads=nt):
            tid, team, sense, dgh_next, cur, nxt = threadid(), fastnn_team_size(), 0, NULL, _p(dh), _p(dh_prev)
            for s in range(T - 1, -1, -1):
                t = _step(s, T, reverse)
                hp = _c(h0) if s == 0 else _c(out) + _prev(t, reverse) * B * H
                _gru_bwd_units(tid, team, nr, _c(packed), dgh_next, _c(gates) + t * B * 4 * H, hp, cur,
                               _c(grad_out) + t * B * H, _p(dgi) + t * B * G, _p(dgh) + t * B * G, nxt, B, H)
                dgh_next = _p(dgh) + t * B * G
                tmp = cur
                cur = nxt
                nxt = tmp
                fastnn_step_barrier_wait(&step_done, team, &sense)
        cur = _p(dh) if T % 2 == 0 else _p(dh_prev)   # where the last step left the gradient for h0
        gemm(False, False, <int>B, <int>H, G, <floating>1, _p(dgh) + _step(0, T, reverse) * B * G, G, _c(w_hh),
             <int>H, <floating>1, cur, <int>H)
        if cur != _p(dh):   # the gradient for h0 must end in dh
            for s in range(B * H):
                _p(dh)[s] = cur[s]
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


# ----------------------------------------------------------------------------------- Elman RNN

cdef int _relu_flag(nonlinearity) except -1:
    if nonlinearity == "tanh":
        return 0
    if nonlinearity == "relu":
        return 1
    raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


cdef void _rnn_fwd_units(Py_ssize_t tid, int nt, Py_ssize_t nr, const floating *packed, const floating *hp,
                         floating *a, const floating *bias, int relu, floating *h, Py_ssize_t B,
                         Py_ssize_t H) noexcept nogil:
    # One step, the hidden units of thread tid: pre-activations, then the nonlinearity.
    cdef Py_ssize_t q0 = _first_unit_block(tid, nt, H, nr), q1 = _first_unit_block(tid + 1, nt, H, nr)
    _times_panels(hp, B, H, packed, nr, 1, H, q0, q1, True, a, H)
    rnn_step_fwd(B, H, q0 * nr, min(H, q1 * nr), a, bias, relu, h)


def _rnn_fwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] packed,
             const floating[::1] bias, floating[::1] out, floating[::1] pre, Py_ssize_t T, Py_ssize_t B,
             Py_ssize_t I, Py_ssize_t H, int relu, bint reverse, Py_ssize_t nr, int nt):
    cdef Py_ssize_t s, t, tid
    cdef floating *o = _p(out)
    cdef floating *a = _p(pre)
    cdef const floating *hp
    cdef fastnn_step_barrier step_done
    cdef int team, sense
    fastnn_step_barrier_init(&step_done)
    with nogil:
        gemm(False, True, <int>(T * B), <int>H, <int>I, <floating>1, _c(x), <int>I, _c(w_ih), <int>I, <floating>0,
             a, <int>H)
        with parallel(num_threads=nt):
            tid, team, sense = threadid(), fastnn_team_size(), 0
            for s in range(T):
                t = _step(s, T, reverse)
                hp = _c(h0) if s == 0 else o + _prev(t, reverse) * B * H
                _rnn_fwd_units(tid, team, nr, _c(packed), hp, a + t * B * H, _c(bias), relu, o + t * B * H, B, H)
                fastnn_step_barrier_wait(&step_done, team, &sense)


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


cdef void _rnn_bwd_units(Py_ssize_t tid, int nt, Py_ssize_t nr, const floating *packed, const floating *da_next,
                         const floating *h, floating *dh, const floating *grad_out, int relu, floating *da,
                         Py_ssize_t B, Py_ssize_t H) noexcept nogil:
    # One step, the hidden units of thread tid: the gradient reaching h_t through step t+1
    # (da_next @ W_hh; none at the last step), then through the nonlinearity.
    cdef Py_ssize_t q0 = _first_unit_block(tid, nt, H, nr), q1 = _first_unit_block(tid + 1, nt, H, nr)
    if da_next != NULL:
        _times_panels(da_next, B, H, packed, nr, 1, H, q0, q1, False, dh, H)
    rnn_step_bwd(B, H, q0 * nr, min(H, q1 * nr), h, dh, grad_out, relu, da)


def _rnn_bwd(const floating[::1] x, const floating[::1] h0, const floating[::1] w_ih, const floating[::1] w_hh, const floating[::1] packed,
             const floating[::1] out, const floating[::1] grad_out, floating[::1] dh, floating[::1] da,
             floating[::1] gx, floating[::1] gw_ih, floating[::1] gw_hh, floating[::1] gb,
             Py_ssize_t T, Py_ssize_t B, Py_ssize_t I, Py_ssize_t H, int relu, bint reverse, Py_ssize_t nr, int nt):
    cdef Py_ssize_t s, t, tid
    cdef floating *d = _p(da)
    cdef floating *da_next
    cdef fastnn_step_barrier step_done
    cdef int team, sense
    fastnn_step_barrier_init(&step_done)
    with nogil:
        with parallel(num_threads=nt):
            tid, team, sense, da_next = threadid(), fastnn_team_size(), 0, NULL
            for s in range(T - 1, -1, -1):
                t = _step(s, T, reverse)
                _rnn_bwd_units(tid, team, nr, _c(packed), da_next, _c(out) + t * B * H, _p(dh),
                               _c(grad_out) + t * B * H, relu, d + t * B * H, B, H)
                da_next = d + t * B * H
                fastnn_step_barrier_wait(&step_done, team, &sense)
        gemm(False, False, <int>B, <int>H, <int>H, <floating>1, d + _step(0, T, reverse) * B * H, <int>H, _c(w_hh),
             <int>H, <floating>0, _p(dh), <int>H)
        _input_grads(d, <int>H, _c(x), _c(w_ih), _p(gx), _p(gw_ih), _p(gb), T * B, I)
        _weight_hh_grad(d, <int>H, _c(h0), _c(out), _p(gw_hh), T, B, H, reverse)


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
    cdef _Recurrence rec = _Recurrence(w_hh, d, True)
    args = (x.reshape(-1), h0.reshape(-1), w_ih.reshape(-1), w_hh.reshape(-1), rec.packed, output.reshape(-1),
            grad_output.reshape(-1), dh.reshape(-1), da.reshape(-1), _flat_or_none(gx), gw_ih.reshape(-1),
            gw_hh.reshape(-1), gb, d.T, d.B, d.In, d.H, relu, bool(reverse), rec.nr, rec.nt)
    _rnn_bwd(*args)
    return gx, dh, gw_ih, gw_hh, gb, gb.copy()


# ------------------------------------------------------------------- single steps (the *Cell layers)

def _steps(a):
    return None if a is None else a[None]


def _check_cell_input(x):
    check_float(x, "x", 2)
    return x


def _check_cell_arrays(x, h, **arrays):
    """Cell arguments checked under their own names (the sequence kernels would name their own:
    'cells', 'output', ...): each (B, H)-like array 2-D, C-contiguous, of x's dtype; states shaped as h."""
    if h is not None:
        check_same_dtype(h, "h", x, "x", 2)
    for name, a in arrays.items():
        if a is None:
            continue
        check_same_dtype(a, name, x, "x", 2)
        if name != "gates" and h is not None and a.shape != h.shape:
            raise ValueError(f"{name} must have the shape of h {h.shape}, got {a.shape}")


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
