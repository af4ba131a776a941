"""NeighborLoader: sampled subgraphs are valid (every edge exists, fan-out respected, seeds first, features
sliced), neighbours are drawn uniformly, the native sampler equals its NumPy twin for any thread count,
and GraphSAGE trains on the mini-batches."""
import numpy as np
import pytest

import fastnn
from fastnn import kernels as K
from fastnn.kernels import reference as R
from fastnn.geometric.data import Data
from fastnn.geometric.loader import NeighborLoader


def _data(seed=0, n=60, E=400):
    rng = np.random.default_rng(seed)
    ei = np.stack([rng.integers(0, n, E), rng.integers(0, n, E)])
    return Data(x=fastnn.tensor(rng.standard_normal((n, 5))), edge_index=fastnn.tensor(ei),
                edge_attr=fastnn.tensor(rng.standard_normal((E, 2))), y=fastnn.tensor(rng.integers(0, 3, n)),
                train_mask=fastnn.tensor(rng.random(n) < 0.5))


@pytest.mark.parametrize("num_neighbors", [[3, 2], [-1], [5, 0, 4]])
def test_sampled_subgraphs_are_valid(num_neighbors):
    data = _data()
    ei = data.edge_index.numpy()
    indeg = np.bincount(ei[1], minlength=data.num_nodes)
    fastnn.manual_seed(0)
    loader = NeighborLoader(data, num_neighbors=num_neighbors, input_nodes=data.train_mask, batch_size=7,
                            shuffle=True)
    seen = []
    for batch in loader:
        n_id, e_id, local = batch.n_id.numpy(), batch.e_id.numpy(), batch.edge_index.numpy()
        seeds = np.flatnonzero(data.train_mask.numpy())[batch.input_id.numpy()]
        assert batch.batch_size == len(seeds) and np.array_equal(n_id[:batch.batch_size], seeds)
        assert len(np.unique(n_id)) == len(n_id) == batch.num_nodes == sum(batch.num_sampled_nodes)
        np.testing.assert_array_equal(ei[:, e_id], n_id[local])  # every sampled edge is a real edge, e_id names it
        assert len(np.unique(e_id)) == len(e_id) == sum(batch.num_sampled_edges)
        np.testing.assert_array_equal(batch.x.numpy(), data.x.numpy()[n_id])
        np.testing.assert_array_equal(batch.y.numpy(), data.y.numpy()[n_id])
        np.testing.assert_array_equal(batch.edge_attr.numpy(), data.edge_attr.numpy()[e_id])
        # hop by hop: each node reached in hop h - 1 received min(in-degree, fan-out) sampled edges in hop h
        start, edge_start = 0, 0
        for hop, k in enumerate(num_neighbors):
            targets = np.arange(start, start + batch.num_sampled_nodes[hop])
            hop_edges = local[:, edge_start:edge_start + batch.num_sampled_edges[hop]]
            got = np.bincount(hop_edges[1], minlength=batch.num_nodes)[targets]
            want = indeg[n_id[targets]] if k < 0 else np.minimum(indeg[n_id[targets]], k)
            np.testing.assert_array_equal(got, want)
            start += batch.num_sampled_nodes[hop]
            edge_start += batch.num_sampled_edges[hop]
        seen.append(seeds)
    assert sorted(np.concatenate(seen).tolist()) == np.flatnonzero(data.train_mask.numpy()).tolist()
    assert len(loader) == -(-int(data.train_mask.numpy().sum()) // 7)


def test_neighbours_are_drawn_uniformly():
    # node 0 has 12 in-neighbours; 6000 draws of 4: each neighbour should appear about 2000 times
    src = np.arange(1, 13)
    indptr, indices, _ = K.edges_to_csr(src, np.zeros(12, np.int64), 13)
    counts = np.zeros(13)
    nodes = np.zeros(6000, np.int64)
    sources, _, per_node = K.sample_neighbors(indptr, indices, nodes, 4, 7)
    assert (per_node == 4).all()
    assert all(len(set(sources[4 * i:4 * i + 4])) == 4 for i in range(6000))  # without replacement
    np.add.at(counts, sources, 1)
    expected = 6000 * 4 / 12
    chi2 = ((counts[1:] - expected) ** 2 / expected).sum()
    assert chi2 < 31.3  # 11 degrees of freedom: p = 0.001


def test_native_sampler_equals_its_twin_on_any_thread_count():
    rng = np.random.default_rng(1)
    src, dst = rng.integers(0, 300, 30000), rng.integers(0, 300, 30000)
    indptr, indices, _ = K.edges_to_csr(src, dst, 300)
    nodes = rng.integers(0, 300, 200)
    want = R.sample_neighbors(indptr, indices, nodes, 6, 99)
    before = fastnn.get_num_threads()
    try:
        for threads in (1, 2):
            fastnn.set_num_threads(threads)
            for got, ref in zip(K.sample_neighbors(indptr, indices, nodes, 6, 99), want):
                np.testing.assert_array_equal(got, ref)
    finally:
        fastnn.set_num_threads(before)
    with pytest.raises(ValueError, match="num_neighbors"):
        K.sample_neighbors(indptr, indices, nodes, -2, 0)
    with pytest.raises(IndexError, match="nodes"):
        K.sample_neighbors(indptr, indices, np.array([300]), 2, 0)


def test_bad_loader_arguments_raise():
    data = _data()
    with pytest.raises(TypeError, match="num_neighbors"):
        NeighborLoader(data, num_neighbors=10)
    with pytest.raises(NotImplementedError, match="replace"):
        NeighborLoader(data, num_neighbors=[2], replace=True)
    with pytest.raises(IndexError, match="input_nodes"):
        NeighborLoader(data, num_neighbors=[2], input_nodes=fastnn.tensor(np.array([999])))


def test_graphsage_trains_on_neighbour_mini_batches():
    from fastnn.geometric.nn import GraphSAGE
    from fastnn.data import karate_club
    g = karate_club()
    labelled = np.zeros(34, bool)
    labelled[[0, 1, 2, 3, 8, 13, 30, 31, 32, 33]] = True
    data = Data(x=g.x, edge_index=g.edge_index, y=g.y, train_mask=fastnn.tensor(labelled))
    fastnn.manual_seed(0)
    model = GraphSAGE(34, 16, num_layers=2, out_channels=2)
    opt = fastnn.optim.Adam(model.parameters(), lr=0.01)
    loader = NeighborLoader(data, num_neighbors=[5, 5], input_nodes=data.train_mask, batch_size=4, shuffle=True)
    for _ in range(30):
        for batch in loader:
            opt.zero_grad()
            out = model(batch.x, batch.edge_index)[:batch.batch_size]
            fastnn.nn.functional.cross_entropy(out, batch.y[:batch.batch_size]).backward()
            opt.step()
    model.eval()
    with fastnn.no_grad():
        pred = model(data.x, data.edge_index).argmax(dim=1).numpy()
    assert (pred == g.y.numpy()).mean() >= 0.85


@pytest.mark.parametrize("ratio", [None, 2.0])
def test_link_neighbor_loader_batches_are_valid(ratio):
    from fastnn.geometric.loader import LinkNeighborLoader
    data = _data(1)
    ei = data.edge_index.numpy()
    label = fastnn.tensor(np.arange(ei.shape[1], dtype=np.float32) + 5)
    fastnn.manual_seed(0)
    loader = LinkNeighborLoader(data, num_neighbors=[4, 2], edge_label=label, neg_sampling_ratio=ratio,
                                batch_size=32, shuffle=True)
    total = 0
    for batch in loader:
        n_id, ids = batch.n_id.numpy(), batch.input_id.numpy()
        B = len(ids)
        num_neg = 0 if ratio is None else int(np.ceil(B * ratio))
        eli, lab = batch.edge_label_index.numpy(), batch.edge_label.numpy()
        assert eli.shape == (2, B + num_neg) and lab.shape == (B + num_neg,)
        np.testing.assert_array_equal(n_id[eli[:, :B]], ei[:, ids])  # positives: the batch's edges, relabelled
        np.testing.assert_array_equal(lab[:B], label.numpy()[ids])
        assert (lab[B:] == 0).all()
        endpoints = np.unique(n_id[eli])
        np.testing.assert_array_equal(n_id[:len(endpoints)], endpoints)  # the endpoints come first, sorted
        np.testing.assert_array_equal(ei[:, batch.e_id.numpy()], n_id[batch.edge_index.numpy()])
        total += B
    assert total == ei.shape[1]


def test_loader_includes_each_in_edge_with_probability_fanout_over_degree():
    # Uniform sampling without replacement over a node's in-edges (parallel edges are separate
    # edges, as in PyG): each of the d in-edges of a seed is in its 1-hop sample with probability
    # k / d. torch-sparse's sampler, one of PyG's two back ends, draws Floyd's algorithm's index
    # from [0, j) instead of [0, j] and gives 0.6 / 0.4 here instead of 0.5 (rusty1s/pytorch_sparse
    # issue 385); the bound below (5 standard errors, 0.056) tells the two apart.
    src = np.array([5, 6, 7, 8, 8, 9, 1, 2])  # node 0's in-edges: six, two of them parallel (8 -> 0)
    dst = np.array([0, 0, 0, 0, 0, 0, 3, 4])
    data = Data(x=fastnn.tensor(np.eye(10)), edge_index=fastnn.tensor(np.stack([src, dst])))
    draws, k = 2000, 3
    fastnn.manual_seed(0)
    loader = NeighborLoader(data, num_neighbors=[k], input_nodes=fastnn.tensor(np.zeros(draws, np.int64)),
                            batch_size=1)
    counts = np.zeros(len(src))
    for batch in loader:
        e_id = batch.e_id.numpy()
        assert len(e_id) == k and len(set(e_id.tolist())) == k
        counts[e_id] += 1
    assert counts[6:].sum() == 0  # edges into other nodes are never drawn for seed 0
    p = k / 6
    assert np.abs(counts[:6] / draws - p).max() < 5 * np.sqrt(p * (1 - p) / draws), counts[:6] / draws
