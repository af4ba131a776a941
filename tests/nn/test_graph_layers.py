"""GCNConv, SAGEConv, GATConv against dense-matrix versions of PyG's formulas; gradchecks; sparse.mm;
edge_index validation; the Planetoid loader's refusal of foreign pickles."""
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.autograd import gradcheck
from fastnn.data import Planetoid, karate_club


def _dense_adjacency(src, dst, n, weight=None):
    """A[i, j] = summed weight of the edges j -> i."""
    a = np.zeros((n, n))
    np.add.at(a, (dst, src), 1.0 if weight is None else weight)
    return a


def _with_remaining_loops(src, dst, n, weight=None, fill=1.0):
    keep = src != dst
    loop_w = np.full(n, fill)
    if weight is not None:
        for e in np.flatnonzero(~keep):
            loop_w[src[e]] = weight[e]
    nodes = np.arange(n)
    w = np.concatenate([np.ones(keep.sum()) if weight is None else weight[keep], loop_w])
    return np.concatenate([src[keep], nodes]), np.concatenate([dst[keep], nodes]), w


@pytest.mark.parametrize("improved", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_gcn_conv_equals_the_dense_formula(improved, weighted):
    rng = np.random.default_rng(0)
    n, src, dst = 9, rng.integers(0, 9, 30), rng.integers(0, 9, 30)
    src[:3], dst[:3] = [1, 1, 4], [1, 1, 4]  # existing (and repeated) self loops
    weight = rng.random(30) + 0.5 if weighted else None
    fastnn.manual_seed(0)
    layer = nn.GCNConv(5, 3, improved=improved).double()
    layer.bias.data = fastnn.tensor(rng.standard_normal(3))
    x = rng.standard_normal((n, 5))
    ei = fastnn.tensor(np.stack([src, dst]))
    out = layer(fastnn.tensor(x), ei, None if weight is None else fastnn.tensor(weight)).detach().numpy()
    # as PyG's gcn_norm: missing weights are ones, so existing self loops keep weight 1 even when improved
    s, d, w = _with_remaining_loops(src, dst, n, np.ones(30) if weight is None else weight, 2.0 if improved else 1.0)
    a = _dense_adjacency(s, d, n, w)
    deg = a.sum(1)
    dinv = np.where(deg > 0, deg ** -0.5, 0)
    want = (dinv[:, None] * a * dinv[None, :]) @ x @ layer.lin.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("aggr", ["mean", "sum", "max"])
def test_sage_conv_equals_the_dense_formula(aggr):
    rng = np.random.default_rng(1)
    n, src, dst = 8, rng.integers(0, 8, 20), rng.integers(0, 7, 20)  # node 7 receives nothing
    layer = nn.SAGEConv(4, 3, aggr=aggr).double()
    x = rng.standard_normal((n, 4))
    out = layer(fastnn.tensor(x), fastnn.tensor(np.stack([src, dst]))).detach().numpy()
    agg = np.zeros((n, 4))
    for i in range(n):
        msgs = x[src[dst == i]]
        if len(msgs):
            agg[i] = {"mean": msgs.mean(0), "sum": msgs.sum(0), "max": msgs.max(0)}[aggr]
    want = agg @ layer.lin_l.weight.detach().numpy().T + layer.lin_l.bias.detach().numpy() + x @ layer.lin_r.weight.detach().numpy().T
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("heads,concat", [(1, True), (3, True), (2, False)])
def test_gat_conv_equals_the_dense_formula(heads, concat):
    rng = np.random.default_rng(2)
    n, src, dst = 7, rng.integers(0, 7, 18), rng.integers(0, 7, 18)
    src[0] = dst[0] = 3  # an existing self loop is replaced by the added one
    layer = nn.GATConv(4, 5, heads=heads, concat=concat).double()
    layer.bias.data = fastnn.tensor(rng.standard_normal(layer.bias.shape))
    x = rng.standard_normal((n, 4))
    out, (ei, alpha) = layer(fastnn.tensor(x), fastnn.tensor(np.stack([src, dst])), return_attention_weights=True)
    h = (x @ layer.lin.weight.detach().numpy().T).reshape(n, heads, 5)
    a_src = (h * layer.att_src.detach().numpy()).sum(-1)
    a_dst = (h * layer.att_dst.detach().numpy()).sum(-1)
    s, d, _ = _with_remaining_loops(src, dst, n)
    want = np.zeros((n, heads, 5))
    for i in range(n):
        edges = np.flatnonzero(d == i)
        e = a_src[s[edges]] + a_dst[i]
        e = np.where(e > 0, e, 0.2 * e)
        att = np.exp(e - e.max(0))
        att /= att.sum(0)
        want[i] = np.einsum("kh,khc->hc", att, h[s[edges]])
    want = want.reshape(n, heads * 5) if concat else want.mean(1)
    np.testing.assert_allclose(out.detach().numpy(), want + layer.bias.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert ei.shape == (2, len(s)) and alpha.shape == (len(s), heads)


@pytest.mark.parametrize("make", [lambda: nn.GCNConv(3, 2), lambda: nn.GCNConv(3, 2, normalize=False),
                                  lambda: nn.SAGEConv(3, 2), lambda: nn.SAGEConv(3, 2, aggr="max"),
                                  lambda: nn.GATConv(3, 2, heads=2), lambda: nn.GATConv(3, 2, heads=2, concat=False)],
                         ids=["gcn", "gcn-unnormalised", "sage-mean", "sage-max", "gat", "gat-mean"])
def test_graph_layers_pass_gradcheck(make):
    rng = np.random.default_rng(3)
    layer = make().double()
    ei = fastnn.tensor(np.stack([rng.integers(0, 6, 14), rng.integers(0, 6, 14)]))
    x = fastnn.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    params = [p for p in layer.parameters()]
    assert gradcheck(lambda x, *ps: layer(x, ei), (x, *params))


def test_sparse_functions_pass_gradcheck():
    from fastnn.autograd.native.graph import SpMMFn, SegmentSoftmaxFn
    from fastnn.graph import to_csr
    rng = np.random.default_rng(4)
    graph = to_csr(fastnn.tensor(np.stack([rng.integers(0, 5, 12), rng.integers(0, 5, 12)])), 5)
    x = fastnn.tensor(rng.standard_normal((5, 6)), requires_grad=True)
    v = fastnn.tensor(rng.standard_normal((12, 2)), requires_grad=True)
    s = fastnn.tensor(rng.standard_normal((12, 3)), requires_grad=True)
    for reduce in ("sum", "mean"):
        assert gradcheck(lambda v, x: SpMMFn.apply(v, x, graph, reduce), (v, x))
    assert gradcheck(lambda s: SegmentSoftmaxFn.apply(s, graph), (s,))


def test_sparse_mm_matches_dense_and_pytorch():
    rng = np.random.default_rng(5)
    dense = rng.standard_normal((4, 6)) * (rng.random((4, 6)) < 0.4)
    rows, cols = np.nonzero(dense)
    crow = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=4))])
    A = fastnn.sparse_csr_tensor(crow, cols, dense[rows, cols], size=(4, 6), requires_grad=True)
    X = fastnn.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    Y = fastnn.sparse.mm(A, X)
    np.testing.assert_allclose(Y.detach().numpy(), dense @ X.detach().numpy())
    np.testing.assert_allclose(A.to_dense().numpy(), dense)
    g = rng.standard_normal((4, 3))
    Y.backward(fastnn.tensor(g))
    np.testing.assert_allclose(X.grad.numpy(), dense.T @ g)
    np.testing.assert_allclose(A.values().grad.numpy(), (g @ X.detach().numpy().T)[rows, cols])
    torch = pytest.importorskip("torch")
    tA = torch.sparse_csr_tensor(torch.tensor(crow), torch.tensor(cols), torch.tensor(dense[rows, cols]), size=(4, 6))
    np.testing.assert_allclose(torch.sparse.mm(tA, torch.tensor(X.detach().numpy())).numpy(), Y.detach().numpy())


