"""torch.nn.modules.flatten's import path: flatten and unflatten (defined in fastnn.nn)."""
from ..flatten import (Flatten, Unflatten)

__all__ = ["Flatten", "Unflatten"]
