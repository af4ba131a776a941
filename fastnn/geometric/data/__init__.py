"""torch_geometric.data: Data (one graph), Batch (a disjoint union of graphs), Dataset and InMemoryDataset."""
from .data import Data
from .batch import Batch
from .dataset import Dataset, InMemoryDataset

__all__ = ["Data", "Batch", "Dataset", "InMemoryDataset"]
