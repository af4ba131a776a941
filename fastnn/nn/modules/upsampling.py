"""torch.nn.modules.upsampling's import path: upsampling (defined in fastnn.nn)."""
from ..upsampling import (Upsample, UpsamplingNearest2d, UpsamplingBilinear2d)

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
