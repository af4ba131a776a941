"""torch_geometric.loader: DataLoader (mini-batches of graphs merged into one disjoint union, Batch) and
NeighborLoader / LinkNeighborLoader (mini-batches of seed nodes or edges with sampled neighbourhoods)."""
from .dataloader import DataLoader, Collater
from .neighbor_loader import NeighborLoader, NeighborSampler, LinkNeighborLoader, NegativeSampling

__all__ = ["DataLoader", "Collater", "NeighborLoader", "NeighborSampler", "LinkNeighborLoader", "NegativeSampling"]
