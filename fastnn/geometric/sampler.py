"""torch_geometric.sampler: NeighborSampler and NegativeSampling (see fastnn.geometric.loader)."""
from .loader.neighbor_loader import NeighborSampler, NegativeSampling

__all__ = ["NeighborSampler", "NegativeSampling"]
