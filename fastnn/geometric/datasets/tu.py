"""TUDataset: graph classification sets in the TU Dortmund text format, read from a local folder.

Files (node ids 1-based, one line per item): <name>_A.txt ("i, j" per edge), <name>_graph_indicator.txt
(the graph of each node), <name>_graph_labels.txt, and optionally <name>_node_labels.txt,
<name>_node_attributes.txt, <name>_edge_labels.txt, <name>_edge_attributes.txt. As PyG: node labels
become one-hot columns after the node attributes (kept only with use_node_attr), likewise for edges;
self loops are removed and edges coalesced; graph labels are renumbered 0..C-1.
"""
import os

import numpy as np

from ...autograd.tensor import _wrap
from ..data import Data, InMemoryDataset


def _read(folder, name, part, dtype, required=False):
    path = os.path.join(folder, f"{name}_{part}.txt")
    if not os.path.exists(path):
        if required:
            raise FileNotFoundError(f"TUDataset: {path} is missing")
        return None
    with open(path) as f:
        rows = [line.replace(",", " ").split() for line in f if line.strip()]
    try:
        a = np.array(rows, dtype=dtype)
    except ValueError as err:
        raise ValueError(f"TUDataset: {path} is not a table of numbers ({err})") from None
    return a.reshape(len(rows), -1)


def _one_hot_columns(labels):
    """Each column of integer labels shifted to start at 0 and one-hot encoded, side by side."""
    labels = labels - labels.min(axis=0)
    blocks = []
    for c in range(labels.shape[1]):
        block = np.zeros((len(labels), int(labels[:, c].max()) + 1), np.float32)
        block[np.arange(len(labels)), labels[:, c]] = 1
        blocks.append(block)
    return np.concatenate(blocks, axis=1)


def _features(folder, name, kind, use_attr):
    """The node or edge feature columns as PyG builds them: the <kind>_attributes (kept with use_attr), then
    the one-hot <kind>_labels; with the numbers of attribute and label columns."""
    attr = _read(folder, name, f"{kind}_attributes", np.float32)
    labels = _read(folder, name, f"{kind}_labels", np.int64)
    parts = [attr] if attr is not None and use_attr else []
    n_labels = 0
    if labels is not None:
        onehot = _one_hot_columns(labels)
        n_labels = onehot.shape[1]
        parts.append(onehot)
    return (np.concatenate(parts, axis=1) if parts else None), (0 if attr is None else attr.shape[1]), n_labels


class TUDataset(InMemoryDataset):
    """TUDataset(root, name, transform=None, pre_transform=None, pre_filter=None, use_node_attr=False,
    use_edge_attr=False, cleaned=False): the files are looked for in root/name/raw, root/name and root."""

    def __init__(self, root, name, transform=None, pre_transform=None, pre_filter=None, force_reload=False,
                 use_node_attr=False, use_edge_attr=False, cleaned=False):
        super().__init__(root, transform, pre_transform, pre_filter)
        if cleaned:
            raise NotImplementedError("TUDataset: cleaned=True is not supported")
        self.name = name
        root = os.fspath(root)
        for folder in (os.path.join(root, name, "raw"), os.path.join(root, name), root):
            if os.path.exists(os.path.join(folder, f"{name}_A.txt")):
                break
        else:
            raise FileNotFoundError(f"TUDataset: no {name}_A.txt under {root} (looked in {name}/raw, {name} and "
                                    f"the folder itself); fastnn does not download")
        graphs, self.num_node_attributes, self.num_edge_attributes, self.num_node_labels, self.num_edge_labels = \
            self._process(folder, name, use_node_attr, use_edge_attr)
        self._keep(graphs)

    @staticmethod
    def _process(folder, name, use_node_attr, use_edge_attr):
        edges = _read(folder, name, "A", np.int64, True) - 1
        batch = _read(folder, name, "graph_indicator", np.int64, True).reshape(-1) - 1
        n = len(batch)
        if (np.diff(batch) < 0).any():
            raise ValueError(f"TUDataset: {name}_graph_indicator.txt must list each graph's nodes together, in order")
        if edges.shape[1] != 2 or (edges.size and (edges.min() < 0 or edges.max() >= n)):
            raise ValueError(f"TUDataset: {name}_A.txt must list 1-based node pairs within the {n} nodes")
        x, n_attr, n_labels = _features(folder, name, "node", use_node_attr)
        ea, e_attr, e_labels = _features(folder, name, "edge", use_edge_attr)
        y = _read(folder, name, "graph_labels", np.int64)
        if y is None:
            y = _read(folder, name, "graph_attributes", np.float32)
        if ea is not None and len(ea) != len(edges):
            raise ValueError(f"TUDataset: {len(ea)} edge attribute rows for {len(edges)} edges")
        keep = edges[:, 0] != edges[:, 1]  # PyG removes self loops, then coalesces
        edges, ea = edges[keep], (ea[keep] if ea is not None else None)
        key = edges[:, 0] * n + edges[:, 1]
        order = np.argsort(key, kind="stable")
        first = np.ones(len(order), bool)
        first[1:] = key[order][1:] != key[order][:-1]
        if ea is not None:  # duplicate edges: their attributes are summed, as coalesce's default
            group = np.cumsum(first) - 1
            merged = np.zeros((int(first.sum()), ea.shape[1]), np.float32)
            np.add.at(merged, group, ea[order])
            ea = merged
        edges = edges[order[first]]
        if y is not None and y.dtype.kind == "i":
            _, y = np.unique(y.reshape(-1), return_inverse=True)
        if y is not None and len(y) != batch.max() + 1:
            raise ValueError(f"TUDataset: {len(y)} graph labels for {batch.max() + 1} graphs")
        node_ptr = np.concatenate([[0], np.cumsum(np.bincount(batch))])
        edge_graph = batch[edges[:, 0]]
        graphs = []
        for g in range(len(node_ptr) - 1):
            lo, hi = node_ptr[g], node_ptr[g + 1]
            mask = edge_graph == g
            fields = dict(edge_index=_wrap(np.ascontiguousarray((edges[mask] - lo).T)))
            if x is not None:
                fields["x"] = _wrap(np.ascontiguousarray(x[lo:hi]))
            if ea is not None:
                fields["edge_attr"] = _wrap(np.ascontiguousarray(ea[mask]))
            if y is not None:
                fields["y"] = _wrap(np.ascontiguousarray(y[g:g + 1] if y.ndim == 1 else y[g:g + 1]))
            data = Data(**fields)
            if x is None:
                data.num_nodes = hi - lo
            graphs.append(data)
        return graphs, n_attr, e_attr, n_labels, e_labels

    def __repr__(self):
        return f"{self.name}({len(self)})"
