"""NeighborLoader: mini-batches of seed nodes with their sampled multi-hop neighbourhoods (GraphSAGE's
sampling, PyG's NeighborLoader for one homogeneous graph).

The graph is stored once as a CSR by target; hop by hop, each newly reached node draws up to
num_neighbors[hop] of its incoming edges in one native call (sample_neighbors). A batch is a Data
over the reached nodes, relabelled with the seeds first (then the nodes of hop 1, hop 2, ... in order
of first appearance), with PyG's extra fields: n_id (original node ids), e_id (original edge ids),
input_id, batch_size, num_sampled_nodes and num_sampled_edges per hop.
"""
import copy

import numpy as np

from ...autograd.tensor import Tensor, _wrap
from ...autograd.random import generator
from ...graph import structure
from ...graph.csr import GraphCSR
from ...graph.utils import check_edge_index
from ...utils.data import DataLoader as _BaseLoader


def _input_nodes(input_nodes, n):
    if input_nodes is None:
        return np.arange(n, dtype=np.int64)
    if isinstance(input_nodes, (tuple, str)):
        raise NotImplementedError("NeighborLoader: heterogeneous input_nodes (node types) are not supported")
    a = input_nodes._data if isinstance(input_nodes, Tensor) else np.asarray(input_nodes)
    if a.dtype == bool:
        if a.shape != (n,):
            raise ValueError(f"input_nodes as a mask must have shape ({n},), got {a.shape}")
        return np.flatnonzero(a).astype(np.int64)
    if a.dtype.kind not in "iu" or a.ndim != 1:
        raise TypeError("input_nodes must be None, a bool mask or a 1-D integer index")
    if a.size and (a.min() < 0 or a.max() >= n):
        raise IndexError(f"input_nodes holds nodes outside [0, {n})")
    return a.astype(np.int64)


class NeighborSampler:
    """Samples the multi-hop neighbourhood of a batch of seed nodes over one graph."""

    def __init__(self, data, num_neighbors):
        if not isinstance(num_neighbors, (list, tuple)) or not num_neighbors:
            raise TypeError("num_neighbors must be a list of per-hop sample sizes (e.g. [10, 10]; -1 takes all)")
        for k in num_neighbors:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < -1:
                raise ValueError(f"num_neighbors holds {k!r}; each hop's size must be -1 or a non-negative int")
        self.data, self.num_neighbors = data, [int(k) for k in num_neighbors]
        self.num_nodes = data.num_nodes
        ei = check_edge_index(data.edge_index, self.num_nodes)
        self.graph = GraphCSR.from_edges(ei[0], ei[1], self.num_nodes)
        self._local = np.full(self.num_nodes, -1, np.int64)  # global -> local id while a batch is built

    def sample(self, seeds):
        seeds = np.asarray(seeds, np.int64)
        local = self._local
        n_id = list(dict.fromkeys(seeds.tolist()))  # the seeds first, repeats once
        n_id = np.array(n_id, np.int64)
        local[n_id] = np.arange(len(n_id))
        frontier, rows, cols, e_ids = n_id, [], [], []
        num_nodes, num_edges = [len(n_id)], []
        try:
            for hop_size in self.num_neighbors:
                draw = int(generator().integers(0, 2 ** 63))
                sources, positions, counts = structure.sample_neighbors(self.graph.indptr, self.graph.indices,
                                                                     frontier, hop_size, draw)
                fresh = sources[local[sources] < 0]
                _, first = np.unique(fresh, return_index=True)
                new = fresh[np.sort(first)]
                local[new] = np.arange(len(n_id), len(n_id) + len(new))
                n_id = np.concatenate([n_id, new])
                rows.append(local[sources])
                cols.append(np.repeat(local[frontier], counts))
                e_ids.append(self.graph.perm[positions])
                num_nodes.append(len(new))
                num_edges.append(len(sources))
                frontier = new
        finally:
            local[n_id] = -1
        edge_index = np.stack([np.concatenate(rows), np.concatenate(cols)]).astype(np.int64)
        return n_id, edge_index, np.concatenate(e_ids).astype(np.int64), num_nodes, num_edges, len(seeds)

    def to_data(self, seeds, input_id):
        n_id, edge_index, e_id, num_nodes, num_edges, batch_size = self.sample(seeds)
        data = self.data
        out = copy.copy(data)
        for key, value in data:
            if key == "edge_index":
                continue
            if isinstance(value, Tensor) and value.ndim:
                kind = data._attr_kind(key, value)
                if kind == "node":
                    out._store[key] = value.index_select(0, _wrap(n_id))
                elif kind == "edge":
                    out._store[key] = value.index_select(0, _wrap(e_id))
        out._store["edge_index"] = _wrap(edge_index)
        if "_num_nodes" in out._store:
            out._store["_num_nodes"] = len(n_id)
        out._store["n_id"] = _wrap(n_id)
        out._store["e_id"] = _wrap(e_id)
        out._store["input_id"] = _wrap(np.asarray(input_id, np.int64))
        out._store["batch_size"] = batch_size
        out._store["num_sampled_nodes"] = num_nodes
        out._store["num_sampled_edges"] = num_edges
        return out


