"""GraphSAGE with NeighborLoader on a synthetic power-law graph: seed nodes per second and peak memory.

    python bench/graphsage_scale.py [--library fastnn|pyg] [--nodes 1000000] [--edges 10000000] [--batches N]

Sources are drawn with probability proportional to a Pareto weight (heavy-tailed out-degrees), targets
uniformly; 64 float32 features, 10 classes. A 2-layer GraphSAGE (hidden 128) trains with Adam on
NeighborLoader batches of 1024 seeds, fan-out (10, 10), for --batches batches (default: the whole epoch,
nodes / 1024 batches; a shorter run extrapolates the epoch time). Peak RSS is the process's high-water
mark (ru_maxrss). `--library pyg` runs the same loop on PyTorch Geometric, whose NeighborLoader needs
pyg-lib or torch-sparse.
"""
import argparse
import resource
import time

import numpy as np


def power_law_graph(nodes, edges, seed=0):
    rng = np.random.default_rng(seed)
    weight = rng.pareto(1.5, nodes) + 1
    cdf = np.cumsum(weight)
    src = np.searchsorted(cdf, rng.random(edges) * cdf[-1]).astype(np.int64)
    dst = rng.integers(0, nodes, edges, dtype=np.int64)
    x = rng.standard_normal((nodes, 64), dtype=np.float32)
    y = rng.integers(0, 10, nodes, dtype=np.int64)
    return np.stack([src, dst]), x, y


def fastnn_parts():
    """(torch-like module, Data, NeighborLoader, GraphSAGE) of fastnn."""
    import fastnn
    from fastnn.geometric.data import Data
    from fastnn.geometric.loader import NeighborLoader
    from fastnn.geometric.nn import GraphSAGE
    return fastnn, Data, NeighborLoader, GraphSAGE


def pyg_parts():
    """The same four names from PyTorch and PyTorch Geometric."""
    import torch
    from torch_geometric.data import Data
    from torch_geometric.loader import NeighborLoader
    from torch_geometric.nn import GraphSAGE
    return torch, Data, NeighborLoader, GraphSAGE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=["fastnn", "pyg"], default="fastnn")
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--batches", type=int, default=None, help="default: one whole epoch")
    args = parser.parse_args()
    lib, Data, NeighborLoader, GraphSAGE = fastnn_parts() if args.library == "fastnn" else pyg_parts()
    edge_index, x, y = power_law_graph(args.nodes, args.edges)
    data = Data(x=lib.from_numpy(x), edge_index=lib.from_numpy(edge_index), y=lib.from_numpy(y))
    lib.manual_seed(0)
    t0 = time.perf_counter()
    loader = NeighborLoader(data, num_neighbors=[10, 10], batch_size=1024, shuffle=True)
    build = time.perf_counter() - t0
    model = GraphSAGE(64, 128, num_layers=2, out_channels=10)
    opt = lib.optim.Adam(model.parameters(), lr=0.01)
    seeds, sampled, sample_time, losses = 0, 0, 0.0, []
    t0 = time.perf_counter()
    it = iter(loader)
    for _ in range(args.batches if args.batches is not None else len(loader)):
        s0 = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            break
        sample_time += time.perf_counter() - s0
        opt.zero_grad()
        out = model(batch.x, batch.edge_index)[:batch.batch_size]
        loss = lib.nn.functional.cross_entropy(out, batch.y[:batch.batch_size])
        loss.backward()
        opt.step()
        losses.append(loss.item())
        seeds += batch.batch_size
        sampled += batch.num_nodes
    elapsed = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    print(f"{args.library}: graph {args.nodes} nodes, {args.edges} edges; loader built in {build:.2f} s")
    print(f"{seeds:,} seeds in {elapsed:.1f} s: {seeds / elapsed:,.0f} seed nodes/s ({sampled / max(seeds, 1):.1f} "
          f"sampled nodes per seed), sampling {100 * sample_time / elapsed:.0f}% of the time; epoch "
          f"{'time' if seeds >= args.nodes else 'estimate'} {elapsed * args.nodes / max(seeds, 1):.0f} s; "
          f"loss first/last 10 batches {np.mean(losses[:10]):.3f}/{np.mean(losses[-10:]):.3f}; "
          f"peak RSS {peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
