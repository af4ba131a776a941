"""fastnn.geometric.data (Data, Batch), loader.DataLoader and datasets.TUDataset against torch_geometric."""
import numpy as np
import pytest

import fastnn
from fastnn.geometric.data import Data, Batch
from fastnn.geometric.loader import DataLoader
from fastnn.geometric.datasets import TUDataset

torch = pytest.importorskip("torch")
pyg_data = pytest.importorskip("torch_geometric.data")


def _graph(rng, n, E, graph_label=None):
    fields = dict(x=rng.standard_normal((n, 3)), edge_index=np.stack([rng.integers(0, n, E), rng.integers(0, n, E)]),
                  edge_attr=rng.standard_normal((E, 2)), y=np.int64(graph_label if graph_label is not None else 0),
                  node_y=rng.integers(0, 3, n), face_index=rng.integers(0, n, (3, 2)))
    return (Data(**{k: fastnn.tensor(np.asarray(v)) for k, v in fields.items()}),
            pyg_data.Data(**{k: torch.tensor(np.asarray(v)) for k, v in fields.items()}))


def _same(got, want):
    assert sorted(got.keys()) == sorted(want.keys()), (got.keys(), want.keys())
    for key in want.keys():
        w = want[key]
        g = got[key]
        if isinstance(w, torch.Tensor):
            np.testing.assert_array_equal(g.numpy(), w.numpy(), err_msg=key)
        else:
            assert g == w, key


def test_data_attributes_and_counts_match_pyg():
    rng = np.random.default_rng(0)
    d, p = _graph(rng, 6, 9)
    assert (d.num_nodes, d.num_edges, d.num_node_features, d.num_edge_features) == \
        (p.num_nodes, p.num_edges, p.num_node_features, p.num_edge_features)
    assert d.is_undirected() == p.is_undirected() and d.has_self_loops() == p.has_self_loops()
    assert d.has_isolated_nodes() == p.has_isolated_nodes()
    assert d.pos is None and "x" in d and "pos" not in d and d.get("foo") is None
    with pytest.raises(AttributeError, match="foo"):
        d.foo
    with pytest.raises(KeyError):
        d["foo"]
    assert d.__cat_dim__("edge_index", d.edge_index) == -1 and d.__inc__("edge_index", d.edge_index) == 6
    assert d.__cat_dim__("x", d.x) == 0 and d.__inc__("x", d.x) == 0
    d.num_nodes = 10
    assert d.num_nodes == 10
    assert d.to("cpu") is d
    with pytest.raises((ValueError, RuntimeError, TypeError)):
        d.to("cuda")


def test_subgraph_matches_pyg():
    rng = np.random.default_rng(1)
    d, p = _graph(rng, 8, 14)
    del d.face_index, p.face_index
    for subset in (np.array([0, 2, 3, 6]), np.arange(8) % 2 == 0):
        _same(d.subgraph(fastnn.tensor(subset)), p.subgraph(torch.tensor(subset)))


def test_batch_matches_pyg_and_splits_back():
    rng = np.random.default_rng(2)
    pairs = [_graph(rng, n, E, label) for n, E, label in ((3, 4, 1), (5, 7, 0), (1, 0, 2), (4, 6, 1))]
    got = Batch.from_data_list([g for g, _ in pairs], follow_batch=["face_index"])
    want = pyg_data.Batch.from_data_list([p for _, p in pairs], follow_batch=["face_index"])
    _same(got, want)
    assert got.num_graphs == want.num_graphs == 4
    for i, (g, _) in enumerate(pairs):
        back = got.get_example(i)
        for key in g.keys():
            np.testing.assert_array_equal(back[key].numpy(), g[key].numpy(), err_msg=key)
    assert len(got.to_data_list()) == 4


def test_batch_keeps_gradients_of_node_features():
    a = Data(x=fastnn.randn(2, 3, requires_grad=True), edge_index=fastnn.tensor(np.array([[0], [1]])))
    b = Data(x=fastnn.randn(3, 3, requires_grad=True), edge_index=fastnn.tensor(np.array([[2], [0]])))
    batch = Batch.from_data_list([a, b])
    (batch.x * fastnn.arange(15.0).view(5, 3)).sum().backward()
    np.testing.assert_array_equal(b.x.grad.numpy(), np.arange(6.0, 15.0).reshape(3, 3))


