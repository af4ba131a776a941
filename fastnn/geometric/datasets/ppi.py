"""PPI: protein-protein interaction graphs (multi-label node classification), read from the raw files of
one split in a local folder: <split>_graph.json (NetworkX node-link JSON), <split>_feats.npy,
<split>_labels.npy and <split>_graph_id.npy, for split in train / valid / test.

The JSON is read as PyG reads it through NetworkX (without needing NetworkX): an undirected link list
becomes both directions, repeated links once; each graph's edges run over its nodes in file order
(neighbours in the order the links first name them), ids shifted by the graph's smallest node id; self
loops are removed. The edges are PyG's; their order can differ (PyG's follows NetworkX's iteration
over subgraph views).
"""
import json
import os

import numpy as np

from ...autograd.tensor import _wrap
from ..data import Data, InMemoryDataset
from ._local import raw_folder

_SPLITS = {"train": "train", "val": "valid", "test": "test"}


def _node_link_edges(graph, path):
    """(nodes in NetworkX order, successors per node in NetworkX order) of a node-link JSON graph."""
    if not isinstance(graph, dict) or "nodes" not in graph:
        raise ValueError(f"{path} is not a node-link graph (no 'nodes')")
    links = graph.get("links", graph.get("edges", []))
    order, succ = [], {}

    def add(node):
        if node not in succ:
            succ[node] = {}
            order.append(node)
    for node in graph["nodes"]:
        add(int(node["id"]))
    directed = bool(graph.get("directed", False))
    for link in links:
        u, v = int(link["source"]), int(link["target"])
        add(u)
        add(v)
        succ[u].setdefault(v, None)
        if not directed:
            succ[v].setdefault(u, None)
    return order, succ


class PPI(InMemoryDataset):
    """PPI(root, split='train', transform=None, pre_transform=None, pre_filter=None): the graphs of one split
    (train: 20, val: 2, test: 2 in the published set); 50 features and 121 binary labels per node."""

    def __init__(self, root, split="train", transform=None, pre_transform=None, pre_filter=None,
                 force_reload=False):
        super().__init__(root, transform, pre_transform, pre_filter)
        if split not in _SPLITS:
            raise ValueError(f"PPI: split must be 'train', 'val' or 'test', got {split!r}")
        name = _SPLITS[split]
        files = [f"{name}_graph.json", f"{name}_feats.npy", f"{name}_labels.npy", f"{name}_graph_id.npy"]
        folder = raw_folder(root, files, "PPI")
        graph_path, x_path, y_path, id_path = (os.path.join(folder, f) for f in files)
        with open(graph_path) as f:
            order, succ = _node_link_edges(json.load(f), graph_path)
        x = np.load(x_path, allow_pickle=False).astype(np.float32)
        y = np.load(y_path, allow_pickle=False).astype(np.float32)
        graph_id = np.load(id_path, allow_pickle=False).astype(np.int64).reshape(-1)
        n = len(x)
        if len(y) != n or len(graph_id) != n or any(not 0 <= u < n for u in order):
            raise ValueError(f"PPI: {name}'s features, labels, graph ids and graph nodes must cover the same {n} nodes")
        graph_id -= graph_id.min()
        graphs = []
        for g in range(int(graph_id.max()) + 1 if n else 0):
            members = set(np.flatnonzero(graph_id == g).tolist())
            pairs = [(u, v) for u in order if u in members for v in succ[u] if v in members]
            edges = np.array(pairs, np.int64).reshape(-1, 2).T
            if edges.size:
                edges = edges - edges.min()
            edges = edges[:, edges[0] != edges[1]]
            mask = graph_id == g
            data = Data(edge_index=_wrap(np.ascontiguousarray(edges)), x=_wrap(x[mask]), y=_wrap(y[mask]))
            if pre_filter is not None and not pre_filter(data):
                continue
            graphs.append(data if pre_transform is None else pre_transform(data))
        self._data_list = graphs
