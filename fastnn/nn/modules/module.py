"""torch.nn.modules.module's import path: module parameters (defined in fastnn.nn)."""
from ..module import (Module)

__all__ = ["Module"]
