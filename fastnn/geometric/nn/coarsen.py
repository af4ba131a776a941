"""Graph coarsening: graclus matching, and max_pool / max_pool_x over a node clustering (PyG's pool ops).

graclus is a greedy matching in Python over the CSR (one pass over the nodes): right for the small
graphs it is used on (superpixel and mesh examples), not for large ones.
"""
import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd.random import generator
from ...graph.utils import check_edge_index, num_nodes_of
from ..utils._scatter import scatter
from ..utils.graph import remove_self_loops, coalesce


def graclus(edge_index, weight=None, num_nodes=None):
    """cluster (num_nodes,): nodes visited in random order each match the unmatched neighbour joined by
    the heaviest edge (any, without weights); a matched pair gets the smaller id of the two, an unmatched
    node its own id (Dhillon et al.'s Graclus, as torch_cluster's)."""
    a = check_edge_index(edge_index, num_nodes)
    n = num_nodes_of(a, num_nodes)
    w = None if weight is None else (weight._data if isinstance(weight, Tensor) else np.asarray(weight))
    if w is not None and w.shape != (a.shape[1],):
        raise ValueError(f"weight must have shape ({a.shape[1]},), got {w.shape}")
    rng = generator()
    shuffle = rng.permutation(a.shape[1])  # ties (and unweighted graphs) are broken at random
    order = shuffle[np.lexsort((shuffle, a[0][shuffle]))] if w is None else \
        shuffle[np.lexsort((-w[shuffle], a[0][shuffle]))]
    src, dst = a[0][order], a[1][order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))])
    cluster = np.full(n, -1, np.int64)
    for u in rng.permutation(n):
        if cluster[u] >= 0:
            continue
        cluster[u] = u
        for v in dst[indptr[u]:indptr[u + 1]]:  # heaviest edge first
            if v != u and cluster[v] < 0:
                cluster[u] = cluster[v] = min(u, v)
                break
    return _wrap(cluster)


def consecutive_cluster(cluster):
    """(cluster ids renumbered 0..C-1 in sorted order, one member node per cluster)."""
    c = cluster._data if isinstance(cluster, Tensor) else np.asarray(cluster)
    unique, inverse = np.unique(c, return_inverse=True)
    perm = np.empty(len(unique), np.int64)
    perm[inverse] = np.arange(len(c))  # the last member, as PyTorch's CPU scatter_
    return inverse.astype(np.int64), perm


def max_pool_x(cluster, x, batch, batch_size=None, size=None):
    """(x max-pooled per cluster, the batch vector of the clusters); with `size` (clusters per graph) the
    clusters are dense ids and the batch is None."""
    if size is not None:
        if batch_size is None:
            batch_size = int(batch.numpy().max()) + 1
        return scatter(x, cluster, 0, batch_size * size, "max"), None
    inverse, perm = consecutive_cluster(cluster)
    pooled_batch = None if batch is None else batch.index_select(0, _wrap(perm))
    return scatter(x, inverse, 0, len(perm), "max"), pooled_batch


def max_pool(cluster, data, transform=None):
    """The coarsened graph as a Batch: x max-pooled and pos averaged per cluster, edges mapped to clusters
    (self loops dropped, duplicates merged with summed edge_attr), batch per cluster."""
    from ..data import Batch
    inverse, perm = consecutive_cluster(cluster)
    x = None if data.x is None else scatter(data.x, inverse, 0, len(perm), "max")
    edge_index, edge_attr = remove_self_loops(_wrap(inverse[data.edge_index.numpy()]), data.edge_attr)
    if edge_index.shape[1]:
        if edge_attr is None:
            edge_index = coalesce(edge_index, num_nodes=len(inverse))
        else:
            edge_index, edge_attr = coalesce(edge_index, edge_attr, len(inverse))
    batch = None if data.batch is None else data.batch.index_select(0, _wrap(perm))
    pos = None if data.pos is None else scatter(data.pos, inverse, 0, len(perm), "mean")
    out = Batch(batch=batch, x=x, edge_index=edge_index, edge_attr=edge_attr, pos=pos)
    return out if transform is None else transform(out)
