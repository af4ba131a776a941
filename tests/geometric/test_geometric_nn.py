"""fastnn.geometric.nn against torch_geometric.nn with the same weights: values and gradients."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck
from fastnn.geometric import nn as gnn

torch = pytest.importorskip("torch")
pyg_nn = pytest.importorskip("torch_geometric.nn")


def _copy_weights(ours, theirs):
    """theirs <- ours, by PyG's parameter and buffer names (which the layers share)."""
    mine = {k: v.detach().numpy() for k, v in ours.state_dict().items()}
    ref = theirs.state_dict()
    assert set(mine) == set(k for k in ref if not k.endswith("num_batches_tracked")) | \
        (set(mine) & {k for k in ref if k.endswith("num_batches_tracked")}), (sorted(mine), sorted(ref))
    theirs.load_state_dict({k: torch.tensor(np.asarray(mine[k])).reshape(ref[k].shape).to(ref[k].dtype)
                            if k in mine else ref[k] for k in ref})


def _graph(seed, n=9, E=25, F=4):
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal((n, F)), np.stack([rng.integers(0, n, E), rng.integers(0, n, E)])


def _compare(ours, theirs, args, targs, rtol=1e-10):
    """Forward both, backward the same random cotangent; outputs, input gradients and parameter gradients."""
    out, tout = ours(*args), theirs(*targs)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=1e-12)
    g = np.random.default_rng(99).standard_normal(tuple(tout.shape))
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(args[0].grad.numpy(), targs[0].grad.numpy(), rtol=rtol, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy().reshape(p.shape), rtol=rtol,
                                   atol=1e-12, err_msg=name)


def _inputs(x, ei, more=()):
    return ((fastnn.tensor(x, requires_grad=True), fastnn.tensor(ei), *(fastnn.tensor(m) for m in more)),
            (torch.tensor(x, requires_grad=True), torch.tensor(ei), *(torch.tensor(m) for m in more)))


@pytest.mark.parametrize("train_eps", [False, True])
def test_gin_conv_matches_pyg(train_eps):
    _, x, ei = _graph(0)
    fastnn.manual_seed(0)
    ours = gnn.GINConv(gnn.MLP([4, 8, 3], norm=None), eps=0.3, train_eps=train_eps).double()
    theirs = pyg_nn.GINConv(pyg_nn.MLP([4, 8, 3], norm=None), eps=0.3, train_eps=train_eps).double()
    _copy_weights(ours, theirs)
    _compare(ours, theirs, *_inputs(x, ei))


def test_gine_conv_matches_pyg():
    rng, x, ei = _graph(1)
    attr = rng.standard_normal((ei.shape[1], 2))
    ours = gnn.GINEConv(fastnn.nn.Sequential(fastnn.nn.Linear(4, 5), fastnn.nn.ReLU()), edge_dim=2).double()
    theirs = pyg_nn.GINEConv(torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU()), edge_dim=2).double()
    _copy_weights(ours, theirs)
    _compare(ours, theirs, *_inputs(x, ei, (attr,)))


@pytest.mark.parametrize("aggr,weighted", [("add", True), ("mean", True), ("max", False)])
def test_graph_conv_matches_pyg(aggr, weighted):
    rng, x, ei = _graph(2)
    w = rng.random(ei.shape[1])
    ours, theirs = gnn.GraphConv(4, 3, aggr=aggr).double(), pyg_nn.GraphConv(4, 3, aggr=aggr).double()
    _copy_weights(ours, theirs)
    _compare(ours, theirs, *_inputs(x, ei, (w,) if weighted else ()))


