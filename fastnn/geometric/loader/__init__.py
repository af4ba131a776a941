"""torch_geometric.loader: DataLoader, mini-batches of graphs merged into one disjoint union (Batch)."""
from .dataloader import DataLoader, Collater

__all__ = ["DataLoader", "Collater"]
