"""fastnn.geometric.transforms against torch_geometric.transforms on the same Data; the random splits by
their invariants; seed_everything; a GIN graph classifier trained from a TU folder through the loader."""
import numpy as np
import pytest

import fastnn
import fastnn.geometric as fg
from fastnn.geometric import transforms as T
from fastnn.geometric.data import Data

torch = pytest.importorskip("torch")
pyg = pytest.importorskip("torch_geometric")
import torch_geometric.transforms as PT  # noqa: E402


def _pair(seed, n=8, E=20, **extra):
    rng = np.random.default_rng(seed)
    fields = dict(x=np.abs(rng.standard_normal((n, 4))) * (rng.random((n, 4)) < 0.6) - 0.1,
                  edge_index=np.stack([rng.integers(0, n, E), rng.integers(0, n, E)]),
                  edge_attr=rng.standard_normal((E, 2)), pos=rng.standard_normal((n, 3)), y=rng.integers(0, 3, n))
    fields.update(extra)
    return (Data(**{k: fastnn.tensor(np.asarray(v)) for k, v in fields.items()}),
            pyg.data.Data(**{k: torch.tensor(np.asarray(v)) for k, v in fields.items()}))


def _same(got, want, rtol=1e-12):
    assert sorted(got.keys()) == sorted(want.keys())
    for key in want.keys():
        np.testing.assert_allclose(got[key].detach().numpy(), want[key].detach().numpy(), rtol=rtol, atol=1e-12,
                                   err_msg=key)


@pytest.mark.parametrize("ours,theirs", [
    (lambda: T.NormalizeFeatures(), lambda: PT.NormalizeFeatures()),
    (lambda: T.ToUndirected(), lambda: PT.ToUndirected()),
    (lambda: T.ToUndirected(reduce="mean"), lambda: PT.ToUndirected(reduce="mean")),
    (lambda: T.AddSelfLoops(attr="edge_attr", fill_value=0.5), lambda: PT.AddSelfLoops(attr="edge_attr", fill_value=0.5)),
    (lambda: T.Constant(2.0), lambda: PT.Constant(2.0)),
    (lambda: T.OneHotDegree(20), lambda: PT.OneHotDegree(20)),
    (lambda: T.NormalizeScale(), lambda: PT.NormalizeScale()),
    (lambda: T.Compose([T.ToUndirected(), T.NormalizeFeatures(), T.Constant()]),
     lambda: PT.Compose([PT.ToUndirected(), PT.NormalizeFeatures(), PT.Constant()])),
], ids=["normalize", "undirected", "undirected-mean", "self-loops", "constant", "onehot", "scale", "compose"])
def test_transforms_match_pyg(ours, theirs):
    d, p = _pair(0)
    before = d.x.numpy().copy()
    _same(ours()(d), theirs()(p), rtol=1e-6)
    np.testing.assert_array_equal(d.x.numpy(), before)  # the input graph is left as it was


@pytest.mark.parametrize("add_self_loops", [True, False])
def test_gcn_norm_matches_pyg_with_weight_gradients(add_self_loops):
    rng = np.random.default_rng(1)
    # at most one self loop per node: with repeated loops, torch's index_put backward inside PyG's
    # add_remaining_self_loops hands every repeat the gradient of the one weight that is kept
    ei = np.stack([rng.integers(0, 8, 20), rng.integers(0, 8, 20)])
    ei[1] = np.where(ei[0] == ei[1], (ei[1] + 1) % 8, ei[1])
    ei[:, :2] = [[3, 5], [3, 5]]
    d, p = _pair(1, edge_index=ei, edge_weight=rng.random(20) + 0.1)
    got, want = T.GCNNorm(add_self_loops)(d), PT.GCNNorm(add_self_loops)(p)
    _same(got, want)
    from torch_geometric.nn.conv.gcn_conv import gcn_norm as pyg_gcn_norm
    w = fastnn.tensor(d.edge_weight.numpy(), requires_grad=True)
    tw = torch.tensor(p.edge_weight.numpy(), requires_grad=True)
    _, out = T.gcn_norm(d.edge_index, w, 8, add_self_loops=add_self_loops)
    _, tout = pyg_gcn_norm(p.edge_index, tw, 8, add_self_loops=add_self_loops)
    g = rng.standard_normal(tuple(tout.shape))
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("split", ["train_rest", "test_rest", "random"])
def test_random_node_split_masks(split):
    fastnn.manual_seed(0)
    d, _ = _pair(2, n=60, E=100, y=np.arange(60) % 3)
    out = T.RandomNodeSplit(split=split, num_train_per_class=5, num_val=0.2, num_test=10)(d)
    train, val, test = (out[k].numpy() for k in ("train_mask", "val_mask", "test_mask"))
    assert not (train & val).any() and not (train & test).any() and not (val & test).any()
    assert val.sum() == 12
    if split == "train_rest":
        assert test.sum() == 10 and (train | val | test).all()
    else:
        assert np.bincount(d.y.numpy()[train]).tolist() == [5, 5, 5]
        assert test.sum() == (60 - 15 - 12 if split == "test_rest" else 10)
    two = T.RandomNodeSplit(num_splits=2, num_val=5, num_test=5)(d)
    assert two.train_mask.shape == (60, 2)


