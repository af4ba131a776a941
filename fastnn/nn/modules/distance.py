"""torch.nn.modules.distance's import path: distances (defined in fastnn.nn)."""
from ..shuffle import (CosineSimilarity, PairwiseDistance)

__all__ = ["CosineSimilarity", "PairwiseDistance"]