@pytest.mark.parametrize("pool", ["global_add_pool", "global_mean_pool", "global_max_pool"])
def test_global_pools_match_pyg(pool):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 3))
    batch = np.array([0, 0, 0, 2, 2, 2, 2, 3, 3, 3])  # graph 1 has no nodes
    a, t = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = getattr(gnn, pool)(a, fastnn.tensor(batch)), getattr(pyg_nn, pool)(t, torch.tensor(batch))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(tout.shape)
    out.backward(fastnn.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(getattr(gnn, pool)(fastnn.tensor(x)).numpy(), getattr(pyg_nn, pool)(torch.tensor(x), None).numpy(),
                               rtol=1e-12)
    assert getattr(gnn, pool)(fastnn.tensor(x), fastnn.tensor(batch), size=6).shape == (6, 3)
    assert gradcheck(lambda a: getattr(gnn, pool)(a, fastnn.tensor(batch)), (a,))


@pytest.mark.parametrize("kwargs", [dict(norm="batch_norm"), dict(norm=None, act="elu", plain_last=False),
                                    dict(act_first=True, bias=[True, False, True])])
def test_mlp_matches_pyg(kwargs):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((12, 5))
    ours = gnn.MLP([5, 7, 6, 3], **kwargs).double()
    theirs = pyg_nn.MLP([5, 7, 6, 3], **kwargs).double()
    _copy_weights(ours, theirs)
    a, t = fastnn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    _compare(ours, theirs, (a,), (t,), rtol=1e-9)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(fastnn.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-9)
    ours2 = gnn.MLP(in_channels=5, hidden_channels=7, out_channels=3, num_layers=3)
    assert [lin.weight.shape for lin in ours2.lins] == [(7, 5), (7, 7), (3, 7)]


@pytest.mark.parametrize("model,kwargs", [("GCN", {}), ("GraphSAGE", {}), ("GIN", {}),
                                          ("GAT", dict(heads=2)), ("GCN", dict(norm="batch_norm"))])
def test_basic_gnn_models_match_pyg(model, kwargs):
    _, x, ei = _graph(5, F=4)
    ours = getattr(gnn, model)(4, 6, num_layers=3, out_channels=2, **kwargs).double()
    theirs = getattr(pyg_nn, model)(4, 6, num_layers=3, out_channels=2, **kwargs).double()
    _copy_weights(ours, theirs)
    _compare(ours, theirs, *_inputs(x, ei), rtol=1e-9)


def test_layers_from_fastnn_nn_are_the_same_classes():
    assert gnn.GCNConv is fastnn.nn.GCNConv and gnn.SAGEConv is fastnn.nn.SAGEConv and gnn.GATConv is fastnn.nn.GATConv
    assert gnn.models.GAT is gnn.GAT


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="act"):
        gnn.MLP([3, 4, 2], act="nonsense")
    with pytest.raises(ValueError, match="num_layers"):
        gnn.MLP(in_channels=3, out_channels=2)
    with pytest.raises(ValueError, match="aggr"):
        gnn.GraphConv(3, 2, aggr="median")
    with pytest.raises(NotImplementedError, match="jk"):
        gnn.GCN(3, 4, 2, jk="cat")
    with pytest.raises(TypeError, match="nn"):
        gnn.GINConv(3)


@pytest.mark.parametrize("aggr", ["add", "mean"])
def test_nn_conv_matches_pyg(aggr):
    rng, x, ei = _graph(6, F=3)
    attr = rng.standard_normal((ei.shape[1], 2))
    ours = gnn.NNConv(3, 4, fastnn.nn.Sequential(fastnn.nn.Linear(2, 12)), aggr=aggr).double()
    theirs = pyg_nn.NNConv(3, 4, torch.nn.Sequential(torch.nn.Linear(2, 12)), aggr=aggr).double()
    ours.bias.data = fastnn.tensor(rng.standard_normal(4))
    _copy_weights(ours, theirs)
    _compare(ours, theirs, *_inputs(x, ei, (attr,)))


def test_max_pool_and_max_pool_x_match_pyg():
    from fastnn.geometric.data import Batch, Data
    rng = np.random.default_rng(8)
    graphs = []
    for n in (5, 7):
        graphs.append(dict(x=rng.standard_normal((n, 3)), pos=rng.standard_normal((n, 2)),
                           edge_index=np.stack([rng.integers(0, n, 12), rng.integers(0, n, 12)]),
                           edge_attr=rng.random((12, 1))))
    ours = Batch.from_data_list([Data(**{k: fastnn.tensor(v) for k, v in g.items()}) for g in graphs])
    import torch_geometric
    theirs = torch_geometric.data.Batch.from_data_list(
        [torch_geometric.data.Data(**{k: torch.tensor(v) for k, v in g.items()}) for g in graphs])
    cluster = np.array([0, 0, 3, 3, 3, 9, 9, 6, 6, 6, 11, 9])  # clusters stay inside their graph
    got, want = gnn.max_pool(fastnn.tensor(cluster), ours), pyg_nn.max_pool(torch.tensor(cluster), theirs)
    for key in ("x", "pos", "edge_index", "edge_attr", "batch"):
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=1e-12, err_msg=key)
    x, b = gnn.max_pool_x(fastnn.tensor(cluster), ours.x, ours.batch)
    tx, tb = pyg_nn.max_pool_x(torch.tensor(cluster), theirs.x, theirs.batch)
    np.testing.assert_allclose(x.numpy(), tx.numpy())
    np.testing.assert_array_equal(b.numpy(), tb.numpy())


