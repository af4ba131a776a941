"""torch_geometric.datasets: Planetoid and TUDataset, read from local files (nothing is downloaded)."""
from .planetoid import Planetoid
from .tu import TUDataset

__all__ = ["Planetoid", "TUDataset"]
