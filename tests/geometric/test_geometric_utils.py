"""fastnn.geometric.utils against torch_geometric.utils on the same inputs: values and gradients."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck
from fastnn.geometric import utils as U

torch = pytest.importorskip("torch")
pyg_utils = pytest.importorskip("torch_geometric.utils")


def _t(a, requires_grad=False):
    return torch.tensor(np.asarray(a), requires_grad=requires_grad)


def _f(a, requires_grad=False):
    return fastnn.tensor(np.asarray(a), requires_grad=requires_grad)


def _edges(seed, n=8, E=24, loops=True):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, E), rng.integers(0, n, E)
    if not loops:
        dst = np.where(src == dst, (dst + 1) % n, dst)
    return rng, n, np.stack([src, dst]).astype(np.int64)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_matches_pyg_values_and_gradients(reduce, dim):
    rng = np.random.default_rng(0)
    index = rng.integers(0, 5, 11)
    index[index == 3] = 4  # group 3 stays empty: 0 in both
    src = rng.standard_normal((11, 4) if dim == 0 else (3, 11, 2))
    g = None
    x = _f(src, True)
    out = U.scatter(x, _f(index), dim=dim, dim_size=6, reduce=reduce)
    tx = _t(src, True)
    want = pyg_utils.scatter(tx, _t(index), dim=dim, dim_size=6, reduce=reduce)
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(want.shape)
    out.backward(_f(g))
    want.backward(_t(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_scatter_and_softmax_pass_gradcheck():
    rng = np.random.default_rng(1)
    index = _f(rng.integers(0, 4, 9))
    x = _f(rng.standard_normal((9, 3)), True)
    for reduce in ("sum", "mean", "max"):
        assert gradcheck(lambda x: U.scatter(x, index, 0, 5, reduce), (x,))
    assert gradcheck(lambda x: U.softmax(x, index), (x,))


def test_softmax_matches_pyg_by_index_and_by_ptr():
    rng = np.random.default_rng(2)
    index = np.sort(rng.integers(0, 4, 10))
    src = rng.standard_normal((10, 2))
    x, tx = _f(src, True), _t(src, True)
    out, want = U.softmax(x, _f(index)), pyg_utils.softmax(tx, _t(index))
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(src.shape)
    out.backward(_f(g))
    want.backward(_t(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(index, minlength=4))])
    np.testing.assert_allclose(U.softmax(_f(src), ptr=_f(ptr)).numpy(),
                               pyg_utils.softmax(_t(src), ptr=_t(ptr)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduce", ["add", "mean", "max"])
def test_to_undirected_and_coalesce_match_pyg(reduce):
    rng, n, ei = _edges(3)
    attr = rng.standard_normal((ei.shape[1], 2))
    assert np.array_equal(U.to_undirected(_f(ei)).numpy(), pyg_utils.to_undirected(_t(ei)).numpy())
    a = _f(attr, True)
    ta = _t(attr, True)
    got_ei, got = U.to_undirected(_f(ei), a, reduce=reduce)
    want_ei, want = pyg_utils.to_undirected(_t(ei), ta, reduce=reduce)
    np.testing.assert_array_equal(got_ei.numpy(), want_ei.numpy())
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(want.shape)
    got.backward(_f(g))
    want.backward(_t(g))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    got_ei, got = U.coalesce(_f(ei), _f(attr), n)
    want_ei, want = pyg_utils.coalesce(_t(ei), _t(attr), n)
    np.testing.assert_array_equal(got_ei.numpy(), want_ei.numpy())
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    assert U.is_undirected(U.to_undirected(_f(ei))) and not U.is_undirected(_f(np.array([[0], [1]])))
    assert U.is_undirected(_f(ei)) == pyg_utils.is_undirected(_t(ei))


def test_self_loop_utilities_match_pyg():
    rng, n, ei = _edges(4, loops=False)
    ei[:, :2] = [[1, 3], [1, 3]]  # one loop each on nodes 1 and 3
    w = rng.random(ei.shape[1])
    for got, want in ((U.remove_self_loops(_f(ei), _f(w)), pyg_utils.remove_self_loops(_t(ei), _t(w))),
                      (U.add_self_loops(_f(ei), _f(w), 2.0, n), pyg_utils.add_self_loops(_t(ei), _t(w), 2.0, n)),
                      (U.add_self_loops(_f(ei), _f(w), "mean", n), pyg_utils.add_self_loops(_t(ei), _t(w), "mean", n)),
                      (U.add_remaining_self_loops(_f(ei), _f(w), 2.0, n),
                       pyg_utils.add_remaining_self_loops(_t(ei), _t(w), 2.0, n))):
        np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())
        np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), rtol=1e-12)
    assert U.contains_self_loops(_f(ei)) and not U.contains_self_loops(U.remove_self_loops(_f(ei))[0])


def test_subgraph_and_k_hop_subgraph_match_pyg():
    rng, n, ei = _edges(5, n=12, E=30)
    attr = rng.standard_normal((30, 2))
    subset = np.array([0, 2, 3, 5, 7, 11])
    for relabel in (False, True):
        got = U.subgraph(_f(subset), _f(ei), _f(attr), relabel_nodes=relabel, num_nodes=n, return_edge_mask=True)
        want = pyg_utils.subgraph(_t(subset), _t(ei), _t(attr), relabel_nodes=relabel, num_nodes=n,
                                  return_edge_mask=True)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.numpy(), b.numpy())
    mask = np.zeros(n, bool)
    mask[subset] = True
    np.testing.assert_array_equal(U.subgraph(_f(mask), _f(ei))[0].numpy(), pyg_utils.subgraph(_t(mask), _t(ei))[0].numpy())
    for hops, flow, relabel, directed in ((1, "source_to_target", False, False), (2, "source_to_target", True, False),
                                          (2, "target_to_source", True, False), (2, "source_to_target", False, True)):
        got = U.k_hop_subgraph([3, 4], hops, _f(ei), relabel, n, flow, directed)
        want = pyg_utils.k_hop_subgraph([3, 4], hops, _t(ei), relabel, n, flow, directed)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_to_dense_adj_and_degree_and_normalized_cut_match_pyg():
    rng = np.random.default_rng(6)
    batch = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    src = rng.integers(0, 9, 20)
    starts, counts = np.array([0, 3, 5]), np.array([3, 2, 4])
    dst = starts[batch[src]] + rng.integers(0, 9, 20) % counts[batch[src]]  # edges stay inside their graph
    ei = np.stack([src, dst])
    w = rng.random(20)
    np.testing.assert_allclose(U.to_dense_adj(_f(ei), _f(batch)).numpy(),
                               pyg_utils.to_dense_adj(_t(ei), _t(batch)).numpy())
    np.testing.assert_allclose(U.to_dense_adj(_f(ei), _f(batch), _f(w), max_num_nodes=3).numpy(),
                               pyg_utils.to_dense_adj(_t(ei), _t(batch), _t(w), max_num_nodes=3).numpy())
    np.testing.assert_allclose(U.to_dense_adj(_f(ei)).numpy(), pyg_utils.to_dense_adj(_t(ei)).numpy())
    np.testing.assert_allclose(U.degree(_f(dst), 9).numpy(), pyg_utils.degree(_t(dst), 9).numpy())
    np.testing.assert_allclose(U.normalized_cut(_f(ei), _f(w), 9).numpy(),
                               pyg_utils.normalized_cut(_t(ei), _t(w), 9).numpy())


def test_negative_sampling_draws_distinct_non_edges():
    fastnn.manual_seed(0)
    rng, n, ei = _edges(7, n=10, E=30)
    neg = U.negative_sampling(_f(ei), n, 25).numpy()
    existing = set(map(tuple, ei.T))
    pairs = list(map(tuple, neg.T))
    assert len(pairs) == 25 == len(set(pairs))
    assert not existing & set(pairs) and all(i != j for i, j in pairs) and neg.max() < n
    full = np.stack(np.nonzero(~np.eye(4, dtype=bool)))  # a complete graph has no non-edges
    assert U.negative_sampling(_f(full), 4).shape == (2, 0)
    undirected = U.negative_sampling(_f(ei), n, 10, force_undirected=True).numpy()
    assert set(map(tuple, undirected.T)) == set(map(tuple, undirected[::-1].T)) and undirected.shape == (2, 10)
    assert not set(map(tuple, undirected.T)) & (existing | {(j, i) for i, j in existing})
    one_way = np.stack(np.nonzero(np.triu(np.ones((5, 5), bool), 1)))  # every pair taken in one direction
    assert U.negative_sampling(_f(one_way), 5, 4, force_undirected=True).shape == (2, 0)
    assert U.negative_sampling(_f(one_way), 5, 100).shape == (2, 10)  # all ten reverse pairs, no more


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="reduce"):
        U.scatter(fastnn.ones(3, 2), _f([0, 1, 0]), reduce="median")
    with pytest.raises(IndexError, match="dim_size"):
        U.scatter(fastnn.ones(3, 2), _f([0, 5, 0]), dim_size=2)
    with pytest.raises(ValueError, match="index"):
        U.scatter(fastnn.ones(3, 2), _f([0, 1]))
    with pytest.raises(ValueError, match="exactly one"):
        U.softmax(fastnn.ones(3))


def test_scatter_of_integers_matches_pyg():
    src, index = np.array([1, 2, 4, -3, 5]), np.array([0, 0, 1, 1, 2])
    for reduce in ("sum", "mean", "max", "min"):
        got = U.scatter(_f(src), _f(index), 0, 4, reduce).numpy()
        want = pyg_utils.scatter(_t(src), _t(index), 0, 4, reduce=reduce).numpy()
        np.testing.assert_allclose(got, want)
        assert got.dtype.kind == want.dtype.kind, reduce
