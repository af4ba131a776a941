"""torch.nn.modules.lazy's import path: lazy modules (defined in fastnn.nn)."""
from ..lazy import (LazyModuleMixin)

__all__ = ["LazyModuleMixin"]
