# Whole-sequence RNN / LSTM / GRU forward and backward-through-time, one native call per
# layer per direction per pass: one extension module, fastnn.kernels._rnn, in a file per cell.
#
#   rnn.pyx          argument checks, W_hh packing, and the GEMMs every cell shares
#   rnn_sweep.pxi    the one loop over time: a step's blocks of hidden units shared by threads
#   rnn_lstm.pxi     LSTM: the sequence kernels and LSTMCell's single step
#   rnn_gru.pxi      GRU: likewise
#   rnn_elman.pxi    Elman RNN (tanh / relu): likewise
#
# Forward (Elman, GRU): the input projection of all T steps is one GEMM, (T*B, I) x (I, G*H); the
# loop over time then does one (B, H) x (H, G*H) product per step and the fused gate arithmetic of
# csrc/rnncell.h. The LSTM's steps add their input's part themselves (x_t W_ih^T beside h_prev W_hh^T,
# rnn_lstm.pxi says why). Backward: the loop keeps only what is sequential (gate gradients and the
# (B, G*H) x (G*H, H) product carrying the gradient to h_{t-1}); the input gradient and the
# weight gradients are then a few large GEMMs over all steps, which run near BLAS peak.
#
# The per-step products reuse W_hh T times, so W_hh is packed once per call into column panels
# (csrc/panelgemm.h) instead of being re-packed by a BLAS call at every step. A step's work is
# its blocks of hidden units (one panel wide, all their gates: their columns of the product,
# then their gate arithmetic); rnn_sweep.pxi shares them out inside one parallel region per call.
#
# Layouts are PyTorch's: x (T, B, I), states (B, H), w_ih (G*H, I), w_hh (G*H, H), biases
# (G*H,); LSTM gates i, f, g, o; GRU gates r, z, n. `reverse` runs from t = T-1 down to 0
# (the backward direction of a bidirectional layer); output[t] stays at index t. A bidirectional LSTM
# layer's two directions come in one call (lstm_forward_pair, lstm_backward_pair), which on two threads
# runs them side by side, each whole on one thread, with no barrier between steps (_pair_pays).
from cython cimport floating
from libc.string cimport memcpy
import numpy as np
from blas cimport gemm
from flatarray cimport column_sums, data_or_null as _p, const_data_or_null as _c   # addresses of flat views
# (_c for arrays only read: inputs, weights and saved results may be read-only)
from rnncell cimport lstm_step_fwd, lstm_step_bwd, gru_step_fwd, gru_step_bwd, rnn_step_fwd, rnn_step_bwd
from panelgemm cimport (panel_gemm, panel_gemm_pf, pack_panels, fastnn_panel_width_f, fastnn_panel_width_d,
                       fastnn_prefetch_list_rows)
from parallel cimport threads_for, fastnn_max_threads, fastnn_team_steer, fastnn_team_begin, fastnn_team_end
from gemmsplit cimport (fastnn_pool_run, FASTNN_HAVE_POOL, fastnn_packed_sgemm_pays, fastnn_prepacked_size,
                       fastnn_prepacked_put, gemm_prepacked)
from cython.parallel cimport parallel, prange, threadid

include "checks.pxi"

cdef class _Dims:
    # Validated sizes of one call: T steps, batch B, input In (not I: a C macro), hidden H, G gate blocks.
    cdef public Py_ssize_t T, B, In, H, G


cdef _Dims _check_weights(x, w_ih, w_hh, b_ih, b_hh, int G, bint batch_first=False):
    cdef _Dims d = _Dims()
    check_float(x, "x", 3)
    check_same_dtype(w_ih, "w_ih", x, "x", 2)
    check_same_dtype(w_hh, "w_hh", x, "x", 2)
    if batch_first:
        d.B, d.T, d.In = x.shape
    else:
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


# Multiply-adds of one step's product below which the loop over time stays on one thread: every
# step waits for the previous one's blocks, a cost the smallest products would not repay (the
# threshold was not tuned: the same as the dropout kernel's. Re-measured on a 2-core Xeon
# under a load average of ~7-10, LSTM fwd+bwd T=50 with BLAS on one thread: two threads were
# within 0.9-1.2x of one at 65k to 8M multiply-adds per step, no line to read off; a quiet
# machine is needed to move it).
cdef Py_ssize_t MIN_STEP_WORK = 65536


cdef extern from "packedgemm.h" nogil:
    bint fastnn_pack_wt_pays(Py_ssize_t nr)
    void fastnn_pack_wt(const float *w, Py_ssize_t ldw, Py_ssize_t K, Py_ssize_t nc, Py_ssize_t nr, float *panel)


