"""Connectionist temporal classification loss (F.ctc_loss), NumPy forward-backward in log space.

One Python loop over time steps, vectorised over the batch and the extended label positions.
The gradient is PyTorch's: exp(log_probs) - posterior, i.e. the gradient with respect to the
logits when log_probs = log_softmax(logits). Backpropagating it through log_softmax leaves it
unchanged (it sums to zero over classes), so logits' gradients equal PyTorch's and the true ones.
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, _wrap

_NEG = -np.inf


def _lse(*arrays):
    stacked = np.stack(arrays)
    m = np.max(stacked, axis=0)
    safe = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.sum(np.exp(stacked - safe), axis=0))


class CTCLossFn(Function):
    @staticmethod
    def forward(ctx, lp, labels, in_lens, tgt_lens, blank, zero_infinity):
        T, N, C = lp.shape
        L = labels.shape[1]
        S = 2 * L + 1
        ext = np.full((N, S), blank, np.int64)
        ext[:, 1::2] = labels
        s_idx = np.arange(S)
        valid_s = s_idx[None, :] < (2 * tgt_lens[:, None] + 1)
        skip = np.zeros((N, S), bool)  # may jump from s - 2 to s
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        lp64 = lp.astype(np.float64)
        emit = np.take_along_axis(lp64, np.broadcast_to(ext[None], (T, N, S)), axis=2)  # (T, N, S)
        alpha = np.full((T, N, S), _NEG)
        alpha[0, :, 0] = emit[0, :, 0]
        alpha[0, :, 1] = np.where(tgt_lens > 0, emit[0, :, 1], _NEG)
        alpha[0] = np.where(valid_s, alpha[0], _NEG)
        for t in range(1, T):
            prev = alpha[t - 1]
            a1 = np.concatenate([np.full((N, 1), _NEG), prev[:, :-1]], axis=1)
            a2 = np.where(skip, np.concatenate([np.full((N, 2), _NEG), prev[:, :-2]], axis=1), _NEG)
            alpha[t] = np.where(valid_s, _lse(prev, a1, a2) + emit[t], _NEG)
        last = in_lens - 1
        n = np.arange(N)
        end = 2 * tgt_lens
        a_end = alpha[last, n, end]
        a_end2 = np.where(tgt_lens > 0, alpha[last, n, np.maximum(end - 1, 0)], _NEG)
        nll = -_lse(a_end, a_end2)
        ctx.meta = (lp64, emit, alpha, ext, skip, valid_s, in_lens, tgt_lens, nll, zero_infinity, lp.dtype)
        out = np.where(zero_infinity & np.isinf(nll), 0.0, nll)
        return out.astype(lp.dtype)

    @staticmethod
    def backward(ctx, g):
        lp, emit, alpha, ext, skip, valid_s, in_lens, tgt_lens, nll, zero_infinity, dtype = ctx.meta
        T, N, C = lp.shape
        S = ext.shape[1]
        n = np.arange(N)
        beta = np.full((T, N, S), _NEG)
        last = in_lens - 1
        end = 2 * tgt_lens
        beta[last, n, end] = emit[last, n, end]
        has = tgt_lens > 0
        beta[last[has], n[has], end[has] - 1] = emit[last[has], n[has], end[has] - 1]
        skip_next = np.zeros((N, S), bool)  # may jump from s to s + 2
        skip_next[:, :-2] = skip[:, 2:]
        for t in range(T - 2, -1, -1):
            nxt = beta[t + 1]
            b1 = np.concatenate([nxt[:, 1:], np.full((N, 1), _NEG)], axis=1)
            b2 = np.where(skip_next, np.concatenate([nxt[:, 2:], np.full((N, 2), _NEG)], axis=1), _NEG)
            step = np.where(valid_s, _lse(nxt, b1, b2) + emit[t], _NEG)
            running = (t < last)[:, None]
            beta[t] = np.where(running, step, beta[t])
        # posterior of class c at time t: sum over positions s labelled c of exp(alpha + beta - emit + nll)
        with np.errstate(invalid="ignore"):
            ab = alpha + beta - emit + nll[None, :, None]
        post = np.zeros((T, N, C))
        np.add.at(post, (slice(None), n[:, None], ext), np.exp(np.where(np.isfinite(ab), ab, _NEG)))
        grad = np.exp(lp) - post
        time_ok = np.arange(T)[:, None] < in_lens[None, :]
        grad = np.where(time_ok[:, :, None], grad, 0.0)
        bad = np.isinf(nll)
        if zero_infinity:
            grad[:, bad] = 0.0
        grad = grad * np.asarray(g, np.float64)[None, :, None]
        return grad.astype(dtype), None, None, None, None, None


def _as_lengths(x, n, name):
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    arr = np.asarray(arr).astype(np.int64).reshape(-1)
    if arr.size != n:
        raise ValueError(f"ctc_loss: {name} must have {n} entries (one per batch element), got {arr.size}")
    return arr


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    if not isinstance(log_probs, Tensor) or log_probs.dtype.kind != "f":
        raise TypeError("ctc_loss: log_probs must be a floating point Tensor")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"ctc_loss: {reduction!r} is not a valid value for reduction")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    if lp.ndim != 3:
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise ValueError(f"ctc_loss: blank must be in label range [0, {C})")
    in_lens = _as_lengths(input_lengths, N, "input_lengths")
    tgt_lens = _as_lengths(target_lengths, N, "target_lengths")
    if in_lens.min() < 1 or in_lens.max() > T:
        raise ValueError(f"ctc_loss: input_lengths must be in [1, {T}], got {in_lens.tolist()}")
    tg = targets._data if isinstance(targets, Tensor) else np.asarray(targets)
    tg = np.asarray(tg).astype(np.int64)
    L = int(tgt_lens.max()) if N else 0
    labels = np.full((N, max(L, 1)), blank, np.int64)
    if tg.ndim == 2 or (unbatched and tg.ndim == 1 and tgt_lens.size == 1 and tg.size >= tgt_lens[0]):
        rows = tg.reshape(N, -1) if tg.ndim == 2 else tg.reshape(1, -1)
        if rows.shape[1] < L:
            raise ValueError(f"ctc_loss: targets has {rows.shape[1]} columns, fewer than the longest target ({L})")
        for i in range(N):
            labels[i, :tgt_lens[i]] = rows[i, :tgt_lens[i]]
    else:  # one concatenated 1-D tensor of all targets
        if tg.size != tgt_lens.sum():
            raise ValueError(f"ctc_loss: concatenated targets hold {tg.size} labels, target_lengths sum to "
                             f"{tgt_lens.sum()}")
        starts = np.concatenate([[0], np.cumsum(tgt_lens)[:-1]])
        for i in range(N):
            labels[i, :tgt_lens[i]] = tg[starts[i]:starts[i] + tgt_lens[i]]
    used = np.concatenate([labels[i, :tgt_lens[i]] for i in range(N)]) if N else np.zeros(0, np.int64)
    if used.size and (used.min() < 0 or used.max() >= C or (used == blank).any()):
        raise ValueError(f"ctc_loss: target labels must be in [0, {C}) and differ from blank ({blank})")
    loss = CTCLossFn.apply(lp, labels, in_lens, tgt_lens, blank, bool(zero_infinity))
    if unbatched:
        loss = loss.squeeze(0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    divisor = np.maximum(tgt_lens, 1).astype(log_probs.dtype)
    return (loss / _wrap(divisor.reshape(loss.shape))).mean()