class NeighborLoader(_BaseLoader):
    """NeighborLoader(data, num_neighbors, input_nodes=None, replace=False, subgraph_type='directional',
    disjoint=False, transform=None, directed=True, **kwargs): batches of `batch_size` seed nodes from
    input_nodes (all nodes, a bool mask or indices), each with its sampled neighbourhood as a Data whose
    first batch_size nodes are the seeds. The other keywords (batch_size, shuffle, drop_last, generator)
    are DataLoader's."""

    def __init__(self, data, num_neighbors, input_nodes=None, input_time=None, replace=False,
                 subgraph_type="directional", disjoint=False, temporal_strategy="uniform", time_attr=None,
                 weight_attr=None, transform=None, transform_sampler_output=None, is_sorted=False,
                 filter_per_worker=None, neighbor_sampler=None, directed=True, **kwargs):
        unsupported = dict(input_time=input_time, time_attr=time_attr, weight_attr=weight_attr,
                           transform_sampler_output=transform_sampler_output, neighbor_sampler=neighbor_sampler)
        for name, value in unsupported.items():
            if value is not None:
                raise NotImplementedError(f"NeighborLoader: {name} is not supported")
        if replace:
            raise NotImplementedError("NeighborLoader: sampling with replacement (replace=True) is not supported")
        if subgraph_type != "directional" or not directed:
            raise NotImplementedError("NeighborLoader: only directional subgraphs (the sampled edges) are built")
        if disjoint or temporal_strategy != "uniform":
            raise NotImplementedError("NeighborLoader: disjoint and temporal sampling are not supported")
        if "collate_fn" in kwargs:
            raise TypeError("NeighborLoader: collate_fn is set by the loader")
        self.data, self.transform = data, transform
        self.node_sampler = NeighborSampler(data, num_neighbors)
        self.input_nodes = _input_nodes(input_nodes, self.node_sampler.num_nodes)
        super().__init__(np.arange(len(self.input_nodes)), collate_fn=self._collate, **kwargs)

    def _collate(self, input_ids):
        input_ids = np.asarray(input_ids, np.int64)
        batch = self.node_sampler.to_data(self.input_nodes[input_ids], input_ids)
        return batch if self.transform is None else self.transform(batch)


class NegativeSampling:
    """NegativeSampling(mode='binary', amount=1): random node pairs added as negatives (label 0),
    `amount` of them per positive edge (PyG's binary mode; 'triplet' is not provided)."""

    def __init__(self, mode="binary", amount=1, src_weight=None, dst_weight=None):
        if mode != "binary":
            raise NotImplementedError(f"NegativeSampling: only mode 'binary' is supported, got {mode!r}")
        if src_weight is not None or dst_weight is not None:
            raise NotImplementedError("NegativeSampling: weighted node choice is not supported")
        if not amount > 0:
            raise ValueError(f"NegativeSampling: amount must be positive, got {amount!r}")
        self.mode, self.amount = mode, float(amount)


