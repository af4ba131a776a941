"""torch.nn.modules.batchnorm's import path: batch normalisation (defined in fastnn.nn)."""
from ..batchnorm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm)
from ..lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d)

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d", "LazyBatchNorm2d",
    "LazyBatchNorm3d"]
