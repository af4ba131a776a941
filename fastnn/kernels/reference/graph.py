"""Reference graph kernels, written from the definitions with NumPy (np.add.at, stable argsort).

A graph is stored by target: row i of the CSR lists the edges j -> i (columns are sources).
"""
import numpy as np


def _rows(indptr):
    """The row (target) of every CSR entry."""
    return np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))


def _check_index(a, name, upper):
    if not isinstance(a, np.ndarray) or a.dtype != np.int64 or a.ndim != 1:
        raise TypeError(f"{name} must be a 1-D int64 numpy.ndarray")
    if a.size and (a.min() < 0 or a.max() >= upper):
        raise IndexError(f"{name} holds values outside [0, {upper})")


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays


def freeze_csr(indptr, indices, num_cols, perm=None):
    if not isinstance(indptr, np.ndarray) or indptr.dtype != np.int64 or indptr.ndim != 1 or len(indptr) < 1:
        raise TypeError("indptr must be a 1-D int64 numpy.ndarray with at least one entry")
    _check_index(indices, "indices", num_cols)
    if indptr[0] != 0 or indptr[-1] != len(indices) or (np.diff(indptr) < 0).any():
        raise ValueError("indptr must be non-decreasing from 0 to len(indices)")
    if perm is not None:
        _check_index(perm, "perm", len(indices))
        if len(perm) != len(indices):
            raise ValueError(f"perm must have shape ({len(indices)},), got {perm.shape}")
        perm, = _readonly(np.array(perm))
    return (*_readonly(np.array(indptr), np.array(indices)), perm)


def edges_to_csr(src, dst, num_nodes):
    _check_index(src, "src", num_nodes)
    _check_index(dst, "dst", num_nodes)
    perm = np.argsort(dst, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=num_nodes))]).astype(np.int64)
    return _readonly(indptr, src[perm].astype(np.int64), perm.astype(np.int64))


def csr_transpose(indptr, indices, num_cols):
    _check_index(indices, "indices", num_cols)
    rows = _rows(indptr)
    perm = np.argsort(indices, kind="stable")
    t_indptr = np.concatenate([[0], np.cumsum(np.bincount(indices, minlength=num_cols))]).astype(np.int64)
    return _readonly(t_indptr, rows[perm].astype(np.int64), perm.astype(np.int64))


def remaining_self_loops(src, dst, num_nodes):
    _check_index(src, "src", num_nodes)
    _check_index(dst, "dst", num_nodes)
    loop = src == dst
    nodes = np.arange(num_nodes, dtype=np.int64)
    last = np.full(num_nodes, -1, np.int64)
    for e in np.flatnonzero(loop):  # in edge order, so a node's last self loop decides its weight
        last[src[e]] = e
    return (np.concatenate([src[~loop], nodes]), np.concatenate([dst[~loop], nodes]),
            np.concatenate([np.flatnonzero(~loop), last]))


def add_remaining_self_loops(src, dst, num_nodes, weight=None, fill_value=1.0):
    new_src, new_dst, origin = remaining_self_loops(src, dst, num_nodes)
    if weight is None:
        return new_src, new_dst, None
    picked = weight[np.maximum(origin, 0)] if len(weight) else np.zeros(len(origin), weight.dtype)
    return new_src, new_dst, np.where(origin >= 0, picked, fill_value).astype(weight.dtype)


def _inv_sqrt(deg):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(deg == 0, 0, 1 / np.sqrt(deg)).astype(deg.dtype)  # NaN degrees stay NaN


def gcn_norm_csr(indptr, indices, values):
    rows = _rows(indptr)
    deg = np.zeros(len(indptr) - 1, values.dtype)
    np.add.at(deg, rows, values)
    inv = _inv_sqrt(deg)
    return (inv[indices] * values * inv[rows]).astype(values.dtype), deg


def gcn_norm_csr_backward(indptr, indices, values, deg, grad):
    # out = a[src] v a[dst], a = deg^-1/2, deg = row sums of v: the product rule, then the chain
    # through a (da/ddeg = -a^3 / 2) back to every value of the row that deg sums
    rows = _rows(indptr)
    a = _inv_sqrt(deg)
    grad_a = np.zeros_like(a)
    np.add.at(grad_a, indices, grad * values * a[rows])
    np.add.at(grad_a, rows, grad * values * a[indices])
    grad_deg = -0.5 * a ** 3 * grad_a
    return (grad * a[indices] * a[rows] + grad_deg[rows]).astype(values.dtype)


def _heads(values):
    return 1 if values is None or values.ndim == 1 else values.shape[1]


