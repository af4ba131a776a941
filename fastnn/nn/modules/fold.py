"""torch.nn.modules.fold's import path: fold and unfold (defined in fastnn.nn)."""
from ..shuffle import (Fold, Unfold)

__all__ = ["Fold", "Unfold"]
