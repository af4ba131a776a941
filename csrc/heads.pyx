# Attention heads <-> tokens: the layout copies of multi-head attention, fused with what runs beside them.
#
# The packed q/k/v projection of T = N * L tokens is a (T, W * H * hd) array (W = 3 blocks of H heads),
# tokens in (N, L) (batch-first) or (L, N) order; the attention kernels read (W, N, H, L, hd) blocks.
# split_heads copies the one into the other adding the projection's bias in the same pass (the GEMM
# then runs without it, sparing the pass that fills its output with the bias); its backward copies back
# and sums the bias gradient per thread as it goes. merge_heads / merge_heads_backward are the same
# copies for W = 1 without a bias (the attention output into the output projection's tokens).
# Tokens are shared out to OpenMP threads; each token's row is read or written once, contiguously.
from cython.parallel cimport prange, threadid
from cython cimport floating
import numpy as np
from parallel cimport threads_for
from parallel cimport fastnn_team_steer, fastnn_team_begin, fastnn_team_end

include "checks.pxi"

# Elements below which a call stays on one thread (a guess, as for the other copy-like kernels).
cdef Py_ssize_t MIN_WORK = 65536


def _to_heads(const floating[:, ::1] rows, object bias_arr, floating[:, :, :, :, ::1] out, bint batch_first):
    cdef fastnn_team_steer _team
    cdef Py_ssize_t W = out.shape[0], N = out.shape[1], H = out.shape[2], L = out.shape[3], hd = out.shape[4]
    cdef Py_ssize_t T = rows.shape[0], t, n, l, w, h, d, c
    cdef const floating[::1] bias
    cdef const floating* bp = NULL
    if bias_arr is not None:
        bias = bias_arr
        bp = &bias[0]
    cdef const floating* src
    cdef floating* dst
    cdef int nt = threads_for(rows.shape[0] * rows.shape[1], MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for t in prange(T, num_threads=nt, schedule="static"):
            if batch_first:  # token t is (n, l)
                n = t // L
                l = t - n * L
            else:
                l = t // N
                n = t - l * N
            for w in range(W):
                for h in range(H):
                    c = (w * H + h) * hd
                    src = &rows[t, c]
                    dst = &out[w, n, h, l, 0]
                    if bp != NULL:
                        for d in range(hd):
                            dst[d] = src[d] + bp[c + d]
                    else:
                        for d in range(hd):
                            dst[d] = src[d]
        fastnn_team_end(&_team)


def _to_tokens(object blocks, floating[:, ::1] rows, object parts_arr, Py_ssize_t N, Py_ssize_t L, bint batch_first):
    """rows[t, block w's head h] = blocks[w][n, h, l, :]; parts (threads, columns) += rows' column sums."""
    cdef fastnn_team_steer _team
    cdef Py_ssize_t W = len(blocks), T = rows.shape[0], C = rows.shape[1], t, n, l, w, h, d, c
    cdef const floating[:, :, :, ::1] b0 = blocks[0]
    cdef const floating[:, :, :, ::1] b1 = blocks[1] if W > 1 else blocks[0]
    cdef const floating[:, :, :, ::1] b2 = blocks[2] if W > 2 else blocks[0]
    cdef Py_ssize_t H = b0.shape[1], hd = b0.shape[3]
    cdef double[:, ::1] parts
    cdef double* pp = NULL
    cdef double* acc
    if parts_arr is not None:
        parts = parts_arr
        pp = &parts[0, 0]
    cdef const floating* src
    cdef floating* dst
    cdef int nt = threads_for(T * C, MIN_WORK)
    with nogil:
        fastnn_team_begin(&_team, nt)
        for t in prange(T, num_threads=nt, schedule="static"):
            if batch_first:  # token t is (n, l)
                n = t // L
                l = t - n * L
            else:
                l = t // N
                n = t - l * N
            for w in range(W):
                for h in range(H):
                    c = (w * H + h) * hd
                    if w == 0:
                        src = &b0[n, h, l, 0]
                    elif w == 1:
                        src = &b1[n, h, l, 0]
                    else:
                        src = &b2[n, h, l, 0]
                    dst = &rows[t, c]
                    for d in range(hd):
                        dst[d] = src[d]
            if pp != NULL:
                acc = pp + threadid() * C
                dst = &rows[t, 0]
                for d in range(C):
                    acc[d] += dst[d]
        fastnn_team_end(&_team)


def _check_heads(a, name, ref=None):
    check_float(a, name, 4)
    if ref is not None:
        check_like(a, name, ref, "the first block")
    return a


def split_heads(qkv, bias, num_blocks, batch, length, num_heads, batch_first=True):
    """(T, W * H * hd) rows of T = batch * length tokens (in (batch, length) order when batch_first, else
    (length, batch)) plus bias (W * H * hd,) or None -> (W, batch, H, length, hd), one pass."""
    check_float(qkv, "qkv", 2)
    W, N, L, H = int(num_blocks), int(batch), int(length), int(num_heads)
    if min(W, N, L, H) < 1 or W > 3:
        raise ValueError(f"num_blocks must be 1..3 and batch, length, num_heads positive, got {W}, {N}, {L}, {H}")
    T, C = qkv.shape[0], qkv.shape[1]
    if T != N * L or C % (W * H):
        raise ValueError(f"qkv of shape {qkv.shape} is not {N} * {L} tokens of {W} blocks of {H} heads")
    if bias is not None:
        check_same_dtype(bias, "bias", qkv, "qkv", 1)
        if bias.shape[0] != C:
            raise ValueError(f"bias must have shape ({C},), got {bias.shape}")
    out = np.empty((W, N, H, L, C // (W * H)), qkv.dtype)
    if out.size:
        _to_heads(qkv, bias, out, bool(batch_first))
    return out


def split_heads_backward(blocks, batch_first=True, need_bias=True):
    """The gradient of split_heads: blocks, a list of W (batch, H, length, hd) arrays of one shape and dtype
    -> ((T, W * H * hd) rows, bias gradient (W * H * hd,) or None), one pass."""
    blocks = list(blocks)
    if not 1 <= len(blocks) <= 3:
        raise ValueError(f"blocks must hold 1 to 3 arrays, got {len(blocks)}")
    first = _check_heads(blocks[0], "blocks[0]")
    for i, b in enumerate(blocks[1:], 1):
        _check_heads(b, f"blocks[{i}]", first)
    N, H, L, hd = first.shape
    rows = np.empty((N * L, len(blocks) * H * hd), first.dtype)
    nt = threads_for(rows.size, MIN_WORK)
    parts = np.zeros((nt, rows.shape[1])) if need_bias else None
    if rows.size:
        _to_tokens(blocks, rows, parts, N, L, bool(batch_first))
    return rows, (parts.sum(axis=0).astype(first.dtype) if need_bias else None)


def merge_heads(o, batch_first=True):
    """(batch, H, length, hd) -> (T, H * hd) rows of the T = batch * length tokens, one pass."""
    _check_heads(o, "o")
    return split_heads_backward([o], batch_first, False)[0]


def merge_heads_backward(grad, batch, length, num_heads, batch_first=True):
    """The gradient of merge_heads: (T, H * hd) rows -> (batch, H, length, hd)."""
    return split_heads(grad, None, 1, batch, length, num_heads, batch_first)[0]
