"""torch.nn.modules.instancenorm's import path: instance normalisation (defined in fastnn.nn)."""
from ..instancenorm import (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d)
from ..lazy import (LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d)

__all__ = [
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
    "LazyInstanceNorm3d"]
