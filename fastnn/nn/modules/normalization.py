"""torch.nn.modules.normalization's import path: normalisation layers (defined in fastnn.nn)."""
from ..normalization import (LayerNorm, GroupNorm, LocalResponseNorm, CrossMapLRN2d, RMSNorm)

__all__ = ["LayerNorm", "GroupNorm", "LocalResponseNorm", "CrossMapLRN2d", "RMSNorm"]