def test_dataloader_batches_like_pyg():
    rng = np.random.default_rng(3)
    pairs = [_graph(rng, int(rng.integers(1, 6)), int(rng.integers(0, 8)), i % 3) for i in range(7)]
    got = list(DataLoader([g for g, _ in pairs], batch_size=3))
    from torch_geometric.loader import DataLoader as PygLoader
    want = list(PygLoader([p for _, p in pairs], batch_size=3))
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        _same(g, w)
    fastnn.manual_seed(0)
    shuffled = [b.y.numpy().tolist() for b in DataLoader([g for g, _ in pairs], batch_size=7, shuffle=True)]
    assert sorted(shuffled[0]) == sorted(int(g.y.item()) for g, _ in pairs)
    with pytest.raises(TypeError):
        DataLoader([g for g, _ in pairs], collate_fn=list)


def _write_tu(folder, name, rng, graphs=6, node_attr=True, edge_labels=True):
    """A TU-format folder: `graphs` small graphs with node labels, attributes and edge labels."""
    lines = {k: [] for k in ("A", "graph_indicator", "graph_labels", "node_labels", "node_attributes", "edge_labels")}
    start = 1
    for g in range(graphs):
        n = int(rng.integers(2, 6))
        for _ in range(int(rng.integers(1, 8))):
            i, j = rng.integers(0, n, 2)
            lines["A"].append(f"{start + i}, {start + j}")
            lines["edge_labels"].append(str(int(rng.integers(0, 3))))
        lines["graph_indicator"] += [str(g + 1)] * n
        lines["graph_labels"].append(str([-1, 1][g % 2]))
        lines["node_labels"] += [str(int(rng.integers(1, 4))) for _ in range(n)]
        lines["node_attributes"] += [", ".join(f"{v:.3f}" for v in rng.standard_normal(2)) for _ in range(n)]
        start += n
    raw = folder / name / "raw"
    raw.mkdir(parents=True)
    for part, rows in lines.items():
        if (part == "node_attributes" and not node_attr) or (part == "edge_labels" and not edge_labels):
            continue
        (raw / f"{name}_{part}.txt").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("use_node_attr,use_edge_attr", [(False, False), (True, True)])
def test_tu_dataset_reads_the_folder_as_pyg(tmp_path, use_node_attr, use_edge_attr):
    from torch_geometric.datasets import TUDataset as PygTU
    rng = np.random.default_rng(4)
    _write_tu(tmp_path, "TOY", rng)
    got = TUDataset(tmp_path, "TOY", use_node_attr=use_node_attr, use_edge_attr=use_edge_attr)
    want = PygTU(str(tmp_path), "TOY", use_node_attr=use_node_attr, use_edge_attr=use_edge_attr)
    assert len(got) == len(want) == 6 and got.num_classes == want.num_classes == 2
    assert got.num_node_features == want.num_node_features
    for i in range(len(want)):
        g, w = got[i], want[i]
        for key in ("x", "edge_index", "y", "edge_attr"):
            np.testing.assert_allclose(g[key].numpy(), w[key].numpy(), rtol=1e-6, err_msg=f"graph {i} {key}")
    with pytest.raises(FileNotFoundError, match="MISSING_A.txt"):
        TUDataset(tmp_path, "MISSING")


def _write_planetoid(folder, rng, n=520, features=6, classes=3):
    """Planetoid raw files for a small 'cora': 10 training nodes, 500 more in allx, 10 test nodes."""
    import collections
    import pickle
    import scipy.sparse as sp
    x_all = (rng.random((n, features)) < 0.4).astype(np.float32)
    labels = np.eye(classes)[rng.integers(0, classes, n)]
    test_index = np.arange(n - 10, n)[rng.permutation(10)]
    graph = collections.defaultdict(list)
    for _ in range(3 * n):
        i, j = (int(v) for v in rng.integers(0, n, 2))
        graph[i].append(j)
        graph[j].append(i)
    parts = dict(x=sp.csr_matrix(x_all[:10]), y=labels[:10], allx=sp.csr_matrix(x_all[:n - 10]),
                 ally=labels[:n - 10], tx=sp.csr_matrix(x_all[test_index]), ty=labels[test_index], graph=graph)
    for part, value in parts.items():
        (folder / f"ind.cora.{part}").write_bytes(pickle.dumps(value, protocol=4))
    (folder / "ind.cora.test.index").write_text("\n".join(str(i) for i in test_index) + "\n")
    return x_all, labels.argmax(1), graph


