"""RandomNodeSplit and RandomLinkSplit: train/validation/test splits drawn from fastnn's seeded generator."""
import copy

import numpy as np

from ...autograd.tensor import _wrap
from ...autograd.random import generator
from ..utils.graph import negative_sampling
from .base import BaseTransform


def _count(value, total, name):
    if isinstance(value, float):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} as a fraction must be in [0, 1], got {value}")
        return int(round(value * total))
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative int or a float fraction, got {value!r}")
    return int(value)


class RandomNodeSplit(BaseTransform):
    """RandomNodeSplit(split='train_rest', num_splits=1, num_train_per_class=20, num_val=500, num_test=1000,
    key='y'): node masks train_mask, val_mask, test_mask.

    'train_rest': num_val and num_test random nodes, the rest train. 'test_rest': num_train_per_class
    per class, num_val, the rest test. 'random': num_train_per_class per class, then num_val and num_test
    from the rest. With num_splits > 1 the masks are (num_nodes, num_splits)."""

    def __init__(self, split="train_rest", num_splits=1, num_train_per_class=20, num_val=500, num_test=1000,
                 key="y"):
        if split not in ("train_rest", "test_rest", "random"):
            raise ValueError(f"split must be 'train_rest', 'test_rest' or 'random', got {split!r}")
        self.split, self.num_splits, self.key = split, int(num_splits), key
        self.num_train_per_class, self.num_val, self.num_test = num_train_per_class, num_val, num_test

    def forward(self, data):
        masks = [self._one(data) for _ in range(self.num_splits)]
        for i, name in enumerate(("train_mask", "val_mask", "test_mask")):
            stacked = np.stack([m[i] for m in masks], axis=-1)
            data[name] = _wrap(stacked[:, 0] if self.num_splits == 1 else stacked)
        return data

    def _one(self, data):
        n = data.num_nodes
        rng = generator()
        train, val, test = (np.zeros(n, bool) for _ in range(3))
        num_val, num_test = _count(self.num_val, n, "num_val"), _count(self.num_test, n, "num_test")
        if self.split == "train_rest":
            perm = rng.permutation(n)
            val[perm[:num_val]] = True
            test[perm[num_val:num_val + num_test]] = True
            train[perm[num_val + num_test:]] = True
            return train, val, test
        y = data[self.key].numpy().reshape(-1)
        for c in np.unique(y):
            members = np.flatnonzero(y == c)
            train[members[rng.permutation(len(members))[:self.num_train_per_class]]] = True
        rest = np.flatnonzero(~train)
        rest = rest[rng.permutation(len(rest))]
        val[rest[:num_val]] = True
        if self.split == "test_rest":
            test[rest[num_val:]] = True
        else:
            test[rest[num_val:num_val + num_test]] = True
        return train, val, test


class RandomLinkSplit(BaseTransform):
    """RandomLinkSplit(num_val=0.1, num_test=0.2, is_undirected=False, key='edge_label', split_labels=False,
    add_negative_train_samples=True, neg_sampling_ratio=1.0, disjoint_train_ratio=0.0): three Data
    (train, val, test) for link prediction.

    The edges are split at random (one direction of each undirected pair). Message passing edges
    (edge_index): train edges for train and val, train + val edges for test. Supervision: `{key}_index`
    holds the split's positive edges then sampled non-edges and `key` their labels 1 / 0 (with
    split_labels: pos_/neg_`{key}_index`)."""

    def __init__(self, num_val=0.1, num_test=0.2, is_undirected=False, key="edge_label", split_labels=False,
                 add_negative_train_samples=True, neg_sampling_ratio=1.0, disjoint_train_ratio=0.0,
                 edge_types=None, rev_edge_types=None):
        if edge_types is not None or rev_edge_types is not None:
            raise NotImplementedError("RandomLinkSplit: edge_types (heterogeneous graphs) are not supported")
        self.num_val, self.num_test, self.is_undirected = num_val, num_test, bool(is_undirected)
        self.key, self.split_labels = key, bool(split_labels)
        self.add_negative_train_samples = bool(add_negative_train_samples)
        self.neg_sampling_ratio = float(neg_sampling_ratio)
        self.disjoint_train_ratio = disjoint_train_ratio

    def __call__(self, data):
        return self.forward(data)

    def forward(self, data):
        ei = data.edge_index.numpy()
        rng = generator()
        candidates = np.flatnonzero(ei[0] <= ei[1]) if self.is_undirected else np.arange(ei.shape[1])
        perm = candidates[rng.permutation(len(candidates))]
        num_val = _count(self.num_val, len(perm), "num_val")
        num_test = _count(self.num_test, len(perm), "num_test")
        num_train = len(perm) - num_val - num_test
        if num_train <= 0:
            raise ValueError("RandomLinkSplit: no edges are left for training")
        val_edges, test_edges = perm[:num_val], perm[num_val:num_val + num_test]
        train_edges = perm[num_val + num_test:]
        num_disjoint = _count(self.disjoint_train_ratio, len(train_edges), "disjoint_train_ratio")
        # disjoint_train_ratio: that share of the training edges supervises only (not message passing)
        train_mp, train_sup = train_edges[num_disjoint:], (train_edges[:num_disjoint] if num_disjoint
                                                           else train_edges)
        ratio = self.neg_sampling_ratio
        num_neg_train = int(len(train_sup) * ratio) if self.add_negative_train_samples else 0
        num_neg_val, num_neg_test = int(num_val * ratio), int(num_test * ratio)
        neg = negative_sampling(data.edge_index, data.num_nodes,
                                num_neg_train + num_neg_val + num_neg_test).numpy()
        neg_train = neg[:, :num_neg_train]
        neg_val = neg[:, num_neg_train:num_neg_train + num_neg_val]
        neg_test = neg[:, num_neg_train + num_neg_val:]
        train = self._split(data, train_mp, train_sup, neg_train)
        val = self._split(data, train_mp, val_edges, neg_val)
        test = self._split(data, np.concatenate([train_mp, val_edges]), test_edges, neg_test)
        return train, val, test

    def _split(self, data, message_edges, positive, negative):
        out = copy.copy(data)
        ei = data.edge_index.numpy()
        mp = ei[:, message_edges]
        edge_keys = [k for k, _ in data if k != "edge_index" and data.is_edge_attr(k)]
        if self.is_undirected:
            rev = message_edges[ei[0, message_edges] != ei[1, message_edges]]
            mp = np.concatenate([mp, ei[::-1][:, rev]], axis=1)
            order = np.concatenate([message_edges, rev])
        else:
            order = message_edges
        out.edge_index = _wrap(np.ascontiguousarray(mp))
        for key in edge_keys:
            out[key] = data[key].index_select(0, _wrap(order.astype(np.int64)))
        pos = ei[:, positive]
        if self.split_labels:
            out[f"pos_{self.key}_index"] = _wrap(np.ascontiguousarray(pos))
            out[f"pos_{self.key}"] = _wrap(np.ones(pos.shape[1], np.float32))
            if negative.shape[1]:
                out[f"neg_{self.key}_index"] = _wrap(np.ascontiguousarray(negative))
                out[f"neg_{self.key}"] = _wrap(np.zeros(negative.shape[1], np.float32))
        else:
            out[f"{self.key}_index"] = _wrap(np.ascontiguousarray(np.concatenate([pos, negative], axis=1)))
            out[self.key] = _wrap(np.concatenate([np.ones(pos.shape[1], np.float32),
                                                  np.zeros(negative.shape[1], np.float32)]))
        return out
