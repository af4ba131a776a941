"""Reference softmax, log-softmax and cross-entropy."""
import numpy as np


def _additive_mask(mask, x):
    if mask is None:
        return 0
    mask = np.asarray(mask)
    if mask.dtype == np.bool_:
        mask = np.where(mask, 0.0, -np.inf).astype(x.dtype)
    reps = x.shape[0] // mask.shape[0]
    return np.tile(mask, (reps, 1))


def softmax_forward(x, scale=1.0, mask=None, log=False):
    z = x * x.dtype.type(scale) + _additive_mask(mask, x)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        z = z - z.max(axis=1, keepdims=True) if z.shape[1] else z
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        out = z - np.log(total) if log else e / total
    return out.astype(x.dtype, copy=False)


def softmax_backward(out, grad, scale=1.0, log=False):
    s = out.dtype.type(scale)
    if grad.shape[0] != out.shape[0]:  # (M, C) rows repeating down the R rows of out
        grad = np.tile(grad, (out.shape[0] // grad.shape[0], 1))
    if log:
        return (s * (grad - np.exp(out) * grad.sum(axis=1, keepdims=True))).astype(out.dtype)
    return (s * out * (grad - (grad * out).sum(axis=1, keepdims=True))).astype(out.dtype)


def _target_distribution(target, C, ignore_index, label_smoothing, dtype):
    """Smoothed one-hot rows; ignored rows are all zero."""
    keep = target != ignore_index
    q = np.zeros((target.shape[0], C), dtype=np.float64)
    q[np.nonzero(keep)[0], target[keep]] = 1.0
    q = (1 - label_smoothing) * q + label_smoothing / C * keep[:, None]
    return q


def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    C = logits.shape[1]
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    logp = softmax_forward(logits, log=True)
    q = _target_distribution(target, C, ignore_index, label_smoothing, logits.dtype)
    loss = -(q * w * logp).sum(axis=1)
    return loss.astype(logits.dtype), logp


def cross_entropy_backward(log_probs, target, grad_loss, weight=None, ignore_index=-100, label_smoothing=0.0):
    C = log_probs.shape[1]
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    q = _target_distribution(target, C, ignore_index, label_smoothing, log_probs.dtype)
    # loss = -sum_c w_c q_c logp_c, and d logp_c / dx_k = delta_ck - p_k
    wq = w * q
    p = np.exp(log_probs.astype(np.float64))
    grad = wq.sum(axis=1, keepdims=True) * p - wq
    return (grad * grad_loss[:, None]).astype(log_probs.dtype)