@pytest.mark.parametrize("undirected", [False, True])
def test_random_link_split_is_a_valid_split(undirected):
    fastnn.manual_seed(0)
    d, _ = _pair(3, n=30, E=120)
    d.edge_attr = None
    d = T.ToUndirected()(d) if undirected else d
    d.edge_index = fg.utils.coalesce(d.edge_index)  # a simple graph: no edge twice
    train, val, test = T.RandomLinkSplit(num_val=0.1, num_test=0.2, is_undirected=undirected)(d)
    edges = set(map(tuple, d.edge_index.numpy().T))

    def pos_neg(split):
        idx, label = split.edge_label_index.numpy(), split.edge_label.numpy()
        assert set(np.unique(label)) <= {0.0, 1.0}
        return set(map(tuple, idx[:, label == 1].T)), set(map(tuple, idx[:, label == 0].T))
    (trp, trn), (vp, vn), (tp, tn) = pos_neg(train), pos_neg(val), pos_neg(test)
    assert trp | vp | tp <= edges and not (trn | vn | tn) & edges  # positives are edges, negatives are not
    assert not trp & vp and not trp & tp and not vp & tp
    assert len(trn) == len(trp) and len(vn) == len(vp) and len(tn) == len(tp)
    mp_train = set(map(tuple, train.edge_index.numpy().T))
    assert mp_train == trp | ({(j, i) for i, j in trp} if undirected else set())
    assert set(map(tuple, test.edge_index.numpy().T)) >= mp_train | vp
    if undirected:
        assert train.is_undirected() and test.is_undirected()
    split = T.RandomLinkSplit(num_val=0.1, num_test=0.2, split_labels=True, add_negative_train_samples=False)(d)[0]
    assert split.pos_edge_label_index.shape[1] > 0 and "neg_edge_label_index" not in split


def test_seed_everything_repeats_random_draws():
    fg.seed_everything(7)
    first = (fastnn.randn(3).numpy(), np.random.rand(), __import__("random").random())
    fg.seed_everything(7)
    second = (fastnn.randn(3).numpy(), np.random.rand(), __import__("random").random())
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]


def test_gin_graph_classification_from_a_tu_folder(tmp_path):
    """PyG's GIN example shape: TUDataset -> DataLoader -> GIN + global_add_pool; the training loss falls."""
    from fastnn.geometric.datasets import TUDataset
    from fastnn.geometric.loader import DataLoader
    from fastnn.geometric.nn import GIN, global_add_pool
    rng = np.random.default_rng(5)
    raw = tmp_path / "RING" / "raw"
    raw.mkdir(parents=True)
    rows = {"A": [], "graph_indicator": [], "graph_labels": [], "node_labels": []}
    start = 1
    for g in range(40):  # label 1: rings, label 0: paths; node labels carry no signal
        n = int(rng.integers(4, 9))
        pairs = [(i, (i + 1) % n) for i in range(n if g % 2 else n - 1)]
        rows["A"] += [f"{start + i}, {start + j}\n{start + j}, {start + i}" for i, j in pairs]
        rows["graph_indicator"] += [str(g + 1)] * n
        rows["graph_labels"].append(str(g % 2))
        rows["node_labels"] += ["0"] * n
        start += n
    for part, lines in rows.items():
        (raw / f"RING_{part}.txt").write_text("\n".join(lines) + "\n")
    dataset = TUDataset(tmp_path, "RING", transform=T.OneHotDegree(2))
    fastnn.manual_seed(0)
    model = GIN(dataset.num_features, 16, num_layers=2, out_channels=16)
    head = fastnn.nn.Linear(16, 2)
    opt = fastnn.optim.Adam([*model.parameters(), *head.parameters()], lr=0.01)
    losses = []
    for _ in range(15):
        total = 0.0
        for batch in DataLoader(dataset, batch_size=8, shuffle=True):
            opt.zero_grad()
            logits = head(global_add_pool(model(batch.x, batch.edge_index), batch.batch))
            loss = fastnn.nn.functional.cross_entropy(logits, batch.y)
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total)
    assert losses[-1] < 0.5 * losses[0]


