"""torch.nn.modules.pixelshuffle's import path: pixel shuffles (defined in fastnn.nn)."""
from ..shuffle import (PixelShuffle, PixelUnshuffle)

__all__ = ["PixelShuffle", "PixelUnshuffle"]