class LinkNeighborLoader(_BaseLoader):
    """LinkNeighborLoader(data, num_neighbors, edge_label_index=None, edge_label=None, neg_sampling=None,
    neg_sampling_ratio=None, transform=None, **kwargs): batches of `batch_size` supervision edges
    (edge_label_index, default data.edge_index) with the sampled neighbourhood of their endpoints. Each
    batch is a Data whose first nodes are the endpoints (sorted, each once); edge_label_index holds the
    batch's edges in those local ids and edge_label their labels. With binary negative sampling,
    ceil(amount * batch) random node pairs follow the positives with label 0 (positives keep their
    label, or 1)."""

    def __init__(self, data, num_neighbors, edge_label_index=None, edge_label=None, edge_label_time=None,
                 replace=False, subgraph_type="directional", disjoint=False, temporal_strategy="uniform",
                 neg_sampling=None, neg_sampling_ratio=None, time_attr=None, weight_attr=None, transform=None,
                 transform_sampler_output=None, is_sorted=False, filter_per_worker=None, neighbor_sampler=None,
                 directed=True, **kwargs):
        for name, value in dict(edge_label_time=edge_label_time, time_attr=time_attr, weight_attr=weight_attr,
                                transform_sampler_output=transform_sampler_output,
                                neighbor_sampler=neighbor_sampler).items():
            if value is not None:
                raise NotImplementedError(f"LinkNeighborLoader: {name} is not supported")
        if replace or disjoint or subgraph_type != "directional" or not directed or temporal_strategy != "uniform":
            raise NotImplementedError("LinkNeighborLoader: only directional, non-disjoint sampling without "
                                      "replacement is supported")
        if "collate_fn" in kwargs:
            raise TypeError("LinkNeighborLoader: collate_fn is set by the loader")
        if neg_sampling is not None and neg_sampling_ratio is not None:
            raise ValueError("LinkNeighborLoader: pass neg_sampling or neg_sampling_ratio, not both")
        if neg_sampling_ratio is not None:
            neg_sampling = NegativeSampling("binary", neg_sampling_ratio)
        elif isinstance(neg_sampling, str):
            neg_sampling = NegativeSampling(neg_sampling)
        elif isinstance(neg_sampling, dict):
            neg_sampling = NegativeSampling(**neg_sampling)
        self.neg_sampling, self.transform = neg_sampling, transform
        self.data = data
        self.node_sampler = NeighborSampler(data, num_neighbors)
        n = self.node_sampler.num_nodes
        label_index = data.edge_index if edge_label_index is None else edge_label_index
        if isinstance(label_index, tuple):
            raise NotImplementedError("LinkNeighborLoader: heterogeneous edge types are not supported")
        self.edge_label_index = check_edge_index(label_index, n, "edge_label_index")
        self.edge_label = edge_label
        if edge_label is not None and edge_label.shape[0] != self.edge_label_index.shape[1]:
            raise ValueError(f"edge_label must have one entry per edge of edge_label_index "
                             f"({self.edge_label_index.shape[1]}), got {edge_label.shape[0]}")
        super().__init__(np.arange(self.edge_label_index.shape[1]), collate_fn=self._collate, **kwargs)

    def _collate(self, input_ids):
        ids = np.asarray(input_ids, np.int64)
        src, dst = self.edge_label_index[0, ids], self.edge_label_index[1, ids]
        label = None if self.edge_label is None else self.edge_label.index_select(0, _wrap(ids))
        if self.neg_sampling is not None:
            n, num_neg = self.node_sampler.num_nodes, int(np.ceil(len(ids) * self.neg_sampling.amount))
            rng = generator()
            src = np.concatenate([src, rng.integers(0, n, num_neg)])
            dst = np.concatenate([dst, rng.integers(0, n, num_neg)])
            from ...autograd.ops.shape import cat
            positive = label if label is not None else _wrap(np.ones(len(ids), np.float32))
            label = cat([positive, _wrap(np.zeros((num_neg, *positive.shape[1:]), positive.dtype))])
        seeds, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
        batch = self.node_sampler.to_data(seeds, ids)
        del batch._store["batch_size"]
        batch.edge_label_index = _wrap(inverse.reshape(2, -1).astype(np.int64))
        if label is not None:
            batch.edge_label = label
        return batch if self.transform is None else self.transform(batch)
