"""Issue 22's graph points: edge_weight gradients through GCN's normalisation, the GCN cache keyed by
graph, normalize=False without self loops, GAT's attention weights in edge order, frozen (checked once,
read-only) GraphCSR structures, read-only kernel inputs, and duplicate self loops."""
import numpy as np
import pytest

import fastnn
from fastnn import nn, kernels as K
from fastnn.kernels import reference as R
from fastnn.autograd import gradcheck
from fastnn.graph import GraphCSR, to_csr


def _graph(seed, n=7, E=20):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, E), rng.integers(0, n, E)
    src[:4], dst[:4] = [2, 2, 5, 0], [2, 2, 5, 3]  # two self loops on node 2, one on 5, and a duplicate edge below
    src[4], dst[4] = 0, 3
    return rng, n, np.stack([src, dst]).astype(np.int64)


def _torch_gcn(torch, x, ei, w, weight, bias, improved):
    """PyG's GCN on a dense adjacency, written from the formula with autograd: D^-1/2 (A + loops) D^-1/2 X W^T + b."""
    n = x.shape[0]
    src, dst = torch.from_numpy(ei[0]), torch.from_numpy(ei[1])
    loop = src == dst
    loop_w = torch.full((n,), 2.0 if improved else 1.0, dtype=w.dtype)
    for e in np.flatnonzero(loop.numpy()):  # an existing loop keeps its weight; the last one wins
        loop_w = torch.cat([loop_w[:src[e]], w[e:e + 1], loop_w[src[e] + 1:]])
    nodes = torch.arange(n)
    s, d = torch.cat([src[~loop], nodes]), torch.cat([dst[~loop], nodes])
    a = torch.zeros(n, n, dtype=w.dtype).index_put((d, s), torch.cat([w[~loop], loop_w]), accumulate=True)
    deg = a.sum(1)
    dinv = torch.where(deg > 0, deg.clamp(min=1e-300) ** -0.5, torch.zeros_like(deg))
    return (dinv[:, None] * a * dinv[None, :]) @ x @ weight.T + bias


@pytest.mark.parametrize("improved", [False, True])
def test_gcn_edge_weight_gets_its_gradient_through_the_normalisation(improved):
    torch = pytest.importorskip("torch")
    rng, n, ei = _graph(0)
    w0, x0 = rng.random(ei.shape[1]) + 0.5, rng.standard_normal((n, 4))
    layer = nn.GCNConv(4, 3, improved=improved).double()
    layer.bias.data = fastnn.tensor(rng.standard_normal(3))
    x, w = fastnn.tensor(x0, requires_grad=True), fastnn.tensor(w0, requires_grad=True)
    out = layer(x, fastnn.tensor(ei), w)
    g = rng.standard_normal(out.shape)
    out.backward(fastnn.tensor(g))
    tx, tw = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    tout = _torch_gcn(torch, tx, ei, tw, torch.tensor(layer.lin.weight.detach().numpy()),
                      torch.tensor(layer.bias.detach().numpy()), improved)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert gradcheck(lambda x, w: layer(x, fastnn.tensor(ei), w), (x, w))


