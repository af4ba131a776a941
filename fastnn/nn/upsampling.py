"""Upsample (nearest neighbour, integer factors)."""
from .module import Module
from .functional_conv import interpolate


class Upsample(Module):
    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if mode != "nearest":
            raise NotImplementedError(f"Upsample: mode {mode!r} is not supported (only 'nearest')")
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode)

    def extra_repr(self):
        return f"scale_factor={self.scale_factor}, mode={self.mode!r}" if self.size is None else f"size={self.size}"