def test_graclus_matches_each_node_at_most_once_along_an_edge():
    fastnn.manual_seed(0)
    _, _, ei = _graph(9, n=30, E=80)
    ei = np.concatenate([ei, ei[::-1]], axis=1)
    w = np.random.default_rng(1).random(ei.shape[1])
    edges = set(map(tuple, ei.T))
    for weight in (None, fastnn.tensor(w)):
        cluster = gnn.graclus(fastnn.tensor(ei), weight, 30).numpy()
        for c in np.unique(cluster):
            members = np.flatnonzero(cluster == c)
            assert c == members.min() and len(members) <= 2
            if len(members) == 2:
                assert tuple(members) in edges
        # greedy: no two unmatched nodes are left joined by an edge
        alone = {int(i) for i in np.unique(cluster) if (cluster == i).sum() == 1}
        assert not any(u in alone and v in alone and u != v for u, v in edges)


def test_knn_interpolate_matches_a_torch_computation():
    rng = np.random.default_rng(10)
    pos_x, pos_y = rng.standard_normal((30, 3)), rng.standard_normal((12, 3))
    batch_x, batch_y = np.repeat([0, 1], [18, 12]), np.repeat([0, 1], [5, 7])
    x = rng.standard_normal((30, 4))
    a = fastnn.tensor(x, requires_grad=True)
    out = gnn.knn_interpolate(a, fastnn.tensor(pos_x), fastnn.tensor(pos_y), fastnn.tensor(batch_x),
                              fastnn.tensor(batch_y), k=3)
    t = torch.tensor(x, requires_grad=True)
    rows = []
    for i in range(12):  # independently: torch's distances, top-k within the same graph, weighted mean
        same = torch.tensor(np.flatnonzero(batch_x == batch_y[i]))
        d = ((torch.tensor(pos_x)[same] - torch.tensor(pos_y[i])) ** 2).sum(-1)
        dist, j = d.topk(3, largest=False)
        w = 1 / dist.clamp(min=1e-16)
        rows.append((t[same[j]] * w[:, None]).sum(0) / w.sum())
    want = torch.stack(rows)
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-10)
    g = rng.standard_normal((12, 4))
    out.backward(fastnn.tensor(g))
    want.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def _spline_reference(x, ei, u, weight, root, bias, kernel_size, is_open, aggr):
    """SplineConv from its definition, edge by edge: linear B-spline weights of the 2^dim grid points
    around each edge's scaled pseudo-coordinate."""
    import itertools
    out = np.zeros((x.shape[0], weight.shape[2]))
    count = np.zeros(x.shape[0])
    for e in range(ei.shape[1]):
        w = np.zeros(weight.shape[1:])
        v = [u[e, d] * (kernel_size[d] - (1 if is_open[d] else 0)) for d in range(len(kernel_size))]
        for corner in itertools.product((0, 1), repeat=len(kernel_size)):
            b, flat, stride = 1.0, 0, 1
            for d, k in enumerate(corner):
                frac = v[d] - np.floor(v[d])
                b *= frac if k else 1 - frac
                flat += int((np.floor(v[d]) + k) % kernel_size[d]) * stride
                stride *= kernel_size[d]
            w += b * weight[flat]
        out[ei[1, e]] += x[ei[0, e]] @ w
        count[ei[1, e]] += 1
    if aggr == "mean":
        out /= np.maximum(count, 1)[:, None]
    return out + x @ root.T + bias


@pytest.mark.parametrize("dim,kernel_size,is_open,aggr", [(2, 5, True, "mean"), (3, [3, 4, 2], [True, False, True], "add"),
                                                          (1, 4, False, "mean")])
def test_spline_conv_matches_its_definition(dim, kernel_size, is_open, aggr):
    from fastnn.autograd import gradcheck
    rng, x, ei = _graph(11, F=3)
    u = rng.random((ei.shape[1], dim))
    fastnn.manual_seed(0)
    conv = gnn.SplineConv(3, 2, dim, kernel_size, is_open_spline=is_open, aggr=aggr).double()
    conv.bias.data = fastnn.tensor(rng.standard_normal(2))
    out = conv(fastnn.tensor(x), fastnn.tensor(ei), fastnn.tensor(u))
    ks = [kernel_size] * dim if isinstance(kernel_size, int) else kernel_size
    opens = [is_open] * dim if isinstance(is_open, bool) else is_open
    want = _spline_reference(x, ei, u, conv.weight.detach().numpy(), conv.lin.weight.detach().numpy(),
                             conv.bias.detach().numpy(), ks, opens, aggr)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    xt = fastnn.tensor(x, requires_grad=True)
    assert gradcheck(lambda xt, w: conv(xt, fastnn.tensor(ei), fastnn.tensor(u)), (xt, conv.weight))
    assert sorted(conv.state_dict()) == ["bias", "is_open_spline", "kernel_size", "lin.weight", "weight"]