def test_gcn_matches_pyg_values_and_gradients():
    torch = pytest.importorskip("torch")
    pyg = pytest.importorskip("torch_geometric.nn")
    rng, n, ei = _graph(1)
    # one self loop per node at most: with repeated loops, torch's index_put backward (in PyG's
    # add_remaining_self_loops) gives every repeat the gradient of the one loop weight that was kept
    loops = np.flatnonzero(ei[0] == ei[1])
    last = {int(ei[0, e]): e for e in loops}  # each looped node's last loop stays
    ei = np.delete(ei, [e for e in loops if last[int(ei[0, e])] != e], axis=1)
    w0, x0 = rng.random(ei.shape[1]) + 0.5, rng.standard_normal((n, 4))
    layer = nn.GCNConv(4, 3).double()
    ref = pyg.GCNConv(4, 3).double()
    with torch.no_grad():
        ref.lin.weight.copy_(torch.tensor(layer.lin.weight.detach().numpy()))
    w = fastnn.tensor(w0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    out, tout = layer(fastnn.tensor(x0), fastnn.tensor(ei), w), ref(torch.tensor(x0), torch.tensor(ei), tw)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_gcn_normalization_kernel_gradient_matches_reference_and_gradcheck():
    from fastnn.autograd.native.graph import GCNNormFn
    rng, n, ei = _graph(2)
    graph = to_csr(fastnn.tensor(ei), n)
    v = rng.random(graph.num_edges) + 0.1
    g = rng.standard_normal(graph.num_edges)
    out, deg = K.gcn_norm_csr(graph.indptr, graph.indices, v)
    np.testing.assert_allclose(K.gcn_norm_csr_backward(graph.indptr, graph.indices, v, deg, g),
                               R.gcn_norm_csr_backward(graph.indptr, graph.indices, v, deg, g), rtol=1e-12)
    assert gradcheck(lambda t: GCNNormFn.apply(t, graph), (fastnn.tensor(v, requires_grad=True),))


def test_cached_gcn_recomputes_for_another_graph_and_keeps_learnable_weights_correct():
    rng, n, ei = _graph(3)
    _, _, other = _graph(4)
    x = fastnn.tensor(rng.standard_normal((n, 4)))
    cached, fresh = nn.GCNConv(4, 2, cached=True).double(), nn.GCNConv(4, 2).double()
    fresh.load_state_dict(cached.state_dict())
    first = fastnn.tensor(ei)
    np.testing.assert_allclose(cached(x, first).detach().numpy(), fresh(x, first).detach().numpy())
    # a different graph (a new mini-batch): PyG would silently reuse the first one
    np.testing.assert_allclose(cached(x, fastnn.tensor(other)).detach().numpy(),
                               fresh(x, fastnn.tensor(other)).detach().numpy(), rtol=1e-12)
    graph_before = cached._cache[1][0]
    cached(x, first)
    cached(x, first)
    assert cached._cache[1][0] is not graph_before  # recached for `first`, then reused
    reused = cached._cache[1][0]
    cached(x, first)
    assert cached._cache[1][0] is reused
    # a learnable weight with a cached layer: every step gets the gradient of its own forward
    w = fastnn.tensor(rng.random(ei.shape[1]) + 0.5, requires_grad=True)
    for _ in range(2):
        w.grad = None
        cached(x, first, w).sum().backward()
        want = fastnn.tensor(w.detach().numpy(), requires_grad=True)
        fresh(x, first, want).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), want.grad.numpy(), rtol=1e-12)


def test_models_gcn_defaults_to_uncached_as_pyg():
    from fastnn.models import GCN
    model = GCN(3, 4, 2)
    assert not model.conv1.cached and not model.conv2.cached


def test_gcn_without_normalisation_adds_no_self_loops():
    rng, n, ei = _graph(5)
    w = rng.random(ei.shape[1])
    layer = nn.GCNConv(4, 3, normalize=False).double()
    x = rng.standard_normal((n, 4))
    out = layer(fastnn.tensor(x), fastnn.tensor(ei), fastnn.tensor(w)).detach().numpy()
    a = np.zeros((n, n))
    np.add.at(a, (ei[1], ei[0]), w)  # the edges as given: their weights, no loops, no scaling
    want = a @ x @ layer.lin.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="add_self_loops"):
        nn.GCNConv(4, 3, normalize=False, add_self_loops=True)


def test_gcn_and_gat_assign_bias_once():
    import inspect
    for cls in (nn.GCNConv, nn.GATConv):
        assert inspect.getsource(cls.__init__).count("self.bias =") <= 1  # set in one place (optional_bias)
        assert cls(3, 2, bias=False).bias is None and "bias" not in dict(cls(3, 2, bias=False).named_parameters())
        bias = dict(cls(3, 2).named_parameters())["bias"]
        assert bias.shape == (2,) and not bias.detach().numpy().any()