def test_planetoid_gives_pyg_data(tmp_path):
    from fastnn.geometric.datasets import Planetoid
    from fastnn.geometric.transforms import NormalizeFeatures
    x, y, graph = _write_planetoid(tmp_path, np.random.default_rng(5))
    ds = Planetoid(tmp_path, "Cora", transform=NormalizeFeatures())
    data = ds[0]
    assert isinstance(data, Data) and len(ds) == 1 and ds.num_classes == 3 and ds.num_features == 6
    rows = x / np.maximum(x.sum(1, keepdims=True), 1)
    np.testing.assert_allclose(data.x.numpy(), rows, rtol=1e-6)
    np.testing.assert_array_equal(data.y.numpy(), y)
    edges = {(s, t) for s, ts in graph.items() for t in ts if s != t}
    assert set(map(tuple, data.edge_index.numpy().T)) == edges and data.is_undirected()
    assert data.train_mask.numpy().sum() == 10 and data.val_mask.numpy().sum() == 500
    assert data.test_mask.numpy()[-10:].all()


def test_reddit_and_flickr_read_their_raw_files_as_pyg(tmp_path):
    import json
    import scipy.sparse as sp
    from torch_geometric.datasets import Reddit as PygReddit, Flickr as PygFlickr
    from fastnn.geometric.datasets import Reddit, Flickr
    rng = np.random.default_rng(6)
    n = 40
    for name in ("reddit", "flickr"):
        (tmp_path / name / "raw").mkdir(parents=True)
    raw = tmp_path / "reddit" / "raw"
    np.savez(raw / "reddit_data.npz", feature=rng.standard_normal((n, 5)).astype(np.float32),
             label=rng.integers(0, 4, n), node_types=rng.integers(1, 4, n))
    sp.save_npz(raw / "reddit_graph.npz", sp.coo_matrix((np.ones(90), (rng.integers(0, n, 90), rng.integers(0, n, 90))),
                                                       shape=(n, n)))
    raw = tmp_path / "flickr" / "raw"
    adj = sp.random(n, n, density=0.1, format="csr", random_state=3)
    np.savez(raw / "adj_full.npz", data=adj.data, indices=adj.indices, indptr=adj.indptr, shape=np.array(adj.shape))
    np.save(raw / "feats.npy", rng.standard_normal((n, 3)))
    (raw / "class_map.json").write_text(json.dumps({str(i): int(rng.integers(0, 5)) for i in range(n)}))
    perm = rng.permutation(n).tolist()
    (raw / "role.json").write_text(json.dumps({"tr": perm[:20], "va": perm[20:30], "te": perm[30:]}))
    for ours, theirs, folder in ((Reddit, PygReddit, "reddit"), (Flickr, PygFlickr, "flickr")):
        got, want = ours(tmp_path / folder)[0], theirs(str(tmp_path / folder))[0]
        assert sorted(got.keys()) == sorted(want.keys())
        for key in want.keys():
            np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=1e-6, err_msg=f"{folder} {key}")
    with pytest.raises(FileNotFoundError, match="reddit_data.npz"):
        Reddit(tmp_path / "nowhere")