def _messages(indices, values, x, heads):
    """v[e, h] * x[source(e)] block h, for every edge: (E, F)."""
    m = x[indices]
    if values is None:
        return m
    C = x.shape[1] // heads
    return (m.reshape(len(indices), heads, C) * values.reshape(len(indices), heads, 1)).reshape(m.shape)


def _mean_scale(indptr, dtype):
    return (1 / np.maximum(np.diff(indptr), 1)).astype(dtype)[:, None]


def spmm_csr(indptr, indices, values, x, reduce="sum"):
    if reduce not in ("sum", "mean"):
        raise ValueError(f"reduce must be 'sum' or 'mean', got {reduce!r}")
    out = np.zeros((len(indptr) - 1, x.shape[1]), x.dtype)
    np.add.at(out, _rows(indptr), _messages(indices, values, x, _heads(values)))
    return out * _mean_scale(indptr, x.dtype) if reduce == "mean" else out


def spmm_csr_backward(indptr, indices, values, x, grad_out, t_indptr, t_indices, t_perm, reduce="sum",
                      need_x=True, need_values=True):
    H = _heads(values)
    rows = _rows(indptr)
    g = grad_out * _mean_scale(indptr, x.dtype) if reduce == "mean" else grad_out
    gx = None
    if need_x:  # the transpose: each edge sends its target's gradient back to its source
        gx = np.zeros_like(x)
        np.add.at(gx, indices, _messages(np.asarray(rows), values, g, H))
    gv = None
    if need_values and values is not None:
        prod = (g[rows] * x[indices]).reshape(len(indices), H, x.shape[1] // H).sum(axis=2)
        gv = prod.reshape(values.shape).astype(x.dtype)
    return gx, gv


def spmm_max_csr(indptr, indices, x):
    N, F = len(indptr) - 1, x.shape[1]
    out = np.zeros((N, F), x.dtype)
    arg = np.full((N, F), -1, np.int64)
    for i in range(N):
        sources = indices[indptr[i]:indptr[i + 1]]
        if len(sources):
            block = x[sources]
            nan = np.isnan(block)
            # the first NaN wins (NaN propagates), else the first of the largest values
            pick = np.where(nan.any(axis=0), nan.argmax(axis=0), np.argmax(np.where(nan, -np.inf, block), axis=0))
            out[i] = block[pick, np.arange(F)]
            arg[i] = sources[pick]
    return out, arg


def spmm_max_backward(argmax, grad_out, num_nodes):
    gx = np.zeros((num_nodes, grad_out.shape[1]), grad_out.dtype)
    rows, cols = np.nonzero(argmax >= 0)
    np.add.at(gx, (argmax[rows, cols], cols), grad_out[rows, cols])
    return gx


def segment_softmax(indptr, scores):
    out = np.empty_like(scores)
    for i in range(len(indptr) - 1):
        seg = scores[indptr[i]:indptr[i + 1]]
        if len(seg):
            e = np.exp(seg - seg.max(axis=0))
            out[indptr[i]:indptr[i + 1]] = e / e.sum(axis=0)
    return out


def segment_softmax_backward(indptr, alpha, grad):
    rows = _rows(indptr)
    dot = np.zeros((len(indptr) - 1, alpha.shape[1]), alpha.dtype)
    np.add.at(dot, rows, alpha * grad)
    return alpha * (grad - dot[rows])


_MASK = (1 << 64) - 1


def _splitmix64(state):
    """(new state, draw): SplitMix64 on Python ints kept to 64 bits."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return state, z ^ (z >> 31)


def sample_neighbors(indptr, indices, nodes, num_neighbors, random_seed):
    # node s keeps a reservoir of its first k edges; edge t then replaces slot r = u mod (t + 1) when r < k,
    # with u from the SplitMix64 stream seeded by random_seed xor (s * 0xD1B54A32D192ED03)
    _check_index(nodes, "nodes", len(indptr) - 1)
    positions, counts = [], []
    for s, node in enumerate(nodes):
        start, deg = int(indptr[node]), int(indptr[node + 1] - indptr[node])
        k = deg if num_neighbors < 0 else min(deg, num_neighbors)
        slots = list(range(start, start + k))
        state = int(random_seed) ^ ((s * 0xD1B54A32D192ED03) & _MASK)
        for t in range(k, deg):
            state, u = _splitmix64(state)
            r = u % (t + 1)
            if r < k:
                slots[r] = start + t
        positions += slots
        counts.append(k)
    positions = np.array(positions, np.int64)
    return indices[positions].astype(np.int64), positions, np.array(counts, np.int64)