@pytest.mark.parametrize("bad,error,match", [
    (np.array([[0, 9], [1, 2]]), IndexError, "edge_index holds node id 9"),
    (np.array([[0, -1], [1, 2]]), IndexError, "negative"),
    (np.array([[0.0, 1.0], [1.0, 2.0]]), TypeError, "edge_index must be int64"),
    (np.array([0, 1, 2]), ValueError, r"edge_index must have shape \(2, E\)"),
    ("edges", TypeError, "edge_index must be"),
])
@pytest.mark.parametrize("make", [lambda: nn.GCNConv(2, 2), lambda: nn.SAGEConv(2, 2), lambda: nn.GATConv(2, 2)],
                         ids=["gcn", "sage", "gat"])
def test_bad_edge_index_raises_naming_it(make, bad, error, match):
    with pytest.raises(error, match=match):
        make()(fastnn.ones(3, 2), bad if isinstance(bad, str) else fastnn.tensor(bad))


def test_bad_features_and_hyper_parameters():
    with pytest.raises(ValueError, match="x must be a 2-D float tensor"):
        nn.GCNConv(2, 2)(fastnn.ones(3, 2, 1), fastnn.tensor(np.array([[0], [1]])))
    with pytest.raises(ValueError, match="heads"):
        nn.GATConv(2, 2, heads=0)
    with pytest.raises(ValueError, match="in_channels"):
        nn.GCNConv(-1, 2)
    with pytest.raises(ValueError, match="aggr"):
        nn.SAGEConv(2, 2, aggr="median")


def test_planetoid_refuses_a_pickle_of_anything_else(tmp_path, monkeypatch):
    class Evil:
        def __reduce__(self):
            import os
            return (os.system, ("echo pwned > pwned.txt",))
    monkeypatch.chdir(tmp_path)
    for part in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        (tmp_path / f"ind.cora.{part}").write_bytes(pickle.dumps(Evil(), protocol=2))
    (tmp_path / "ind.cora.test.index").write_text("0\n")
    with pytest.raises(ValueError, match="refusing to load posix.system|refusing to load os.system"):
        Planetoid(tmp_path, "Cora")
    assert not (tmp_path / "pwned.txt").exists()


def test_planetoid_reports_missing_and_garbage_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="ind.cora"):
        Planetoid(tmp_path, "Cora")
    for part in ("x", "y", "tx", "ty", "allx", "ally", "graph"):
        (tmp_path / f"ind.cora.{part}").write_bytes(b"\x80\x02garbage")
    (tmp_path / "ind.cora.test.index").write_text("0\n")
    with pytest.raises(ValueError, match="not a readable Planetoid file"):
        Planetoid(tmp_path, "Cora")
    with pytest.raises(ValueError, match="name"):
        Planetoid(tmp_path, "Reddit")


def test_karate_club_is_bundled_and_undirected():
    data = karate_club()
    ei = data.edge_index.numpy()
    assert data.num_nodes == 34 and ei.shape == (2, 156)
    assert set(map(tuple, ei.T)) == set(map(tuple, ei[::-1].T))
    assert np.bincount(data.y.numpy()).tolist() == [17, 17]
