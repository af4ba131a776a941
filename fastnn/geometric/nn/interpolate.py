"""knn_interpolate: features at new positions as the inverse-squared-distance weighted mean of the k
nearest known points (of the same graph of the batch), as PointNet++'s feature propagation."""
import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ..utils._scatter import scatter


def knn(pos_x, pos_y, k, batch_x=None, batch_y=None):
    """(2, M*k') int64: for each row of pos_y, its k nearest rows of pos_x in the same batch (fewer when the
    batch has fewer), as (y index, x index) pairs. Brute force, one graph at a time."""
    px, py = (p._data if isinstance(p, Tensor) else np.asarray(p) for p in (pos_x, pos_y))
    bx = np.zeros(len(px), np.int64) if batch_x is None else np.asarray(getattr(batch_x, "_data", batch_x), np.int64)
    by = np.zeros(len(py), np.int64) if batch_y is None else np.asarray(getattr(batch_y, "_data", batch_y), np.int64)
    if len(bx) != len(px) or len(by) != len(py):
        raise ValueError("batch_x and batch_y must have one entry per position")
    rows, cols = [], []
    for b in np.unique(by):
        ys, xs = np.flatnonzero(by == b), np.flatnonzero(bx == b)
        if not len(xs):
            continue
        kk = min(int(k), len(xs))
        for start in range(0, len(ys), 1024):  # bounded memory: 1024 queries at a time
            q = ys[start:start + 1024]
            d = ((py[q, None, :] - px[None, xs, :]) ** 2).sum(-1)
            nearest = np.argpartition(d, kk - 1, axis=1)[:, :kk] if kk < len(xs) else \
                np.broadcast_to(np.arange(len(xs)), (len(q), len(xs)))
            rows.append(np.repeat(q, kk))
            cols.append(xs[nearest].reshape(-1))
    if not rows:
        return np.zeros((2, 0), np.int64)
    return np.stack([np.concatenate(rows), np.concatenate(cols)]).astype(np.int64)


def knn_interpolate(x, pos_x, pos_y, batch_x=None, batch_y=None, k=3, num_workers=1):
    """y_i = sum_j w_ij x_j / sum_j w_ij over the k nearest x-points j of y-point i, w_ij = 1 / |p_j - p_i|^2
    (distances below 1e-8 count as 1e-8); gradients flow to x."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValueError(f"k must be a positive int, got {k!r}")
    assign = knn(pos_x, pos_y, k, batch_x, batch_y)
    y_idx, x_idx = assign[0], assign[1]
    px, py = (p._data if isinstance(p, Tensor) else np.asarray(p) for p in (pos_x, pos_y))
    diff = px[x_idx] - py[y_idx]
    weights = (1.0 / np.maximum((diff * diff).sum(-1, keepdims=True), 1e-16)).astype(x.dtype)
    w = _wrap(weights)
    num = scatter(x.index_select(0, _wrap(x_idx)) * w, y_idx, 0, len(py), "sum")
    return num / scatter(w, y_idx, 0, len(py), "sum")