def test_point_transforms_match_pyg():
    import random
    d, p = _pair(6)
    _same(T.Cartesian()(d), PT.Cartesian()(p), rtol=1e-9)
    _same(T.Cartesian(norm=False, cat=False)(d), PT.Cartesian(norm=False, cat=False)(p), rtol=1e-9)
    for axis in (0, 1, 2):
        random.seed(3)
        ours = T.RandomRotate(40, axis=axis)(d)
        random.seed(3)
        _same(ours, PT.RandomRotate(40, axis=axis)(p), rtol=1e-6)  # PyG builds its matrix in float32
    np.testing.assert_allclose(np.linalg.norm(ours.pos.numpy(), axis=1), np.linalg.norm(d.pos.numpy(), axis=1))


def test_logging_log_prints_as_pyg(capsys):
    from torch_geometric.logging import log as pyg_log
    fg.logging.log(Epoch=3, Loss=0.123456, Name="x")
    pyg_log(Epoch=3, Loss=0.123456, Name="x")
    ours, theirs = capsys.readouterr().out.splitlines()
    assert ours == theirs == "Epoch: 003, Loss: 0.1235, Name: x"
    assert fg.logging.init_wandb("project") is None  # without --wandb on the command line: nothing


@pytest.mark.parametrize("weighted", [False, True])
def test_to_sparse_tensor_and_layers_on_adj_t_match_pyg(weighted):
    rng = np.random.default_rng(7)
    # weighted: a multigraph (repeated edges become one entry with summed weight); else a simple graph
    # no self loops: PyG's GCN adds a loop to every node of a sparse adjacency (add_self_loops) but only to
    # nodes without one for an edge_index (add_remaining_self_loops), and fastnn does the latter for both
    ei = np.stack([rng.integers(0, 8, 20), rng.integers(0, 8, 20)])
    ei[1] = np.where(ei[0] == ei[1], (ei[1] + 1) % 8, ei[1])
    if not weighted:
        ei = np.unique(ei[0] * 8 + ei[1])
        ei = np.stack([ei // 8, ei % 8])
    extra = dict(edge_weight=rng.random(ei.shape[1]) + 0.5) if weighted else {}
    d, p = _pair(7, edge_index=ei, edge_attr=rng.standard_normal((ei.shape[1], 2)), **extra)
    got, want = T.ToSparseTensor()(d), PT.ToSparseTensor()(p)
    assert sorted(got.keys()) == sorted(want.keys()) and "edge_index" not in got.keys()
    np.testing.assert_array_equal(got.adj_t.crow_indices().numpy(), want.adj_t.crow_indices().numpy())
    np.testing.assert_array_equal(got.adj_t.col_indices().numpy(), want.adj_t.col_indices().numpy())
    np.testing.assert_allclose(got.adj_t.values().numpy(), want.adj_t.values().numpy())
    if not weighted:  # edge attributes follow the sort (PyG's order among repeated edges is arbitrary)
        np.testing.assert_allclose(got.edge_attr.numpy(), want.edge_attr.numpy())
    got.x, want.x, d.x = got.x.float(), want.x.float(), d.x.float()  # PyG's adjacency of ones is float32
    if weighted:
        got.adj_t, want.adj_t = T.ToSparseTensor()(_pair(7, edge_index=ei, edge_weight=np.float32(extra["edge_weight"]))[0]).adj_t, \
            PT.ToSparseTensor()(_pair(7, edge_index=ei, edge_weight=np.float32(extra["edge_weight"]))[1]).adj_t
        d.edge_weight = d.edge_weight.float()
    layers = [(fastnn.nn.GCNConv(4, 3), pyg.nn.GCNConv(4, 3))]
    if not weighted:
        layers.append((fastnn.nn.SAGEConv(4, 3), pyg.nn.SAGEConv(4, 3)))
    for ours, theirs in layers:
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        got_out = ours(got.x, got.adj_t)
        tol = dict(rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_out.detach().numpy(), theirs(want.x, want.adj_t).detach().numpy(), **tol)
        direct = ours(d.x, d.edge_index, d.edge_weight) if isinstance(ours, fastnn.nn.GCNConv) else ours(d.x, d.edge_index)
        np.testing.assert_allclose(got_out.detach().numpy(), direct.detach().numpy(), **tol)
    if weighted:
        with pytest.raises(ValueError, match="ones"):
            fastnn.nn.SAGEConv(4, 3)(got.x, got.adj_t)


def _write_off(path, rng, quads=False):
    pos = rng.standard_normal((6, 3))
    faces = ["3 0 1 2", "3 0 2 3", "3 3 4 5"] + (["4 0 1 4 5"] if quads else [])
    header = "OFF\n6 %d 0" % len(faces) if not quads else "OFF6 %d 0" % len(faces)  # both header forms occur
    path.write_text(header + "\n" + "\n".join(" ".join(f"{v:.5f}" for v in p) for p in pos) + "\n" +
                    "\n".join(faces) + "\n")


def test_modelnet_reads_off_meshes_as_pyg(tmp_path):
    from torch_geometric.datasets import ModelNet as PygModelNet
    from fastnn.geometric.datasets import ModelNet
    rng = np.random.default_rng(9)
    categories = ["bathtub", "bed", "chair", "desk", "dresser", "monitor", "night_stand", "sofa", "table", "toilet"]
    for c in categories:
        for split in ("train", "test"):
            (tmp_path / "raw" / c / split).mkdir(parents=True)
            for i in range(2):
                _write_off(tmp_path / "raw" / c / split / f"{c}_{i:04d}.off", rng, quads=i == 1)
    for train in (True, False):
        got, want = ModelNet(tmp_path, "10", train), PygModelNet(str(tmp_path), "10", train)
        assert len(got) == len(want) == 20

        def key(d):
            return (int(d.y.numpy()[0]), d.pos.numpy().round(4).tobytes())
        ours = sorted(got, key=key)
        theirs = sorted(want, key=key)  # PyG reads the files in the file system's order
        for g, w in zip(ours, theirs):
            for k in ("pos", "face", "y"):
                np.testing.assert_allclose(g[k].numpy(), w[k].numpy(), rtol=1e-6, err_msg=k)


def test_sample_points_lie_on_the_mesh():
    fastnn.manual_seed(0)
    pos = np.array([[0, 0, 0], [2, 0, 0], [0, 2, 0], [0, 0, 1]], np.float32)
    face = np.array([[0, 1, 2], [0, 1, 3]]).T  # a big triangle (area 2) in z = 0, a small one (area 1) in y = 0
    d = Data(pos=fastnn.tensor(pos), face=fastnn.tensor(face))
    out = T.SamplePoints(3000, include_normals=True)(d)
    p = out.pos.numpy()
    assert p.shape == (3000, 3) and "face" not in out and out.normal.shape == (3000, 3)
    on_big = np.isclose(p[:, 2], 0) & (p[:, 0] + p[:, 1] <= 2 + 1e-5) & (p >= -1e-6).all(1)
    on_small = np.isclose(p[:, 1], 0) & (p[:, 0] / 2 + p[:, 2] <= 1 + 1e-5) & (p >= -1e-6).all(1)
    assert (on_big | on_small).all()
    assert abs(on_big.mean() - 2 / 3) < 0.04  # by area


def test_graph_autoencoder_link_prediction_on_a_block_model():
    """PyG's link_pred.py shape: RandomLinkSplit, a GCN encoder, dot-product decoder, fresh negatives each
    epoch; held-out edges of a 4-community graph are told from non-edges (AUC by ranks)."""
    from fastnn.geometric.nn import GCNConv
    from fastnn.geometric.utils import negative_sampling, to_undirected
    rng = np.random.default_rng(12)
    n, block = 120, np.repeat(np.arange(4), 30)
    i, j = np.triu_indices(n, 1)
    p = np.where(block[i] == block[j], 0.25, 0.01)
    keep = rng.random(len(i)) < p
    ei = to_undirected(fastnn.tensor(np.stack([i[keep], j[keep]])))
    fastnn.manual_seed(0)
    data = Data(x=fastnn.tensor(np.eye(n, dtype=np.float32)), edge_index=ei)
    train, val, test = T.RandomLinkSplit(num_val=0.05, num_test=0.15, is_undirected=True,
                                         add_negative_train_samples=False)(data)
    conv1, conv2 = GCNConv(n, 32), GCNConv(32, 16)
    opt = fastnn.optim.Adam([*conv1.parameters(), *conv2.parameters()], lr=0.01)

    def encode(x, edge_index):
        return conv2(conv1(x, edge_index).relu(), edge_index)

    def decode(z, pairs):
        return (z[pairs[0]] * z[pairs[1]]).sum(-1)
    for _ in range(100):
        opt.zero_grad()
        z = encode(train.x, train.edge_index)
        neg = negative_sampling(train.edge_index, n, train.edge_label_index.shape[1])
        pairs = fastnn.cat([train.edge_label_index, neg], dim=1)
        labels = fastnn.cat([train.edge_label, fastnn.zeros(neg.shape[1])])
        fastnn.nn.functional.binary_cross_entropy_with_logits(decode(z, pairs), labels).backward()
        opt.step()
    with fastnn.no_grad():
        scores = decode(encode(test.x, test.edge_index), test.edge_label_index).numpy()
    labels = test.edge_label.numpy()
    ranks = scores.argsort().argsort() + 1
    pos = labels == 1
    auc = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
    assert auc > 0.85, auc