@pytest.mark.parametrize("add_self_loops", [True, False])
def test_gat_attention_weights_follow_the_edge_order_as_pyg(add_self_loops):
    torch = pytest.importorskip("torch")
    pyg = pytest.importorskip("torch_geometric.nn")
    rng, n, ei = _graph(6)
    x = rng.standard_normal((n, 4))
    layer = nn.GATConv(4, 3, heads=2, add_self_loops=add_self_loops).double()
    ref = pyg.GATConv(4, 3, heads=2, add_self_loops=add_self_loops).double()
    with torch.no_grad():
        ref.lin.weight.copy_(torch.tensor(layer.lin.weight.detach().numpy()))
        ref.att_src.copy_(torch.tensor(layer.att_src.detach().numpy()))
        ref.att_dst.copy_(torch.tensor(layer.att_dst.detach().numpy()))
    out, (got_ei, alpha) = layer(fastnn.tensor(x), fastnn.tensor(ei), return_attention_weights=True)
    tout, (want_ei, talpha) = ref(torch.tensor(x), torch.tensor(ei), return_attention_weights=True)
    np.testing.assert_array_equal(got_ei.numpy(), want_ei.numpy())
    np.testing.assert_allclose(alpha.detach().numpy(), talpha.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ frozen structures, read-only inputs

def test_spmm_backward_refuses_a_transpose_of_another_graph():
    _, n, ei = _graph(7)
    graph = to_csr(fastnn.tensor(ei), n)
    small = to_csr(fastnn.tensor(ei[:, :5]), n)
    x, g = np.ones((n, 2)), np.ones((n, 2))
    t_indptr, t_indices, t_perm = graph.transposed()
    s_indptr, s_indices, s_perm = small.transposed()
    with pytest.raises(ValueError, match="t_indices"):  # was read past its end (and prefetched 6 edges ahead)
        K.spmm_csr_backward(graph.indptr, graph.indices, None, x, g, s_indptr, s_indices, t_perm)
    with pytest.raises(ValueError, match="t_perm"):
        K.spmm_csr_backward(graph.indptr, graph.indices, None, x, g, t_indptr, t_indices, s_perm)
    with pytest.raises(ValueError, match="t_indptr must run from 0 to len.t_indices."):
        K.spmm_csr_backward(graph.indptr, graph.indices, None, x, g, t_indptr, s_indices, t_perm)
    with pytest.raises(ValueError, match="t_indptr"):
        K.spmm_csr_backward(graph.indptr, graph.indices, None, x, g, t_indptr[:-1].copy(), t_indices, t_perm)
    bad_perm = np.array(t_perm)
    bad_perm[0] = 10 ** 9
    with pytest.raises(IndexError, match="t_perm"):
        K.spmm_csr_backward(graph.indptr, graph.indices, None, x, g, t_indptr, t_indices, bad_perm)


def test_graph_csr_is_immutable_and_leaves_callers_arrays_alone():
    _, n, ei = _graph(8)
    graph = to_csr(fastnn.tensor(ei), n)
    arrays = [graph.indptr, graph.indices, graph.perm, graph.rows(), graph.inverse_perm(), *graph.transposed()]
    for a in arrays:
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1
    for name in ("indptr", "indices", "perm", "num_rows", "num_cols"):
        with pytest.raises(AttributeError):
            setattr(graph, name, None)
    crow, col = np.array([0, 1, 3]), np.array([1, 0, 1])
    A = fastnn.sparse_csr_tensor(crow, col, np.ones(3), size=(2, 2))
    assert crow.flags.writeable and col.flags.writeable and not A._graph.indices.flags.writeable
    with pytest.raises(IndexError, match="indices"):
        GraphCSR(np.array([0, 1]), np.array([5]), np.array([0]), 1, 2)


def test_a_frozen_structure_made_writeable_again_is_checked_in_full():
    _, n, ei = _graph(9)
    graph = to_csr(fastnn.tensor(ei), n)
    x = np.ones((n, 2))
    K.spmm_csr(graph.indptr, graph.indices, None, x)
    graph.indices.flags.writeable = True  # deliberate: the owner may switch the flag back on
    graph.indices[0] = 10 ** 9
    with pytest.raises(IndexError, match="indices"):
        K.spmm_csr(graph.indptr, graph.indices, None, x)


def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("k", [K, R], ids=["compiled", "reference"])
def test_graph_kernels_take_read_only_inputs(k):
    rng, n, ei = _graph(10)
    src, dst = _readonly(ei[0]), _readonly(ei[1])
    indptr, indices, perm = k.edges_to_csr(src, dst, n)
    ro_indptr, ro_indices = _readonly(indptr), _readonly(indices)  # views never frozen: checked on every call
    t = k.csr_transpose(ro_indptr, ro_indices, n)
    x = rng.standard_normal((n, 6))
    v = rng.standard_normal((len(indices), 2))
    g = rng.standard_normal((n, 6))
    ro = [_readonly(a) for a in (x, v, g)]
    np.testing.assert_array_equal(k.spmm_csr(ro_indptr, ro_indices, ro[1], ro[0]), k.spmm_csr(indptr, indices, v, x))
    for a, b in zip(k.spmm_csr_backward(ro_indptr, ro_indices, ro[1], ro[0], ro[2], *t),
                    k.spmm_csr_backward(indptr, indices, v, x, g, *t)):
        np.testing.assert_array_equal(a, b)
    out, arg = k.spmm_max_csr(ro_indptr, ro_indices, ro[0])
    np.testing.assert_array_equal(k.spmm_max_backward(_readonly(arg), ro[2], n), k.spmm_max_backward(arg, g, n))
    alpha = k.segment_softmax(ro_indptr, ro[1])
    np.testing.assert_array_equal(k.segment_softmax_backward(ro_indptr, _readonly(alpha), ro[1]),
                                  k.segment_softmax_backward(indptr, alpha, v))
    w = _readonly(rng.random(len(indices)))
    norm, deg = k.gcn_norm_csr(ro_indptr, ro_indices, w)
    k.gcn_norm_csr_backward(ro_indptr, ro_indices, w, _readonly(deg), _readonly(norm))
    k.add_remaining_self_loops(src, dst, n, _readonly(rng.random(len(src))))


@pytest.mark.parametrize("k", [K, R], ids=["compiled", "reference"])
def test_duplicate_self_loops_take_the_last_loops_weight(k):
    src = np.array([1, 0, 1, 2, 1, 2], np.int64)
    dst = np.array([1, 2, 1, 0, 1, 2], np.int64)
    w = np.array([10.0, 1.0, 20.0, 2.0, 30.0, 40.0])
    new_src, new_dst, origin = k.remaining_self_loops(src, dst, 4)
    np.testing.assert_array_equal(new_src, [0, 2, 0, 1, 2, 3])
    np.testing.assert_array_equal(new_dst, [2, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(origin, [1, 3, -1, 4, 5, -1])  # node 1's loops: edges 0, 2, 4; the last wins
    _, _, weight = k.add_remaining_self_loops(src, dst, 4, w, 7.0)
    np.testing.assert_array_equal(weight, [1.0, 2.0, 7.0, 30.0, 40.0, 7.0])
    many = np.full(1000, 3, np.int64)  # many repeats of one loop: still the last one, not whichever NumPy writes last
    _, _, weight = k.add_remaining_self_loops(many, many, 4, np.arange(1000.0), 0.0)
    assert weight[3] == 999.0