def _pack(const floating[::1] w, Py_ssize_t k_stride, Py_ssize_t n_stride, Py_ssize_t K, Py_ssize_t gates,
          Py_ssize_t H, Py_ssize_t nr, floating[::1] dst):
    cdef Py_ssize_t q, g
    with nogil:
        if floating is float and k_stride == 1 and n_stride != 1 and fastnn_pack_wt_pays(nr):
            # the forward's W_hh^T: each panel is the transpose of nc rows of w
            for q in range((H + nr - 1) // nr):
                for g in range(gates):
                    fastnn_pack_wt(&w[(g * H + q * nr) * n_stride], n_stride, K, min(nr, H - q * nr), nr,
                                   &dst[(q * gates + g) * K * nr])
        else:
            pack_panels(&w[0], k_stride, n_stride, K, gates, H, nr, &dst[0])


cdef class _Recurrence:
    """W_hh packed for the per-step products of one call, and how many threads share a step.

    Forward multiplies by W_hh^T ((H, G*H): one panel set per gate); backward by W_hh
    ((G*H, H): one set), except through a single step (the *Cell layers), which has no such product."""
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
        if backward and d.T == 1:   # backward through one step never multiplies by W_hh (no later step)
            self.packed = np.empty(0, w_hh.dtype)
            return
        self.packed = np.empty(blocks * gates * K * self.nr, w_hh.dtype)
        _pack(w_hh.reshape(-1), k_stride, n_stride, K, gates, d.H, self.nr, self.packed)


def _pack_input_weights(w_ih, _Dims d, Py_ssize_t nr):
    """W_ih^T packed for the forward steps as _Recurrence packs W_hh^T (one panel set per gate, K = In), for
    kernels that add a step's input part inside the step (an empty array for In = 0)."""
    if d.In == 0:
        return np.empty(1, w_ih.dtype)
    blocks = (d.H + nr - 1) // nr
    packed = np.empty(blocks * d.G * d.In * nr, w_ih.dtype)
    _pack(w_ih.reshape(-1), 1, d.In, d.In, d.G, d.H, nr, packed)
    return packed


cdef inline void _times_block(const floating *A, Py_ssize_t B, Py_ssize_t K, Py_ssize_t lda, const floating *packed,
                              Py_ssize_t nr, Py_ssize_t gates, Py_ssize_t H, Py_ssize_t q, bint accumulate,
                              floating *C, Py_ssize_t ldc) noexcept nogil:
    """C[:, g*H + j] (+)= (A @ packed)[:, g*H + j] for every gate g and the hidden units j of
    block q; A is (B, K), its rows lda apart."""
    cdef Py_ssize_t g
    for g in range(gates):
        panel_gemm(B, K, A, lda, packed + (q * gates + g) * K * nr, nr, accumulate, C + g * H + q * nr, ldc,
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
    # gx = d @ W_ih (skipped for gx NULL: the input needs no gradient), gW_ih = d^T x (skipped for gw_ih
    # NULL: _weight_grads makes it), gb = column sums of d (skipped for gb NULL: the sweep summed them), with d
    # the (T*B, G) pre-activation gradients.
    if gx != NULL:
        gemm(False, False, <int>rows, <int>I, G, <floating>1, d, G, w_ih, <int>I, <floating>0, gx, <int>I)
    if gw_ih != NULL:
        gemm(True, False, G, <int>I, <int>rows, <floating>1, d, G, x, <int>I, <floating>0, gw_ih, <int>I)
    if gb != NULL:
        column_sums(d, rows, G, gb)


cdef void _weight_grads(floating *d, int G, const floating *x, const floating *h0, const floating *out,
                        floating *xh, floating *gcat, floating *gw_ih, floating *gw_hh, Py_ssize_t T, Py_ssize_t B,
                        Py_ssize_t I, Py_ssize_t H, bint reverse) noexcept nogil:
    """gw_ih (G, I) = sum_t d[t]^T x[t] and gw_hh (G, H) = sum_t d[t]^T h_prev(t), for cells whose two weights
    see the same pre-activation gradients d (T, B, G) (Elman): [x | h_prev] stacked into xh, then
    _stacked_weight_grads."""
    cdef Py_ssize_t K = I + H, t, tp, b, r
    cdef const floating *hp
    for t in range(T):
        tp = t + 1 if reverse else t - 1   # the step whose output enters step t (none: h0)
        hp = h0 if tp < 0 or tp >= T else out + tp * B * H
        for b in range(B):
            r = t * B + b
            if I > 0:   # (no input features: x and gw_ih have no data at all)
                memcpy(xh + r * K, x + r * I, I * sizeof(floating))
            memcpy(xh + r * K + I, hp + b * H, H * sizeof(floating))
    _stacked_weight_grads(d, G, xh, gcat, gw_ih, gw_hh, T * B, I, H)


cdef void _stacked_weight_grads(floating *d, int G, const floating *xh, floating *gcat, floating *gw_ih,
                                floating *gw_hh, Py_ssize_t rows, Py_ssize_t I, Py_ssize_t H) noexcept nogil:
    """gw_ih (G, I) and gw_hh (G, H) from the rows [x | h_prev] of every step, xh (rows, I + H): one product
    d^T xh, which transposes d once instead of once per product (three: gw_ih, and gw_hh as two since h_prev
    is h0 for the first step); (1600, 1024) d, I = 128, H = 256: 3.41-3.54 ms against 3.65-3.75 (minima,
    AMD EPYC Zen 5, 2 threads). gcat (G, I + H) is the caller's scratch (_stack_buffers)."""
    cdef Py_ssize_t K = I + H
    gemm(True, False, G, <int>K, <int>rows, <floating>1, d, G, xh, <int>K, <floating>0, gcat, <int>K)
    _split_weight_grads(gcat, gw_ih, gw_hh, G, I, H)


cdef void _split_weight_grads(const floating *gcat, floating *gw_ih, floating *gw_hh, Py_ssize_t G, Py_ssize_t I,
                              Py_ssize_t H) noexcept nogil:
    # gcat (G, I + H) = [gw_ih | gw_hh]
    cdef Py_ssize_t K = I + H, r
    for r in range(G):
        if I > 0:   # (no input features: x and gw_ih have no data at all)
            memcpy(gw_ih + r * I, gcat + r * K, I * sizeof(floating))
        memcpy(gw_hh + r * H, gcat + r * K + I, H * sizeof(floating))


def _prepacked_pays(x, Py_ssize_t G, Py_ssize_t H):
    """Whether an LSTM backward over x (T, B, I) writes its weight gradients' operands ready for the engine
    (rnn_lstm.pxi): float32 where the packed engine runs the (G, I + H) x T*B product at all."""
    return x.dtype == np.float32 and fastnn_packed_sgemm_pays(G, x.shape[2] + H, x.shape[0] * x.shape[1])


def _prepacked_buffers(x, Py_ssize_t G, Py_ssize_t H):
    """_stack_buffers for the prepacked path: [x | h_prev] in the engine's packed layout (zeros in the lanes past
    I + H, which the product never stores but does multiply), and the stacked gradient."""
    cdef Py_ssize_t rows = x.shape[0] * x.shape[1], K = x.shape[2] + H
    xh = (np.zeros if K % 32 else np.empty)(fastnn_prepacked_size(rows, K), np.float32)
    return xh, np.empty((G, K), np.float32)


def _stack_buffers(x, Py_ssize_t G, Py_ssize_t H):
    """_weight_grads' scratch for x (T, B, I): the stacked [x | h_prev] rows and the stacked gradient."""
    cdef Py_ssize_t T = x.shape[0], B = x.shape[1], I = x.shape[2]
    return np.empty((T * B, I + H), x.dtype), np.empty((G, I + H), x.dtype)


def _pair_pays():
    """Whether a bidirectional layer runs its two directions side by side, each whole on one thread, rather than
    one after the other with the steps of each shared by the threads behind a barrier per step: with exactly two
    threads. Measured (AMD EPYC Zen 5, 2-layer bidirectional LSTM, T=50, B=32, H=128, alternating rounds):
    both directions of a layer forward 3.5-5.5 -> 3.0-3.6 ms, backward 7.9-9.9 -> 6.4-10.5 ms; through nn.LSTM
    against PyTorch 0.24-0.30 -> 0.22-0.26 of its time on a quiet machine, no gain beside a busy process (a
    direction whose thread shares a core with it runs at half speed, and nothing takes its steps). With more
    threads each direction could use several; unmeasured, so those machines keep the sequential path."""
    return fastnn_max_threads() == 2


def _run_pair(run_one, run_two, a, b, backward):
    if _pair_pays():
        run_two(a, b, backward)
    else:
        run_one(a, backward)
        run_one(b, backward)


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


include "rnn_sweep.pxi"
include "rnn_lstm.pxi"
include "rnn_gru.pxi"
include "rnn_elman.pxi"
