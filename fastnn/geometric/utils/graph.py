"""edge_index utilities with PyTorch Geometric's names, arguments and return conventions.

Structure (which edges, in which order) is computed with NumPy on the int64 indices; edge attributes
flow through fastnn operations (index_select, scatter), so their gradients are kept.
"""
import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd.random import generator
from ...graph.utils import check_edge_index, num_nodes_of
from ._scatter import scatter

MISSING = "???"  # PyG's sentinel: an argument not passed at all, as opposed to None


def _ei(edge_index, num_nodes=None):
    return check_edge_index(edge_index, num_nodes)


def _take(attr, idx):
    """attr (Tensor, or list of Tensors, or None) at edge positions idx, keeping gradients."""
    if attr is None or (isinstance(attr, str) and attr == MISSING):
        return attr
    if isinstance(attr, (list, tuple)):
        return [_take(a, idx) for a in attr]
    return attr.index_select(0, _wrap(np.asarray(idx, np.int64)))


def coalesce(edge_index, edge_attr=MISSING, num_nodes=None, reduce="sum", is_sorted=False, sort_by_row=True):
    """Sort the edges (by source, then target; by target first when sort_by_row=False) and merge
    duplicates, reducing their attributes with `reduce`."""
    a = _ei(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    key = a[0] * max(n, 1) + a[1] if sort_by_row else a[1] * max(n, 1) + a[0]
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    first = np.ones(len(key_sorted), bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    out = _wrap(np.ascontiguousarray(a[:, order[first]]))
    if isinstance(edge_attr, str) and edge_attr == MISSING:
        return out
    if edge_attr is None:
        return out, None
    group = np.cumsum(first) - 1  # the merged edge of each sorted edge

    def merge(attr):
        return scatter(attr.index_select(0, _wrap(order)), group, 0, int(first.sum()), reduce)
    merged = [merge(t) for t in edge_attr] if isinstance(edge_attr, (list, tuple)) else merge(edge_attr)
    return out, merged


def to_undirected(edge_index, edge_attr=MISSING, num_nodes=None, reduce="add"):
    """Add every edge's reverse and coalesce (attributes of merged duplicates reduced with `reduce`)."""
    if isinstance(edge_attr, int) and not isinstance(edge_attr, bool):
        num_nodes, edge_attr = edge_attr, MISSING
    a = _ei(edge_index, num_nodes)
    both = _wrap(np.concatenate([a, a[::-1]], axis=1))
    if isinstance(edge_attr, str) and edge_attr == MISSING:
        return coalesce(both, num_nodes=num_nodes)
    if edge_attr is None:
        return coalesce(both, num_nodes=num_nodes), None
    from ...autograd.ops.shape import cat
    doubled = ([cat([t, t]) for t in edge_attr] if isinstance(edge_attr, (list, tuple))
               else cat([edge_attr, edge_attr]))
    return coalesce(both, doubled, num_nodes, reduce)


def is_undirected(edge_index, edge_attr=None, num_nodes=None):
    """Whether every edge (with its attribute, when given) has its reverse."""
    a = _ei(edge_index, num_nodes)
    n = max(num_nodes_of(a, num_nodes), 1)
    if not np.array_equal(np.unique(a[0] * n + a[1]), np.unique(a[1] * n + a[0])):
        return False
    if edge_attr is None:
        return True
    attrs = list(edge_attr) if isinstance(edge_attr, (list, tuple)) else [edge_attr]
    reverse = _wrap(np.ascontiguousarray(a[::-1]))
    forward = coalesce(edge_index, attrs, num_nodes)[1]
    backward = coalesce(reverse, attrs, num_nodes)[1]
    return all(np.array_equal(f.detach().numpy(), r.detach().numpy()) for f, r in zip(forward, backward))


def contains_self_loops(edge_index):
    a = _ei(edge_index)
    return bool((a[0] == a[1]).any())


def remove_self_loops(edge_index, edge_attr=None):
    a = _ei(edge_index)
    keep = np.flatnonzero(a[0] != a[1])
    return _wrap(np.ascontiguousarray(a[:, keep])), _take(edge_attr, keep)


def add_self_loops(edge_index, edge_attr=None, fill_value=None, num_nodes=None):
    """Append one self loop per node (existing loops stay); loop attributes are fill_value (default 1)
    or, for fill_value 'add'/'mean'/'max'/'min', that reduction of each node's incoming attributes."""
    from ...autograd.ops.shape import cat
    a = _ei(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    loops = np.arange(n, dtype=np.int64)
    out = _wrap(np.concatenate([a, np.stack([loops, loops])], axis=1))
    if edge_attr is None:
        return out, None
    return out, cat([edge_attr, _loop_attr(a, edge_attr, fill_value, n)])


def add_remaining_self_loops(edge_index, edge_attr=None, fill_value=None, num_nodes=None):
    """One self loop per node: existing loops are removed and re-added after the other edges, keeping
    the attribute of a node's last loop; nodes without one get fill_value (as add_self_loops)."""
    from ...autograd.ops.shape import cat
    from ...graph import structure
    a = _ei(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    src, dst, origin = structure.remaining_self_loops(a[0], a[1], n)
    out = _wrap(np.stack([src, dst]))
    if edge_attr is None:
        return out, None
    keep = origin[: len(origin) - n]
    loops = origin[len(origin) - n:]
    fill = _loop_attr(a, edge_attr, fill_value, n)
    extended = cat([edge_attr, fill])  # position E + i holds node i's fill attribute
    pick = np.where(loops >= 0, loops, a.shape[1] + np.arange(n))
    return out, extended.index_select(0, _wrap(np.concatenate([keep, pick]).astype(np.int64)))


def _loop_attr(a, edge_attr, fill_value, n):
    shape = (n, *edge_attr.shape[1:])
    if fill_value is None or isinstance(fill_value, (int, float)):
        return _wrap(np.full(shape, 1.0 if fill_value is None else fill_value, edge_attr.dtype))
    if isinstance(fill_value, Tensor):
        return _wrap(np.broadcast_to(fill_value._data.astype(edge_attr.dtype), shape).copy())
    if fill_value in ("add", "sum", "mean", "max", "min"):
        return scatter(edge_attr, a[1], 0, n, fill_value)
    raise ValueError(f"fill_value must be a number, a Tensor or one of 'add', 'mean', 'max', 'min', got {fill_value!r}")


def subgraph(subset, edge_index, edge_attr=None, relabel_nodes=False, num_nodes=None, return_edge_mask=False):
    """The edges between the nodes of subset (bool mask or indices), optionally relabelled 0..k-1."""
    a = _ei(edge_index)
    s = subset._data if isinstance(subset, Tensor) else np.asarray(subset)
    if s.dtype == bool:
        n = len(s) if num_nodes is None else int(num_nodes)
        mask = np.zeros(n, bool)
        mask[: len(s)] = s
    else:
        if s.dtype.kind not in "iu" or (s.size and s.min() < 0):
            raise IndexError("subset must be a bool mask or non-negative node indices")
        n = int(num_nodes) if num_nodes is not None else \
            max(int(a.max()) + 1 if a.size else 0, int(s.max()) + 1 if s.size else 0)
        mask = np.zeros(n, bool)
        mask[s.astype(np.int64)] = True
    if a.size and a.max() >= len(mask):
        raise IndexError(f"edge_index holds node {a.max()}, beyond the {len(mask)} nodes of subset")
    edge_mask = mask[a[0]] & mask[a[1]]
    out = a[:, edge_mask]
    if relabel_nodes:
        relabel = np.full(len(mask), -1, np.int64)
        kept = np.flatnonzero(mask) if s.dtype == bool else s.astype(np.int64)
        relabel[kept] = np.arange(len(kept))
        out = relabel[out]
    result = (_wrap(np.ascontiguousarray(out)), _take(edge_attr, np.flatnonzero(edge_mask)))
    return (*result, _wrap(edge_mask)) if return_edge_mask else result


def k_hop_subgraph(node_idx, num_hops, edge_index, relabel_nodes=False, num_nodes=None,
                   flow="source_to_target", directed=False):
    """(subset, edge_index, mapping, edge_mask): the nodes within num_hops of node_idx (messages flowing
    towards it), the edges among them (directed: only the edges the hops walked), where node_idx sits in
    subset, and the kept-edge mask."""
    if flow not in ("source_to_target", "target_to_source"):
        raise ValueError(f"flow must be 'source_to_target' or 'target_to_source', got {flow!r}")
    a = _ei(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    row, col = (a[0], a[1]) if flow == "target_to_source" else (a[1], a[0])
    seeds = np.asarray(node_idx._data if isinstance(node_idx, Tensor) else node_idx, np.int64).reshape(-1)
    if seeds.size and (seeds.min() < 0 or seeds.max() >= n):
        raise IndexError(f"node_idx holds nodes outside [0, {n})")
    frontier, subsets = seeds, [seeds]
    walked = np.zeros(a.shape[1], bool)  # directed: the edges the hops went along
    for _ in range(int(num_hops)):
        hop = np.zeros(n, bool)
        hop[frontier] = True
        along = hop[row]
        walked |= along
        frontier = col[along]
        subsets.append(frontier)
    subset, inverse = np.unique(np.concatenate(subsets), return_inverse=True)
    mapping = inverse[: len(seeds)]
    node_mask = np.zeros(n, bool)
    node_mask[subset] = True
    edge_mask = walked if directed else node_mask[a[0]] & node_mask[a[1]]
    out = a[:, edge_mask]
    if relabel_nodes:
        relabel = np.full(n, -1, np.int64)
        relabel[subset] = np.arange(len(subset))
        out = relabel[out]
    return _wrap(subset.astype(np.int64)), _wrap(np.ascontiguousarray(out)), _wrap(mapping.astype(np.int64)), \
        _wrap(edge_mask)


def to_dense_adj(edge_index, batch=None, edge_attr=None, max_num_nodes=None, batch_size=None):
    """(B, N, N) dense adjacency per graph of the batch: A[b, i, j] sums the attributes of edges i -> j."""
    a = _ei(edge_index)
    n_total = int(a.max()) + 1 if a.size else 0
    if batch is None:
        b = np.zeros(n_total, np.int64)
    else:
        b = np.asarray(batch._data if isinstance(batch, Tensor) else batch, np.int64)
    B = int(batch_size) if batch_size is not None else (int(b.max()) + 1 if b.size else 1)
    counts = np.bincount(b, minlength=B)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    N = int(max_num_nodes) if max_num_nodes is not None else (int(counts.max()) if counts.size else 0)
    gb = b[a[0]] if a.size else np.zeros(0, np.int64)
    i, j = a[0] - starts[gb], a[1] - starts[gb]
    keep = np.flatnonzero((i < N) & (j < N))
    flat = (gb * N * N + i * N + j)[keep]
    if edge_attr is None:
        values = _wrap(np.ones(len(keep), np.float32))
    else:
        values = edge_attr.index_select(0, _wrap(keep))
    dense = scatter(values, flat, 0, B * N * N, "sum")
    return dense.reshape(B, N, N, *dense.shape[1:])


def negative_sampling(edge_index, num_nodes=None, num_neg_samples=None, method="sparse", force_undirected=False):
    """Random node pairs (i, j), i != j, that are not edges: num_neg_samples of them (default: as many
    as there are edges), fewer only when the graph has fewer non-edges."""
    if method not in ("sparse", "dense"):
        raise ValueError(f"method must be 'sparse' or 'dense', got {method!r}")
    a = _ei(edge_index)
    if isinstance(num_nodes, tuple):
        raise NotImplementedError("negative_sampling: bipartite (num_src, num_dst) node counts are not supported")
    n = num_nodes_of(a, num_nodes)
    want = a.shape[1] if num_neg_samples is None else int(num_neg_samples)
    if force_undirected:
        want //= 2
    if force_undirected:  # unordered pairs {i, j}, keyed min * n + max; a pair is taken if either direction is
        lo, hi = np.minimum(a[0], a[1]), np.maximum(a[0], a[1])
        existing = np.unique((lo * n + hi)[lo != hi])
        free = n * (n - 1) // 2 - len(existing)
    else:
        existing = np.unique((a[0] * n + a[1])[a[0] != a[1]])
        free = n * (n - 1) - len(existing)
    want = max(0, min(want, free))
    rng = generator()
    if 2 * want > free:  # most free pairs are wanted: list them all and choose
        i, j = np.nonzero(np.triu(np.ones((n, n), bool), 1) if force_undirected else ~np.eye(n, dtype=bool))
        candidates = np.setdiff1d(i * n + j, existing)
        chosen = np.sort(rng.choice(candidates, want, replace=False))
    else:
        chosen = np.zeros(0, np.int64)
        while len(chosen) < want:
            draw = rng.integers(0, n * n, size=max(2 * (want - len(chosen)), 16))
            draw = draw[draw // n != draw % n]
            if force_undirected:
                draw = np.minimum(draw // n, draw % n) * n + np.maximum(draw // n, draw % n)
            chosen = np.unique(np.concatenate([chosen, draw[~np.isin(draw, existing)]]))
            if len(chosen) > want:
                chosen = np.sort(rng.choice(chosen, want, replace=False))
    out = np.stack([chosen // n, chosen % n]).astype(np.int64)
    if force_undirected:
        out = np.concatenate([out, out[::-1]], axis=1)
    return _wrap(np.ascontiguousarray(out))


def normalized_cut(edge_index, edge_attr, num_nodes=None):
    """edge_attr * (1 / deg(i) + 1 / deg(j)) for each edge i -> j, deg the in-degree (PyG's normalized_cut)."""
    a = _ei(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    deg = np.bincount(a[1], minlength=n).astype(edge_attr.dtype)
    with np.errstate(divide="ignore"):
        inv = 1 / deg
    return edge_attr * _wrap((inv[a[0]] + inv[a[1]]).astype(edge_attr.dtype))


def degree(index, num_nodes=None, dtype=None):
    from ...graph.utils import degree as _degree
    return _degree(index, num_nodes, dtype)