def test_ppi_reads_node_link_json_as_pyg(tmp_path):
    import json
    from torch_geometric.datasets import PPI as PygPPI
    from fastnn.geometric.datasets import PPI
    rng = np.random.default_rng(7)
    raw = tmp_path / "raw"
    raw.mkdir()
    for split, graphs in (("train", 3), ("valid", 1), ("test", 2)):
        sizes = rng.integers(4, 9, graphs)
        n = int(sizes.sum())
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        links = []
        for start, size in zip(starts, sizes):
            for _ in range(2 * size):
                u, v = (int(start + rng.integers(0, size)) for _ in range(2))
                links.append({"source": u, "target": v})
        nodes = [{"id": int(i)} for i in rng.permutation(n)]  # file order differs from id order
        (raw / f"{split}_graph.json").write_text(json.dumps({"directed": False, "multigraph": False, "graph": {},
                                                             "nodes": nodes, "links": links}))
        np.save(raw / f"{split}_feats.npy", rng.standard_normal((n, 3)))
        np.save(raw / f"{split}_labels.npy", rng.integers(0, 2, (n, 4)))
        np.save(raw / f"{split}_graph_id.npy", np.repeat(np.arange(graphs) + 1, sizes))
    for split in ("train", "val", "test"):
        got, want = PPI(tmp_path, split), PygPPI(str(tmp_path), split)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            for key in ("x", "y"):
                np.testing.assert_allclose(g[key].numpy(), w[key].numpy(), rtol=1e-6, err_msg=f"{split} {key}")
            # the same edges; PyG's order follows NetworkX's subgraph-view iteration, an implementation detail
            assert sorted(map(tuple, g.edge_index.numpy().T)) == sorted(map(tuple, w.edge_index.numpy().T))


def test_shapenet_reads_the_raw_folder_as_pyg(tmp_path):
    import json
    from torch_geometric.datasets import ShapeNet as PygShapeNet
    from fastnn.geometric.datasets import ShapeNet
    rng = np.random.default_rng(11)
    raw = tmp_path / "raw"
    lists = {"train": [], "val": [], "test": []}
    for name, folder in ShapeNet.category_ids.items():
        (raw / folder).mkdir(parents=True)
        for i in range(2 if name in ("Airplane", "Mug") else 0):
            parts = ShapeNet.seg_classes[name]
            rows = np.column_stack([rng.standard_normal((10, 6)), rng.choice(parts, 10)])
            np.savetxt(raw / folder / f"f{i}.txt", rows, fmt="%.5f")
            lists[["train", "test"][i]].append(f"shape_data/{folder}/f{i}")
    lists["val"].append(lists["train"][0])
    (raw / "train_test_split").mkdir()
    for split, names in lists.items():
        (raw / "train_test_split" / f"shuffled_{split}_file_list.json").write_text(json.dumps(names))
    assert list(ShapeNet.seg_classes.keys()) == list(PygShapeNet.seg_classes.keys())
    assert ShapeNet.seg_classes == PygShapeNet.seg_classes and ShapeNet.category_ids == PygShapeNet.category_ids
    for split in ("trainval", "test"):
        got, want = ShapeNet(tmp_path, ["Airplane", "Mug"], split=split), PygShapeNet(str(tmp_path), ["Airplane", "Mug"],
                                                                                        split=split)
        assert len(got) == len(want) and got.num_classes == want.num_classes == 50
        for g, w in zip(got, want):
            for key in ("pos", "x", "y", "category"):
                np.testing.assert_allclose(np.asarray(g[key].numpy() if hasattr(g[key], "numpy") else g[key]),
                                           w[key].numpy(), rtol=1e-6, err_msg=key)


def test_update_from_a_dict_or_data_matches_pyg():
    rng = np.random.default_rng(11)
    (ours, theirs), (other, other_pyg) = _graph(rng, 5, 7), _graph(rng, 6, 4, graph_label=1)
    other.num_nodes, other_pyg.num_nodes = 6, 6
    extra = rng.standard_normal((5, 2))
    assert ours.update({"z": fastnn.tensor(extra)}) is ours
    theirs.update({"z": torch.tensor(extra)})
    _same(ours, theirs)
    ours.update(other)
    theirs.update(other_pyg)
    assert ours.num_nodes == theirs.num_nodes == 6
    del theirs.num_nodes  # PyG lists a set num_nodes among the keys; fastnn keeps it apart
    _same(ours, theirs)
    with pytest.raises(TypeError, match="a Data or a dict"):
        ours.update([("x", 1)])
