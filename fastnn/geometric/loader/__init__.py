"""torch_geometric.loader: DataLoader (mini-batches of graphs merged into one disjoint union, Batch) and
NeighborLoader (mini-batches of seed nodes with sampled neighbourhoods)."""
from .dataloader import DataLoader, Collater
from .neighbor_loader import NeighborLoader, NeighborSampler

__all__ = ["DataLoader", "Collater", "NeighborLoader", "NeighborSampler"]
