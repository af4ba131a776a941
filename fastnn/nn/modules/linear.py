"""torch.nn.modules.linear's import path: linear layers (defined in fastnn.nn)."""
from ..linear import (Linear, Identity, Bilinear)
from ..lazy import (LazyLinear)

__all__ = ["Linear", "Identity", "Bilinear", "LazyLinear"]
